"""A suite run of scripts/bench once everything is checked and built: every
job's benchmark binary in its namespace, one progress line each on stderr
and its output in the log; the paired rotation groups (scripts/paired);
then one results file of the finished parts (scripts/merge_results.py),
charts, report and a summary. SIGINT or SIGTERM: the job running then ends
first (as a shell's trap waits for it), then the finished parts are merged
all the same and the exit status is 130."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from . import scenarios, suite_namespaces

PY = "/usr/bin/python3"
PLOT_DIR = "plots/local"


def note(line=""):
    print(line, file=sys.stderr, flush=True)


def expected_errors_only(part, errno_name):
    """True when every errored row of the results file part completed no
    exchange because every attempt failed with errno_name (and it has such rows)."""
    try:
        with open(part, encoding="utf-8") as f:
            rows = [r for r in json.load(f)["benchmarks"] if r.get("error_occurred")]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    ok = re.compile(r"no exchange completed: [0-9]+ x " + re.escape(errno_name))
    return bool(rows) and all(ok.fullmatch(r.get("error_message", "")) for r in rows)


@dataclass
class Suite:
    """What a run needs (settled by scripts/bench) and what it has made."""
    bin_dir: str
    output: str
    log: str
    work: str
    jobs: list = field(default_factory=list)
    isolation: str = ""
    netns_args: list = field(default_factory=list)          # scripts/netns flags of the main sweep
    section_netns_args: list = field(default_factory=list)  # and of the sections
    use_netns: bool = False
    context: list = field(default_factory=list)             # merge_results.py --context flags
    common: list = field(default_factory=list)              # every binary's flags
    server: str = ""
    plots: bool = True
    parts: list = field(default_factory=list)               # (results part, its dims)
    paired_parts: list = field(default_factory=list)
    unfinished: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: bool = False
    interrupted: bool = False
    start: float = 0.0
    current: int = 0

    # The signals: noted here, acted on once the child running ends.
    def catch_signals(self):
        def caught(_signum, _frame):
            self.interrupted = True
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, caught)

    def command(self, job, args):
        """The command line of a job's binary on its path; the rules and sysctls
        of a fresh loopback namespace, or None."""
        binary = os.path.join(self.bin_dir, job.binary)
        path = job.path
        if path == "main":
            path = "netns" if self.use_netns and job.binary != "syscall_cost" else \
                "loopback" if self.isolation == "a fresh network namespace per strategy group" else "host"
        if path == "netns":
            flags = list(self.section_netns_args if job.section else self.netns_args)
            flags += [f"--sysctl={kv}" for kv in job.variant.sysctls]
            flags += ["--conntrack"] if job.variant.conntrack else []
            return ["scripts/netns", *flags, "--", binary, *args, "--server={server}",
                    "--server-once-port={server_once_port}"], None
        if path == "loopback":
            return [binary, *args], (job.variant.sysctls, suite_namespaces.CONNTRACK_RULES
                                     if job.variant.conntrack else "")
        return [binary, *args], None

    def run_job(self, job, args, log, stderr):
        command, fresh = self.command(job, args)
        if fresh is not None:
            return suite_namespaces.run_in_fresh_namespace(command, *fresh, log, stderr)
        return suite_namespaces.shell_status(subprocess.run(command, stdout=log, stderr=stderr).returncode)

    def part_of(self, i):
        part = os.path.join(self.work, f"{i}.json")
        if os.path.exists(part) and os.path.getsize(part) > 0:
            self.parts.append((part, self.jobs[i].variant.dims))

    def on_signal(self):
        note("scripts/bench: interrupted; merging the finished groups")
        self.unfinished += [job.label for job in self.jobs[self.current:]]
        if self.current < len(self.jobs):
            self.part_of(self.current)
        self.merge(130)

    def run_jobs(self):
        total = sum(job.count for job in self.jobs)
        done = 0
        open(self.log, "w").close()
        self.catch_signals()
        for i, job in enumerate(self.jobs):
            self.current = i
            if self.interrupted:
                self.on_signal()
            elapsed = int(time.time() - self.start)
            eta = f", about {elapsed * (total - done) // done} s left" if done else ""
            note(f"[{i + 1}/{len(self.jobs)}] {job.label:<46} {job.count:2d} benchmarks  ({elapsed} s elapsed{eta})")
            dims = f" ({job.variant.dims})" if job.variant.dims else ""
            with open(self.log, "a", encoding="utf-8") as log:
                log.write(f"== [{i + 1}/{len(self.jobs)}] {job.binary} {job.regex}{dims}\n")
            args = [*self.common, f"--benchmark_filter={job.regex}",
                    f"--benchmark_out={os.path.join(self.work, f'{i}.json')}", *job.args]
            stderr_path = os.path.join(self.work, "stderr")
            with open(self.log, "ab") as log, open(stderr_path, "wb") as stderr:
                rc = self.run_job(job, args, log, stderr)
            with open(stderr_path, encoding="utf-8", errors="replace") as f:
                err = f.read()
            with open(self.log, "a", encoding="utf-8") as log:
                log.write(err)
            if self.interrupted:
                self.on_signal()
            if rc == 1 and job.expected and expected_errors_only(os.path.join(self.work, f"{i}.json"), job.expected):
                note(f"    every attempt failed with {job.expected}, as this section expects "
                     "(the rows keep the counts)")
                rc = 0
            if rc != 0:
                self.failed = True
                for line in err.splitlines():
                    if line.startswith(f"{job.binary}: ") and ": warning: " not in line:
                        note(f"    {line}")
                if rc >= 3:
                    self.unfinished.append(job.label)
            self.part_of(i)
            done += job.count
        self.current = len(self.jobs)
        if self.interrupted:
            self.on_signal()

    # One paired rotation group through scripts/paired (its command line lives
    # here only); the variants' names carry their rpc and flows.
    def run_paired(self, binary, threads, variants, out):
        with open(self.log, "a") as log:
            return subprocess.run(["scripts/paired", "--binary", os.path.join(self.bin_dir, binary),
                                   "--group", ",".join(variants), "--threads", threads, "--placement", "same",
                                   "-o", out], stdout=log, stderr=subprocess.STDOUT).returncode

    def run_scenario_groups(self, spec, directory):
        """Every rotation group of the scenario spec through scripts/paired, one
        results part each into directory (and paired_parts): 0, or 1 when a
        group failed, 2 when its groups cannot be had."""
        run = subprocess.run([PY, "scripts/scenario", "groups", spec, self.bin_dir], stdout=subprocess.PIPE,
                             text=True)
        if run.returncode != 0:
            return 2
        groups = run.stdout.rstrip("\n").split("\n")
        for n, line in enumerate(groups, 1):
            if self.interrupted:
                self.on_signal()
            binary, threads, _rpc, _flows, *variants = line.split()
            note(f"[{spec} {n}/{len(groups)}] paired: {binary}, threads {threads}: {' '.join(variants)}")
            out = os.path.join(directory, f"{spec}-{n}.json")
            rc = self.run_paired(binary, threads, variants, out)
            if self.interrupted:
                self.on_signal()
            if rc != 0:
                note(f"scripts/bench: scripts/paired failed for this group (see {self.log})")
                return 1
            self.paired_parts.append(out)
        return 0

    def run_all_paired(self):
        """The ratios the suite reports, measured paired: every scenario's
        rotation groups (docs/paired.md), after the per-strategy groups."""
        note("== paired ratios: every scenario's rotation groups (scripts/paired)")
        for spec in scenarios.names():
            if self.run_scenario_groups(spec, self.work) != 0:
                self.failed = True
        if self.interrupted:
            self.on_signal()

    def merge(self, status):
        """One results file of the finished parts, then charts, report and
        summary; exits with status."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        if not self.parts:
            note(f"scripts/bench: no benchmark produced results (log: {self.log})")
            shutil.rmtree(self.work, ignore_errors=True)
            sys.exit(status or 1)
        dims_for = [a for part, dims in self.parts if dims for a in ("--dims-for", f"{part}={dims}")]
        with_paired = ["--paired", *self.paired_parts] if self.paired_parts else []
        context = self.context + ["--context", f"suite_unfinished_groups={' '.join(self.unfinished)}",
                                  "--context", f"suite_skipped_groups={' '.join(self.skipped)}"]
        merged = subprocess.run([PY, "scripts/merge_results.py", *[p for p, _ in self.parts], "-o", self.output,
                                 *dims_for, *with_paired, *context])
        shutil.rmtree(self.work, ignore_errors=True)
        if merged.returncode != 0:
            sys.exit(1)
        if self.unfinished:
            note(f"scripts/bench: unfinished groups (their finished runs are kept): {' '.join(self.unfinished)}")
        if self.skipped:
            note(f"scripts/bench: skipped groups (the external server cannot serve them): {' '.join(self.skipped)}")
        note(f"scripts/bench: wrote {self.output} ({int(time.time() - self.start)} s; benchmark output in {self.log})")
        with open(self.log, "a") as log:
            if self.plots:
                for tool, what in ((["scripts/plot.py", self.output, "-o", PLOT_DIR], "drawing the charts"),
                                   (["scripts/report", self.output], "writing the report")):
                    if subprocess.run([PY, *tool], stdout=log, stderr=subprocess.STDOUT).returncode != 0:
                        note(f"scripts/bench: {what} failed (see {self.log})")
            subprocess.run([PY, "scripts/compare.py", self.output, "--table", "ratios"], stdout=log,
                           stderr=subprocess.STDOUT)
        self.summary()
        sys.exit(status)

    def summary(self):
        note()
        if self.server:
            note(f"note: an external server ({self.server}): the per-group network namespaces were off; "
                 f"{len(self.skipped)} groups it cannot serve were skipped (listed above, and in the results' "
                 "suite_skipped_groups); the headline is from what ran")
        subprocess.run([PY, "scripts/compare.py", self.output, "--headline"], stdout=sys.stderr,
                       stderr=subprocess.DEVNULL)
        note(f"next: scripts/compare.py {self.output}            # every ratio, with spread")
        note(f"      scripts/compare.py OLD.json {self.output}   # what changed, and whether it is significant")
        if self.plots:
            stem = self.output.removesuffix(".json")
            note(f"      charts: {PLOT_DIR}/{os.path.basename(stem)}-*.png; report: {stem}.html")
