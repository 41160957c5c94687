#!/usr/bin/python3
"""Writes the named seed inputs of fuzz/corpus/ (the parser seeds are text;
the echo targets' seeds are small programs in FuzzedDataProvider's encoding).

Run it after changing an operation table in fuzz_echo_tcp.cpp or
fuzz_echo_udp.cpp; the other files in fuzz/corpus/ (named by their SHA-1)
come from fuzzing runs (scripts/fuzz --grow-corpus, then libFuzzer -merge=1).
"""
import argparse
import os

# --- FuzzedDataProvider (LLVM 14) encoding --------------------------------
# Integers are taken from the end of the input, most significant byte first,
# one byte per 8 bits of (max - min); the value is min + raw % (range + 1).
# Byte strings are taken from the front.


class Program:
    def __init__(self):
        self.front = bytearray()  # ConsumeBytes*, in order
        self.back = []  # integer bytes, in the order they are consumed

    def integer(self, value, lo, hi):
        span = hi - lo
        raw = value - lo
        assert 0 <= raw <= span
        nbytes = 0
        while nbytes < 8 and (span >> (8 * nbytes)) > 0:
            nbytes += 1
        for i in reversed(range(nbytes)):
            self.back.append((raw >> (8 * i)) & 0xFF)

    def boolean(self, value):
        self.back.append(1 if value else 0)

    def text(self, data, max_len):
        # ConsumeBytesAsString(ConsumeIntegralInRange(1, max_len)): the length first.
        self.integer(len(data), 1, max_len)
        self.front += data

    def bytes(self):
        return bytes(self.front) + bytes(reversed(self.back))


def echo_program(steps, ops, ends, arguments):
    """An echo target's input: its operations as run_program (fuzz/echo_fixture.hpp)
    reads them. An operation named open* or connect* opens a handle; any other
    then names the open handle it acts on (step[1]), `arguments(p, step)`
    writes the rest, and one in `ends` ends the handle."""
    p = Program()
    handles = 0
    for step in steps:
        op = step[0]
        p.integer(ops.index(op), 0, len(ops) - 1)
        if op.startswith(("open", "connect")):
            handles += 1
            continue
        p.integer(step[1], 0, handles - 1)
        arguments(p, step)
        if op in ends:
            handles -= 1
    return p.bytes()


# --- fuzz_echo_tcp.cpp ----------------------------------------------------
TCP_OPS = ["connect_echo", "connect_once", "send_and_wait", "send", "drain",
           "half_close", "close_fin", "close_rst", "disconnect"]
TCP_MAX_CHUNK = 200_000
TCP_SMALL_CHUNK = 4096
TCP_BUDGET = 1 << 20


def tcp_program(steps):
    """steps: ("connect_echo",), ("send", conn, size, pattern), ("drain", conn), ..."""
    budget = TCP_BUDGET

    def arguments(p, step):
        nonlocal budget
        if step[0] in ("send", "send_and_wait"):
            size, pattern = step[2], step[3]
            large = size > TCP_SMALL_CHUNK
            p.boolean(large)
            p.integer(size, 0, min(budget, TCP_MAX_CHUNK if large else TCP_SMALL_CHUNK))
            p.text(pattern, 256)
            budget -= size

    return echo_program(steps, TCP_OPS, ("half_close", "close_fin", "close_rst", "disconnect"), arguments)

TCP_SEEDS = {
    "echo_hello": [("connect_echo",), ("send_and_wait", 0, 5, b"hello"), ("half_close", 0)],
    "echo_200000_then_fin": [("connect_echo",), ("send_and_wait", 0, 200_000, bytes(range(256)))],
    "echo_piled_up_sends": [("connect_echo",), ("send", 0, 70_000, b"ab"), ("send", 0, 1, b"c"),
                            ("send", 0, 4096, b"\x00\xff"), ("drain", 0)],
    "echo_unread_then_close": [("connect_echo",), ("send", 0, 100_000, b"z"), ("close_fin", 0)],
    "once_short": [("connect_once",), ("send_and_wait", 0, 3, b"one"), ("half_close", 0)],
    "once_over_max_message": [("connect_once",), ("send", 0, 3000, b"0123456789"),
                              ("send", 0, 3000, b"more")],
    "once_nothing_sent": [("connect_once",), ("half_close", 0)],
    "over_max_connections": [("connect_echo",)] * 6 + [("send_and_wait", i, 10, b"x") for i in range(6)],
    "rst_and_disconnect": [("connect_echo",), ("connect_once",), ("connect_echo",),
                           ("send", 0, 500, b"r"), ("close_rst", 0), ("send", 1, 10, b"o"),
                           ("disconnect", 0), ("send_and_wait", 0, 20, b"still"), ("disconnect", 0)],
}

