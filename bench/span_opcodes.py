"""`uv run python -m bench.span_opcodes`: Python bytecodes a traced call runs, by function.

Throughput on the shared 2-core machine swings 10-20% between rounds and instruction
counts need valgrind; a count of bytecodes is exact and the same on every run and machine
(for one Python version). It covers only the Python steps tracing adds, not the C work
under them (allocation, `struct`, aiohttp's header handling, grpc's metadata), which is
why it is a guide to where the recording's steps go, beside `bench.instructions`.

One traced Chat call here is what the gateway runs for it on its event loop: the
middleware's SERVER span (`RpcMiddleware._begin` and `_end`, a caller without trace
context), the CLIENT span around an upstream that answers at once
(`InstrumentedBackend.chat`, an answer with usage and new ids, as real upstreams give);
then, on the export thread, its two spans' share of a 512-span `Encoder.request`.
Caches are warm (100 calls first), as in a serving gateway.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

from modelgate.providers.base import CallContext, Target
from modelgate.telemetry.middleware import RpcMiddleware
from modelgate.telemetry.otlp_encoding import Encoder, SpanLimitsUsed, resource_bytes, scope_bytes
from modelgate.telemetry.span_attributes import UNIQUE_PER_CALL
from modelgate.telemetry.span_context import ParentBasedRatio
from modelgate.telemetry.span_record import SpanRecord
from modelgate.telemetry.span_recorder import SpanRecorder
from modelgate.telemetry.tracing import InstrumentedBackend
from modelgate.v1 import chat_pb2, model_pb2

BATCH = 512
"""Spans per export (`OTEL_BSP_MAX_EXPORT_BATCH_SIZE`'s default)."""
TARGET = Target(
    record=model_pb2.Model(id="gpt-4o", provider="openai", endpoint="http://127.0.0.1:40000/v1"),
    upstream_name="gpt-4o",
)
REQUEST = chat_pb2.ChatRequest(model="gpt-4o")
_serial = itertools.count()


class _Context:
    """The grpc.aio servicer context as the middleware reads it on a call without trace
    context."""

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return (("user-agent", "grpc-python/1.7 grpc-c/4"),)


class _Upstream:
    """A backend that answers at once, with new ids on every call."""

    runtime = "openai"

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        serial = next(_serial)
        answer = chat_pb2.ChatResponse(
            id=call.response_id,
            model="gpt-4o",
            provider_response_id=f"chatcmpl-{serial:024x}",
            raw_finish_reason="stop",
        )
        answer.usage.input_tokens, answer.usage.output_tokens = 12, 9
        return answer


def _attempt() -> CallContext:
    """An attempt of a new call: its response id is new, as the gateway's are."""
    return CallContext(attempt=1, response_id=f"resp_{next(_serial):024x}")


class Counter:
    """Bytecodes executed, by `module:function`, while `run` runs; this module's own (the
    harness and the instant upstream, which run with tracing off too) are left out."""

    def __init__(self) -> None:
        self.counts: collections.Counter[str] = collections.Counter()

    def _trace(self, frame: FrameType, event: str, arg: Any) -> Any:
        frame.f_trace_opcodes = True
        code = frame.f_code
        if event == "opcode" and code.co_filename != __file__:
            self.counts[f"{code.co_filename.rsplit('/', 1)[-1]}:{code.co_name}"] += 1
        return self._trace

    def run(self, work: Callable[[Any], object], arguments: list[Any]) -> None:
        """`work(argument)` for each of `arguments`, counted."""
        sys.settrace(self._trace)
        try:
            for argument in arguments:
                work(argument)
        finally:
            sys.settrace(None)


def _traced_call(
    middleware: RpcMiddleware, backend: InstrumentedBackend, attempt: CallContext
) -> None:
    """One Chat call's recording: the SERVER span around the CLIENT span's upstream call
    (`attempt` made by the caller: the router makes it with tracing off too)."""
    context: Any = _Context()
    call = middleware._begin("Chat", REQUEST, context)
    upstream = backend.chat(TARGET, REQUEST, attempt)
    try:
        upstream.send(None)
    except StopIteration as done:
        answer = done.value
    else:
        raise RuntimeError("the instant upstream suspended")
    middleware._end(call, context, None, answer)


def _report(title: str, counter: Counter, per: int, top: int) -> float:
    total = sum(counter.counts.values()) / per
    print(f"{title}: {total:,.0f} bytecodes per call")
    for name, count in counter.counts.most_common(top):
        print(f"  {count / per:8.1f}  {name}")
    return total


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.span_opcodes", description=__doc__)
    parser.add_argument("--calls", type=int, default=20, help="calls counted on the loop")
    parser.add_argument("--top", type=int, default=20, help="functions listed per part")
    args = parser.parse_args()
    records: list[SpanRecord] = []
    recorder = SpanRecorder(ParentBasedRatio(1.0), RandomIdGenerator(), records.append, 128)
    middleware = RpcMiddleware(tracer=recorder, metrics=None, known_model=lambda _: True)
    backend = InstrumentedBackend(_Upstream(), recorder, 0)  # type: ignore[arg-type]
    limits = SpanLimitsUsed(128, None, 128, 128)
    encoder = Encoder(
        resource_bytes({"service.name": "modelgate"}),
        scope_bytes("modelgate", None),
        limits,
        UNIQUE_PER_CALL,
    )
    for _ in range(100):  # warm: specialised bytecode, the encoder's caches
        _traced_call(middleware, backend, _attempt())
    encoder.request(records)
    records.clear()

    loop = Counter()
    attempts = [_attempt() for _ in range(args.calls)]
    loop.run(lambda attempt: _traced_call(middleware, backend, attempt), attempts)
    spans_per_call = len(records) // args.calls
    while len(records) < BATCH:
        _traced_call(middleware, backend, _attempt())
    export = Counter()
    export.run(encoder.request, [records[:BATCH]])
    calls_in_batch = BATCH // spans_per_call
    on_loop = _report("event loop (SERVER + CLIENT span)", loop, args.calls, args.top)
    exported = _report(f"export thread ({spans_per_call} spans)", export, calls_in_batch, args.top)
    print(f"a traced call: {on_loop + exported:,.0f} bytecodes ({sys.version.split()[0]})")


if __name__ == "__main__":
    main()
