"""A loopback OpenTelemetry collector: what the gateway's OTLP exporter really sends."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
import pytest
from opentelemetry.proto.collector.metrics.v1 import (
    metrics_service_pb2,
    metrics_service_pb2_grpc,
)
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
async def _loopback(add: Callable[[grpc.aio.Server], None]) -> AsyncIterator[int]:
    """A gRPC server with the servicer `add` puts on it, on a loopback port it yields."""
    server = grpc.aio.server()
    add(server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        yield port
    finally:
        await server.stop(0)


@contextlib.asynccontextmanager
async def trace_collector(
    monkeypatch: pytest.MonkeyPatch, servicer: trace_service_pb2_grpc.TraceServiceServicer
) -> AsyncIterator[int]:
    """`servicer` as the collector's TraceService on a loopback port (yielded), named by
    OTEL_EXPORTER_OTLP_ENDPOINT for gateways and exporters started inside the block."""
    add = trace_service_pb2_grpc.add_TraceServiceServicer_to_server
    async with _loopback(lambda server: add(servicer, server)) as port:  # type: ignore[no-untyped-call]
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
        yield port


@contextlib.asynccontextmanager
async def otlp_collector(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[Any]]:
    """A collector on a loopback port, named by OTEL_EXPORTER_OTLP_ENDPOINT for gateways
    started inside the block; yields the list its spans arrive in."""
    receiver = Receiver()
    async with trace_collector(monkeypatch, receiver):
        yield receiver.spans


class MetricsReceiver(metrics_service_pb2_grpc.MetricsServiceServicer):
    """The collector's MetricsService: keeps every batch it is sent."""

    def __init__(self) -> None:
        self.batches: list[metrics_service_pb2.ExportMetricsServiceRequest] = []

    @override
    async def Export(
        self, request: metrics_service_pb2.ExportMetricsServiceRequest, context: Any
    ) -> metrics_service_pb2.ExportMetricsServiceResponse:
        self.batches.append(request)
        return metrics_service_pb2.ExportMetricsServiceResponse()


@contextlib.asynccontextmanager
async def otlp_metrics_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[list[metrics_service_pb2.ExportMetricsServiceRequest]]:
    """As `otlp_collector`, for metrics: yields the list the pushed batches arrive in."""
    receiver = MetricsReceiver()
    add = metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server
    async with _loopback(lambda server: add(receiver, server)) as port:  # type: ignore[no-untyped-call]
        # The metrics-only variables: tracing stays off (OTEL_EXPORTER_OTLP_ENDPOINT turns it on).
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_METRICS_INSECURE", "true")
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_PROTOCOL", raising=False)
        yield receiver.batches
