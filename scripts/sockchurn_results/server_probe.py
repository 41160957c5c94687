"""What an external echo server (scripts/bench --server HOST:PORT) can serve.

Probed before anything runs, each with a bounded wait: TCP echo on PORT
(64 bytes back), the TCP echo-once port (PORT+1 unless told: echoes once,
then closes: the server-closes groups need it) and UDP echo on PORT (the
UDP groups need it). Only the address the user gave is contacted.
"""

import socket
from dataclasses import dataclass

PAYLOAD = b"sockchurn-probe-" + b"x" * 48   # 64 bytes, as the suite's default payload
TIMEOUT_S = 2.0


@dataclass
class Probe:
    tcp_echo: str = ""      # "" when it works, else why not (one phrase)
    tcp_once: str = ""
    udp_echo: str = ""


def _why(e):
    return e.strerror.lower() if getattr(e, "strerror", None) else str(e) or type(e).__name__


def _resolve(host, port, kind):
    family, _, _, _, addr = socket.getaddrinfo(host, port, type=kind)[0]
    return family, addr


def _ask(host, port, kind, talk, silence):
    """talk(socket) on a socket of kind connected to host:port, within
    TIMEOUT_S a call: what it finds wrong ("" for nothing), silence when the
    server does not answer in time, or why the socket calls failed."""
    try:
        family, addr = _resolve(host, port, kind)
        with socket.socket(family, kind) as s:
            s.settimeout(TIMEOUT_S)
            s.connect(addr)
            return talk(s)
    except socket.timeout:
        return f"{silence} within {TIMEOUT_S:g} s"
    except OSError as e:
        return _why(e)


def _tcp(host, port, once):
    def talk(s):
        s.sendall(PAYLOAD)
        got = b""
        while len(got) < len(PAYLOAD):
            chunk = s.recv(len(PAYLOAD) - len(got))
            if not chunk:
                return f"closed after {len(got)} of {len(PAYLOAD)} bytes"
            got += chunk
        if got != PAYLOAD:
            return "answered with other bytes than it was sent (not an echo)"
        if once:
            try:
                if s.recv(1) != b"":
                    return "sent more than the echo"
            except socket.timeout:
                return f"echoes but does not close after one exchange (no EOF within {TIMEOUT_S:g} s)"
        return ""

    return _ask(host, port, socket.SOCK_STREAM, talk, "no answer")


def _udp(host, port):
    def talk(s):
        s.send(PAYLOAD)
        return "" if s.recv(65536) == PAYLOAD else "answered with other bytes (not an echo)"

    return _ask(host, port, socket.SOCK_DGRAM, talk, "no echo")


def probe(host, port, once_port=None):
    return Probe(tcp_echo=_tcp(host, port, False), tcp_once=_tcp(host, once_port or port + 1, True),
                 udp_echo=_udp(host, port))


def split_endpoint(text):
    """"127.0.0.1:7000" / "[::1]:7000" -> (host, port); ValueError when it is not HOST:PORT."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"'{text}' is not HOST:PORT")
    return host.strip("[]"), int(port)


def skip_reason(regex, found, endpoint, once_port):
    """Why a group (its benchmark-name regex) cannot be served, or ""."""
    if regex.startswith("^udp/") and found.udp_echo:
        return f"UDP is not echoed at {endpoint} ({found.udp_echo})"
    if "closer:server" in regex and found.tcp_once:
        return f"no echo-once port at {once_port} ({found.tcp_once}); the server-closes groups need it"
    return ""
