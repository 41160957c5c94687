"""perf record attached to a running process for a window the caller
chooses: scripts/proxy_section --perf-dir profiles the proxy during the
measured wrk run only, not its start or the warm-up.

perf starts with its events disabled (``-D -1``) and takes ``enable`` and
``disable`` on a control FIFO (``--control fifo:CTL,ACK``), answering each
with ``ack``: when ``enable()`` returns, perf is sampling. The software
clock ``cpu-clock`` (this kind of VM has no hardware PMU) at ``-F HZ``:
every sample stands for 1/HZ s of the process's CPU time.
"""

import os
import shutil
import signal
import subprocess
import tempfile
import time

ACK_TIMEOUT_S = 15.0
SCRIPT_FIELDS = "comm,pid,tid,time,period,event,ip,sym,dso"


class PerfError(RuntimeError):
    """perf is missing, does not work here, or did not answer; one line."""


def check_perf():
    """Raise PerfError (one line) unless this process can record kernel call
    graphs of another process with perf."""
    if os.geteuid() != 0:
        raise PerfError("needs root (perf attaches to the proxy with kernel call graphs)")
    if shutil.which("perf") is None:
        raise PerfError("perf is not installed (scripts/setup installs linux-perf)")
    with tempfile.TemporaryDirectory(prefix="sockchurn-perf-check-") as work:
        done = subprocess.run(["perf", "record", "-q", "-B", "-N", "-e", "cpu-clock", "-g", "-o",
                               os.path.join(work, "check.data"), "--", "true"],
                              capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise PerfError("'perf record -e cpu-clock -g' does not work here: " + (lines[0] if lines else "no message"))


class Recording:
    """``perf record -e cpu-clock -F HZ -g -p PID -o OUTPUT``, disabled until
    ``enable()``; ``stop()`` ends it and returns the samples it wrote.
    ``cpu`` pins perf itself (not the process it records)."""

    def __init__(self, pid, output, frequency, work, cpu=None, preexec_fn=None):
        self.output = output
        self.ctl = os.path.join(work, "perf-ctl.fifo")
        self.ack = os.path.join(work, "perf-ack.fifo")
        os.mkfifo(self.ctl)
        os.mkfifo(self.ack)
        # Ours before perf's: the ack end non-blocking (no writer yet), the
        # control end read-write (never blocks on open).
        self._ack_fd = os.open(self.ack, os.O_RDONLY | os.O_NONBLOCK)
        self._ctl_fd = os.open(self.ctl, os.O_RDWR)
        self.log = os.path.join(work, "perf-record.err")
        cmd = ["perf", "record", "-B", "-N", "-e", "cpu-clock", "-F", str(frequency), "-g", "-p", str(pid),
               "-D", "-1", "--control", f"fifo:{self.ctl},{self.ack}", "-o", output]
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
        with open(self.log, "w") as err:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=preexec_fn)

    def _command(self, word):
        os.write(self._ctl_fd, (word + "\n").encode())
        deadline = time.monotonic() + ACK_TIMEOUT_S
        got = b""
        while time.monotonic() < deadline:
            try:
                got += os.read(self._ack_fd, 64)
            except BlockingIOError:
                pass
            if b"ack" in got:
                return
            if self.proc.poll() is not None:
                raise PerfError(f"perf record exited with status {self.proc.returncode} before '{word}': "
                                f"{self._last_line()}")
            time.sleep(0.005)
        raise PerfError(f"perf record did not acknowledge '{word}' within {ACK_TIMEOUT_S:.0f} s")

    def enable(self):
        self._command("enable")

    def disable(self):
        self._command("disable")

    def _last_line(self):
        try:
            with open(self.log, errors="replace") as f:
                lines = [line.strip() for line in f if line.strip()]
        except OSError:
            return "no message"
        return lines[-1] if lines else "no message"

    def stop(self):
        """SIGINT, wait; raises PerfError unless perf wrote its file."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise PerfError("perf record did not stop within 60 s of SIGINT") from None
        for fd in (self._ack_fd, self._ctl_fd):
            os.close(fd)
        with open(self.log, errors="replace") as f:
            text = f.read()
        if self.proc.returncode not in (0, -signal.SIGINT) or "Captured and wrote" not in text:
            raise PerfError(f"perf record failed (status {self.proc.returncode}): {self._last_line()}")


def perf_script(data, text_path):
    """``perf script`` of DATA into TEXT_PATH, the fields
    sockchurn_results.profile.parse_perf_script reads; the number of samples."""
    with open(text_path, "w") as out:
        done = subprocess.run(["perf", "script", "-i", data, "-F", SCRIPT_FIELDS], stdout=out,
                              stderr=subprocess.PIPE, text=True, timeout=600)
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        raise PerfError(f"perf script -i {data} failed: {lines[-1] if lines else done.returncode}")
    with open(text_path, errors="replace") as f:
        return sum(1 for line in f if line.strip() and not line[0].isspace())
