"""`uv run python -m bench.otel_floor`: what the OpenTelemetry SDK alone costs per call.

The gateway records two spans per traced call (SERVER for the RPC, CLIENT for
the upstream attempt) with the attributes it sets in production. This times
exactly that span work in a tight loop, with no gateway, no network and no
event loop, in two variants: spans handed to a BatchSpanProcessor whose
exporter drops them, and the same spans also encoded to OTLP protobuf the way
the OTLP exporters do. It is the floor any gateway built on the Python SDK
pays per traced call; set against the gateway's CPU per call (bench
scenario 6) it says whether a tracing budget is reachable at all.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import Attributes
from typing_extensions import override

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
    provider.shutdown()  # flushes: the export work is counted
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.otel_floor", description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for name, exporter in (
        ("spans only (exporter drops)", Drop),
        ("spans + OTLP encoding", Encode),
    ):
        runs = sorted(cpu_us_per_call(exporter(), args.calls) for _ in range(args.rounds))
        print(f"{name:<30} {runs[len(runs) // 2]:6.1f} us of CPU per traced call (2 spans)")


if __name__ == "__main__":
    main()
