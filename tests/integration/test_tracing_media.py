"""The media RPCs' upstream attempts are CLIENT spans, as chat's are, at a real OTLP receiver:
numbered, with the reason for a retry, the output type, the answer's model and tokens, an
ERROR status for a failed attempt, and their context on the upstream request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig, TelemetryConfig
from modelgate.v1 import audio_pb2, image_pb2
from tests.collector import otlp_collector
from tests.fakes import FakeOpenAI, Fault, Reply
from tests.fakes.media_bytes import wav
from tests.gateways import Served, serve, settings
from tests.waiting import RPC_S

SERVER, CLIENT = 2, 3  # OTLP SpanKind
STATUS_UNSET, STATUS_ERROR = 0, 2
ROUTING = RoutingConfig(
    backoff_initial_seconds=0.001, backoff_max_seconds=0.002, breaker_min_requests=1000
)


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def _config(fake: FakeOpenAI) -> Any:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key="sk-media-trace")
    models = [
        ModelConfig(id="gpt-image-1", runtime="openai", capabilities=["image_generation"]),
        ModelConfig(id="gpt-4o-transcribe", runtime="openai", capabilities=["transcription"]),
        ModelConfig(id="tts-1", runtime="openai", capabilities=["speech"]),
    ]
    return settings(
        runtimes={"openai": runtime},
        models=models,
        routing=ROUTING,
        telemetry=TelemetryConfig(tracing="otlp"),
    )


def _attributes(span: Any) -> dict[str, Any]:
    return {a.key: getattr(a.value, a.value.WhichOneof("value")) for a in span.attributes}


def _server_span(spans: list[Any], rpc: str) -> Any:
    (span,) = [s for s in spans if s.kind == SERVER and s.name.endswith("/" + rpc)]
    return span


def _attempts(spans: list[Any], server: Any) -> list[Any]:
    children = [s for s in spans if s.kind == CLIENT and s.parent_span_id == server.span_id]
    return sorted(children, key=lambda s: _attributes(s)["modelgate.attempt"])


async def _flush(running: Served) -> None:
    assert running.gateway.tracer_provider is not None
    assert await asyncio.to_thread(running.gateway.tracer_provider.force_flush)


async def _transcribe(config: audio_pb2.TranscriptionConfig, audio: bytes) -> AsyncIterator[Any]:
    yield audio_pb2.TranscribeRequest(config=config)
    yield audio_pb2.TranscribeRequest(audio_chunk=audio)


async def test_an_image_attempt_is_a_client_span_whose_context_reaches_the_upstream(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    async with otlp_collector(monkeypatch) as spans, serve(_config(fake)) as running:
        request = image_pb2.GenerateImageRequest(model="gpt-image-1", prompt="a fox", size="64x64")
        [e async for e in running.stub.GenerateImage(request, timeout=RPC_S)]
        upstream = fake.last_request.headers["traceparent"]
        await _flush(running)
    (attempt,) = _attempts(spans, _server_span(spans, "GenerateImage"))
    assert attempt.name == "generate_content gpt-image-1"
    attributes = _attributes(attempt)
    assert attributes["gen_ai.operation.name"] == "generate_content"
    assert attributes["gen_ai.output.type"] == "image"
    assert (attributes["modelgate.attempt"], attributes["gen_ai.response.model"]) == (
        1,
        "gpt-image-1",
    )
    assert attempt.status.code == STATUS_UNSET
    assert upstream == f"00-{attempt.trace_id.hex()}-{attempt.span_id.hex()}-01", (
        "the upstream request carries the attempt's own context"
    )


async def test_a_retried_speech_call_has_numbered_attempts_the_failed_one_an_error(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    async with otlp_collector(monkeypatch) as spans, serve(_config(fake)) as running:
        fake.script(Fault.http(500))
        request = audio_pb2.SpeakRequest(model="tts-1", text="hello there")
        events = [e async for e in running.stub.Speak(request, timeout=RPC_S)]
        assert events[-1].HasField("end")
        await _flush(running)
    first, second = _attempts(spans, _server_span(spans, "Speak"))
    assert (first.status.code, _attributes(first)["error.type"]) == (
        STATUS_ERROR,
        "UPSTREAM_UNAVAILABLE",
    )
    assert "modelgate.attempt.reason" not in _attributes(first)
    later = _attributes(second)
    assert (later["modelgate.attempt"], later["modelgate.attempt.reason"]) == (
        2,
        "UPSTREAM_UNAVAILABLE",
    )
    assert (later["gen_ai.output.type"], second.status.code) == ("speech", STATUS_UNSET)


async def test_a_transcription_attempt_carries_the_answers_tokens(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    audio = wav(16_000, seed="trace")
    async with otlp_collector(monkeypatch) as spans, serve(_config(fake)) as running:
        fake.script(Reply(text="hello world"))
        config = audio_pb2.TranscriptionConfig(
            model="gpt-4o-transcribe", filename="a.wav", audio_size_bytes=len(audio)
        )
        answer = await running.stub.Transcribe(_transcribe(config, audio), timeout=RPC_S)
        await _flush(running)
    (attempt,) = _attempts(spans, _server_span(spans, "Transcribe"))
    attributes = _attributes(attempt)
    assert attributes["gen_ai.output.type"] == "text"
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (
        answer.usage.input_tokens,
        answer.usage.output_tokens,
    )
    assert answer.usage.output_tokens > 0, "the fake bills the transcription by tokens"


async def test_an_unsampled_media_call_has_no_attempt_span_and_sends_no_context(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.reset()
    config = _config(fake)
    config.telemetry = TelemetryConfig(tracing="otlp", trace_sample_ratio=0.0)
    async with otlp_collector(monkeypatch) as spans, serve(config) as running:
        request = audio_pb2.SpeakRequest(model="tts-1", text="quiet")
        [e async for e in running.stub.Speak(request, timeout=RPC_S)]
        assert "traceparent" not in fake.last_request.headers
        await _flush(running)
    assert [s for s in spans if s.kind == CLIENT] == []
