"""Aliases, retries, fallbacks, deadlines and cancellation, through upstream fakes.

Breakers and the one retry loop with the client: test_one_retry_loop.py."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

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
from modelgate.v1 import chat_pb2, generation_pb2, model_pb2, stream_pb2
from tests.fakes import FakeOpenAI, Fault, Reply
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, text_of, user
from tests.waiting import eventually

CAPS: list[CapabilityName] = ["chat", "streaming"]


@pytest.fixture(scope="module")
async def upstreams() -> AsyncIterator[tuple[FakeOpenAI, FakeOpenAI]]:
    async with FakeOpenAI() as a, FakeOpenAI() as b:
        yield a, b


@pytest.fixture(scope="module")
async def served(upstreams: tuple[FakeOpenAI, FakeOpenAI]) -> AsyncIterator[Served]:
    a, b = upstreams
    runtimes = {
        "a": RuntimeConfig(kind="openai_compatible", base_url=a.url + "/v1"),
        "b": RuntimeConfig(kind="openai_compatible", base_url=b.url + "/v1"),
    }

    def model(model_id: str, runtime: str, **extra: Any) -> ModelConfig:
        return ModelConfig(
            id=model_id,
            runtime=runtime,
            provider="test",
            upstream_name="gpt-4o-mini",
            capabilities=CAPS,
            **extra,
        )

    models = [
        model("m-a", "a"),
        model("m-b", "b"),
        model("primary", "a", fallbacks=["m-b"]),
    ]
    aliases = {
        "pool": AliasConfig(
            deployments=[
                DeploymentConfig(model="m-a", weight=3),
                DeploymentConfig(model="m-b", weight=1),
            ]
        ),
        "fewest": AliasConfig(
            strategy="least_inflight",
            deployments=[DeploymentConfig(model="m-a"), DeploymentConfig(model="m-b")],
        ),
        "fastest": AliasConfig(
            strategy="lowest_latency",
            deployments=[DeploymentConfig(model="m-a"), DeploymentConfig(model="m-b")],
        ),
    }
    routing = RoutingConfig(backoff_initial_seconds=0.01, backoff_max_seconds=0.05)
    config = settings(runtimes=runtimes, models=models, aliases=aliases, routing=routing)
    async with serve(config) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(upstreams: tuple[FakeOpenAI, FakeOpenAI], served: Served) -> None:
    """Each test starts with quiet upstreams and fresh breakers and latency stats."""
    for fake in upstreams:
        fake.reset()
    served.gateway.catalog.stats = StatsBoard(served.gateway.settings.routing)


def _calls(fake: FakeOpenAI) -> int:
    return len(fake.requests_to("/v1/chat/completions"))


async def test_weighted_alias_spreads_calls_by_weight(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    served_by = [(await served.stub.Chat(chat_request("pool", "x"))).model for _ in range(200)]
    share_a = served_by.count("m-a") / len(served_by)
    assert 0.6 < share_a < 0.9, share_a  # weight 3:1 -> 0.75
    assert _calls(upstreams[0]) + _calls(upstreams[1]) == 200


async def test_least_inflight_prefers_the_idle_deployment(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, _b = upstreams
    a.script(Fault.hang())  # busy until cancelled, however long the rest takes

    async def busy() -> None:
        await served.stub.Chat(chat_request("m-a", "busy"))

    slow = asyncio.create_task(busy())
    # Once the upstream holds the request, the gateway counts it in flight on m-a.
    await eventually(lambda: _calls(a) == 1, what="the busy call reaching upstream a")
    quick = await served.stub.Chat(chat_request("fewest", "x"))
    assert quick.model == "m-b"
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow


async def test_lowest_latency_learns_the_faster_deployment(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, _b = upstreams
    # Every latency observed on m-a is at least its 1 s sleep, so m-b stays the pick as long
    # as none of its own calls to a local fake takes a whole second: milliseconds even on a
    # saturated machine, rather than a race between 80 ms and a loaded machine.
    a.script(Reply(latency_ms=1000))
    await served.stub.Chat(chat_request("m-a", "x"))
    for _ in range(3):
        await served.stub.Chat(chat_request("m-b", "x"))
    picks = [(await served.stub.Chat(chat_request("fastest", "x"))).model for _ in range(5)]
    assert picks == ["m-b"] * 5


async def test_retry_then_success_reports_attempts(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, _ = upstreams
    a.script(Fault.server_error(), Fault.http(502))
    response = await served.stub.Chat(chat_request("m-a", "third time lucky"))
    assert text_of(response) == "third time lucky"
    assert response.metadata["attempts"] == "3"
    assert _calls(a) == 3


async def test_429_retry_after_is_honored(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, _ = upstreams
    a.script(Fault.rate_limited(retry_after=0.3))
    started = time.monotonic()
    response = await served.stub.Chat(chat_request("m-a", "patience"))
    assert text_of(response) == "patience"
    waited = (
        a.requests_to("/v1/chat/completions")[1].at - a.requests_to("/v1/chat/completions")[0].at
    )
    assert waited >= 0.29, waited
    assert time.monotonic() - started >= 0.29


async def test_400_is_not_retried(served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    a, b = upstreams
    a.script(Fault.http(400, "bad request"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("primary", "x"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _calls(a) == 1 and _calls(b) == 0, "no retry and no fallback on a client error"


async def test_fallback_to_second_provider_reports_serving_model(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, b = upstreams
    a.set_default(Fault.overloaded())
    response = await served.stub.Chat(chat_request("primary", "rescued"))
    assert text_of(response) == "rescued"
    assert response.model == "m-b" and response.runtime == "b"
    assert _calls(a) == 3 and _calls(b) == 1


async def test_answer_from_a_fallback_is_cached_for_the_requested_model(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, b = upstreams
    a.script(Fault.context_length_exceeded())
    request = chat_request(
        "primary",
        "cache me after a fallback",
        generation=generation_pb2.GenerationConfig(temperature=0),
        cache_control=generation_pb2.CacheControl(mode=generation_pb2.CACHE_MODE_USE),
    )
    first = await served.stub.Chat(request)
    assert first.model == "m-b" and first.metadata.get("cache") != "hit"
    again = await served.stub.Chat(request)
    assert again.metadata.get("cache") == "hit", "looked up under the key it was stored under"
    assert text_of(again) == text_of(first)
    assert _calls(a) == 1 and _calls(b) == 1, "the second call never reached an upstream"


async def test_context_length_falls_back_without_retrying(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, b = upstreams
    a.script(Fault.context_length_exceeded())
    response = await served.stub.Chat(chat_request("primary", "long prompt"))
    assert response.model == "m-b"
    assert _calls(a) == 1 and _calls(b) == 1


async def test_stream_falls_back_before_first_token_with_attempt_markers(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, _b = upstreams
    a.set_default(Fault.http(503))
    request = chat_pb2.StreamChatRequest(model="primary", messages=[user("one two")])
    events = [e async for e in served.stub.StreamChat(request)]
    attempts = [e.attempt for e in events if e.HasField("attempt")]
    assert [(x.model, x.kind) for x in attempts] == [
        ("primary", stream_pb2.ATTEMPT_KIND_FIRST),
        ("primary", stream_pb2.ATTEMPT_KIND_RETRY),
        ("primary", stream_pb2.ATTEMPT_KIND_RETRY),
        ("m-b", stream_pb2.ATTEMPT_KIND_FALLBACK),
    ]
    assert attempts[1].previous_error_reason == "UPSTREAM_OVERLOADED"
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "one two"
    assert events[-1].end.model == "m-b"


async def test_stream_failure_after_first_token_is_not_retried(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, b = upstreams
    a.script(Fault.reset_mid_stream(after_chunks=2))
    request = chat_pb2.StreamChatRequest(model="primary", messages=[user("a b c d e f")])
    texts: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in served.stub.StreamChat(request):
            if event.HasField("text_delta"):
                texts.append(event.text_delta.text)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert texts and "".join(texts) != "a b c d e f"
    assert _calls(a) == 1 and _calls(b) == 0, "never retried after output reached the caller"


async def test_deadline_shorter_than_upstream_closes_the_upstream_request(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, _ = upstreams
    a.script(Fault.hang())  # never answers: only the gateway can end the upstream request
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("m-a", "x"), timeout=0.3)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # The gateway has no upstream timeout of its own, so a disconnect at all (within the
    # generous bound of the wait) shows the caller's deadline closed it.
    await a.wait_for_disconnect()
    assert _calls(a) == 1


async def test_client_cancel_mid_stream_closes_upstream_before_its_next_token(
    served: Served, upstreams: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    a, _ = upstreams
    # The first token comes at once, each next one 60 s later (past pytest's timeout): the
    # gateway cannot notice the cancel on its next upstream read, it must close actively.
    a.script(Reply(text="one two three", tokens_per_s=1 / 60))
    call = served.stub.StreamChat(chat_pb2.StreamChatRequest(model="m-a", messages=[user("x")]))
    async for event in call:
        if event.HasField("text_delta"):
            break
    call.cancel()
    await a.wait_for_disconnect()  # a disconnect is recorded only for an unfinished response
    assert a.active_streams == 0
    assert a.streams_started == 1


async def test_list_models_shows_aliases_with_their_deployments(served: Served) -> None:
    listed = await served.stub.ListModels(model_pb2.ListModelsRequest(runtime="alias"))
    pool = next(m for m in listed.models if m.id == "pool")
    assert list(pool.deployments) == ["m-a", "m-b"]
    assert pool.capabilities.chat and pool.availability.available


async def test_discovery_adds_and_removes_models(upstreams: tuple[FakeOpenAI, FakeOpenAI]) -> None:
    a, _ = upstreams
    runtime = RuntimeConfig(kind="openai_compatible", base_url=a.url + "/v1", discover=True)
    async with serve(settings(runtimes={"local": runtime})) as running:
        a.add_model("fresh-model")
        await running.gateway.catalog.refresh()
        ids = {m.id for m in (await running.stub.ListModels(model_pb2.ListModelsRequest())).models}
        assert "fresh-model@local" in ids
        a.remove_model("fresh-model")
        await running.gateway.catalog.refresh()
        ids = {m.id for m in (await running.stub.ListModels(model_pb2.ListModelsRequest())).models}
        assert "fresh-model@local" not in ids
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.Chat(chat_request("fresh-model", "x"))
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_discovery_refreshes_on_its_interval(
    upstreams: tuple[FakeOpenAI, FakeOpenAI],
) -> None:
    a, _ = upstreams
    runtime = RuntimeConfig(kind="openai_compatible", base_url=a.url + "/v1", discover=True)
    config = settings(runtimes={"local": runtime}, discovery_interval_seconds=0.1)
    async with serve(config) as running:
        a.add_model("arrives-later")

        async def listed() -> bool:
            models = (await running.stub.ListModels(model_pb2.ListModelsRequest())).models
            return "arrives-later@local" in {m.id for m in models}

        try:
            # No explicit refresh: only the 0.1 s background refresh can make it appear.
            await eventually(listed, what="discovery on its interval")
        finally:
            a.remove_model("arrives-later")
