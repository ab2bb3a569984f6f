"""`uv run python -m bench.wrapper_cost`: what the backend wrappers add to one upstream call.

Times an echo backend's `chat` and `stream_chat` in a tight loop on one event loop, bare
and behind the wrappers `app.backend_wrapper` composes: metering alone, tracing alone
(sampled, under a recording parent: the gateway's recorder, encoded to OTLP and dropped at
the sender, and the SDK's spans it replaced in issue 20), both, and a
pass-through layer that does nothing (what merging the two wrappers into one would
save). Rounds are interleaved across the variants and the median is reported, so a
neighbour's burst on the shared machine moves every variant alike.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from opentelemetry import context, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from prometheus_client import CollectorRegistry

from bench.otel_floor import Drop, DropSender
from modelgate.config import RuntimeConfig
from modelgate.providers.base import Backend, CallContext, Target
from modelgate.providers.registry import create_backend
from modelgate.telemetry.genai_metrics import GenAiMetrics
from modelgate.telemetry.metering import MeteredBackend
from modelgate.telemetry.otlp_encoding import Encoder, SpanLimitsUsed, resource_bytes, scope_bytes
from modelgate.telemetry.span_context import ParentBasedRatio
from modelgate.telemetry.span_export import SpanExport
from modelgate.telemetry.span_recorder import SpanRecorder
from modelgate.telemetry.tracing import InstrumentedBackend
from modelgate.v1 import chat_pb2, content_pb2, model_pb2

TARGET = Target(
    record=model_pb2.Model(id="echo", provider="modelgate", endpoint="http://upstream:8080"),
    upstream_name="echo",
)
STREAM_WORDS = 32
"""Echo streams one text delta per word, then its end event."""


def _messages(words: int) -> list[content_pb2.Message]:
    text = " ".join(f"w{i}" for i in range(words))
    part = content_pb2.ContentPart(text=text)
    return [content_pb2.Message(role=content_pb2.ROLE_USER, parts=[part])]


CHAT = chat_pb2.ChatRequest(model="echo", messages=_messages(3))
STREAM = chat_pb2.StreamChatRequest(model="echo", messages=_messages(STREAM_WORDS))


class PassThrough:
    """A layer that only forwards (the two calls timed here)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def chat(self, target: Target, request: Any, call: CallContext) -> Any:
        """Forward."""
        return await self._inner.chat(target, request, call)

    def stream_chat(self, target: Target, request: Any, call: CallContext) -> AsyncIterator[Any]:
        """Forward (an async generator, as every wrapper's stream is)."""
        return self._forward(self._inner.stream_chat(target, request, call))

    async def _forward(self, events: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for event in events:
            yield event


def variants(echo: Backend) -> dict[str, Any]:
    """Each wrapper composition over the same echo backend."""
    sdk = TracerProvider()
    sdk.add_span_processor(BatchSpanProcessor(Drop(), max_queue_size=1 << 16))
    limits = SpanLimitsUsed(128, None, 128, 128)
    encoder = Encoder(resource_bytes({}), scope_bytes("bench", None), limits)
    export = SpanExport(DropSender(True), encoder, max_queue=1 << 16)
    recorder = SpanRecorder(ParentBasedRatio(1.0), RandomIdGenerator(), export.submit, 128)
    metrics = GenAiMetrics(CollectorRegistry())

    def traced(inner: Any) -> Any:
        return InstrumentedBackend(inner, recorder, 0)

    def metered(inner: Any) -> Any:
        return MeteredBackend(inner, metrics)

    return {
        "bare": echo,
        "pass-through layer": PassThrough(echo),
        "metered": metered(echo),
        "traced": traced(echo),
        "traced, SDK spans": InstrumentedBackend(echo, sdk.get_tracer("bench"), 0),
        "traced + metered": traced(metered(echo)),
    }


async def per_call_us(backend: Any, stream: bool, calls: int) -> float:
    """Process CPU per call (a neighbour's load on the shared machine does not count)."""
    started = time.process_time()
    for _ in range(calls):
        if stream:
            async for _event in backend.stream_chat(TARGET, STREAM, CallContext()):
                pass
        else:
            await backend.chat(TARGET, CHAT, CallContext())
    return (time.process_time() - started) / calls * 1e6


async def measure(calls: int, rounds: int) -> dict[tuple[str, bool], float]:
    """Median us of CPU per call of every variant, unary and streamed, rounds interleaved."""
    echo = create_backend("echo", RuntimeConfig(kind="echo"))
    assert echo is not None
    runs: dict[tuple[str, bool], list[float]] = {}
    # A recording parent, as a sampled RPC's SERVER span is: the tracing wrapper records.
    parent = TracerProvider().get_tracer("bench").start_span("parent")
    token = context.attach(trace.set_span_in_context(parent))
    try:
        chosen = variants(echo)
        for backend in chosen.values():  # warm-up: first-use binding, caches, allocator
            await per_call_us(backend, False, 200)
            await per_call_us(backend, True, 200)
        for _ in range(rounds):
            for name, backend in chosen.items():
                for stream in (False, True):
                    value = await per_call_us(backend, stream, calls)
                    runs.setdefault((name, stream), []).append(value)
    finally:
        context.detach(token)
    return {key: statistics.median(values) for key, values in runs.items()}


def main(argv: list[str] | None = None, out: Callable[[str], None] = print) -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.wrapper_cost", description=__doc__)
    parser.add_argument("--calls", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    medians = asyncio.run(measure(args.calls, args.rounds))
    out("us of CPU per call (median), and what each adds to the bare echo backend;")
    out(f"streams: {STREAM_WORDS + 1} events each")
    out(f"{'variant':<20} {'chat us':>8} {'+us':>6} {'stream us':>10} {'+us':>6}")
    for name in dict.fromkeys(name for name, _ in medians):
        unary, streamed = medians[(name, False)], medians[(name, True)]
        extra_unary = unary - medians[("bare", False)]
        extra_stream = streamed - medians[("bare", True)]
        out(f"{name:<20} {unary:8.1f} {extra_unary:+6.1f} {streamed:10.1f} {extra_stream:+6.1f}")


if __name__ == "__main__":
    main()
