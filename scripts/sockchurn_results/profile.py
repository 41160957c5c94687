"""Kernel profiles of the sockchurn strategies: parse ``perf script`` text,
split samples into client and server, classify them into named buckets, fold
stacks, count syscalls, and check the result against the benchmark's own CPU
clock. Pure functions; the caller reads and writes files.

Bucket rules (``RULES``): a sample is classified by its kernel frames, walked
from the leaf (the sampled function) towards the root; at each frame the rules
are tried in table order and the first rule with a matching pattern decides.
The walk ends at the system call's handler (``__x64_sys_*``): the entry code
above it that every call shares counts as "syscall entry/exit" only for
samples taken in that code itself. A sample with no kernel frame is "user
space"; one whose kernel frames match no rule is "other". Patterns are exact function names or a prefix ending in
``*``; compiler suffixes (``.isra.0``, ``.constprop.0``, ``.part.0``,
``.cold``) are removed first. See docs/profile.md for what each bucket means.
"""

import re
from collections import Counter, namedtuple

SERVER_COMM = "sockchurn-echo"
# The harness pins each client thread (sched_setaffinity) as it starts a run:
# the last of these marks the start of the run Google Benchmark reports.
RUN_START_EVENT = "syscalls:sys_enter_sched_setaffinity"
USER = "user space"
SYSCALL_ENTRY = "syscall entry/exit"
OTHER = "other"
TOLERANCE = 0.10
# The window leaves out the first 5% of the reported run: the marker comes
# before the run's setup (a socket, a connect, reading clocks), which a busy
# machine can stretch; the run's exchanges in the window are rate x its length.
GUARD = 0.05

