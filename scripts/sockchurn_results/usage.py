"""What an entry point reports on one line with exit status 2.

``UsageProblem`` carries that line (bad options, a file that cannot be
read); each entry point catches it in ``main`` and prints it after its
name. ``key_values`` reads the repeatable KEY=VALUE options.
"""


class UsageProblem(Exception):
    """A problem to report on one line with exit status 2."""


def key_values(items, option):
    """{KEY: VALUE} of ``--OPTION KEY=VALUE`` items (a later KEY wins)."""
    out = {}
    for item in items:
        if "=" not in item:
            raise UsageProblem(f"--{option} '{item}' is not KEY=VALUE")
        key, value = item.split("=", 1)
        out[key] = value
    return out
