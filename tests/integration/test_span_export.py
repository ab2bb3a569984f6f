"""The span export queue: bounded, counted when full, flushed on demand, and a shutdown
that returns within its bound while the collector hangs; both OTLP transports deliver."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from typing_extensions import override

from modelgate.redactor import REDACTOR
from modelgate.telemetry.otlp_encoding import (
    Encoder,
    SpanLimitsUsed,
    resource_bytes,
    scope_bytes,
)
from modelgate.telemetry.otlp_transport import ConsoleSender, GrpcSender, HttpSender
from modelgate.telemetry.span_export import SpanExport
from modelgate.telemetry.span_record import SpanRecord
from modelgate.telemetry.span_recorder import SpanRecorder
from tests.collector import trace_collector
from tests.waiting import eventually

NEVER_S = 3600.0
"""A schedule delay no test waits for: batches leave only when full or flushed."""


def _encoder() -> Encoder:
    limits = SpanLimitsUsed(None, None, None, None)
    return Encoder(resource_bytes({"service.name": "test"}), scope_bytes("modelgate", None), limits)


def _end_spans(export: SpanExport, count: int) -> None:
    tracer = SpanRecorder(ALWAYS_ON, RandomIdGenerator(), export.submit, None)
    for n in range(count):
        tracer.start_span(f"span {n}", attributes={"n": n}).end()


class StuckSender:
    """Takes the first batch and holds it until released: the queue behind it fills."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.batches: list[int] = []

    def send(self, records: Sequence[SpanRecord], encoder: Encoder) -> bool:
        self.entered.set()
        self.release.wait()
        self.batches.append(len(records))
        return True

    def shutdown(self) -> None:
        self.release.set()


async def test_a_full_queue_drops_and_counts_without_waiting() -> None:
    sender = StuckSender()
    export = SpanExport(sender, _encoder(), max_queue=4, batch=1, delay_s=NEVER_S)
    _end_spans(export, 1)
    await eventually(sender.entered.is_set, what="the first batch is being sent")
    _end_spans(export, 4 + 3)  # the queue holds 4; three find it full
    assert export.dropped == 3
    sender.release.set()
    assert await asyncio.to_thread(export.force_flush, 30_000)
    assert sum(sender.batches) == 1 + 4, "every queued span was sent, none of the dropped"
    await asyncio.to_thread(export.shutdown)


class Recording:
    def __init__(self) -> None:
        self.batches: list[int] = []

    def send(self, records: Sequence[SpanRecord], encoder: Encoder) -> bool:
        self.batches.append(len(records))
        return True

    def shutdown(self) -> None:
        """Nothing held."""


async def test_force_flush_sends_a_partial_batch_at_once_and_full_batches_go_unasked() -> None:
    sender = Recording()
    export = SpanExport(sender, _encoder(), max_queue=100, batch=4, delay_s=NEVER_S)
    _end_spans(export, 9)
    await eventually(lambda: sender.batches == [4, 4], what="two full batches")
    assert await asyncio.to_thread(export.force_flush, 30_000)
    assert sender.batches == [4, 4, 1]
    assert await asyncio.to_thread(export.shutdown)
    _end_spans(export, 1)
    assert export.dropped == 1, "a span ended after shutdown is dropped and counted"


class HangingCollector(trace_service_pb2_grpc.TraceServiceServicer):
    """Receives an export and never answers it (until the test ends)."""

    def __init__(self) -> None:
        self.received = 0
        self.forever = asyncio.Event()

    @override
    async def Export(
        self, request: trace_service_pb2.ExportTraceServiceRequest, context: Any
    ) -> trace_service_pb2.ExportTraceServiceResponse:
        self.received += 1
        await self.forever.wait()
        return trace_service_pb2.ExportTraceServiceResponse()