RULES = (
    ("port search", (
        "__inet_hash_connect", "inet_hash_connect", "__inet_check_established",
        "inet6_hash_connect", "__inet6_check_established", "tcp_twsk_unique",
        "inet_csk_get_port", "inet_csk_find_open_port", "inet_csk_bind_conflict",
        "inet_bhash2_*", "inet_bind_bucket_*", "inet_bind2_bucket_*", "__inet_bind",
        "inet_autobind", "udp_lib_get_port", "udp_v4_get_port", "udp_v6_get_port",
        "udp_lib_lport_inuse*", "inet_get_local_port_range", "inet_sk_get_local_port_range")),
    ("socket create/destroy", (
        "__sys_socket", "__sys_socket_file", "__x64_sys_socket", "sock_create", "__sock_create",
        "sock_alloc", "sock_alloc_file", "sock_alloc_inode", "alloc_file_pseudo",
        "inet_create", "inet6_create", "sk_alloc", "sk_prot_alloc", "sock_init_data*",
        "tcp_v4_init_sock", "tcp_init_sock", "udp_init_sock",
        "do_accept", "__sys_accept4*", "sock_map_fd", "alloc_fd", "fd_install",
        "get_unused_fd_flags", "put_unused_fd",
        "__x64_sys_close", "close_fd", "file_close_fd", "filp_close", "filp_flush",
        "__fput", "____fput", "__sock_release", "sock_close", "sock_release",
        "inet_release", "inet6_release", "tcp_close", "__tcp_close", "udp_lib_close",
        "inet_csk_destroy_sock", "tcp_v4_destroy_sock", "udp_destroy_sock",
        "sk_free", "__sk_free", "sk_destruct", "__sk_destruct", "sk_common_release",
        "inet_sock_destruct", "sock_free_inode", "sock_destroy_inode", "destroy_inode",
        "__dentry_kill", "dput", "rcu_core", "rcu_do_batch", "kfree_rcu*", "rcu_free_*")),
    ("handshake", (
        "tcp_v4_connect", "tcp_v6_connect", "tcp_connect", "tcp_connect_init",
        "tcp_finish_connect", "tcp_rcv_synsent_state_process", "tcp_rcv_state_process",
        "tcp_v4_syn_recv_sock", "tcp_v6_syn_recv_sock", "tcp_v4_conn_request",
        "tcp_conn_request", "tcp_check_req", "tcp_create_openreq_child", "tcp_child_process",
        "tcp_v4_send_synack", "tcp_make_synack", "inet_csk_accept", "inet_accept",
        "inet_csk_reqsk_queue_*", "inet_csk_complete_hashdance", "reqsk_*", "inet_reqsk_alloc",
        "inet_stream_connect", "__inet_stream_connect",
        "ip4_datagram_connect", "__ip4_datagram_connect", "ip6_datagram_connect",
        "__ip6_datagram_connect", "ip_route_connect*", "udp_connect", "udp_lib_hash4",
        "udp4_hash4", "ip4_datagram_release_cb")),
    ("teardown", (
        "tcp_disconnect", "tcp_send_active_reset", "tcp_v4_send_reset", "tcp_v6_send_reset",
        "tcp_send_fin", "tcp_fin", "tcp_time_wait", "inet_twsk_*", "tcp_timewait_state_process",
        "tcp_twsk_*", "tcp_done", "tcp_reset", "tcp_shutdown", "inet_shutdown",
        "tcp_write_queue_purge", "udp_disconnect", "__udp_disconnect", "sock_def_wakeup")),
    ("epoll", (
        "ep_*", "do_epoll_*", "__x64_sys_epoll_*", "eventpoll_*", "epoll_*")),
    ("scheduler", (
        "schedule", "schedule_*", "__schedule", "finish_task_switch", "__switch_to*",
        "context_switch", "pick_next_task*", "try_to_wake_up", "ttwu_*", "enqueue_task*",
        "dequeue_task*", "sched_ttwu_pending", "preempt_schedule*")),
    ("data path", (
        "tcp_sendmsg", "tcp_sendmsg_locked", "tcp_recvmsg", "tcp_recvmsg_locked",
        "udp_sendmsg", "udp_recvmsg", "udpv6_sendmsg", "udpv6_recvmsg",
        "inet_sendmsg", "inet_recvmsg", "sock_sendmsg", "sock_recvmsg", "__sys_sendto",
        "__sys_recvfrom", "sock_read_iter", "sock_write_iter", "tcp_write_xmit",
        "__tcp_push_pending_frames", "tcp_transmit_skb", "__tcp_transmit_skb",
        "ip_output", "ip_finish_output*", "ip_queue_xmit", "__ip_queue_xmit", "ip_make_skb",
        "ip_send_skb", "ip_local_out", "__dev_queue_xmit", "dev_hard_start_xmit",
        "loopback_xmit", "net_rx_action", "__netif_receive_skb*", "netif_receive_skb*",
        "process_backlog", "ip_rcv", "ip_rcv_finish", "ip_local_deliver*", "tcp_v4_rcv",
        "tcp_v4_do_rcv", "tcp_rcv_established", "tcp_data_queue", "tcp_ack",
        "udp_rcv", "__udp4_lib_rcv", "udp_queue_rcv_skb", "udp_unicast_rcv_skb",
        "__udp_enqueue_schedule_skb", "skb_consume_udp", "sock_def_readable",
        "sk_wait_data", "__skb_recv_udp", "__skb_wait_for_more_packets")),
    ("syscall entry/exit", (
        "entry_SYSCALL_64*", "do_syscall_64", "syscall_trace_enter", "syscall_exit_*",
        "exit_to_user_mode*", "__rseq_handle_notify_resume", "rseq_*")),
)
BUCKETS = tuple(b for b, _ in RULES) + (OTHER, USER)

Frame = namedtuple("Frame", "sym dso kernel")
Sample = namedtuple("Sample", "comm pid tid time period event detail frames")


class ProfileError(Exception):
    """Input that cannot be turned into a profile; the message is one line."""


# ---- parsing ---------------------------------------------------------------

_HEADER = re.compile(r"^(?P<comm>\S.*?)\s+(?P<pid>\d+)/(?P<tid>\d+)\s+(?:\[\d+\]\s+)?"
                     r"(?P<time>\d+\.\d+):\s+(?:(?P<period>\d+)\s+)?(?P<event>\S+?):(?:\s+(?P<detail>.*)|$)")
_FRAME = re.compile(r"^\s+(?P<addr>[0-9a-fA-F]+)\s+(?P<rest>.*\))$")
_SUFFIX = re.compile(r"(\.(isra|constprop|part|cold|llvm|lto_priv)(\.\d+)?)+$")
_OFFSET = re.compile(r"\+0x[0-9a-f]+$")
KERNEL_START = 0xffff800000000000