# --- fuzz_echo_udp.cpp ----------------------------------------------------
UDP_OPS = ["open", "open_connected", "round_trip", "burst", "close"]
UDP_MAX_MESSAGE = 2048
UDP_LARGEST = 65_507
UDP_BURST_BYTES = 64 * 1024


def udp_datagram(p, size, pattern, budget):
    small = size <= UDP_MAX_MESSAGE + 16
    p.boolean(small)
    p.integer(size, 0, min(budget, UDP_MAX_MESSAGE + 16 if small else UDP_LARGEST))
    p.text(pattern, 64)


def udp_program(steps):
    """steps: ("open",), ("round_trip", sock, size, pattern), ("burst", sock, [(size, pattern)...]), ..."""

    def arguments(p, step):
        if step[0] == "round_trip":
            udp_datagram(p, step[2], step[3], UDP_LARGEST)
        elif step[0] == "burst":
            p.integer(len(step[2]), 1, 8)
            budget = UDP_BURST_BYTES
            for size, pattern in step[2]:
                udp_datagram(p, size, pattern, budget)
                budget -= size

    return echo_program(steps, UDP_OPS, ("close",), arguments)

UDP_SEEDS = {
    "ping": [("open",), ("round_trip", 0, 4, b"ping")],
    "empty_datagram_connected": [("open_connected",), ("round_trip", 0, 0, b"-")],
    "max_message_and_one_more": [("open",), ("round_trip", 0, 2048, b"m"), ("round_trip", 0, 2049, b"o"),
                                 ("round_trip", 0, 1, b"!")],
    "largest_datagram": [("open_connected",), ("round_trip", 0, 65_507, bytes(range(64)))],
    "burst_mixed": [("open",), ("burst", 0, [(0, b"e"), (1, b"1"), (2049, b"x"), (2048, b"y"),
                                            (30_000, b"big"), (100, b"a"), (7, b"s"), (2000, b"b")])],
    "two_sockets_one_closed": [("open",), ("open_connected",), ("round_trip", 1, 64, b"c"),
                               ("close", 0), ("round_trip", 0, 64, b"d")],
}

