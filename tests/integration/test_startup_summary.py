"""The start-up summary a real gateway logs, and the warnings it raises.

One INFO record (JSON extra `startup`) says what the process serves; a runtime
that cannot be reached, no available model, and a public address without auth
are each a WARNING naming what to fix.
"""

from __future__ import annotations

import logging
import socket

import pytest

from modelgate.config import RuntimeConfig
from modelgate.routing.catalog import Catalog
from modelgate.telemetry.startup import is_loopback, log_startup
from tests.gateways import serve, settings


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _records(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "modelgate.startup" and r.levelno == level]


async def test_a_real_start_logs_its_summary_and_warns_of_an_unreachable_runtime(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    url = f"http://user:hunter2-password@127.0.0.1:{_closed_port()}"
    down = RuntimeConfig(kind="ollama", base_url=url, discover=True)
    async with serve(settings(runtimes={"local": down})) as served:
        port = served.gateway.port
    (info,) = _records(caplog, logging.INFO)
    facts = info.startup  # type: ignore[attr-defined]
    assert facts["listen"] == f"127.0.0.1:{port}"
    assert (facts["tls"], facts["auth"], facts["state"]) == ("off", "off", "memory://")
    assert (facts["tracing"], facts["metrics"]) == ("off", "off")
    assert facts["version"]
    local = facts["runtimes"]["local"]
    assert local["models"] == 0
    assert local["reachability"] == "unreachable"
    assert local["cause"].startswith("discovery failed")
    warnings = [r.getMessage() for r in _records(caplog, logging.WARNING)]
    assert "no model is available: every call will fail until one is" in warnings
    (unreachable,) = [w for w in warnings if w.startswith("runtime local")]
    assert f"127.0.0.1:{local['url'].rsplit(':', 1)[1]}" in unreachable
    assert "discovery failed" in unreachable
    assert "hunter2" not in caplog.text, "the URL is logged without its user info"


async def test_a_loopback_start_with_echo_has_no_warnings(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    async with serve(settings(echo=True)):
        pass
    (info,) = _records(caplog, logging.INFO)
    assert info.startup["runtimes"]["echo"]["models"] == 1  # type: ignore[attr-defined]
    assert not _records(caplog, logging.WARNING)


def test_a_public_address_without_auth_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    config = settings(echo=True)
    log_startup(config, Catalog(config), "0.0.0.0", 50051)  # the summary only: nothing binds
    warnings = [r.getMessage() for r in _records(caplog, logging.WARNING)]
    assert any(w.startswith("listening on 0.0.0.0:50051 without auth") for w in warnings)


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.3.2.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.5", False),
        ("gateway.internal", False),
    ],
)
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
