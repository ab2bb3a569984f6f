"""Where span batches go: the OTLP exporters' own transports, or the console.

The SDK's OTLP exporters read the whole OTEL_EXPORTER_OTLP_* surface (endpoint, headers,
TLS files, compression, timeout) and retry within their timeout; writing that again would
be a second source for the same settings. So the exporters are built as before and only
their encoding step is skipped: the gRPC exporter is given the request this process
encoded (its `_translate_data` hook, which its own span exporter implements the same way),
the HTTP exporter's client is given the bytes. `uv.lock` pins the exporter version these
hooks were read from; the tests send through both to a real receiver.
The console (a developer's view) gets the SDK's `ReadableSpan`s, redacted as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
    OTLPSpanExporter as GrpcSpanExporter,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExportResult
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from typing_extensions import override

from modelgate.telemetry.otlp_encoding import Encoder
from modelgate.telemetry.otlp_http_transport import HttpClientTransport
from modelgate.telemetry.span_record import SpanRecord
from modelgate.telemetry.span_redaction import RedactingExporter


class _Encoded:
    """A batch this process encoded, as the gRPC exporter's `_export` is handed it."""

    def __init__(self, body: bytes, spans: int) -> None:
        self.body = body
        self.spans = spans


class _PreEncodedGrpcExporter(GrpcSpanExporter):
    """The SDK's OTLP/gRPC span exporter, fed requests encoded elsewhere."""

    @override
    def _translate_data(self, data: Any) -> ExportTraceServiceRequest:
        if isinstance(data, _Encoded):
            return ExportTraceServiceRequest.FromString(data.body)
        return super()._translate_data(data)

    @override
    def _count_data(self, data: Any) -> int:
        return data.spans if isinstance(data, _Encoded) else super()._count_data(data)


class GrpcSender:
    """OTLP/gRPC."""

    def __init__(self) -> None:
        self.exporter = _PreEncodedGrpcExporter()

    def send(self, records: Sequence[SpanRecord], encoder: Encoder) -> bool:
        """One Export call (retried by the exporter within its timeout)."""
        batch: Any = _Encoded(encoder.request(records), len(records))
        return bool(self.exporter._export(batch) == SpanExportResult.SUCCESS)

    def shutdown(self) -> None:
        """Abort retries, close the channel (which cancels a hung Export)."""
        self.exporter.shutdown()


class HttpSender:
    """OTLP/HTTP (protobuf).

    The exporter resolves every setting (endpoint, headers, compression, timeout, retries,
    TLS files) and retries within its timeout. To a plain-HTTP endpoint that no proxy
    variable covers (a collector beside the gateway), its POST goes over one kept-alive
    `http.client` connection (`otlp_http_transport`) instead of `requests` on top of
    urllib3: `requests` took 1.1 ms of CPU per 350 KB batch, urllib3 0.58 ms, `http.client`
    about half of urllib3's, on the thread that shares the GIL with the event loop. HTTPS
    and proxied endpoints keep `requests`, whose CA bundle and proxy settings they rely on.
    """

    def __init__(self) -> None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpSpanExporter,
        )
        from requests.utils import get_environ_proxies

        self.exporter = HttpSpanExporter()
        client: Any = self.exporter._client
        endpoint: str = client._endpoint
        if endpoint.startswith("http://") and not get_environ_proxies(endpoint):
            client._transport.close()
            client._transport = HttpClientTransport(endpoint)

    def send(self, records: Sequence[SpanRecord], encoder: Encoder) -> bool:
        """One POST (retried by the exporter's client within its timeout)."""
        exporter: Any = self.exporter
        body = encoder.request(records)
        limit = exporter._max_request_size
        if limit > 0 and len(body) > limit:
            return False  # as the exporter does: the batch is dropped (counted as failed)
        return bool(exporter._client.export(body).success)

    def shutdown(self) -> None:
        """Abort retries."""
        self.exporter.shutdown()  # type: ignore[no-untyped-call]


def otlp_sender() -> GrpcSender | HttpSender:
    """The OTLP protocol OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL names (gRPC by default)."""
    protocol = os.environ.get(
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
    )
    return HttpSender() if protocol.startswith("http") else GrpcSender()


def readable_span(
    record: SpanRecord, resource: Resource, scope: InstrumentationScope
) -> ReadableSpan:
    """The SDK's view of a recorded span (for the SDK's exporters)."""
    events = [Event(name, attributes, time_ns) for name, time_ns, attributes in record.events or ()]
    return ReadableSpan(
        name=record.name,
        context=record.context,
        parent=record.parent,
        resource=resource,
        attributes=record.all_attributes,
        events=events,
        kind=record.kind,
        status=record.status,
        start_time=record.start_ns,
        end_time=record.end_ns,
        instrumentation_scope=scope,
    )


class ConsoleSender:
    """The SDK's console exporter, spans redacted as before (a developer's view: its cost
    does not matter)."""

    def __init__(
        self, resource: Resource, scope: InstrumentationScope, out: TextIO | None = None
    ) -> None:
        self.resource = resource
        self.scope = scope
        self.exporter = RedactingExporter(ConsoleSpanExporter(out=out or sys.stdout))

    def send(self, records: Sequence[SpanRecord], encoder: Encoder) -> bool:
        """Print the batch."""
        spans = [readable_span(record, self.resource, self.scope) for record in records]
        return self.exporter.export(spans) == SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        """Nothing held."""
        self.exporter.shutdown()
