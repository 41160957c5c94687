"""The strategy registry as the binaries print it: ``tcp_churn --list-groups
--json`` (bench/group_list.cpp, docs/design.md). Scripts select strategies
from it by role and capability, never by name.

A selector is a dict whose keys are a strategy's fields (``role``,
``protocol``), ``policy`` (a dict over the policy's fields) or
``capabilities`` (a dict over its capabilities); each value is the value
wanted or a list of the values accepted, e.g. ``{"role": "fresh",
"policy": {"open": "plain", "linger0": False, "end": "close"}}``.
"""

import json
import subprocess


class RegistryError(Exception):
    """The binary cannot say its registry; str() is one line."""


def load(binary, *flags, timeout=60):
    """The --list-groups --json document of `binary` (with `flags`)."""
    try:
        done = subprocess.run([binary, "--list-groups", "--json", *flags], capture_output=True,
                              text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RegistryError(f"{binary} --list-groups --json: {getattr(e, 'strerror', None) or e}") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise RegistryError(f"{binary} --list-groups --json failed: {said}")
    try:
        return json.loads(done.stdout)
    except ValueError as e:
        raise RegistryError(f"{binary} --list-groups --json: not JSON ({e})") from None


def _accepts(wanted, value):
    return value in wanted if isinstance(wanted, list) else value == wanted


def matches(strategy, selector):
    """Whether one strategy (an item of the document's "strategies") is
    what `selector` asks for."""
    for key, wanted in selector.items():
        if key in ("policy", "capabilities"):
            have = strategy.get(key, {})
            if not all(k in have and _accepts(v, have[k]) for k, v in wanted.items()):
                return False
        elif not _accepts(wanted, strategy.get(key)):
            return False
    return True


def select(doc, selector):
    """The names of the document's strategies that `selector` asks for, in
    registry order."""
    return [s["name"] for s in doc["strategies"] if matches(s, selector)]


def strategy(doc, name):
    """The document's entry for strategy `name`, or None."""
    return next((s for s in doc["strategies"] if s["name"] == name), None)


def alternation(names):
    """``a`` for one name, ``(a|b)`` for several: an extended-regex part."""
    return names[0] if len(names) == 1 else "(" + "|".join(names) + ")"


def default_regex(doc, name):
    """A --benchmark_filter for the strategy's one default variant: the
    default engine, its first closer and its first port
    (``^tcp/NAME/closer:client/port:ephemeral/``)."""
    s = strategy(doc, name)
    if s is None:
        raise RegistryError(f"no strategy {name!r} in the {doc['protocol']} registry")
    regex = f"^{doc['protocol']}/{name}/"
    caps = s["capabilities"]
    if caps.get("closers"):
        regex += f"closer:{caps['closers'][0]}/"
    if caps.get("ports"):
        regex += f"port:{caps['ports'][0]}/"
    return regex
