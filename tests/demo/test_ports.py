"""`make demo` again right after Ctrl-C: the port check counts listeners, not TIME_WAIT."""

from __future__ import annotations

import socket

import pytest

from tests.demo.stack import free_port
from tools.demo import ensure_port_free


def leave_time_wait(port: int) -> None:
    """A connection to a server on port that the server closes first: the server's side of it
    stays in TIME_WAIT on that port (for a minute on Linux) after the server is gone."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        with socket.create_connection(("127.0.0.1", port)) as client:
            accepted, _ = listener.accept()
            accepted.close()  # the server closes first
            assert client.recv(1) == b""


def time_wait_ports() -> set[int]:
    """Local ports with a TCP connection in TIME_WAIT (state 06 in /proc/net/tcp)."""
    ports = set()
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "06":
            ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def test_a_port_left_in_time_wait_is_free_for_the_next_demo() -> None:
    port = free_port()
    leave_time_wait(port)
    assert port in time_wait_ports()
    with socket.socket() as plain:  # what the check did: a bind without SO_REUSEADDR fails
        with pytest.raises(OSError):
            plain.bind(("127.0.0.1", port))
    ensure_port_free("127.0.0.1", port, "--port")


def test_a_port_something_listens_on_is_refused() -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with pytest.raises(RuntimeError, match="already in use"):
            ensure_port_free("127.0.0.1", port, "--port")
