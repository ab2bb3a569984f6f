"""Loopback ports for servers the tests (and the bench) start: one helper for all.

`bind(("127.0.0.1", 0))` then close hands out a port from the ephemeral range, the
same range every outgoing connection takes its local port from; between the pick and
the server's own bind, a client connection (the suite makes thousands) can take it, and
the server fails with "Address already in use" (a full bench run once lost a scenario
to this). So ports come from below the ephemeral range, and never twice per process.
"""

from __future__ import annotations

import functools
import random
import socket
from pathlib import Path

LISTEN_PORTS = range(20_000, 32_000)
"""Below Linux's default ephemeral range (32768-60999)."""
_HANDED_OUT: set[int] = set()


@functools.cache
def _ephemeral() -> range:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
    except (OSError, ValueError):
        return range(32_768, 61_000)
    return range(int(low), int(high) + 1)


def free_port() -> int:
    """A loopback port free now (nothing listens on it), outside the ephemeral range,
    not handed out before by this process."""
    ephemeral = _ephemeral()
    for _ in range(1000):
        port = random.choice(LISTEN_PORTS)
        if port in _HANDED_OUT or port in ephemeral:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {LISTEN_PORTS}")
