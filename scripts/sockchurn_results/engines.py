"""Client engine variants: an engine and its flows, as the charts tell them apart.

A variant is ``(engine, flows)`` from a run's dimensions (names.DEFAULT_DIMS
filled in: blocking, 1). Pure: no matplotlib, only names, order and colours.
"""

from .names import DEFAULT_DIMS, natural_key

ENGINE_ORDER = ("blocking", "asio", "uring")
ENGINE_COLORS = {"blocking": "#1f77b4", "uring": "#2ca02c"}
# asio variants, by increasing flows; other engines after them.
FLOW_COLORS = ("#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")


def variant(row):
    """(engine, flows) of a summary or ratio-table row."""
    engine = row["engine"] if "engine" in row and row["engine"] else DEFAULT_DIMS["engine"]
    flows = row["flows"] if "flows" in row and row["flows"] else DEFAULT_DIMS["flows"]
    return (engine, flows)


def file_variants(summary):
    """The variants of a summary's TCP and UDP runs, in order: every chart of
    a file colours and names a variant the same way."""
    if summary.empty or "group" not in summary.columns:
        return []
    rows = summary[summary["group"].isin(("tcp", "udp"))]
    return sorted({variant(r) for _, r in rows.iterrows()}, key=variant_key)


def variant_key(v):
    engine, flows = v
    known = ENGINE_ORDER.index(engine) if engine in ENGINE_ORDER else len(ENGINE_ORDER)
    return (known, engine, natural_key(flows))


def flows_shown(variants):
    """Engines whose label names their flows: those run with several flows
    values, or with one that is not the default."""
    by_engine = {}
    for engine, flows in variants:
        by_engine.setdefault(engine, set()).add(flows)
    return {e for e, f in by_engine.items() if len(f) > 1 or f != {DEFAULT_DIMS["flows"]}}


def variant_label(v, shown):
    """"blocking", "asio, 16 flows", "asio, 1 flow" (flows only for engines in shown)."""
    engine, flows = v
    if engine not in shown:
        return engine
    return f"{engine}, {flows} flow" + ("" if flows == "1" else "s")


def variant_colors(variants):
    """{variant: colour}: blocking blue, uring green, the others in turn."""
    out, spare = {}, iter(FLOW_COLORS * 4)
    for v in sorted(set(variants), key=variant_key):
        out[v] = ENGINE_COLORS.get(v[0]) if v[0] in ENGINE_COLORS and v[1] == DEFAULT_DIMS["flows"] \
            else next(spare)
    return out
