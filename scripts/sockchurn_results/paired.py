"""The paired driver: a rotation group of slice workers, run interleaved.

Each variant of a group runs in its own slice worker (``BIN --slice-worker
--variant NAME ...``, /work/wt/PAIRED_SPEC.md, docs/paired.md), started in
its own fresh network namespace with its own echo server, so one strategy's
TIME_WAIT sockets never slow another's port search. Every round asks each
worker for one slice, in a balanced order; the slices go through
paired_analysis into ratios with intervals.

Every worker is stopped when the group ends, on an error, or on SIGINT /
SIGTERM: asked to quit, then its whole process group killed (no orphans).
"""

import json
import os
import random
import selectors
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

from .names import parse_name
from .paired_analysis import STALL_MAX_US, analyse, widest_half_width
from .roles import RolesError, parse_roles, role_by_name

ORDERS = ("abba", "random")
# The worker ends a slice by itself at SLICE_BOUND x its seconds; we wait
# that long and ANSWER_MARGIN_S more before calling it hung.
SLICE_BOUND = 20
# Rounds added at a time while a group's intervals are wider than the target
# (an even number keeps abba's forward/backward balance).
EXTEND_ROUNDS = 20
ANSWER_MARGIN_S = 10.0
READY_MARGIN_S = 30.0
QUIT_WAIT_S = 5.0
KILL_WAIT_S = 2.0
# A worker's command inside a fresh network namespace: loopback up, then the
# worker itself ($0 "$@": no quoting of names).
NETNS_PREFIX = ("unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$0" "$@"')


class WorkerError(Exception):
    """A worker that failed: str() is one line naming the variant."""


class Interrupted(Exception):
    """SIGINT or SIGTERM during a run."""


@dataclass(frozen=True)
class Plan:
    """One rotation group and how to run it."""
    names: tuple
    binary: str
    threads: int = 1
    placement: str = "same"
    payload: int = 64
    slice_s: float = 0.1
    min_exchanges: int = 200
    rounds: int = 40
    target_half_width: float = 0.0
    max_rounds: int = 0
    order: str = "abba"
    seed: int = 1
    warmup_max_s: float = 10.0
    worker_args: tuple = ()
    netns: bool = True
    stall_max_us: float = STALL_MAX_US

    @property
    def protocol(self):
        return self.names[0].split("/", 1)[0]


def worker_command(plan, name):
    """The command line of `name`'s worker (in its own namespace unless
    plan.netns is False)."""
    command = [plan.binary, "--slice-worker", f"--variant={name}", f"--threads={plan.threads}",
               f"--placement={plan.placement}", f"--payload={plan.payload}",
               f"--warmup-max-s={plan.warmup_max_s:g}", *plan.worker_args]
    return [*NETNS_PREFIX, *command] if plan.netns else command


def round_orders(k, rounds, order="abba", seed=1):
    """The order of the k variants (indices) in each round: "abba" runs them
    forward in even rounds and backward in odd ones (every variant's mean
    position is the same over each two rounds, so a linear drift cancels);
    "random" a seeded random permutation per round."""
    if order == "abba":
        forward = list(range(k))
        return [forward if r % 2 == 0 else forward[::-1] for r in range(rounds)]
    if order == "random":
        rng = random.Random(seed)
        return [rng.sample(range(k), k) for _ in range(rounds)]
    raise ValueError(f"order {order!r} is not one of {', '.join(ORDERS)}")


class Worker:
    """One slice worker process and its line protocol."""

    def __init__(self, name, command):
        self.name = name
        self.command = command
        self.process = None
        self._buffer = b""
        self._stderr = None

    def start(self):
        self._stderr = tempfile.TemporaryFile()
        with _critical():
            try:
                self.process = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                                stdout=subprocess.PIPE, stderr=self._stderr,
                                                start_new_session=True)
            except OSError as e:
                raise WorkerError(f"{self.name}: cannot start {self.command[0]}: "
                                  f"{e.strerror}") from None

    def last_stderr(self):
        """The worker's last non-empty line on stderr, or ""."""
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        lines = [line.strip() for line in self._stderr.read().decode("utf-8", "replace").splitlines()]
        lines = [line for line in lines if line]
        return lines[-1] if lines else ""

    def send(self, line):
        try:
            self.process.stdin.write((line + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise self._gone(f"'{line}'") from None

    def _gone(self, what):
        code = self.process.wait()
        said = self.last_stderr()
        return WorkerError(f"{self.name}: the worker exited (status {code}) before answering {what}"
                           + (f": {said}" if said else ""))

    def read(self, timeout, what):
        """The next JSON object line on the worker's stdout; raises
        WorkerError for an {"error": ...} line, an exit or a timeout. Lines
        that are not JSON objects are skipped."""
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while True:
                while b"\n" in self._buffer:
                    raw, self._buffer = self._buffer.split(b"\n", 1)
                    doc = _json_object(raw)
                    if doc is None:
                        continue
                    if "error" in doc:
                        raise WorkerError(f"{self.name}: {' '.join(str(doc['error']).split())}")
                    return doc
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WorkerError(f"{self.name}: no answer to {what} within {timeout:.0f} s")
                if not selector.select(left):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    raise self._gone(what)
                self._buffer += chunk

    def stop(self):
        """Quit (the strategy's own end), then kill what is left of the
        worker's process group. Never raises."""
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                self.send("quit")
                self.read(QUIT_WAIT_S, "quit")
                self.process.wait(QUIT_WAIT_S)
            except (WorkerError, subprocess.TimeoutExpired, OSError, ValueError):
                self._signal(signal.SIGTERM)
                try:
                    self.process.wait(KILL_WAIT_S)
                except subprocess.TimeoutExpired:
                    pass
        # Its children (the echo server) share its process group.
        self._signal(signal.SIGKILL)
        try:
            self.process.wait(KILL_WAIT_S)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _signal(self, sig):
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _json_object(raw):
    try:
        doc = json.loads(raw.decode("utf-8", "replace"))
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


@dataclass
class Progress:
    """Progress lines on stderr (or wherever `write` sends them)."""
    write: object = None
    lines: list = field(default_factory=list)

    def __call__(self, text):
        self.lines.append(text)
        if self.write is not None:
            self.write(text)


def _ready(worker, plan):
    doc = worker.read(plan.warmup_max_s + READY_MARGIN_S, "the start (ready line)")
    if doc.get("ready") is not True:
        raise WorkerError(f"{worker.name}: expected a ready line, got {json.dumps(doc)[:200]}")
    return doc


def _slice(worker, plan, number):
    worker.send(f"slice {plan.slice_s:g} {plan.min_exchanges}")
    doc = worker.read(SLICE_BOUND * plan.slice_s + ANSWER_MARGIN_S, f"slice {number}")
    if "slice" not in doc or "exchanges" not in doc or "wall_ns" not in doc:
        raise WorkerError(f"{worker.name}: expected a slice line, got {json.dumps(doc)[:200]}")
    return doc


def run_group(plan, roles, deadline, progress=None):
    """Run one rotation group; returns its "paired" object. A worker's
    failure ends the group with "error" set (what was measured is kept);
    SIGINT/SIGTERM raise Interrupted with the partial group as its argument."""
    progress = progress or Progress()
    started = time.time()
    group = {"group": list(plan.names), "protocol": plan.protocol, "threads": plan.threads,
             "placement": plan.placement, "payload": plan.payload, "slice_s": plan.slice_s,
             "min_exchanges": plan.min_exchanges, "rounds": plan.rounds,
             "target_half_width": plan.target_half_width, "max_rounds": plan.max_rounds,
             "order": plan.order,
             "seed": plan.seed, "roles": {n: roles[n] for n in plan.names},
             "commands": {n: worker_command(plan, n) for n in plan.names},
             "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
             "loadavg_at_start": loadavg(), "warmup": {}, "slices": [], "rounds_done": 0}
    workers = [Worker(n, group["commands"][n]) for n in plan.names]
    interrupted = False
    try:
        for worker in workers:
            progress(f"{worker.name}: warming up (at most {plan.warmup_max_s:g} s)")
            worker.start()
            ready = _ready(worker, plan)
            group["warmup"][worker.name] = ready.get("warmup", {})
            progress(f"{worker.name}: ready, {_warmup_words(ready.get('warmup'))}")
        planned = plan.rounds
        orders = round_orders(len(workers), max(plan.rounds, plan.max_rounds), plan.order, plan.seed)
        round_s = len(workers) * plan.slice_s * 1.5
        for number, order in enumerate(orders):
            if number == planned:
                planned = _more_rounds(plan, group, number, progress)
                if number == planned:
                    break
            if time.monotonic() + round_s > deadline:
                group["stopped"] = f"time budget: {number} of {planned} rounds done"
                progress(f"stopping: {group['stopped']}")
                break
            begun = time.monotonic()
            rates = []
            for position, index in enumerate(order):
                line = _slice(workers[index], plan, number)
                group["slices"].append({"variant": workers[index].name, "round": number,
                                        "position": position, **line})
                rates.append(f"{_short(workers[index].name)} {_rate(line)}")
            group["rounds_done"] = number + 1
            round_s = max(round_s, time.monotonic() - begun)
            progress(f"round {number + 1}/{planned}: " + ", ".join(rates))
    except WorkerError as e:
        group["error"] = str(e)
        progress(f"error: {e}")
    except Interrupted:
        group["error"] = "interrupted"
        interrupted = True
    finally:
        with _signals_held():
            for worker in workers:
                worker.stop()
    group["seconds"] = round(time.time() - started, 3)
    group.update(analyse(group["slices"], list(plan.names), group["roles"], plan.stall_max_us))
    if interrupted:
        raise Interrupted(group)
    return group


def rounds_in_all(done, width, target, max_rounds):
    """The rounds a group runs in all, decided after `done` of them whose
    widest rate interval is ±`width` (relative): `done` when there is no
    target, the target is met or max_rounds is reached, else EXTEND_ROUNDS
    more (at most up to max_rounds). It reads the intervals' widths only,
    never where they lie, so stopping by it leaves their coverage as it was
    (scripts/tests/test_paired_stats.py simulates it)."""
    if not target or done >= max_rounds or width <= target:
        return done
    return min(done + EXTEND_ROUNDS, max_rounds)


def _more_rounds(plan, group, done, progress):
    """rounds_in_all for a running group; records the decision in "extended"."""
    if not plan.target_half_width or done >= plan.max_rounds:
        return done
    slices = [dict(s) for s in group["slices"]]
    width = widest_half_width(analyse(slices, list(plan.names), group["roles"],
                                      plan.stall_max_us)["ratios"])
    total = rounds_in_all(done, width, plan.target_half_width, plan.max_rounds)
    target = f"±{plan.target_half_width:.1%}"
    if total == done:
        group["extended"] = f"stopped after {done} rounds: widest rate interval ±{width:.1%}, within {target}"
    else:
        group["extended"] = (f"{total} rounds: after {done} the widest rate interval was "
                             f"±{width:.1%}, wider than {target}")
        progress(f"widest rate interval ±{width:.1%} after {done} rounds (target {target}): "
                 f"{total - done} more")
    return total


def _warmup_words(warmup):
    if not isinstance(warmup, dict):
        return "no warm-up figures"
    seconds, exchanges = warmup.get("seconds"), warmup.get("exchanges")
    words = [f"{seconds:.1f} s" if isinstance(seconds, (int, float)) else "? s",
             f"{exchanges:,} exchanges" if isinstance(exchanges, int) else "? exchanges"]
    if warmup.get("time_wait") is not None:
        words.append(f"TIME_WAIT {warmup['time_wait']}")
    if warmup.get("stable") is False:
        words.append("NOT stable")
    return ", ".join(words)


def _short(name):
    return parse_name(name)["strategy"] or name


def _rate(line):
    wall, exchanges = line.get("wall_ns"), line.get("exchanges")
    try:
        return f"{exchanges / wall * 1e9:,.0f}/s"
    except (TypeError, ZeroDivisionError):
        return "?/s"


def loadavg():
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return None


class _signals_held:
    """Ignore SIGINT and SIGTERM while workers are being stopped."""

    def __enter__(self):
        self.saved = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGTERM)}

    def __exit__(self, *exc):
        for s, handler in self.saved.items():
            signal.signal(s, handler)