def parse_perf_script(text, source="perf script output"):
    """Samples from ``perf script -F comm,pid,tid,time[,period],event[,ip,sym,dso]``.

    Frames are leaf first, as perf prints them. Raises ProfileError naming the
    first line it cannot read, or when there is no sample at all.
    """
    samples = []
    head, frames = None, []

    def close():
        if head is not None:
            samples.append(head._replace(frames=tuple(frames)))

    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            close()
            head, frames = None, []
            continue
        m = _HEADER.match(line.lstrip())
        if m:
            close()
            frames = []
            head = Sample(m["comm"], int(m["pid"]), int(m["tid"]), float(m["time"]),
                          int(m["period"]) if m["period"] else 1, m["event"],
                          (m["detail"] or "").strip(), ())
            continue
        m = _FRAME.match(line)
        if head is None or not m or m["rest"].rfind(" (") < 0:
            raise ProfileError(f"{source} line {number}: not a perf script sample header or "
                               f"stack frame: {line.strip()[:80]!r}")
        rest = m["rest"]
        cut = rest.rfind(" (")
        sym, dso = rest[:cut].strip(), rest[cut + 2:-1]
        kernel = dso.startswith("[kernel") or int(m["addr"], 16) >= KERNEL_START
        frames.append(Frame(sym, dso, kernel))
    close()
    if not samples:
        raise ProfileError(f"{source}: no samples (is it perf script output?)")
    return samples


def normalize(sym):
    """A kernel or user symbol without offset and compiler clone suffixes."""
    return _SUFFIX.sub("", _OFFSET.sub("", sym))


# ---- who is who, and when ----------------------------------------------------

def process_roles(samples, client_comm, server_comm=SERVER_COMM):
    """(client pids, server pids). The server is every pid that ever ran as
    ``server_comm`` (before its exec it still has the client's name)."""
    server = {s.pid for s in samples if s.comm == server_comm[:15]}
    client = {s.pid for s in samples if s.comm == client_comm[:15] and s.pid not in server}
    if not client:
        raise ProfileError(f"no samples of the benchmark process '{client_comm}'")
    return client, server


def final_run_window(samples, client_pids, threads, duration_s, guard=GUARD):
    """(start, end, method): a time window inside the run Google Benchmark reported.

    Google Benchmark runs a benchmark several times while it grows the
    iteration count; only the last run is in its JSON. That run starts at the
    first of the last ``threads`` run-start markers and lasts ``duration_s``
    (its exchanges / its rate); the window skips its first ``guard`` share.
    Without markers the window ends at the client's last sample.
    """
    if duration_s <= 0:
        raise ProfileError(f"run duration {duration_s} s is not positive")
    marks = sorted(s.time for s in samples if s.event == RUN_START_EVENT and s.pid in client_pids)
    if len(marks) >= threads:
        start = marks[-threads]
        return start + guard * duration_s, start + duration_s, "run start marker (sched_setaffinity)"
    last = max(s.time for s in samples if s.pid in client_pids)
    return last - duration_s, last, "end of recording (no run start marker)"


# ---- classification and folding ----------------------------------------------

def compile_rules(rules=RULES):
    """(exact name -> bucket, [(prefix, bucket)]) keeping table order for ties."""
    exact, prefixes = {}, []
    for bucket, patterns in rules:
        for p in patterns:
            if p.endswith("*"):
                prefixes.append((p[:-1], bucket))
            else:
                exact.setdefault(p, bucket)
    return exact, prefixes


_COMPILED = compile_rules()


def frame_bucket(name, compiled=_COMPILED):
    """The bucket of one (normalized) function name, or None."""
    exact, prefixes = compiled
    if name in exact:
        return exact[name]
    for prefix, bucket in prefixes:
        if name.startswith(prefix):
            return bucket
    return None


def classify(frames, compiled=_COMPILED):
    """The bucket of one sample: first rule match from the leaf upward."""
    kernel = [f for f in frames if f.kernel]
    if not kernel:
        return USER
    for f in kernel:
        name = normalize(f.sym)
        bucket = frame_bucket(name, compiled)
        if bucket:
            return bucket
        if _SYSCALL_FRAME.match(name):
            return OTHER
    return OTHER


