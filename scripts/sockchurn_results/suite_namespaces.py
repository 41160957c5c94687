"""The suite's own network namespaces (scripts/bench): whether a sysctl or
connection tracking can be had inside one, checked in a throwaway namespace,
and a benchmark binary run in a fresh namespace of its own (loopback up, its
sysctls, its nftables rules). Only net.* sysctls: they belong to a network
namespace, so the host's settings are never changed."""

import ctypes
import functools
import os
import re
import shutil
import signal
import subprocess

CLONE_NEWNET = 0x40000000   # <sched.h>; os.unshare only from Python 3.12
CONNTRACK_RULES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "conntrack.nft")
SYSCTL_SHAPE = re.compile(r"([a-z0-9_]+(?:\.[a-z0-9_-]+)+)=(.*\S.*)", re.DOTALL)


def _unshare_net():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare: {os.strerror(err)}")


def _proc_path(name):
    return "/proc/sys/" + name.replace(".", "/")


def _write_sysctl(name, value):
    fd = os.open(_proc_path(name), os.O_WRONLY)
    try:
        os.write(fd, value.encode())
    finally:
        os.close(fd)


def in_throwaway_namespace(check):
    """check()'s text, computed in a forked child inside a fresh network
    namespace that ends with it; OSError when no namespace can be had."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            os.close(read_end)
            try:
                _unshare_net()
                text, status = check(), 0
            except OSError as e:
                text = e.strerror or str(e)
            os.write(write_end, text.encode())
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        text = f.read().decode(errors="replace")
    _, wait_status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(wait_status) != 0:
        raise OSError(0, text or "the namespace's process failed")
    return text


@functools.cache
def available():
    """Whether this process may create network namespaces (root, unshare -n)."""
    try:
        in_throwaway_namespace(str)
    except OSError:
        return False
    return True


def sysctl_shape_problem(kv):
    """Why NAME=VALUE cannot be a --sysctl on its face ("" if it can)."""
    m = SYSCTL_SHAPE.fullmatch(kv)
    if not m:
        return "not NAME=VALUE (e.g. net.ipv4.tcp_tw_reuse=0)"
    if not m[1].startswith("net."):
        return "only net.* sysctls can be set (they belong to a network namespace; others would change the host's)"
    if "," in m[2]:
        return "a value with a comma is not supported"
    return ""


def _try_sysctl(name, value):
    if not os.path.exists(_proc_path(name)):
        return f"no such sysctl in a network namespace on kernel {os.uname().release}"
    try:
        _write_sysctl(name, value)
        with open(_proc_path(name), encoding="utf-8") as f:
            got = " ".join(f.read().split())
    except OSError as e:
        return f"the kernel refuses the value: {e.strerror}"
    return "" if got == " ".join(value.split()) else f"the kernel keeps '{got}', not '{value}'"


def sysctl_problem(kv):
    """Why the kernel would not take NAME=VALUE inside a network namespace
    ("" if it does): set in a throwaway namespace and read back."""
    why = sysctl_shape_problem(kv)
    if why:
        return why
    name, value = kv.split("=", 1)
    try:
        return in_throwaway_namespace(functools.partial(_try_sysctl, name, value))
    except OSError as e:
        return f"cannot check it in a throwaway namespace: {e.strerror}"


def _try_conntrack():
    run = subprocess.run(["nft", "-f", CONNTRACK_RULES], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True)
    first = run.stdout.split("\n", 1)[0]
    if first:
        return first
    if not os.path.exists("/proc/sys/net/netfilter/nf_conntrack_count"):
        return "the kernel has no connection tracking (nf_conntrack) in a network namespace"
    return ""


def conntrack_problem():
    """Why connection tracking cannot be switched on in a network namespace
    here ("" if it can): the rules of scripts/conntrack.nft in a throwaway one."""
    if not shutil.which("nft"):
        return "'nft' not found (Debian package nftables; scripts/setup installs it)"
    try:
        err = in_throwaway_namespace(_try_conntrack)
    except OSError as e:
        err = e.strerror
    return f"nft cannot switch it on in a network namespace: {err}" if err else ""


def _enter_and_exec(command, sysctls, rules):
    """In the forked child: a fresh namespace, loopback up, the sysctls and
    rules, then the command (its exit status, or 1 if the setup fails)."""
    _unshare_net()
    if subprocess.run(["ip", "link", "set", "lo", "up"]).returncode != 0:
        os._exit(1)
    for kv in sysctls:
        try:
            _write_sysctl(*kv.split("=", 1))
        except OSError as e:
            os.write(2, f"scripts/bench: cannot set sysctl {kv} in the namespace ({e.strerror})\n".encode())
            os._exit(1)
    if rules and subprocess.run(["nft", "-f", rules]).returncode != 0:
        os.write(2, f"scripts/bench: nft -f {rules} failed in the namespace\n".encode())
        os._exit(1)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    os.execvp(command[0], command)


def run_in_fresh_namespace(command, sysctls, rules, stdout, stderr):
    """Runs command (a list) in a fresh network namespace with its loopback
    up, the sysctls (NAME=VALUE) set and, when rules names an nftables file,
    those rules loaded; its output to the open files stdout and stderr.
    Returns its exit status as a shell gives it (128 + N for signal N)."""
    pid = os.fork()
    if pid == 0:
        try:
            os.dup2(stdout.fileno(), 1)
            os.dup2(stderr.fileno(), 2)
            _enter_and_exec(command, sysctls, rules)
        except OSError as e:
            os.write(2, f"scripts/bench: cannot run {command[0]} in a fresh network namespace: {e}\n".encode())
        finally:
            os._exit(1)
    _, wait_status = os.waitpid(pid, 0)
    return shell_status(os.waitstatus_to_exitcode(wait_status))


def shell_status(code):
    """An exit code as returned by Python (-N for signal N) as a shell gives it."""
    return 128 - code if code < 0 else code
