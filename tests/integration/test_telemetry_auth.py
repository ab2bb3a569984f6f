"""Tracing into a real OTLP receiver, Prometheus metrics, API-key auth and quotas."""

from __future__ import annotations

import asyncio
import hashlib
import urllib.request
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from prometheus_client import generate_latest

from modelgate.config import (
    ApiKeyConfig,
    AuthConfig,
    ModelConfig,
    PricingConfig,
    RuntimeConfig,
    TelemetryConfig,
)
from modelgate.errors import bounded
from modelgate.v1 import chat_pb2, model_pb2
from tests.collector import otlp_collector
from tests.fakes import FakeOpenAI
from tests.gateways import serve, settings
from tests.rpc_helpers import chat_request, decode, user
from tests.waiting import RPC_S

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"
PROVIDER_KEY = "sk-provider-secret-key-abcdef123456"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def _openai(fake: FakeOpenAI) -> dict[str, Any]:
    return {
        "runtimes": {
            "openai": RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key=PROVIDER_KEY)
        },
        "models": [
            ModelConfig(
                id="gpt-4o",
                runtime="openai",
                provider="openai",
                pricing=PricingConfig(input=1.0, output=2.0),
            ),
            ModelConfig(id="gpt-4o-mini", runtime="openai", provider="openai"),
        ],
    }


def _attributes(span: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in span.attributes:
        value = attribute.value
        kind = value.WhichOneof("value")
        if kind == "array_value":
            values[attribute.key] = [v.string_value for v in value.array_value.values]
        else:
            values[attribute.key] = getattr(value, kind)
    return values


async def test_one_trace_spans_caller_gateway_and_upstream(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = settings(**_openai(fake), telemetry=TelemetryConfig(tracing="otlp"))
    async with otlp_collector(monkeypatch) as exported, serve(config) as running:
        request = chat_request(
            "gpt-4o",
            "secret prompt text",
            generation={"temperature": 0.5, "max_output_tokens": 20},
        )
        await running.stub.Chat(request, metadata=(("traceparent", TRACEPARENT),))
        assert running.gateway.tracer_provider is not None
        await asyncio.to_thread(running.gateway.tracer_provider.force_flush)
    spans = [s for s in exported if s.trace_id.hex() == TRACE_ID]
    by_kind = {s.kind: s for s in spans}
    server = by_kind[2]  # SPAN_KIND_SERVER
    client = by_kind[3]  # SPAN_KIND_CLIENT
    assert server.name == "modelgate.v1.ModelGateway/Chat"
    assert server.parent_span_id.hex() == "00f067aa0ba902b7", "the caller's span is the parent"
    assert client.parent_span_id == server.span_id
    attributes = _attributes(client)
    assert client.name == "chat gpt-4o"
    assert attributes["gen_ai.operation.name"] == "chat"
    assert attributes["gen_ai.provider.name"] == "openai"
    assert attributes["gen_ai.request.model"] == "gpt-4o"
    assert attributes["modelgate.model"] == "gpt-4o"
    assert attributes["gen_ai.usage.output_tokens"] == 3
    assert attributes["gen_ai.response.finish_reasons"] == ["stop"]
    assert attributes["gen_ai.response.id"].startswith("chatcmpl-")
    assert attributes["gen_ai.request.max_tokens"] == 20
    everything = str([s for s in exported])
    assert "secret prompt text" not in everything, "content is not recorded without opt-in"
    assert PROVIDER_KEY not in everything
    upstream = fake.last_request.headers["traceparent"]
    assert upstream.split("-")[1] == TRACE_ID
    assert upstream.split("-")[2] == client.span_id.hex()


async def test_prometheus_endpoint_counts_requests_tokens_and_cost(fake: FakeOpenAI) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        metrics_port = sock.getsockname()[1]
    config = settings(**_openai(fake), telemetry=TelemetryConfig(metrics_port=metrics_port))
    async with serve(config) as running:
        await running.stub.Chat(chat_request("gpt-4o", "one two three"))
        events = [
            e
            async for e in running.stub.StreamChat(
                chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user("a b")])
            )
        ]
        assert events[-1].HasField("end")
        with pytest.raises(grpc.aio.AioRpcError):
            await running.stub.Chat(chat_request("no-such-model-xyz", "x"))
        page = await asyncio.to_thread(
            lambda: (
                urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=RPC_S)
                .read()
                .decode()
            )
        )
    assert (
        'modelgate_requests_total{code="OK",model="gpt-4o",provider="openai",rpc="Chat"} 1.0'
        in page
    )
    assert 'rpc="StreamChat"' in page
    assert 'code="NOT_FOUND",model="unknown"' in page, "unknown names never become labels"
    assert 'gen_ai_token_type="output"} 5.0' in page
    assert "gen_ai_server_time_to_first_token_seconds_count" in page
    assert "modelgate_cost_usd_total" in page
    assert 'modelgate_breaker_state{model="gpt-4o",state="closed"} 1.0' in page
    assert 'modelgate_upstream_attempts_total{model="gpt-4o"} 2.0' in page
    assert 'modelgate_deployment_in_flight{model="gpt-4o"} 0.0' in page
    assert PROVIDER_KEY not in page


def _key(key_id: str, secret: str, **fields: Any) -> ApiKeyConfig:
    return ApiKeyConfig(id=key_id, sha256=hashlib.sha256(secret.encode()).hexdigest(), **fields)