@pytest.fixture
async def hanging(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[HangingCollector]:
    collector = HangingCollector()
    async with trace_collector(monkeypatch, collector):
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", str(int(NEVER_S)))
        try:
            yield collector
        finally:
            collector.forever.set()


async def test_shutdown_returns_within_its_bound_while_the_collector_hangs(
    hanging: HangingCollector,
) -> None:
    export = SpanExport(GrpcSender(), _encoder(), batch=3, delay_s=NEVER_S)
    _end_spans(export, 3)  # a full batch: sent unasked, and never answered
    await eventually(lambda: hanging.received == 1, what="the collector got the batch")
    _end_spans(export, 2)  # queued behind the hung export
    flushed = await asyncio.to_thread(export.shutdown, 200)
    assert flushed is False, "nothing was answered: the flush is reported as not done"
    assert not hanging.forever.is_set(), "shutdown returned by its bound alone"
    await eventually(lambda: not export.exporting, what="the export thread has stopped")
    assert export.failed == 3 + 2, "the hung batch (cancelled by the closed channel) and the rest"


async def test_the_http_transport_delivers_batches_a_receiver_parses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received: list[trace_service_pb2.ExportTraceServiceRequest] = []
    tenants: list[str | None] = []

    async def traces(request: web.Request) -> web.Response:
        body = await request.read()
        tenants.append(request.headers.get("x-tenant"))
        received.append(trace_service_pb2.ExportTraceServiceRequest.FromString(body))
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=answer, content_type="application/x-protobuf")

    app = web.Application()
    app.add_routes([web.post("/v1/traces", traces)])
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", "x-tenant=acme")
    try:
        export = SpanExport(HttpSender(), _encoder(), delay_s=NEVER_S)
        _end_spans(export, 5)
        assert await asyncio.to_thread(export.force_flush, 30_000)
        await asyncio.to_thread(export.shutdown)
    finally:
        await runner.cleanup()
    (request,) = received
    assert tenants == ["acme"], "the exporter's headers setting reaches the receiver"
    (resource_spans,) = request.resource_spans
    assert resource_spans.resource.attributes[0].value.string_value == "test"
    spans = resource_spans.scope_spans[0].spans
    assert [s.name for s in spans] == [f"span {n}" for n in range(5)]
    assert resource_spans.scope_spans[0].scope.name == "modelgate"


async def test_the_console_shows_the_sdks_view_of_each_span_redacted() -> None:
    secret = "sk-console-secret-0123456789abcdef"
    REDACTOR.hold([secret])
    resource = Resource.create({"service.name": "test"})
    console = io.StringIO()
    sender = ConsoleSender(resource, InstrumentationScope("modelgate"), console)
    export = SpanExport(sender, _encoder(), delay_s=NEVER_S)
    tracer = SpanRecorder(ALWAYS_ON, RandomIdGenerator(), export.submit, None)
    tracer.start_span("chat gpt-4o", attributes={"note": f"key {secret}"}).end()
    assert await asyncio.to_thread(export.force_flush, 30_000)
    await asyncio.to_thread(export.shutdown)
    printed = json.loads(console.getvalue())
    assert printed["name"] == "chat gpt-4o"
    assert printed["attributes"] == {"note": "key [redacted]"}
    assert printed["resource"]["attributes"]["service.name"] == "test"


@pytest.mark.parametrize("value", ["many", "0", "-5"])
def test_a_batch_setting_that_is_not_a_positive_integer_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("OTEL_BSP_MAX_QUEUE_SIZE", value)
    with pytest.raises(ValueError, match="OTEL_BSP_MAX_QUEUE_SIZE"):
        SpanExport(Recording(), _encoder())


@pytest.mark.parametrize(
    ("endpoint", "proxy", "transport"),
    [
        ("http://127.0.0.1:4318", "", "HttpClientTransport"),
        ("https://collector.example:4318", "", "RequestsHTTPTransport"),
        ("http://collector.example:4318", "http://proxy.example:3128", "RequestsHTTPTransport"),
    ],
)
def test_only_plain_unproxied_http_leaves_requests(
    monkeypatch: pytest.MonkeyPatch, endpoint: str, proxy: str, transport: str
) -> None:
    """HTTPS keeps `requests`' CA bundle and TLS files, a proxy variable keeps its proxy."""
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    if proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy)
    sender = HttpSender()
    client: Any = sender.exporter._client
    assert type(client._transport).__name__ == transport
    sender.shutdown()
