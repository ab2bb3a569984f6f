"""Upstream and discovery failures reach the log: who, where, why; an outage never floods it.

A failed upstream attempt logs one WARNING per deployment per window, naming the runtime,
model, host:port (never the URL, which may carry credentials), gRPC code, reason, HTTP
status and message; the first line after the window counts what was held back. A failed
discovery names the runtime, host:port and cause. The limiter's clock is stepped by the
tests, never slept through.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import grpc
import pytest

from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig
from modelgate.routing.balancer import StatsBoard
from modelgate.routing.catalog import Catalog
from modelgate.telemetry.failure_log import WINDOW_SECONDS
from tests.fakes import FakeOpenAI, Fault
from tests.gateways import Served, serve, settings
from tests.ports import free_port
from tests.rpc_helpers import chat_request

SECRET = "s3cret-in-the-url"
ROUTING = RoutingConfig(
    backoff_initial_seconds=0.001, backoff_max_seconds=0.002, breaker_min_requests=1000
)
"""Short backoff; a breaker that never opens, so every call reaches the upstream."""
UPSTREAM_LOG = "modelgate.routing.attempts"
DISCOVERY_LOG = "modelgate.routing.catalog"


class Clock:
    """The board's monotonic time (breakers and failure log), moved only by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _warnings(caplog: pytest.LogCaptureFixture, logger: str) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == logger and r.levelno == logging.WARNING
    ]


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    url = fake.url.replace("http://", f"http://probe:{SECRET}@") + "/v1"
    runtimes = {"up": RuntimeConfig(kind="openai_compatible", base_url=url)}
    model = ModelConfig(
        id="flaky",
        runtime="up",
        provider="test",
        upstream_name="gpt-4o-mini",
        capabilities=["chat"],
    )
    async with serve(settings(runtimes=runtimes, models=[model], routing=ROUTING)) as running:
        yield running


@pytest.fixture
def clock(fake: FakeOpenAI, served: Served) -> Clock:
    fake.reset()
    stepped = Clock()
    served.gateway.catalog.stats = StatsBoard(served.gateway.settings.routing, stepped)
    return stepped


async def _failed_chat(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await served.stub.Chat(chat_request("flaky", "x"), timeout=10)


async def test_an_upstream_outage_logs_one_warning_per_window_then_counts_the_rest(
    served: Served, fake: FakeOpenAI, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    fake.set_default(Fault.http(500))
    where = fake.url.removeprefix("http://")
    try:
        for _ in range(3):
            await _failed_chat(served)
        lines = _warnings(caplog, UPSTREAM_LOG)
        assert len(lines) == 1, lines
        assert "runtime=up model=flaky" in lines[0] and f"at={where}" in lines[0]
        assert "http_status=500" in lines[0] and "reason=UPSTREAM_UNAVAILABLE" in lines[0]
        attempts = len(fake.requests_to("/v1/chat/completions"))
        clock.now += WINDOW_SECONDS
        await _failed_chat(served)
    finally:
        fake.set_default(None)
    lines = _warnings(caplog, UPSTREAM_LOG)
    assert len(lines) == 2, lines
    assert f"({attempts - 1} similar suppressed in the last 30s)" in lines[1]
    assert SECRET not in caplog.text


async def test_a_failed_discovery_names_runtime_host_port_and_cause(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    where = f"127.0.0.1:{free_port()}"
    url = f"http://probe:{SECRET}@{where}/v1"
    local = RuntimeConfig(kind="openai_compatible", base_url=url, discover=True)
    catalog = Catalog(settings(runtimes={"local": local}))
    try:
        await catalog.refresh()
    finally:
        await catalog.aclose()
    lines = _warnings(caplog, DISCOVERY_LOG)
    assert len(lines) == 1, lines
    assert "runtime local" in lines[0] and f"at={where}" in lines[0]
    assert "refused" in lines[0]
    assert SECRET not in caplog.text


async def test_an_lmstudio_runtime_pointed_at_another_server_says_what_it_answered(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 14: the `lmstudio` kind against a plain OpenAI-compatible server (no
    /api/v0/models) used to log only `GatewayError`; the line now names where and the answer."""
    caplog.set_level(logging.WARNING)
    async with FakeOpenAI() as plain:  # not LM Studio: /api/v0/models is not there
        studio = RuntimeConfig(kind="lmstudio", base_url=plain.url + "/v1", discover=True)
        catalog = Catalog(settings(runtimes={"studio": studio}))
        try:
            await catalog.refresh()
        finally:
            await catalog.aclose()
        where = plain.url.removeprefix("http://")
    lines = _warnings(caplog, DISCOVERY_LOG)
    assert len(lines) == 1, lines
    assert "runtime studio" in lines[0] and f"at={where}" in lines[0]
    assert "404" in lines[0], lines[0]
