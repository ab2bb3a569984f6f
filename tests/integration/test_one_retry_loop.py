"""One logical call is retried in one place, and breakers open on upstream health only.

The gateway retries; its final answers carry gRPC pushback (`grpc-retry-pushback-ms: -1`),
so the shipped client config retries only what never reached a gateway. A breaker counts
each call once over a window with a minimum volume, so one caller's failing request never
opens it for everyone, while an outage still does. Upstream requests are counted at the
fakes; the breakers' clock is stepped by the tests, never slept through.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from modelgate import cli
from modelgate.client import (
    DEFAULT_SERVICE_CONFIG,
    AsyncModelGate,
    ModelGate,
    ModelGateError,
    UnavailableError,
)
from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig
from modelgate.routing.balancer import StatsBoard
from modelgate.v1 import model_pb2
from tests.fakes import FakeOpenAI, Fault
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import Decoded, chat_request, decode, text_of

ROUTING = RoutingConfig(backoff_initial_seconds=0.001, backoff_max_seconds=0.002)
"""Default attempts and breaker thresholds; only the backoff is shortened."""
VOLUME = ROUTING.breaker_min_requests
SECRET = "s3cret-in-the-url"
PUSHBACK = ("grpc-retry-pushback-ms", "-1")


class Clock:
    """The breakers' monotonic time, moved only by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
def dead_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI, dead_port: int) -> AsyncIterator[Served]:
    dead_url = f"http://probe:{SECRET}@127.0.0.1:{dead_port}/v1"
    runtimes = {
        "up": RuntimeConfig(kind="openai_compatible", base_url=fake.url + "/v1"),
        "down": RuntimeConfig(kind="openai_compatible", base_url=dead_url),
    }

    def model(model_id: str, runtime: str, *capabilities: Any) -> ModelConfig:
        return ModelConfig(
            id=model_id,
            runtime=runtime,
            provider="test",
            upstream_name="gpt-4o-mini",
            capabilities=["chat", "streaming", *capabilities],
        )

    models = [model("flaky", "up", "embedding"), model("dead", "down")]
    async with serve(settings(runtimes=runtimes, models=models, routing=ROUTING)) as running:
        yield running


@pytest.fixture(autouse=True)
def clock(fake: FakeOpenAI, served: Served) -> Clock:
    """Quiet upstream, fresh breakers on a stepped clock."""
    fake.reset()
    stepped = Clock()
    served.gateway.catalog.stats = StatsBoard(served.gateway.settings.routing, stepped)
    return stepped


def _chats(fake: FakeOpenAI) -> int:
    return len(fake.requests_to("/v1/chat/completions"))


async def _failed_chat(served: Served, model: str) -> Decoded:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request(model, "x"), timeout=10)
    return decode(caught.value)


async def _breaker(served: Served, model: str) -> int:
    record = await served.stub.GetModel(model_pb2.GetModelRequest(id=model))
    return record.model.availability.breaker_state


async def _aio_call(target: str) -> ModelGateError:
    async with AsyncModelGate(target, timeout=10) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.chat("flaky", "always 500")
    return caught.value


def _sync_call(target: str) -> ModelGateError:
    client = ModelGate(target, timeout=10)
    with client, pytest.raises(UnavailableError) as caught:
        client.chat("flaky", "always 500")
    return caught.value


@pytest.mark.parametrize("flavour", ["aio", "sync"])
async def test_one_failing_call_from_the_python_client_is_retried_in_one_place(
    served: Served, fake: FakeOpenAI, flavour: str
) -> None:
    fake.set_default(Fault.server_error())
    if flavour == "aio":
        error = await _aio_call(served.target)
    else:  # the in-process gateway shares this loop: block in a thread
        error = await asyncio.to_thread(_sync_call, served.target)
    assert _chats(fake) == ROUTING.max_attempts_per_deployment <= ROUTING.max_attempts
    assert error.reason == "UPSTREAM_UNAVAILABLE" and "returned 500" in error.message
    assert error.metadata["attempts"] == str(ROUTING.max_attempts_per_deployment)
    assert PUSHBACK in error.trailing_metadata
    fake.set_default(None)
    response = await served.stub.Chat(chat_request("flaky", "another caller"))
    assert text_of(response) == "another caller", "one caller's failure opened no breaker"


async def test_a_real_outage_opens_the_breaker_which_names_its_cause(
    served: Served, fake: FakeOpenAI, clock: Clock
) -> None:
    fake.set_default(Fault.server_error())
    for _ in range(VOLUME):
        status = await _failed_chat(served, "flaky")
        assert status.reason == "UPSTREAM_UNAVAILABLE", "below the volume every call is tried"
    assert _chats(fake) == VOLUME * ROUTING.max_attempts_per_deployment
    status = await _failed_chat(served, "flaky")
    assert (status.code, status.reason) == (grpc.StatusCode.UNAVAILABLE, "CIRCUIT_OPEN")
    assert "returned 500" in status.message
    assert status.retry_after == ROUTING.breaker_cooldown_seconds
    assert _chats(fake) == VOLUME * ROUTING.max_attempts_per_deployment, "nothing sent upstream"
    assert await _breaker(served, "flaky") == model_pb2.BREAKER_STATE_OPEN
    async with AsyncModelGate(served.target, timeout=10) as client:
        with pytest.raises(UnavailableError) as turned_away:
            async for _text in client.stream_text("flaky", "x"):
                pass
    assert turned_away.value.reason == "CIRCUIT_OPEN"
    assert PUSHBACK in turned_away.value.trailing_metadata, "streams are not retried either"
    fake.set_default(None)
    clock.now += ROUTING.breaker_cooldown_seconds
    assert await _breaker(served, "flaky") == model_pb2.BREAKER_STATE_HALF_OPEN
    response = await served.stub.Chat(chat_request("flaky", "healthy again"))
    assert text_of(response) == "healthy again"
    assert await _breaker(served, "flaky") == model_pb2.BREAKER_STATE_CLOSED


