"""The metrics endpoint listens where the gRPC server does, unless `telemetry.metrics_host` says.

A gateway bound to 127.0.0.1 must not expose /metrics on every interface. Whether a
listener took one address or all of them is seen on loopback alone: a socket on
0.0.0.0:P holds 127.0.0.2:P too, one on 127.0.0.1:P leaves it free.
"""

from __future__ import annotations

import asyncio
import socket
import urllib.request

import pytest

from modelgate.config import TelemetryConfig
from tests.gateways import serve, settings
from tests.ports import free_port
from tests.waiting import RPC_S


def _can_bind(host: str, port: int) -> bool:
    """Whether no listener holds `host:port` (connections closed moments ago do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


async def _scrape(host: str, port: int) -> str:
    def get() -> str:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=RPC_S) as reply:
            page: str = reply.read().decode()
            return page

    return await asyncio.to_thread(get)


@pytest.mark.parametrize(
    ("metrics_host", "scraped_at", "other_address_free"),
    [
        (None, "127.0.0.1", True),  # the server's host (tests serve on 127.0.0.1)
        ("127.0.0.2", "127.0.0.2", True),
        ("0.0.0.0", "127.0.0.1", False),  # every interface, only when written
    ],
)
async def test_metrics_listen_on_the_servers_host_unless_metrics_host_is_set(
    metrics_host: str | None, scraped_at: str, other_address_free: bool
) -> None:
    port = free_port()
    telemetry = TelemetryConfig(metrics_port=port, metrics_host=metrics_host)
    async with serve(settings(echo=True, telemetry=telemetry)):
        assert "modelgate_requests" in await _scrape(scraped_at, port)
        other = "127.0.0.3" if scraped_at == "127.0.0.2" else "127.0.0.2"
        assert _can_bind(other, port) is other_address_free
    assert _can_bind(scraped_at, port), "a stopped gateway frees its metrics port"
