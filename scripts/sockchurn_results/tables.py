"""Tables as text: a header and rows of cells in, Markdown or aligned columns out.

Every table the tools print is drawn here: report.py's titled tables
(compare.py), the kernel profile's tables (plot_profile.py, report.md,
compare_profile.py) and the evidence tables (syscall_table, baseline_table).
Pure: cells are text; ``right`` holds the indexes of the columns aligned
right (numbers).
"""


def _escape(cell):
    return str(cell).replace("|", "\\|")


def markdown_row(cells):
    """One Markdown table row; a "|" in a cell is escaped."""
    return "| " + " | ".join(_escape(c) for c in cells) + " |"


def markdown(head, rows, right=()):
    """A Markdown table (no newline after its last row)."""
    rule = "|" + "|".join("---:" if i in right else "---" for i in range(len(head))) + "|"
    return "\n".join([markdown_row(head), rule] + [markdown_row(r) for r in rows])


def aligned(head, rows, right=(), rule=False):
    """Columns padded to their widest cell, two spaces apart, the header
    first and with rule a line of dashes under it (no newline after the last
    row; no space at a line's end)."""
    cells = [[str(c) for c in r] for r in [head] + list(rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(head))]

    def line(values):
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths))).rstrip()

    lines = [line(cells[0])] + ([line(["-" * w for w in widths])] if rule else [])
    return "\n".join(lines + [line(r) for r in cells[1:]])
