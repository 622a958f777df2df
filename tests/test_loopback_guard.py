"""The test suite's own guard (tests/conftest.py): a connection beyond loopback fails before any packet."""

from __future__ import annotations

import socket

import httpx
import pytest


def test_a_connection_beyond_loopback_is_refused() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(AssertionError, match="loopback"):
        sock.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anyway


def test_httpx_cannot_leave_the_machine_either() -> None:
    with httpx.Client(timeout=1) as client, pytest.raises(AssertionError, match="loopback"):
        client.get("http://192.0.2.1:9/")


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
