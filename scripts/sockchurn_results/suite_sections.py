"""The suite's extra sections as data (scripts/bench_sections.json): each
section's binary, flags, filter and variants. A filter names no strategy:
``{strategies}`` in it stands for those its selector picks from the
binary's registry (registry.py), so the sections follow the registry."""

import json
import os

from . import registry

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench_sections.json")


class SectionsError(Exception):
    """A section that cannot be resolved; str() is one line."""


def load(path=DATA):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["sections"]


def names(sections):
    return [s["name"] for s in sections]


def resolve_filter(section, bin_dir):
    """The section's grep -E filter with {strategies} filled in from the
    registry of its binary in `bin_dir`."""
    if "{strategies}" not in section["filter"]:
        return section["filter"]
    binary = os.path.join(bin_dir, section["binary"])
    try:
        doc = registry.load(binary)
    except registry.RegistryError as e:
        raise SectionsError(f"section {section['name']}: {e}") from None
    picked = registry.select(doc, section["strategies"])
    if not picked:
        raise SectionsError(f"section {section['name']}: its selector {json.dumps(section['strategies'])} "
                            f"picks no strategy of {section['binary']}")
    return section["filter"].replace("{strategies}", registry.alternation(picked))


def sections_table(sections, bin_dir):
    """scripts/bench's SECTIONS lines: name; path; binary; flags; filter; expected."""
    return [" ; ".join([s["name"], s["path"], s["binary"], s["flags"], resolve_filter(s, bin_dir),
                        s.get("expected", "")]) for s in sections]


def variants_table(sections):
    """scripts/bench's VARIANTS lines: section; dims; conntrack; sysctls (comma-separated)."""
    return [" ; ".join([s["name"], v["dims"], v["conntrack"], ",".join(v["sysctls"])])
            for s in sections for v in s["variants"]]
