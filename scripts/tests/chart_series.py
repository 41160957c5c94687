"""Counting the series of a drawn chart's panels (for the tests)."""


def series_per_panel(fig):
    """{panel title or index: number of labelled series} of every visible axes:
    each line, bar set, error bar set or scatter with a label of its own (the
    markers of cut error bars are labelled "_clipped" and do not count)."""
    out = {}
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.axison:
            continue
        handles, labels = ax.get_legend_handles_labels()
        title = ax.get_title() or f"panel {i}"
        out[f"{i}: {title}"] = len(set(labels))
    return out


def legend_sizes(fig):
    """The number of entries of every legend of a figure (panels' and the figure's)."""
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    return [len(legend.get_texts()) for legend in legends if legend is not None]