async def test_a_failed_probe_reopens_after_one_attempt_and_names_the_real_cause(
    served: Served, fake: FakeOpenAI, clock: Clock
) -> None:
    fake.set_default(Fault.server_error())
    for _ in range(VOLUME):
        await _failed_chat(served, "flaky")
    clock.now += ROUTING.breaker_cooldown_seconds
    before = _chats(fake)
    status = await _failed_chat(served, "flaky")
    assert status.reason == "UPSTREAM_UNAVAILABLE" and "returned 500" in status.message
    assert _chats(fake) == before + 1, "a probe is one attempt"
    assert await _breaker(served, "flaky") == model_pb2.BREAKER_STATE_OPEN


async def test_failing_calls_among_healthy_traffic_keep_the_breaker_closed(
    served: Served, fake: FakeOpenAI
) -> None:
    for _ in range(VOLUME):
        fake.script(*[Fault.server_error()] * ROUTING.max_attempts_per_deployment)
        await _failed_chat(served, "flaky")
        for _ in range(2):
            await served.stub.Chat(chat_request("flaky", "fine"))
    assert await _breaker(served, "flaky") == model_pb2.BREAKER_STATE_CLOSED


async def test_requests_the_upstream_rejects_never_open_the_breaker(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.set_default(Fault.http(400, "unsupported parameter"))
    for _ in range(2 * VOLUME):
        status = await _failed_chat(served, "flaky")
        assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert _chats(fake) == 2 * VOLUME, "never retried"
    assert await _breaker(served, "flaky") == model_pb2.BREAKER_STATE_CLOSED


async def test_fewer_embeddings_than_inputs_is_an_invalid_response_asked_once(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.set_default(Fault.fewer_items())
    async with AsyncModelGate(served.target, timeout=10) as client:
        for _ in range(VOLUME):
            with pytest.raises(UnavailableError) as caught:
                await client.embed("flaky", ["one", "two"])
            assert caught.value.reason == "UPSTREAM_INVALID_RESPONSE"
            assert "returned 1 embeddings for 2 inputs" in caught.value.message
        assert len(fake.requests_to("/v1/embeddings")) == VOLUME, "one upstream request per call"
        assert await _breaker(served, "flaky") == model_pb2.BREAKER_STATE_CLOSED
        fake.set_default(None)
        assert len((await client.embed("flaky", ["one", "two"])).embeddings) == 2


async def test_a_dead_port_is_named_connection_refused_until_the_breaker_opens(
    served: Served, dead_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = f"connection refused by 127.0.0.1:{dead_port}"
    argv = ["chat", "--target", served.target, "--model", "dead", "hello"]
    assert await asyncio.to_thread(cli.main, argv) == 1
    printed = capsys.readouterr().err
    assert refused in printed and "cooling down" not in printed, printed
    assert SECRET not in printed
    for _ in range(VOLUME - 1):
        status = await _failed_chat(served, "dead")
        assert status.reason == "UPSTREAM_UNAVAILABLE" and refused in status.message
    status = await _failed_chat(served, "dead")
    assert status.reason == "CIRCUIT_OPEN" and refused in status.message
    assert SECRET not in status.message


@pytest.mark.parametrize("pushback", [None, "-1"], ids=["no pushback", "pushback -1"])
async def test_the_shipped_client_config_retries_only_answers_without_pushback(
    pushback: str | None,
) -> None:
    """grpcio honours server pushback: checked with the real client and its shipped config."""
    answered = 0

    async def chat(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
        nonlocal answered
        answered += 1
        trailers = (("grpc-retry-pushback-ms", pushback),) if pushback else ()
        await context.abort(grpc.StatusCode.UNAVAILABLE, "unavailable", trailers)
        raise AssertionError("unreachable")

    server = grpc.aio.server()
    handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {
        "Chat": grpc.unary_unary_rpc_method_handler(chat)
    }
    service = grpc.method_handlers_generic_handler("modelgate.v1.ModelGateway", handlers)
    server.add_generic_rpc_handlers((service,))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with AsyncModelGate(f"127.0.0.1:{port}", timeout=10) as client:
            with pytest.raises(UnavailableError):
                await client.chat("any", "x")
    finally:
        await server.stop(0)
    policy = DEFAULT_SERVICE_CONFIG["methodConfig"][0]["retryPolicy"]
    assert answered == (1 if pushback else policy["maxAttempts"])
