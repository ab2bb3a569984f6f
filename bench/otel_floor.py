"""`uv run python -m bench.otel_floor`: what the span work alone costs per traced call.

The gateway records two spans per traced call (SERVER for the RPC, CLIENT for
the upstream attempt) with the attributes it sets in production. This times
exactly that span work in a tight loop, with no gateway, no network and no
event loop: with the OpenTelemetry SDK (spans handed to a BatchSpanProcessor
whose exporter drops them, then also encoded to OTLP protobuf the way the OTLP
exporters do: the gateway before issue 20), and with the gateway's own
recorder (`modelgate.telemetry.span_recorder`: spans only, then also encoded by
`otlp_encoding` on its export thread). Set against the gateway's CPU per call
(bench scenario 6) it says whether a tracing budget is reachable at all.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import Attributes
from typing_extensions import override

from modelgate.telemetry.otlp_encoding import (
    Encoder,
    SpanLimitsUsed,
    resource_bytes,
    scope_bytes,
)
from modelgate.telemetry.span_context import ParentBasedRatio
from modelgate.telemetry.span_export import SpanExport
from modelgate.telemetry.span_record import SpanRecord
from modelgate.telemetry.span_recorder import SpanRecorder

SERVER_ATTRIBUTES = {
    "rpc.system": "grpc",
    "rpc.service": "modelgate.v1.ModelGateway",
    "rpc.method": "Chat",
    "modelgate.requested_model": "gpt-4o",
}
CLIENT_ATTRIBUTES = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "openai",
    "gen_ai.request.model": "gpt-4o",
    "modelgate.model": "gpt-4o",
}
RESULT_ATTRIBUTES: Attributes = {
    "gen_ai.usage.input_tokens": 12,
    "gen_ai.usage.output_tokens": 3,
    "gen_ai.response.id": "chatcmpl-123",
    "gen_ai.response.finish_reasons": ("stop",),
}


class Drop(SpanExporter):
    """Accepts every batch and does nothing with it."""

    @override
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Drop."""
        return SpanExportResult.SUCCESS


class Encode(SpanExporter):
    """Encodes every batch to OTLP protobuf bytes, as the OTLP exporters do, then drops it."""

    @override
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Encode and drop."""
        encode_spans(spans).SerializeToString()
        return SpanExportResult.SUCCESS


def cpu_us_per_call(exporter: SpanExporter, calls: int) -> float:
    """Process CPU per traced call, export thread included (flushed before the clock stops)."""
    provider = TracerProvider(resource=Resource.create({"service.name": "modelgate"}))
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=calls * 2))
    tracer = provider.get_tracer("modelgate")
    started = time.process_time()
    _calls(tracer, calls)
    provider.shutdown()  # flushes: the export work is counted
    return (time.process_time() - started) / calls * 1e6


def recorder_us_per_call(encode: bool, calls: int) -> float:
    """The same two spans through the gateway's recorder and export queue (dropped at the
    sender, or encoded to OTLP bytes first), flushed before the clock stops."""
    resource = Resource.create({"service.name": "modelgate"})
    limits = SpanLimitsUsed(128, None, 128, 128)
    encoder = Encoder(resource_bytes(resource.attributes), scope_bytes("modelgate", None), limits)
    export = SpanExport(DropSender(encode), encoder, max_queue=calls * 2)
    tracer = SpanRecorder(ParentBasedRatio(1.0), RandomIdGenerator(), export.submit, 128)
    started = time.process_time()
    _calls(tracer, calls)
    export.shutdown()
    return (time.process_time() - started) / calls * 1e6


class DropSender:
    """A sender that drops each batch, after encoding it when asked to."""

    def __init__(self, encode: bool) -> None:
        self.encode = encode

    def send(self, records: Sequence[SpanRecord], encoder: Encoder) -> bool:
        if self.encode:
            encoder.request(records)
        return True

    def shutdown(self) -> None:
        """Nothing held."""


def _calls(tracer: trace.Tracer, calls: int) -> None:
    for _ in range(calls):
        server = tracer.start_span(
            "modelgate.v1.ModelGateway/Chat", kind=SpanKind.SERVER, attributes=SERVER_ATTRIBUTES
        )
        token = context.attach(trace.set_span_in_context(server))
        client = tracer.start_span(
            "chat gpt-4o", kind=SpanKind.CLIENT, attributes=CLIENT_ATTRIBUTES
        )
        client.set_attributes(RESULT_ATTRIBUTES or {})
        client.end()
        server.set_attribute("rpc.grpc.status_code", 0)
        context.detach(token)
        server.end()


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.otel_floor", description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    variants: list[tuple[str, Callable[[], float]]] = [
        ("SDK: spans only", lambda: cpu_us_per_call(Drop(), args.calls)),
        ("SDK: spans + OTLP encoding", lambda: cpu_us_per_call(Encode(), args.calls)),
        ("recorder: spans only", lambda: recorder_us_per_call(False, args.calls)),
        ("recorder: spans + OTLP encoding", lambda: recorder_us_per_call(True, args.calls)),
    ]
    results: dict[str, list[float]] = {name: [] for name, _ in variants}
    for _ in range(args.rounds):  # interleaved: a busy moment hits every variant alike
        for name, measure in variants:
            results[name].append(measure())
    for name, runs in results.items():
        runs.sort()
        spread = f"{runs[0]:.1f}-{runs[-1]:.1f}"
        print(f"{name:<32} {runs[len(runs) // 2]:6.1f} us CPU per traced call (2 spans), {spread}")


if __name__ == "__main__":
    main()