_state = {"critical": 0, "pending": False}


def raise_interrupted(signum, frame):
    """The SIGINT/SIGTERM handler of a run: Interrupted, or when a worker is
    being started, Interrupted as soon as it is (so that it is stopped)."""
    if _state["critical"]:
        _state["pending"] = True
        return
    raise Interrupted()


class _critical:
    """A section that an interrupt must not split (a worker started but not
    yet known): the interrupt is raised at its end."""

    def __enter__(self):
        _state["critical"] += 1

    def __exit__(self, *exc):
        _state["critical"] -= 1
        if not _state["critical"] and _state["pending"] and exc[0] is None:
            _state["pending"] = False
            raise Interrupted()


# ---- what the binaries say: protocols and roles --------------------------

def list_groups(binary, timeout=60):
    """The group regexes a binary prints with --list-groups; raises
    WorkerError with its one-line message when it fails."""
    try:
        done = subprocess.run([binary, "--list-groups"], capture_output=True, text=True,
                              timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise WorkerError(f"{binary} --list-groups: {getattr(e, 'strerror', None) or e}") from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise WorkerError(f"{binary} --list-groups failed: {said}")
    return [line.strip() for line in done.stdout.splitlines() if line.strip()]


def protocols_of(groups):
    """The protocols (first name segment) of --list-groups' regexes."""
    return list(dict.fromkeys(g.lstrip("^").split("/", 1)[0] for g in groups if "/" in g))


def roles_from_binary(binary, timeout=60):
    """{strategy: role} from the binary's --list-groups --json, or None when
    it does not say (older binaries reject --json)."""
    try:
        done = subprocess.run([binary, "--list-groups", "--json"], capture_output=True,
                              text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        doc = json.loads(done.stdout)
    except ValueError:
        return None
    return _roles_in(doc)


def _roles_in(doc):
    """Roles from a JSON listing: a "strategy_roles" string (as in a results
    context), a {"roles": {strategy: role}} map, or a list of objects with
    "role" and "strategy" or "name"/"variant"/"group"."""
    try:
        if isinstance(doc, dict):
            for key in ("strategy_roles", "roles"):
                value = doc.get(key) if key in doc else (doc.get("context") or {}).get(key)
                if isinstance(value, str):
                    return parse_roles(value)
                if isinstance(value, dict):
                    return {str(k): str(v) for k, v in value.items()}
            for key in ("groups", "variants", "strategies"):
                if isinstance(doc.get(key), list):
                    return _roles_in(doc[key])
        if isinstance(doc, list):
            out = {}
            for item in doc:
                if not isinstance(item, dict) or not isinstance(item.get("role"), str):
                    continue
                name = next((item[k] for k in ("strategy", "name", "variant", "group")
                             if isinstance(item.get(k), str)), None)
                if name:
                    out[_strategy(name)] = item["role"]
            return out or None
    except RolesError:
        return None
    return None


def _strategy(name):
    """"tcp/fresh_close/closer:client" or "^tcp/fresh_close/..." -> "fresh_close"."""
    name = name.lstrip("^")
    return parse_name(name)["strategy"] if "/" in name else name


def roles_of(names, strategy_roles):
    """{variant name: role} from {strategy: role}; the naming rule
    (roles.role_by_name) for a strategy the map lacks."""
    return {n: strategy_roles.get(_strategy(n)) or role_by_name(_strategy(n)) for n in names}