def _user_name(frame):
    if frame.sym and frame.sym != "[unknown]":
        return normalize(frame.sym).replace(";", ":")
    base = frame.dso.rsplit("/", 1)[-1] if frame.dso else "unknown"
    return f"[{base}]"


def fold(frames):
    """One folded stack, root first: the user function that was running or
    made the system call (its callers are cut: the Release build has no frame
    pointers, so perf's user call chains beyond it are unreliable), then the
    kernel frames from the entry point down to the leaf."""
    kernel = [normalize(f.sym).replace(";", ":") for f in frames if f.kernel]
    user = [f for f in frames if not f.kernel]
    parts = [_user_name(user[0])] if user else []
    parts.extend(reversed(kernel))
    return ";".join(parts) or "[no stack]"


_SYSCALL_FRAME = re.compile(r"^__(?:x64|ia32|arm64|se|do)_sys_(\w+)$")


def syscall_of(frames):
    """The system call a sample ran in (outermost __x64_sys_* frame), or None."""
    for f in reversed(frames):
        if f.kernel:
            m = _SYSCALL_FRAME.match(normalize(f.sym))
            if m:
                return m[1]
    return None


# ---- one strategy group ---------------------------------------------------------

def _role_of(pid, client, server):
    return "client" if pid in client else "server" if pid in server else None


def profile_samples(samples, *, client_comm, threads, rate, duration_s, guard=GUARD,
                    compiled=_COMPILED):
    """Bucket totals, folded stacks and per-syscall CPU of the reported run.

    ``rate`` is the run's exchanges per second: the window holds rate x its
    length exchanges (``window["exchanges"]``).
    Returns {"window": {...}, "client": {...}, "server": {...}} where each role
    has ``samples``, ``period_ns`` (sum of sample periods), ``buckets`` and
    ``syscall_cpu`` (ns by bucket / syscall name) and ``folded`` (ns by stack).
    """
    if rate <= 0:
        raise ProfileError("the profiled run completed no exchange")
    client, server = process_roles(samples, client_comm)
    start, end, method = final_run_window(samples, client, threads, duration_s, guard)
    roles = {r: {"samples": 0, "period_ns": 0, "buckets": Counter(), "folded": Counter(),
                 "syscall_cpu": Counter()} for r in ("client", "server")}
    outside = 0
    for s in samples:
        if s.event == RUN_START_EVENT or s.event.startswith("syscalls:"):
            continue
        role = _role_of(s.pid, client, server)
        if role is None:
            continue
        if not start <= s.time <= end:
            outside += 1
            continue
        r = roles[role]
        r["samples"] += 1
        r["period_ns"] += s.period
        r["buckets"][classify(s.frames, compiled)] += s.period
        r["folded"][fold(s.frames)] += s.period
        call = syscall_of(s.frames)
        key = call if call else (USER if not any(f.kernel for f in s.frames) else "kernel outside a syscall handler")
        r["syscall_cpu"][key] += s.period
    if roles["client"]["samples"] == 0:
        raise ProfileError("no client sample inside the reported run's time window")
    window = {"start_s": start, "end_s": end, "run_duration_s": duration_s, "method": method,
              "samples_outside": outside, "exchanges": rate * (end - start)}
    for r in roles.values():
        for key in ("buckets", "folded", "syscall_cpu"):
            r[key] = dict(r[key])
    return {"window": window, **roles}


def us_per_exchange(ns, exchanges):
    return ns / 1000.0 / exchanges


def bucket_us(role, exchanges):
    """µs per exchange of every bucket (all of BUCKETS, zeros included)."""
    return {b: us_per_exchange(role["buckets"].get(b, 0), exchanges) for b in BUCKETS}


def sum_check(buckets, measured_us, tolerance=TOLERANCE):
    """Do the buckets (µs per exchange) add up to the measured CPU per exchange?"""
    total = sum(buckets.values())
    other = buckets.get(OTHER, 0.0)
    result = {"profiled_us": total, "measured_us": measured_us, "tolerance": tolerance,
              "other_us": other, "other_share": other / total if total > 0 else 0.0}
    if measured_us is None or measured_us <= 0:
        result.update(difference=None, passed=None)
    else:
        diff = (total - measured_us) / measured_us
        result.update(difference=diff, passed=abs(diff) <= tolerance + 1e-9)
    return result