@pytest.fixture(scope="module")
async def authed(fake: FakeOpenAI) -> AsyncIterator[Any]:
    keys = [
        _key("team-a", "key-a-secret"),
        _key("team-b", "key-b-secret", models=["gpt-4o-mini"]),
        _key("slow", "key-slow-secret", requests_per_minute=2),
        _key("thrifty", "key-thrifty-secret", tokens_per_minute=5),
    ]
    async with serve(
        settings(**_openai(fake), auth=AuthConfig(enabled=True, keys=keys))
    ) as running:
        yield running


def _bearer(secret: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {secret}"),)


async def test_missing_or_unknown_key_is_unauthenticated(authed: Any) -> None:
    for metadata in ((), _bearer("nope"), (("authorization", "Basic abc"),)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await authed.stub.Chat(chat_request("gpt-4o", "x"), metadata=metadata)
        status = decode(caught.value)
        assert (status.code, status.reason) == (grpc.StatusCode.UNAUTHENTICATED, "API_KEY_INVALID")


async def test_valid_key_calls_and_disallowed_model_is_permission_denied(authed: Any) -> None:
    ok = await authed.stub.Chat(chat_request("gpt-4o", "fine"), metadata=_bearer("key-a-secret"))
    assert ok.content[0].text == "fine"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authed.stub.Chat(chat_request("gpt-4o", "x"), metadata=_bearer("key-b-secret"))
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.PERMISSION_DENIED, "MODEL_NOT_ALLOWED")
    allowed = await authed.stub.Chat(
        chat_request("gpt-4o-mini", "ok"), metadata=_bearer("key-b-secret")
    )
    assert allowed.model == "gpt-4o-mini"


async def test_a_huge_disallowed_model_name_is_echoed_bounded(authed: Any) -> None:
    """The permission error quotes the model cut short, so a default client still sees it."""
    huge = "m" * 100_000
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authed.stub.Chat(chat_request(huge, "x"), metadata=_bearer("key-b-secret"))
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.PERMISSION_DENIED, "MODEL_NOT_ALLOWED")
    assert status.metadata["model"] == bounded(huge)
    assert "(100000 characters)" in status.message


async def test_request_rate_quota_gives_retry_info_and_quota_failure(authed: Any) -> None:
    for _ in range(2):
        await authed.stub.Chat(chat_request("gpt-4o", "x"), metadata=_bearer("key-slow-secret"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authed.stub.Chat(chat_request("gpt-4o", "x"), metadata=_bearer("key-slow-secret"))
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "QUOTA_EXCEEDED")
    assert status.retry_after is not None and 0 < status.retry_after <= 30
    assert status.quota_violations == [("api_key:slow", "request rate exceeded")]


async def test_token_budget_is_charged_after_the_call(authed: Any) -> None:
    await authed.stub.Chat(
        chat_request("gpt-4o", "one two three four five six"),
        metadata=_bearer("key-thrifty-secret"),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authed.stub.Chat(chat_request("gpt-4o", "x"), metadata=_bearer("key-thrifty-secret"))
    status = decode(caught.value)
    assert status.reason == "QUOTA_EXCEEDED" and "token budget" in status.message


async def test_health_and_reflection_stay_open_without_a_key(authed: Any) -> None:
    health = health_pb2_grpc.HealthStub(authed.channel)
    reply = await health.Check(health_pb2.HealthCheckRequest(service="modelgate.v1.ModelGateway"))
    assert reply.status == health_pb2.HealthCheckResponse.SERVING
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authed.stub.ListModels(model_pb2.ListModelsRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_conversations_are_visible_only_to_the_key_that_created_them(authed: Any) -> None:
    first = await authed.stub.Chat(
        chat_request("gpt-4o", "private"), metadata=_bearer("key-a-secret")
    )
    again = await authed.stub.Chat(
        chat_request("gpt-4o", "mine", previous_response_id=first.id),
        metadata=_bearer("key-a-secret"),
    )
    assert again.usage.input_tokens > first.usage.input_tokens
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await authed.stub.Chat(
            chat_request("gpt-4o-mini", "steal", previous_response_id=first.id),
            metadata=_bearer("key-b-secret"),
        )
    assert decode(caught.value).reason == "RESPONSE_NOT_FOUND"


async def test_refused_calls_are_counted_and_costs_are_never_labelled_by_the_callers_key(
    fake: FakeOpenAI,
) -> None:
    """Auth runs outside telemetry, yet telemetry still records the calls it refuses, and
    records admitted ones; cost is per model only (spend per key is the usage API's)."""
    keys = [_key("team-a", "key-a-secret")]
    config = settings(
        **_openai(fake),
        auth=AuthConfig(enabled=True, keys=keys),
        telemetry=TelemetryConfig(metrics=True),
    )
    async with serve(config) as running:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.Chat(chat_request("gpt-4o", "x"))
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
        await running.stub.Chat(chat_request("gpt-4o", "one two"), metadata=_bearer("key-a-secret"))
        assert running.gateway.metrics is not None
        registry = running.gateway.metrics.registry
        refused = {"rpc": "Chat", "model": "gpt-4o", "provider": "", "code": "UNAUTHENTICATED"}
        assert registry.get_sample_value("modelgate_requests_total", refused) == 1.0
        admitted = {"rpc": "Chat", "model": "gpt-4o", "provider": "openai", "code": "OK"}
        assert registry.get_sample_value("modelgate_requests_total", admitted) == 1.0
        cost = {"model": "gpt-4o"}
        assert (registry.get_sample_value("modelgate_cost_usd_total", cost) or 0) > 0
        assert "team-a" not in generate_latest(registry).decode()
