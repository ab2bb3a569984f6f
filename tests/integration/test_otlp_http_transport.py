"""OTLP/HTTP over one kept-alive `http.client` connection, against a real aiohttp receiver:
batches arrive when the receiver closes connections after each answer or while idle, a
hung receiver cannot hold a shutdown past its bound, and only plain HTTP is taken."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON

from modelgate.telemetry.otlp_encoding import Encoder, SpanLimitsUsed, resource_bytes, scope_bytes
from modelgate.telemetry.otlp_http_transport import HttpClientTransport
from modelgate.telemetry.otlp_transport import HttpSender
from modelgate.telemetry.span_export import SpanExport
from modelgate.telemetry.span_recorder import SpanRecorder
from tests.waiting import eventually

NEVER_S = 3600.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _export() -> SpanExport:
    limits = SpanLimitsUsed(None, None, None, None)
    encoder = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits)
    return SpanExport(HttpSender(), encoder, delay_s=NEVER_S)


def _end_spans(export: SpanExport, count: int) -> None:
    tracer = SpanRecorder(ALWAYS_ON, RandomIdGenerator(), export.submit, None)
    for n in range(count):
        tracer.start_span(f"span {n}").end()


@asynccontextmanager
async def receiver(
    monkeypatch: pytest.MonkeyPatch, handler: Handler, keepalive_s: float = 75.0
) -> AsyncIterator[None]:
    app = web.Application()
    app.add_routes([web.post("/v1/traces", handler)])
    runner = web.AppRunner(app, keepalive_timeout=keepalive_s)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{runner.addresses[0][1]}")
    try:
        yield
    finally:
        await runner.cleanup()


def _counting(spans: list[int], *, close: bool = False) -> Handler:
    async def traces(request: web.Request) -> web.Response:
        body = trace_service_pb2.ExportTraceServiceRequest.FromString(await request.read())
        spans.append(len(body.resource_spans[0].scope_spans[0].spans))
        answer = web.Response(
            body=trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        )
        if close:
            answer.force_close()  # "Connection: close": the next batch needs a new connection
        return answer

    return traces


@pytest.mark.parametrize("close", [False, True], ids=["kept-alive", "closed-after-each"])
async def test_every_batch_arrives_over_a_kept_or_a_closed_connection(
    monkeypatch: pytest.MonkeyPatch, close: bool
) -> None:
    spans: list[int] = []
    async with receiver(monkeypatch, _counting(spans, close=close)):
        export = _export()
        for count in (3, 1, 2):
            _end_spans(export, count)
            assert await asyncio.to_thread(export.force_flush, 30_000)
        await asyncio.to_thread(export.shutdown)
    assert spans == [3, 1, 2]
    assert export.failed == 0


async def test_a_connection_the_receiver_closed_while_idle_is_replaced_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The receiver drops idle connections after 50 ms; the next POST finds the kept one
    closed, and the exporter's immediate retry (no backoff) sends it on a new one."""
    spans: list[int] = []
    async with receiver(monkeypatch, _counting(spans), keepalive_s=0.05):
        export = _export()
        _end_spans(export, 2)
        assert await asyncio.to_thread(export.force_flush, 30_000)
        await asyncio.sleep(0.3)  # > the receiver's keep-alive: it closes the connection
        _end_spans(export, 1)
        assert await asyncio.to_thread(export.force_flush, 30_000)
        await asyncio.to_thread(export.shutdown)
    assert spans == [2, 1]
    assert export.failed == 0


async def test_a_busy_receivers_retry_after_is_read_and_the_batch_sent_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """503 with `Retry-After: 0` (its header read case-insensitively), then the answer."""
    spans: list[int] = []
    refused: list[int] = []
    answer = _counting(spans)

    async def busy_once(request: web.Request) -> web.StreamResponse:
        if not refused:
            refused.append(503)
            await request.read()
            return web.Response(status=503, headers={"Retry-After": "0"})
        return await answer(request)

    async with receiver(monkeypatch, busy_once):
        export = _export()
        _end_spans(export, 2)
        assert await asyncio.to_thread(export.force_flush, 30_000)
        await asyncio.to_thread(export.shutdown)
    assert refused == [503]
    assert spans == [2], "sent again after the 503"


async def test_shutdown_wakes_a_post_the_receiver_never_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    received = asyncio.Event()
    forever = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await request.read()
        received.set()
        await forever.wait()
        return web.Response()

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", str(int(NEVER_S)))
    async with receiver(monkeypatch, hang):
        export = _export()
        _end_spans(export, 2)
        flushing = asyncio.ensure_future(asyncio.to_thread(export.force_flush, 60_000))
        await asyncio.wait_for(received.wait(), 30)
        assert await asyncio.to_thread(export.shutdown, 200) is False
        await eventually(lambda: not export.exporting, what="the POST was woken, the thread ended")
        assert await flushing is False
        assert not forever.is_set(), "the receiver never answered"
        forever.set()
    assert export.failed == 2


@pytest.mark.parametrize("endpoint", ["https://collector:4318", "collector:4318", "http://"])
def test_only_a_plain_http_endpoint_is_taken(endpoint: str) -> None:
    with pytest.raises(ValueError, match="plain-HTTP"):
        HttpClientTransport(endpoint)
