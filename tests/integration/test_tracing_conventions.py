"""Spans follow the gRPC and GenAI conventions, as a real OTLP receiver gets them.

A SERVER span is ERROR only for the server's own failures (a caller's NOT_FOUND is not);
each upstream attempt is a CLIENT span numbered within its call, naming why it was
needed; opt-in content arrives as the conventions' JSON parts, capped and redacted; a
call that needed retries logs one line, at most one per model per window.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig, TelemetryConfig
from modelgate.routing.balancer import StatsBoard
from modelgate.telemetry.failure_log import WINDOW_SECONDS
from modelgate.v1 import chat_pb2, generation_pb2
from tests.collector import otlp_collector
from tests.fakes import FakeOpenAI, Fault
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, system, user

PROVIDER_KEY = "sk-provider-secret-key-abcdef123456"
SERVER, CLIENT = 2, 3  # OTLP SpanKind
STATUS_UNSET, STATUS_ERROR = 0, 2
ROUTING = RoutingConfig(
    backoff_initial_seconds=0.001, backoff_max_seconds=0.002, breaker_min_requests=1000
)
RETRY_LOG = "modelgate.routing.retries"


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def _config(fake: FakeOpenAI, routing: RoutingConfig = ROUTING, **telemetry: Any) -> Any:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key=PROVIDER_KEY)
    return settings(
        runtimes={"openai": runtime},
        models=[ModelConfig(id="gpt-4o", runtime="openai", provider="openai")],
        routing=routing,
        telemetry=TelemetryConfig(tracing="otlp", **telemetry),
    )


def _attributes(span: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in span.attributes:
        value = attribute.value
        kind = value.WhichOneof("value")
        values[attribute.key] = getattr(value, kind)
    return values


async def _flush(running: Served) -> None:
    assert running.gateway.tracer_provider is not None
    assert await asyncio.to_thread(running.gateway.tracer_provider.force_flush)


def _server_span(spans: list[Any], rpc: str, nth: int = 0) -> Any:
    return [s for s in spans if s.kind == SERVER and s.name.endswith("/" + rpc)][nth]


def _attempts(spans: list[Any], server: Any) -> list[Any]:
    """The CLIENT spans under `server`, by attempt number."""
    children = [s for s in spans if s.kind == CLIENT and s.parent_span_id == server.span_id]
    return sorted(children, key=lambda s: _attributes(s)["modelgate.attempt"])


async def test_a_callers_not_found_is_no_server_error_but_unavailable_is(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    config = _config(fake, ROUTING.model_copy(update={"max_attempts": 1}))
    async with otlp_collector(monkeypatch) as spans, serve(config) as running:
        with pytest.raises(grpc.aio.AioRpcError):
            await running.stub.Chat(chat_request("no-such-model", "x"), timeout=10)
        fake.script(Fault.http(500))
        with pytest.raises(grpc.aio.AioRpcError):
            await running.stub.Chat(chat_request("gpt-4o", "x"), timeout=10)
        await _flush(running)
    missing, down = _server_span(spans, "Chat", 0), _server_span(spans, "Chat", 1)
    assert missing.status.code == STATUS_UNSET, "a caller's mistake is not a server error"
    assert _attributes(missing)["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]
    assert _attributes(missing)["error.type"] == "MODEL_NOT_FOUND"
    assert down.status.code == STATUS_ERROR
    assert _attributes(down)["rpc.grpc.status_code"] == grpc.StatusCode.UNAVAILABLE.value[0]
    assert _attributes(down)["error.type"] == "UPSTREAM_UNAVAILABLE"
    (attempt,) = _attempts(spans, down)
    assert _attributes(attempt)["error.type"] == "UPSTREAM_UNAVAILABLE"


async def test_an_attempt_span_names_server_response_conversation_and_rounded_params(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    async with otlp_collector(monkeypatch) as spans, serve(_config(fake)) as running:
        first = await running.stub.Chat(
            chat_request("gpt-4o", "hello", generation={"temperature": 0.2, "top_p": 0.9}),
            timeout=10,
        )
        json_format = generation_pb2.ResponseFormat(
            type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT
        )
        request = chat_request("gpt-4o", '{"a": 1}', response_format=json_format)
        request.previous_response_id = first.id
        second = await running.stub.Chat(request, timeout=10)
        third = chat_request("gpt-4o", "and then?")
        third.previous_response_id = second.id
        await running.stub.Chat(third, timeout=10)
        await _flush(running)
    (opening,) = _attempts(spans, _server_span(spans, "Chat", 0))
    (follow_up,) = _attempts(spans, _server_span(spans, "Chat", 1))
    (third_turn,) = _attempts(spans, _server_span(spans, "Chat", 2))
    attributes = _attributes(opening)
    host, port = fake.url.removeprefix("http://").split(":")
    assert (attributes["server.address"], attributes["server.port"]) == (host, int(port))
    assert attributes["gen_ai.request.temperature"] == 0.2, "the float32, not 0.2000000029..."
    assert attributes["gen_ai.request.top_p"] == 0.9
    assert attributes["gen_ai.response.model"] == "gpt-4o"
    assert attributes["gen_ai.output.type"] == "text"
    assert attributes["gen_ai.conversation.id"] == first.id, "a first turn: the answer's id"
    assert (attributes["modelgate.attempt"], "modelgate.attempt.reason" in attributes) == (1, False)
    later = _attributes(follow_up)
    assert later["gen_ai.conversation.id"] == first.id, "a follow-up: the id it continues"
    assert later["gen_ai.output.type"] == "json"
    assert _attributes(third_turn)["gen_ai.conversation.id"] == first.id, (
        "every turn names the conversation by its first answer, not the answer it continues"
    )


async def test_content_is_captured_as_json_parts_capped_and_redacted(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    config = _config(fake, capture_content=True, capture_content_max_chars=40)
    long_text = "word " * 20
    async with otlp_collector(monkeypatch) as spans, serve(config) as running:
        request = chat_request("gpt-4o", f"key {PROVIDER_KEY}")
        request.messages.insert(0, system("Be brief."))
        await running.stub.Chat(request, timeout=10)
        streamed = chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user("one two three")])
        events = [e async for e in running.stub.StreamChat(streamed, timeout=10)]
        await running.stub.Chat(chat_request("gpt-4o", long_text), timeout=10)
        await _flush(running)
    assert events[-1].HasField("end")
    (unary,) = _attempts(spans, _server_span(spans, "Chat", 0))
    attributes = _attributes(unary)
    assert json.loads(attributes["gen_ai.system_instructions"]) == [
        {"type": "text", "content": "Be brief."}
    ]
    (message,) = json.loads(attributes["gen_ai.input.messages"])
    assert message["role"] == "user" and message["parts"][0]["type"] == "text"
    assert PROVIDER_KEY not in message["parts"][0]["content"], "redacted before capture"
    (answer,) = json.loads(attributes["gen_ai.output.messages"])
    assert answer["role"] == "assistant" and answer["finish_reason"] == "stop"
    assert answer["parts"][0]["type"] == "text"
    (stream,) = _attempts(spans, _server_span(spans, "StreamChat"))
    (streamed_answer,) = json.loads(_attributes(stream)["gen_ai.output.messages"])
    text = "".join(e.text_delta.text for e in events if e.HasField("text_delta"))
    assert streamed_answer["parts"] == [{"type": "text", "content": text}], "deltas joined"
    (capped,) = _attempts(spans, _server_span(spans, "Chat", 1))
    (long_message,) = json.loads(_attributes(capped)["gen_ai.input.messages"])
    assert long_message["parts"][0]["content"] == long_text[:40] + "…"
    assert PROVIDER_KEY not in "\n".join(str(s) for s in spans)


class Clock:
    """The board's monotonic time, moved only by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_retried_call_has_numbered_attempt_spans_and_one_rate_limited_log_line(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake.reset()
    caplog.set_level(logging.INFO, logger=RETRY_LOG)
    clock = Clock()
    async with otlp_collector(monkeypatch) as spans, serve(_config(fake)) as running:
        running.gateway.catalog.stats = StatsBoard(running.gateway.settings.routing, clock)
        for _ in range(3):
            fake.script(Fault.http(500))
            await running.stub.Chat(chat_request("gpt-4o", "x"), timeout=10)
        lines_in_window = [r.getMessage() for r in caplog.records if r.name == RETRY_LOG]
        clock.now += WINDOW_SECONDS
        fake.script(Fault.http(500))
        await running.stub.Chat(chat_request("gpt-4o", "x"), timeout=10)
        await _flush(running)
    first, second = _attempts(spans, _server_span(spans, "Chat", 0))
    assert _attributes(first)["modelgate.attempt"] == 1
    assert "modelgate.attempt.reason" not in _attributes(first)
    assert _attributes(first)["error.type"] == "UPSTREAM_UNAVAILABLE"
    assert _attributes(second)["modelgate.attempt"] == 2
    assert _attributes(second)["modelgate.attempt.reason"] == "UPSTREAM_UNAVAILABLE"
    assert lines_in_window == [
        "call succeeded after retries or fallbacks: runtime=openai model=gpt-4o attempt=2"
        " kind=retry cause=UPSTREAM_UNAVAILABLE"
    ]
    records = [r for r in caplog.records if r.name == RETRY_LOG]
    assert [r.levelno for r in records] == [logging.INFO, logging.INFO]
    assert "(2 similar suppressed in the last 30s)" in records[1].getMessage()


async def test_an_unsampled_call_exports_nothing_and_sends_no_trace_context(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    config = _config(fake, trace_sample_ratio=0.0)
    async with otlp_collector(monkeypatch) as spans, serve(config) as running:
        answer = await running.stub.Chat(chat_request("gpt-4o", "hello"), timeout=10)
        assert "traceparent" not in fake.last_request.headers
        stream = chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user("hi")])
        events = [e async for e in running.stub.StreamChat(stream, timeout=10)]
        assert "traceparent" not in fake.last_request.headers
        await _flush(running)
    assert answer.content and events[-1].HasField("end"), "answered as when traced"
    assert spans == []
