"""What an external server can serve: probed on loopback against a small echo
that has TCP echo only (no echo-once port, no UDP)."""

import socket
import threading

from sockchurn_results import server_probe


def tcp_echo_server():
    """A TCP echo on 127.0.0.1 (port 0: the kernel's), serving until closed; (socket, port)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            with conn:
                data = conn.recv(1024)
                conn.sendall(data)
                conn.settimeout(3)
                try:
                    conn.recv(1)
                except OSError:
                    pass
    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_tcp_echo_only(monkeypatch):
    monkeypatch.setattr(server_probe, "TIMEOUT_S", 0.3)
    srv, port = tcp_echo_server()
    try:
        # The "once port": the same echo, which does not close after one exchange.
        found = server_probe.probe("127.0.0.1", port, once_port=port)
    finally:
        srv.close()
    assert found.tcp_echo == ""
    assert found.tcp_once == "echoes but does not close after one exchange (no EOF within 0.3 s)"
    assert found.udp_echo in ("connection refused", "no echo within 0.3 s")
    assert server_probe.skip_reason("^udp/fresh_close/", found, "x:1", "x:2").startswith("UDP is not echoed at x:1")
    assert server_probe.skip_reason("^tcp/fresh_close/closer:server/", found, "x:1", "x:2").startswith(
        "no echo-once port at x:2")
    assert server_probe.skip_reason("^tcp/fresh_close/closer:client/", found, "x:1", "x:2") == ""


def test_nothing_listening_and_a_bad_endpoint():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    assert server_probe.probe("127.0.0.1", port).tcp_echo == "connection refused"
    assert server_probe.split_endpoint("[::1]:7000") == ("::1", 7000)
    for bad in ("127.0.0.1", "h:0", "h:x"):
        try:
            server_probe.split_endpoint(bad)
            raise AssertionError(bad)
        except ValueError as e:
            assert str(e) == f"'{bad}' is not HOST:PORT"
