"""Flame graphs as plain SVG: rectangles with <title> tooltips, no script.

A flame graph draws folded stacks ("root;child;leaf" -> value) as a tree,
root at the bottom, each frame as wide as the time spent in it and below it.
The differential graph draws the union of two profiles; each frame is as wide
as the larger of its two values and coloured by the change (red: more in the
second profile, blue: less).
"""

import hashlib
from xml.sax.saxutils import escape

WIDTH = 1200
FRAME_H = 16
PAD = 10
TOP = 70
MIN_PX = 0.5
CHAR_PX = 6.6


def build_tree(folded, scale=1.0):
    """Nested {"name", "value", "children"} of folded stacks, values x scale."""
    root = {"name": "all", "value": 0.0, "children": {}}
    for stack, value in folded.items():
        v = value * scale
        root["value"] += v
        node = root
        for name in stack.split(";"):
            node = node["children"].setdefault(name, {"name": name, "value": 0.0, "children": {}})
            node["value"] += v
    return root


def build_diff_tree(folded_a, scale_a, folded_b, scale_b):
    """Union tree with "a" and "b" values (each already scaled)."""
    root = {"name": "all", "a": 0.0, "b": 0.0, "children": {}}
    for folded, scale, key in ((folded_a, scale_a, "a"), (folded_b, scale_b, "b")):
        for stack, value in folded.items():
            v = value * scale
            root[key] += v
            node = root
            for name in stack.split(";"):
                node = node["children"].setdefault(name, {"name": name, "a": 0.0, "b": 0.0,
                                                          "children": {}})
                node[key] += v
    return root


def _depth(node):
    return 1 + max((_depth(c) for c in node["children"].values()), default=0)


def hashed_color(name):
    """Warm colour from the name: stable between runs."""
    h = int(hashlib.md5(name.encode()).hexdigest()[:6], 16)
    r = 205 + h % 50
    g = 80 + (h >> 8) % 120
    b = 40 + (h >> 16) % 40
    return f"rgb({r},{g},{b})"


def _text(x, y, w, name):
    chars = int((w - 4) / CHAR_PX)
    if chars < 3:
        return ""
    label = name if len(name) <= chars else name[:chars - 2] + ".."
    return f'<text x="{x + 2:.1f}" y="{y + FRAME_H - 4:.1f}">{escape(label)}</text>'


def _svg(title, subtitle, depth, body, legend=""):
    height = TOP + depth * FRAME_H + PAD * 2 + (18 if legend else 0)
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" font-family="Verdana, sans-serif" font-size="11">\n'
            f'<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#f8f8f8"/>\n'
            f'<text x="{WIDTH / 2}" y="20" text-anchor="middle" font-size="15">{escape(title)}</text>\n'
            + "".join(f'<text x="{WIDTH / 2}" y="{38 + 14 * i}" text-anchor="middle" fill="#555">'
                      f'{escape(line)}</text>\n' for i, line in enumerate(subtitle.split("\n")[:2])))
    if legend:
        head += f'<text x="{PAD}" y="{height - 8}" fill="#555">{escape(legend)}</text>\n'
    return head + "\n".join(body) + "\n</svg>\n"


def flame_svg(folded, scale, title, subtitle, unit="µs/exchange", color=None):
    """An SVG flame graph of ``folded`` (values x ``scale`` in ``unit``).

    ``color(name)`` may return a fill colour; the default hashes the name.
    """
    tree = build_tree(folded, scale)
    total = tree["value"]
    depth = _depth(tree)
    base_y = TOP + (depth - 1) * FRAME_H
    px = (WIDTH - 2 * PAD) / total if total > 0 else 0.0
    body = []

    def draw(node, x, level):
        w = node["value"] * px
        if w < MIN_PX:
            return
        y = base_y - level * FRAME_H
        share = node["value"] / total * 100 if total else 0
        fill = (color(node["name"]) if color else None) or hashed_color(node["name"])
        tip = f"{node['name']}: {node['value']:.3f} {unit} ({share:.1f}%)"
        body.append(f'<g><title>{escape(tip)}</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{FRAME_H - 1}" fill="{fill}" rx="2"/>{_text(x, y, w, node["name"])}</g>')
        cx = x
        for child in sorted(node["children"].values(), key=lambda c: c["name"]):
            draw(child, cx, level + 1)
            cx += child["value"] * px

    draw(tree, PAD, 0)
    return _svg(title, subtitle, depth, body)


def diff_color(a, b):
    """Red for growth from a to b, blue for shrinkage, white-ish when equal."""
    top = max(a, b)
    if top <= 0:
        return "rgb(230,230,230)"
    change = (b - a) / top  # -1 (gone) .. +1 (added)
    k = int(200 * min(1.0, abs(change)))
    return f"rgb(255,{235 - k},{235 - k})" if change > 0 else f"rgb({235 - k},{235 - k},255)"


def diff_svg(folded_a, scale_a, folded_b, scale_b, title, subtitle, label_a="A", label_b="B",
             unit="µs/exchange"):
    """Differential flame graph: union of both, width max(a, b), colour by change."""
    tree = build_diff_tree(folded_a, scale_a, folded_b, scale_b)

    def width(node):
        return max(node["a"], node["b"])

    total = width(tree)
    depth = _depth(tree)
    base_y = TOP + (depth - 1) * FRAME_H
    px = (WIDTH - 2 * PAD) / total if total > 0 else 0.0
    body = []

    def draw(node, x, w, level):
        if w < MIN_PX:
            return
        y = base_y - level * FRAME_H
        tip = (f"{node['name']}: {label_a} {node['a']:.3f}, {label_b} {node['b']:.3f} {unit} "
               f"(change {node['b'] - node['a']:+.3f})")
        body.append(f'<g><title>{escape(tip)}</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" '
                    f'height="{FRAME_H - 1}" fill="{diff_color(node["a"], node["b"])}" '
                    f'stroke="#999" stroke-width="0.3" rx="2"/>{_text(x, y, w, node["name"])}</g>')
        children = sorted(node["children"].values(), key=lambda c: c["name"])
        # max(a, b) of the children can add up to more than the parent's: shrink them to fit.
        room = max(width(node), sum(width(c) for c in children))
        cx = x
        for child in children:
            cw = w * width(child) / room if room > 0 else 0.0
            draw(child, cx, cw, level + 1)
            cx += cw

    draw(tree, PAD, total * px, 0)
    legend = (f"width: the larger of {label_a} and {label_b}; red: more in {label_b}, "
              f"blue: less in {label_b} (deep blue: gone), white: unchanged")
    return _svg(title, subtitle, depth, body, legend)
