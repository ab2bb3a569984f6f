"""A loopback OpenTelemetry collector: what the gateway's OTLP exporter really sends."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from typing_extensions import override


class Receiver(trace_service_pb2_grpc.TraceServiceServicer):
    """The collector's TraceService: keeps every span it is sent."""

    def __init__(self) -> None:
        self.spans: list[Any] = []

    @override
    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        for resource_spans in request.resource_spans:
            for scope in resource_spans.scope_spans:
                self.spans.extend(scope.spans)
        return trace_service_pb2.ExportTraceServiceResponse()


@contextlib.asynccontextmanager
async def otlp_collector(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[Any]]:
    """A collector on a loopback port, named by OTEL_EXPORTER_OTLP_ENDPOINT for gateways
    started inside the block; yields the list its spans arrive in."""
    receiver = Receiver()
    server = grpc.aio.server()
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(receiver, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
    try:
        yield receiver.spans
    finally:
        await server.stop(0)
