"""The suite's jobs (scripts/bench): one per strategy group of a benchmark
binary and variant, in that order. The groups come from the binaries
themselves (--list-groups, the strategy registry): each runs in a namespace
of its own, so the TIME_WAIT sockets one strategy leaves (60 s) do not slow
the port search of the next. Asking them also checks every benchmark flag
before anything runs. With a filter a group keeps the names that match,
listed exactly (Google Benchmark takes one regex)."""

import os
import re
import subprocess
from dataclasses import dataclass, field

REGEX_SPECIAL = re.compile(r"[\]\[\\.|$()*+?{}^]")


class JobsError(Exception):
    """A group list the suite cannot use; str() is one line."""


@dataclass
class Variant:
    """How a group runs: the name dimensions its rows get ("" for none),
    connection tracking, the net.* sysctls (NAME=VALUE) of its namespace."""
    dims: str = ""
    conntrack: bool = False
    sysctls: list = field(default_factory=list)


@dataclass
class Job:
    binary: str
    regex: str          # --benchmark_filter of the group
    label: str          # the group's name on the terminal
    count: int          # its benchmarks
    path: str           # main (the suite's isolation), loopback or netns
    variant: Variant
    args: list          # the binary's flags
    section: str = ""   # the extra section it belongs to ("" for the main sweep)
    expected: str = ""  # the errno its errored rows may all end in (a section's)


def grep(pattern, lines):
    """The lines that match the grep -E regex pattern (grep's own dialect)."""
    run = subprocess.run(["grep", "-E", "--", pattern], input="".join(f"{l}\n" for l in lines),
                         capture_output=True, text=True)
    return run.stdout.splitlines()


def exact_regex(names):
    """One extended regex matching exactly these benchmark names."""
    return "^(" + "|".join(REGEX_SPECIAL.sub(lambda m: "\\" + m[0], n) for n in names) + ")$"


def group_regexes(bin_dir, binary, args):
    """The binary's strategy groups, one --benchmark_filter each."""
    if binary == "syscall_cost":
        return ["^syscall/"]
    run = subprocess.run([os.path.join(bin_dir, binary), "--list-groups", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    out = run.stdout.rstrip("\n")
    if run.returncode != 0:
        raise JobsError(out.removeprefix(f"{binary}: "))
    return out.split("\n")


def group_label(regex):
    return regex.removeprefix("^").split("/(port:")[0]


def list_jobs(bin_dir, binary, name_filter, path, variants, args, skip_reason=None):
    """(jobs, skipped): a job for each group of binary with args and each
    variant, the groups narrowed by name_filter (grep -E, "" for all); a group
    for which skip_reason(regex) gives a reason is skipped: (label, why)."""
    jobs, skipped = [], []
    for regex in group_regexes(bin_dir, binary, args):
        label = group_label(regex)
        why = skip_reason(regex) if skip_reason and binary != "syscall_cost" else ""
        run = subprocess.run([os.path.join(bin_dir, binary), "--benchmark_list_tests",
                              f"--benchmark_filter={regex}", *args],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        names = run.stdout.rstrip("\n").split("\n")
        if name_filter:
            names = grep(name_filter, names)
            if not names:
                continue
            regex = exact_regex(names)
        if why:
            skipped.append((label, why))
            continue
        for variant in variants:
            jobs.append(Job(binary, regex, label + (f" [{variant.dims}]" if variant.dims else ""), len(names),
                            path, variant, list(args)))
    return jobs, skipped


def section_variants(section, suite_sysctls, sysctl_problem):
    """(variants, described, notes) of one extra section: its variants with
    the suite's sysctls before their own, those whose sysctls this kernel
    lacks left out; described, the tail of its context line; notes, one line
    per variant left out."""
    variants, described, notes = [], "", []
    for v in section["variants"]:
        dims = "" if v["dims"] == "-" else f"section:{section['name']}/{v['dims']}"
        why = next((f"{kv}: {p}" for kv in v["sysctls"] for p in [sysctl_problem(kv)] if p), "")
        if why:
            notes.append(f"section {section['name']}: variant {dims} left out ({why})")
            described += f"; {dims} left out ({why})"
            continue
        variants.append(Variant(dims, v["conntrack"] == "on", list(suite_sysctls) + v["sysctls"]))
        sysctls = ",".join(v["sysctls"])
        described += f"; {dims or 'rows under their own names'}: conntrack {v['conntrack']}" + \
            (f", {sysctls}" if sysctls else "")
    return variants, described, notes
