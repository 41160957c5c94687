"""Chart files: the one matplotlib setup of the chart tools and the one way a
figure becomes files.

Importing this module picks the Agg backend (no display needed); ``setup``
applies the house style; ``save`` writes a figure as PNG and SVG,
``svg_text`` returns it as SVG text. Every SVG is reproducible: the style's
svg.hashsalt fixes its ids and no date is written
(scripts/tests/test_svg_reproducible.py).
"""

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FORMATS = ("png", "svg")
# PNG pixels per inch (an SVG has none: its size is the figure's, in points).
DPI = 110
SVG_METADATA = {"Date": None}


def setup(font_size=10, grid=True, text_as_text=False):
    """The style: fixed SVG ids, the font size, a light grid unless grid=False,
    and with text_as_text SVG text left as text (the browser's fonts) instead
    of glyph paths."""
    style = {"svg.hashsalt": "sockchurn", "font.size": font_size}
    if grid:
        style.update({"axes.grid": True, "grid.alpha": 0.3})
    if text_as_text:
        style["svg.fonttype"] = "none"
    matplotlib.rcParams.update(style)


def save(fig, stem, dpi=DPI, tight=False):
    """STEM.png and STEM.svg (STEM's directory created if needed), cropped to
    what is drawn when tight; closes the figure. Returns the two paths as
    text, STEM as given followed by the extension."""
    Path(stem).parent.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in FORMATS:
        path = f"{stem}.{fmt}"
        fig.savefig(path, dpi=dpi, metadata=SVG_METADATA if fmt == "svg" else None,
                    bbox_inches="tight" if tight else None)
        written.append(path)
    plt.close(fig)
    return written


def svg_text(fig):
    """The figure as SVG text, cropped to what is drawn; closes the figure."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata=SVG_METADATA, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()
