"""Small multiples: the lines of one chart split into panels of one question each.

Rows are who ends the connection (client closes, server closes, no churn:
the references) and the protocol; columns are the client engine (and for
the event-driven one, its connections per thread). A panel that would hold
more than MAX_SERIES lines is split once more by the reuse strategy's port,
so that no panel needs a long legend. Labels are words a user reads.

Pure: lists of line dicts (chartdata.series / speedup_series) in, a grid
description out; plot.py draws it.
"""

from dataclasses import dataclass, field

MAX_SERIES = 8
ENGINE_ORDER = ("blocking", "asio", "uring")
ENGINE_WORDS = {"blocking": "blocking client", "asio": "Boost.Asio client", "uring": "io_uring client"}
# One marker per engine, in every chart.
ENGINE_MARKERS = {"blocking": "o", "asio": "s", "uring": "^"}
# One line style per port of the reuse strategy.
PORT_STYLES = {"": "-", "ephemeral": "-", "bound": ":"}


def flows_words(flows):
    n = int(flows) if str(flows).isdigit() else 1
    return f"{n} connection{'s' if n != 1 else ''} per thread"


def rpc_words(rpc):
    n = int(rpc) if str(rpc).isdigit() else 1
    return f"{n} request{'s' if n != 1 else ''} per connection"


def closer_words(group, closer):
    proto = {"tcp": "TCP", "udp": "UDP"}.get(group, group)
    if group == "udp":
        return proto
    return {"client": f"{proto}, the client ends each connection",
            "server": f"{proto}, the server ends each connection (sends the FIN first)"}.get(
        closer, f"{proto}, no connection churn (references)")


def engine_words(engine, flows, port=""):
    words = ENGINE_WORDS.get(engine or "blocking", f"{engine} client")
    # Asio names its connections per thread always; an engine whose
    # flows:1 rows carry no flows (io_uring) only when it has more than one.
    if (engine or "blocking") == "asio" or str(flows) not in ("", "1"):
        words += f", {flows_words(flows)}"
    if port:
        words += f" (reuse, {port} port)"
    return words


def port_words(port):
    return " (bound port)" if port == "bound" else ""


@dataclass
class Panel:
    row: tuple
    column: tuple
    lines: list = field(default_factory=list)


@dataclass
class Grid:
    rows: list          # row keys: (group, closer)
    columns: list       # column keys: (engine, flows, port-split or "")
    panels: dict        # (row, column) -> Panel

    def row_title(self, row):
        return closer_words(*row)

    @staticmethod
    def column_title(column):
        return engine_words(*column)


def _row_key(line):
    return (line.get("group", "tcp"), line.get("closer", "") or "")


def _column_key(line):
    return (line.get("engine", "") or "blocking", line.get("flows", "") or "1")


def _order(key, keys):
    return keys.index(key) if key in keys else len(keys)


def grid(lines, limit=MAX_SERIES, row_order=(("tcp", "client"), ("tcp", "server"), ("tcp", ""), ("udp", ""))):
    """The lines in panels: rows by protocol and closer, columns by engine and
    flows; columns whose panels exceed `limit` lines split by port."""
    cells = {}
    for line in lines:
        cells.setdefault((_row_key(line), _column_key(line)), []).append(line)
    split = {col for (row, col), ls in cells.items() if len(ls) > limit}
    panels = {}
    for (row, col), ls in cells.items():
        if col in split:
            for line in ls:
                port = line.get("port", "") or "ephemeral"
                key = col + (port,)
                panels.setdefault((row, key), Panel(row, key)).lines.append(line)
        else:
            panels[(row, col + ("",))] = Panel(row, col + ("",), ls)
    rows = sorted({r for r, _ in panels}, key=lambda r: (_order(r, list(row_order)), r))
    columns = sorted({c for _, c in panels},
                     key=lambda c: (_order(c[0], list(ENGINE_ORDER)), int(c[1]) if str(c[1]).isdigit() else 0,
                                    c[2]))
    return Grid(rows, columns, panels)