# ---- the separate syscall-counting run ----------------------------------------------

_RAW_NR = re.compile(r"^NR (-?\d+)\b")


def syscall_names(unistd_h):
    """{number: name} from the text of asm/unistd_64.h (``#define __NR_socket 41``)."""
    return {int(n): name for name, n in re.findall(r"^#define __NR_(\w+)\s+(\d+)\s*$",
                                                  unistd_h, re.M)}


def _syscall_event(sample, names):
    """("enter" | "exit", syscall name) of a syscall tracepoint sample, or None."""
    event = sample.event
    for kind in ("enter", "exit"):
        prefix = f"syscalls:sys_{kind}_"
        if event.startswith(prefix):
            return kind, event[len(prefix):]
        if event == f"raw_syscalls:sys_{kind}":
            m = _RAW_NR.match(sample.detail)
            if not m:
                raise ProfileError(f"{event} sample without a syscall number: {sample.detail[:60]!r}")
            nr = int(m[1])
            # An exit reports NR -1 when the call was switched (e.g. restarted): it ends
            # whichever call the thread was in.
            return kind, None if nr < 0 else names.get(nr, f"NR{nr}")
    return None


def syscall_counts(samples, *, client_comm, threads, rate, duration_s, names=None, guard=GUARD):
    """Calls and wall time inside each system call per exchange, from a run
    recorded with the ``raw_syscalls:sys_enter``/``sys_exit`` tracepoints (or
    ``syscalls:sys_enter_*``/``sys_exit_*``), restricted to the reported run.
    ``names`` maps raw syscall numbers to names; ``rate`` is the run's exchanges
    per second. {role: {name: {"calls", "wall_us"}}}."""
    if rate <= 0:
        raise ProfileError("the syscall-counting run completed no exchange")
    names = names or {}
    client, server = process_roles(samples, client_comm)
    start, end, _ = final_run_window(samples, client, threads, duration_s, guard)
    exchanges = rate * (end - start)
    pending = {}
    calls = {"client": Counter(), "server": Counter()}
    wall = {"client": Counter(), "server": Counter()}
    for s in sorted(samples, key=lambda x: x.time):
        role = _role_of(s.pid, client, server)
        if role is None or s.event == RUN_START_EVENT:
            continue
        kind_name = _syscall_event(s, names)
        if kind_name is None:
            continue
        kind, name = kind_name
        if kind == "enter":
            pending[s.tid] = (name, s.time)
            continue
        entered = pending.pop(s.tid, None)
        if entered and name in (entered[0], None) and start <= entered[1] <= end:
            name = entered[0]
            calls[role][name] += 1
            wall[role][name] += s.time - entered[1]
    if not calls["client"]:
        raise ProfileError("no system call of the client inside the reported run's time window")
    return {role: {name: {"calls": calls[role][name] / exchanges,
                          "wall_us": wall[role][name] * 1e6 / exchanges}
                   for name in calls[role]} for role in calls}


# ---- names, comparisons ---------------------------------------------------------

def group_prefix(benchmark_name):
    """A benchmark name cut at "/payload:": its strategy group."""
    return benchmark_name.split("/payload:", 1)[0]


def parse_group(name):
    """("tcp", "reuse_unspec", {"closer": "client", "port": "ephemeral"})."""
    parts = name.split("/")
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise ProfileError(f"'{name}' is not a strategy group name (protocol/strategy/...)")
    params = dict(p.split(":", 1) for p in parts[2:] if ":" in p)
    return parts[0], parts[1], params


def comparison_pairs(groups):
    """(reuse group, fresh group) pairs: a strategy containing "reuse_" against
    every strategy starting "fresh_" of the same protocol and closer."""
    parsed = {g: parse_group(g) for g in groups}
    pairs = []
    for g, (proto, strategy, params) in parsed.items():
        if "reuse_" not in strategy:
            continue
        for f, (fproto, fstrategy, fparams) in parsed.items():
            if fstrategy.startswith("fresh_") and fproto == proto and \
                    fparams.get("closer") == params.get("closer"):
                pairs.append((g, f))
    return pairs


