"""Benchmark names: split a Google Benchmark run name into its dimensions.

sockchurn names are generated from a variant table, e.g.
``tcp/reuse_unspec/closer:client/port:bound/payload:64/placement:same/real_time/threads:8``:
the first segment is the group (tcp, udp, syscall), the second the strategy
(or the syscall op), then ``key:value`` dimensions, Google Benchmark's time
flags and ``threads:N``. The dimensions a churn name may carry, in order:
``engine:``, ``flows:``, ``ring:`` (the io_uring engine's ring features, e.g.
``ring:defer+fixedbuf``; absent at the default), ``rpc:``, ``closer:``,
``port:``, ``payload:``, ``placement:``. Names from any other Google Benchmark binary
(``BM_Foo/8``) parse too: the first segment becomes the group and the plain
segments become ``args``.
"""

import re

GROUPS = ("tcp", "udp", "syscall")
CHURN_GROUPS = ("tcp", "udp")
# Dimensions added after the first results were made: a tcp/ or udp/ name
# without them reads as these values, so old files compare with new ones.
DEFAULT_DIMS = {"engine": "blocking", "flows": "1", "rpc": "1"}
# ring: the engines that take ring features (engine:uring); their names
# without ring: ran the default set (the row's label says which set that
# was, docs/uring-features.md). Other engines' names get no ring dimension.
RING_ENGINES = ("uring",)
RING_DEFAULT = "default"
TIME_FLAGS = ("real_time", "process_time", "manual_time")
AGGREGATES = ("mean", "median", "stddev", "cv")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]*)?")


def parse_name(name):
    """Split a run name into a dict.

    Returns ``{"group": str, "strategy": str, "threads": int | None,
    "time_flags": tuple[str, ...], "args": tuple[str, ...],
    "dims": dict[str, str]}``. ``strategy`` is "" unless the group is one of
    sockchurn's (tcp, udp, syscall); dimension values stay strings.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"benchmark name must be a non-empty string, got {name!r}")
    segments = name.split("/")
    parsed = {"group": segments[0], "strategy": "", "threads": None,
              "time_flags": (), "args": (), "dims": {}}
    rest = segments[1:]
    if parsed["group"] in GROUPS and rest and ":" not in rest[0] \
            and rest[0] not in TIME_FLAGS:
        parsed["strategy"] = rest[0]
        rest = rest[1:]
    flags, args, dims = [], [], {}
    for segment in rest:
        if segment in TIME_FLAGS:
            flags.append(segment)
        elif ":" in segment:
            key, value = segment.split(":", 1)
            if key == "threads" and value.isdigit():
                parsed["threads"] = int(value)
            else:
                dims[key] = value
        else:
            args.append(segment)
    parsed["time_flags"] = tuple(flags)
    parsed["args"] = tuple(args)
    parsed["dims"] = dims
    return parsed


def with_defaults(parsed):
    """The dims of a parsed name with DEFAULT_DIMS filled in for tcp/udp names
    (and ring:default for an engine in RING_ENGINES)."""
    dims = dict(parsed["dims"])
    if parsed["group"] in CHURN_GROUPS and parsed["strategy"]:
        for key, value in DEFAULT_DIMS.items():
            dims.setdefault(key, value)
        if dims["engine"] in RING_ENGINES:
            dims.setdefault("ring", RING_DEFAULT)
    return dims


def default_ring(dims):
    """Whether a name's dims (or a row) ran the default ring features: no
    ring: dimension, or ring:default."""
    return dims.get("ring", "") in ("", RING_DEFAULT)


def run_key(parsed):
    """A name's identity for matching runs of two files: group, strategy,
    dims (DEFAULT_DIMS filled in, any order), args, time flags and threads.
    ``tcp/x/payload:64/threads:1`` and ``tcp/x/engine:blocking/payload:64/threads:1``
    have the same key."""
    dims = with_defaults(parsed)
    parts = [parsed["group"], parsed["strategy"]] + [f"{k}:{dims[k]}" for k in sorted(dims)]
    parts += list(parsed["args"]) + sorted(parsed["time_flags"])
    parts.append(f"threads:{parsed['threads'] if parsed['threads'] is not None else 1}")
    return "/".join(parts)


def split_aggregate(name):
    """``"x/threads:1_median"`` -> ``("x/threads:1", "median")``; no suffix -> ``(name, "")``.

    Only for old files whose rows lack ``run_name``: Google Benchmark 1.7.1
    writes ``run_name`` and ``aggregate_name`` on every row.
    """
    for aggregate in AGGREGATES:
        suffix = "_" + aggregate
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)], aggregate
    return name, ""


def natural_key(value):
    """Sort key that orders "2" before "16" and numbers before words."""
    if value is None:
        return (2, 0, "")
    if isinstance(value, (int, float)):
        return (0, value, "")
    text = str(value)
    if _NUMBER.fullmatch(text):
        return (0, float(text), "")
    return (1, 0, text)
