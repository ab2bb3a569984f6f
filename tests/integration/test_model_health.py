"""ListModels and GetModel carry each deployment's recent health, measured on real calls.

Latencies are checked as lower bounds only, set by slow-by-design models (echo's
`latency_ms`), never as upper bounds: how fast the machine is decides nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from modelgate.config import (
    AliasConfig,
    CapabilityName,
    DeploymentConfig,
    ModelConfig,
    RoutingConfig,
    RuntimeConfig,
)
from modelgate.routing.balancer import StatsBoard
from modelgate.v1 import chat_pb2, errors_pb2, model_pb2
from tests.fakes import FakeOpenAI, Fault
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, user

CAPS: list[CapabilityName] = ["chat", "streaming"]
DELAY_MS = 100
ROUTING = RoutingConfig(
    backoff_initial_seconds=0.001, backoff_max_seconds=0.002, breaker_min_requests=2
)


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtimes = {
        "local": RuntimeConfig(kind="echo"),
        "up": RuntimeConfig(kind="openai_compatible", base_url=fake.url + "/v1"),
    }

    def upstream(model_id: str) -> ModelConfig:
        return ModelConfig(
            id=model_id,
            runtime="up",
            provider="test",
            upstream_name="gpt-4o-mini",
            capabilities=CAPS,
        )

    models = [
        ModelConfig(
            id="slow-echo", runtime="local", capabilities=CAPS, options={"latency_ms": DELAY_MS}
        ),
        ModelConfig(id="idle-echo", runtime="local", capabilities=CAPS),
        upstream("flaky"),
        upstream("doomed"),
    ]
    aliases = {"pool": AliasConfig(deployments=[DeploymentConfig(model="slow-echo")])}
    config = settings(runtimes=runtimes, models=models, aliases=aliases, routing=ROUTING)
    async with serve(config) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: FakeOpenAI, served: Served) -> None:
    """Each test starts with a quiet upstream and no health history."""
    fake.reset()
    served.gateway.catalog.stats = StatsBoard(served.gateway.settings.routing)


async def _listed(served: Served, model_id: str) -> model_pb2.Model:
    response = await served.stub.ListModels(model_pb2.ListModelsRequest(page_size=1000))
    return next(model for model in response.models if model.id == model_id)


def _seconds(duration: object) -> float:
    return duration.ToTimedelta().total_seconds()  # type: ignore[attr-defined,no-any-return]


async def test_list_models_shows_latency_and_ttft_of_served_calls(served: Served) -> None:
    for _ in range(3):
        await served.stub.Chat(chat_request("slow-echo", "hello there"))
    for _ in range(2):
        stream = chat_pb2.StreamChatRequest(model="slow-echo", messages=[user("hello there")])
        async for _event in served.stub.StreamChat(stream):
            pass
    health = (await _listed(served, "slow-echo")).health
    assert (health.requests, health.errors, health.error_rate) == (5, 0, 0.0)
    assert (health.latency_samples, health.time_to_first_token_samples) == (3, 2)
    delay = DELAY_MS / 1000
    assert _seconds(health.latency_p50) >= delay
    assert _seconds(health.latency_p95) >= _seconds(health.latency_p50)
    assert _seconds(health.time_to_first_token_p50) >= delay
    assert _seconds(health.window) >= 4 * delay, "the oldest sample is four slow calls old"
    assert health.in_flight == 0
    assert not health.HasField("last_error_time")


async def test_get_model_reports_the_same_health_as_list_models(served: Served) -> None:
    await served.stub.Chat(chat_request("slow-echo", "once"))
    got = (await served.stub.GetModel(model_pb2.GetModelRequest(id="slow-echo"))).model
    listed = await _listed(served, "slow-echo")
    assert got.health.latency_samples == listed.health.latency_samples == 1
    assert got.health.latency_p50 == listed.health.latency_p50


async def test_a_model_never_called_has_empty_health_and_an_alias_none(served: Served) -> None:
    idle = await _listed(served, "idle-echo")
    assert idle.HasField("health") and idle.health.requests == 0
    assert not idle.health.HasField("latency_p50")
    assert idle.availability.breaker_state == model_pb2.BREAKER_STATE_CLOSED
    alias = await _listed(served, "pool")
    assert not alias.HasField("health"), "an alias reports through its deployments' entries"
    assert list(alias.deployments) == ["slow-echo"]


async def test_upstream_failures_show_error_rate_and_last_error(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(Fault.http(503, "upstream is down for maintenance"))
    await served.stub.Chat(chat_request("flaky", "retried once"))  # 503, then served
    listed = await _listed(served, "flaky")
    health = listed.health
    assert (health.requests, health.errors, health.error_rate) == (2, 1, 0.5)
    assert health.last_error_reason != errors_pb2.ERROR_REASON_UNSPECIFIED
    assert "maintenance" in health.last_error_message
    assert health.HasField("last_error_time")
    assert listed.availability.breaker_state == model_pb2.BREAKER_STATE_CLOSED


async def test_open_breaker_and_the_failure_reason_the_caller_saw(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.set_default(Fault.http(503))
    reasons = []
    for _ in range(ROUTING.breaker_min_requests):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await served.stub.Chat(chat_request("doomed", "x"))
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        reasons.append(decode(caught.value).reason)
    listed = await _listed(served, "doomed")
    assert listed.availability.breaker_state == model_pb2.BREAKER_STATE_OPEN
    attempts = ROUTING.breaker_min_requests * ROUTING.max_attempts_per_deployment
    assert (listed.health.requests, listed.health.errors) == (attempts, attempts)
    assert listed.health.error_rate == 1.0
    reason_name = errors_pb2.ErrorReason.Name(listed.health.last_error_reason)
    assert reason_name == "ERROR_REASON_" + reasons[-1]


async def test_caller_mistakes_are_not_upstream_errors(served: Served, fake: FakeOpenAI) -> None:
    fake.script(Fault.http(400, "bad request"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("flaky", "x"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    health = (await _listed(served, "flaky")).health
    assert (health.requests, health.errors) == (0, 0)
    assert health.last_error_reason == errors_pb2.ERROR_REASON_UNSPECIFIED