def function_us(folded, exchanges):
    """Inclusive µs per exchange of every function (once per stack)."""
    total = Counter()
    for stack, ns in folded.items():
        for name in set(stack.split(";")):
            total[name] += ns
    return {k: us_per_exchange(v, exchanges) for k, v in total.items()}


def diff_functions(base, base_exchanges, other, other_exchanges, min_us=0.05, top=15):
    """What changes from ``base`` to ``other`` (folded stacks of each).

    ``gone``: functions worth at least ``min_us`` per exchange in base and
    less than a tenth of that in other; ``added`` the reverse; ``changed`` the
    largest other differences. Each entry is (function, base µs, other µs).
    """
    a, b = function_us(base, base_exchanges), function_us(other, other_exchanges)
    rows = [(f, a.get(f, 0.0), b.get(f, 0.0)) for f in set(a) | set(b)]
    gone = sorted((r for r in rows if r[1] >= min_us and r[2] < r[1] / 10), key=lambda r: (-r[1], r[0]))
    added = sorted((r for r in rows if r[2] >= min_us and r[1] < r[2] / 10), key=lambda r: (-r[2], r[0]))
    flagged = {r[0] for r in gone} | {r[0] for r in added}
    changed = sorted((r for r in rows if r[0] not in flagged and abs(r[2] - r[1]) >= min_us),
                     key=lambda r: (-abs(r[2] - r[1]), r[0]))
    return {"gone": gone[:top], "added": added[:top], "changed": changed[:top]}


# ---- profile.json ---------------------------------------------------------------

FORMAT = "sockchurn-profile"
VERSION = 1
RATE_NOTE = ("rates of profiled runs are slowed by perf and are not the suite's figures; "
             "take rates from scripts/bench")


def reported_run(bench, group, source="benchmark JSON"):
    """The one iteration entry of ``group`` in a Google Benchmark JSON document."""
    if not isinstance(bench, dict) or not isinstance(bench.get("benchmarks"), list):
        raise ProfileError(f"{source}: not Google Benchmark JSON (no \"benchmarks\" list)")
    runs = [b for b in bench["benchmarks"] if isinstance(b, dict)
            and group_prefix(str(b.get("name", ""))) == group
            and b.get("run_type", "iteration") == "iteration"]
    if len(runs) != 1:
        raise ProfileError(f"{source}: expected one run of {group}, found {len(runs)}")
    run = runs[0]
    if run.get("error_occurred"):
        raise ProfileError(f"{source}: {group} ended in an error: {run.get('error_message', '?')}")
    for key in ("iterations", "exchanges_per_s"):
        if not isinstance(run.get(key), (int, float)) or run[key] <= 0:
            raise ProfileError(f"{source}: {group} has no positive {key}")
    return run


def _role_result(role, exchanges, measured):
    buckets = bucket_us(role, exchanges)
    return {"samples": role["samples"], "cpu_us": us_per_exchange(role["period_ns"], exchanges),
            "measured_us": measured, "bucket_us": buckets, "check": sum_check(buckets, measured),
            "syscall_cpu_us": {k: us_per_exchange(v, exchanges)
                               for k, v in sorted(role["syscall_cpu"].items(), key=lambda kv: -kv[1])},
            "folded_ns": role["folded"]}