# --- the parsers: text ----------------------------------------------------
TEXT_SEEDS = {
    # fuzz_proxy: the first byte says what follows (0: a client request,
    # 1: a backend response, 3: the response to a HEAD request).
    "proxy": {
        "get": b"\x00GET /a HTTP/1.1\r\nHost: x\r\n\r\n",
        "post_body": b"\x00POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        "hop_by_hop": b"\x00GET / HTTP/1.1\r\nConnection: keep-alive, X-A\r\nX-A: 1\r\nKeep-Alive: 5\r\n\r\n",
        "http10": b"\x00GET / HTTP/1.0\r\n\r\n",
        "chunked_request": b"\x00POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
        "oversize_header": b"\x00GET / HTTP/1.1\r\nX: " + b"x" * 600 + b"\r\n\r\n",
        "oversize_body": b"\x00POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n",
        "response": b"\x01HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
        "response_close": b"\x01HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        "response_chunked": b"\x01HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "response_no_length": b"\x01HTTP/1.1 200 OK\r\n\r\nbody",
        "response_204": b"\x01HTTP/1.1 204 No Content\r\n\r\n",
        "response_head": b"\x03HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n",
        "response_garbage": b"\x01garbage\r\n\r\n",
    },
    "endpoint": {
        "ipv4": b"127.0.0.1:8080", "ipv6_max_port": b"[::1]:65535", "localhost_port_1": b"localhost:1",
        "v4_mapped": b"[::ffff:127.0.0.1]:80", "port_0": b"0.0.0.0:0", "port_65536": b"127.0.0.1:65536",
        "scope_id": b"[fe80::1%lo]:80", "unbracketed_v6": b"::1:80", "bracketed_v4": b"[127.0.0.1]:80",
        "nul_after_host": b"127.0.0.1\x00junk:80", "nul_in_brackets": b"[::\x00]:2",
    },
    "host": {
        "ipv4": b"127.0.0.1", "ipv6": b"::1", "bracketed_v6": b"[::1]", "localhost": b"localhost",
        "bracketed_v4": b"[127.0.0.1]", "v4_mapped": b"::ffff:1.2.3.4", "any_v6": b"::",
        "octet_256": b"256.1.1.1", "with_port": b"1.2.3.4:80", "nul": b"127.0.0.1\x00junk",
    },
    # argv[1..], NUL-separated: the benchmark binaries' flags and the small table of fuzz_flags.cpp.
    "flags": {
        "lists": b"--threads=1,2\x00--payload\x0064\x00--placement=same,split",
        "external_server": b"--server=127.0.0.1:7000\x00--server-once-port=7001\x00--stall-timeout=3600",
        "listen_v6": b"--listen\x00::1\x00--echo-threads=64\x00--max-errors=18446744073709551615",
        "google_benchmark_flags_kept": b"--benchmark_filter=tcp\x00--list-groups\x00--benchmark_min_time=0.01",
        "udp_payload_too_big": b"--payload=65508",
        "empty_value": b"--threads=",
        "value_missing_at_end": b"--threads",
        "toggle_with_value": b"--list-groups=yes",
        "empty_list_item": b"--placement=same,,split",
        "small_table": b"--number=-5\x00-t\x00--list=1,1000\x00--even=ab\x00--endpoint=[::1]:1",
        "small_table_errors": b"-n\x00-6\x00--even=abc\x00--endpoint=localhost",
    },
    "ready_line": {
        "valid": b"sockchurn-echo ready tcp=41234 tcp_once=41235 udp=41236",
        "newline": b"sockchurn-echo ready tcp=1 tcp_once=2 udp=3\n",
        "crlf_max": b"sockchurn-echo ready tcp=65535 tcp_once=65535 udp=65535\r\n",
        "port_0": b"sockchurn-echo ready tcp=0 tcp_once=2 udp=3",
        "port_65536": b"sockchurn-echo ready tcp=65536 tcp_once=2 udp=3",
        "leading_zeros": b"sockchurn-echo ready tcp=00080 tcp_once=2 udp=3",
        "reordered": b"sockchurn-echo ready udp=3 tcp=1 tcp_once=2",
        "extra_field": b"sockchurn-echo ready tcp=1 tcp_once=2 udp=3 x=4",
        "missing_field": b"sockchurn-echo ready tcp=1 udp=3",
        "close_after": b"sockchurn-echo ready tcp=1 tcp_once=2 udp=3 tcp_after_10=4 tcp_after_100=5",
        "close_after_bounds": b"sockchurn-echo ready tcp=1 tcp_once=2 udp=3 tcp_after_2=4 tcp_after_1000000=5\n",
        "close_after_unsorted": b"sockchurn-echo ready tcp=1 tcp_once=2 udp=3 tcp_after_100=5 tcp_after_10=4",
        "close_after_repeated": b"sockchurn-echo ready tcp=1 tcp_once=2 udp=3 tcp_after_10=4 tcp_after_10=5",
    },
}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-o", "--corpus", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus"),
                        help="corpus root (default: fuzz/corpus next to this script)")
    args = parser.parse_args()
    seeds = {target: dict(files) for target, files in TEXT_SEEDS.items()}
    seeds["echo_tcp"] = {name: tcp_program(steps) for name, steps in TCP_SEEDS.items()}
    seeds["echo_udp"] = {name: udp_program(steps) for name, steps in UDP_SEEDS.items()}
    for target, files in seeds.items():
        directory = os.path.join(args.corpus, target)
        os.makedirs(directory, exist_ok=True)
        for name, data in files.items():
            with open(os.path.join(directory, "seed_" + name), "wb") as f:
                f.write(data)
        print(f"{directory}: {len(files)} named seeds")


if __name__ == "__main__":
    main()