def build_group(name, binary, threads, cpu_bench, cpu_samples, sys_bench=None, sys_samples=None,
                syscall_table=None, guard=GUARD):
    """One strategy group's entry of profile.json."""
    run = reported_run(cpu_bench, name, f"{name}: profiled run's JSON")
    duration = run["iterations"] / run["exchanges_per_s"]
    prof = profile_samples(cpu_samples, client_comm=binary, threads=threads,
                           rate=run["exchanges_per_s"], duration_s=duration, guard=guard)
    exchanges = prof["window"]["exchanges"]
    protocol, strategy, params = parse_group(name)
    entry = {
        "name": name, "binary": binary, "protocol": protocol, "strategy": strategy,
        "params": params, "benchmark": run["name"],
        "run": {"exchanges": int(run["iterations"]), "profiled_exchanges": exchanges,
                "exchanges_per_s": run["exchanges_per_s"],
                "duration_s": duration, "threads": threads, "window": prof["window"],
                "steal_cpu": run.get("steal_cpu"), "foreign_cpu_load": run.get("foreign_cpu_load"),
                "note": RATE_NOTE},
        "client": _role_result(prof["client"], exchanges, run.get("cpu_us_per_exchange")),
        "server": _role_result(prof["server"], exchanges, run.get("server_cpu_us_per_exchange")),
    }
    # Samples near a switch between client and server (one CPU) land unevenly on
    # the two sides (the client reads high, the server low); their sum is what the
    # sum check enforces (see enforced_check).
    both = {b: entry["client"]["bucket_us"][b] + entry["server"]["bucket_us"][b] for b in BUCKETS}
    measured = [run.get("cpu_us_per_exchange"), run.get("server_cpu_us_per_exchange")]
    entry["combined_check"] = sum_check(both, sum(measured) if None not in measured else None)
    if sys_bench is not None and sys_samples is not None:
        srun = reported_run(sys_bench, name, f"{name}: syscall-counting run's JSON")
        sexch = int(srun["iterations"])
        counts = syscall_counts(sys_samples, client_comm=binary, threads=threads,
                                rate=srun["exchanges_per_s"], duration_s=sexch / srun["exchanges_per_s"],
                                names=syscall_table, guard=guard)
        entry["syscalls"] = {"exchanges": sexch, "exchanges_per_s": srun["exchanges_per_s"],
                             **counts}
    return entry


def build_comparisons(groups):
    """Bucket and function changes for every comparison pair (see comparison_pairs)."""
    by_name = {g["name"]: g for g in groups}
    out = []
    for reuse, fresh in comparison_pairs(list(by_name)):
        r, f = by_name[reuse], by_name[fresh]
        comp = {"reuse": reuse, "fresh": fresh}
        for role in ("client", "server"):
            comp[role] = {
                "bucket_us": {b: [f[role]["bucket_us"][b], r[role]["bucket_us"][b]] for b in BUCKETS},
                "functions": diff_functions(f[role]["folded_ns"], f["run"]["profiled_exchanges"],
                                            r[role]["folded_ns"], r["run"]["profiled_exchanges"])}
        out.append(comp)
    return out


def enforced_check(group):
    """The sum check that decides: client + server together, or the client
    alone when there is no server figure (an external echo server)."""
    both = group.get("combined_check")
    return both if both and both.get("passed") is not None else group["client"]["check"]


def build_profile(groups, provenance, settings):
    """The whole profile.json document."""
    failed = [g["name"] for g in groups if enforced_check(g)["passed"] is False]
    return {"format": FORMAT, "version": VERSION, "provenance": provenance, "settings": settings,
            "notes": [RATE_NOTE,
                      "µs per exchange = samples x sample period / exchanges, in a time window "
                      "inside the reported run (Google Benchmark's warm-up runs and the run's "
                      f"first {GUARD:.0%} left out; exchanges = the run's rate x the window)"],
            "buckets": list(BUCKETS), "rules": [[b, list(p)] for b, p in RULES],
            "sum_check": {"tolerance": TOLERANCE, "failed": failed, "passed": not failed,
                          "enforced_on": "client + server CPU per exchange (the client's alone "
                                         "when the run has no server figure)"},
            "groups": groups, "comparisons": build_comparisons(groups)}


def check_profile(doc, source="profile.json"):
    """Raise ProfileError (one line) unless ``doc`` looks like a profile.json."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ProfileError(f"{source}: not a sockchurn profile (no \"format\": \"{FORMAT}\")")
    if doc.get("version") != VERSION:
        raise ProfileError(f"{source}: profile version {doc.get('version')!r}, expected {VERSION}")
    groups = doc.get("groups")
    if not isinstance(groups, list) or not groups:
        raise ProfileError(f"{source}: no strategy groups")
    for i, g in enumerate(groups):
        try:
            g["name"], g["run"]["profiled_exchanges"]
            for role in ("client", "server"):
                g[role]["bucket_us"], g[role]["folded_ns"], g[role]["check"]
        except (KeyError, TypeError):
            raise ProfileError(f"{source}: group {i} lacks name, run or client/server data") from None
    return doc
