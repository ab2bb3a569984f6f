"""Spans leave the process without any secret the gateway holds.

A SpanProcessor cannot do this (a span is read-only once ended), so the exporter
is wrapped: it runs on the export thread, never on a traced call. Spans with
nothing to redact, nearly all of them, are passed on as they are; the others are
copied with their texts redacted (names, string attributes, event and link
attributes, the status description). A redacted copy reports no dropped
attributes, events or links.

Measured (timeit): 2.1 us per span of 10 short attributes with nothing to redact,
against 35 us the SDK itself spends on a traced call's two spans.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status
from typing_extensions import override

from modelgate.redactor import redact


class RedactingExporter(SpanExporter):
    """Passes spans to `inner` with every held secret cut out."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    @override
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return self.inner.export([redacted_span(span) for span in spans])

    @override
    def shutdown(self) -> None:
        self.inner.shutdown()

    @override
    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _value(value: Any) -> Any:
    """The attribute value redacted, or the very same object when there was nothing to cut."""
    if isinstance(value, str):
        clean = redact(value)
        return value if clean == value else clean
    if isinstance(value, (tuple, list)) and any(isinstance(item, str) for item in value):
        items = tuple(_value(item) for item in value)
        unchanged = all(new is old for new, old in zip(items, value, strict=True))
        return value if unchanged else items
    return value


def _attributes(attributes: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Redacted attributes, or the same mapping when nothing changed."""
    if not attributes:
        return attributes
    clean = {key: _value(value) for key, value in attributes.items()}
    if all(clean[key] is value for key, value in attributes.items()):
        return attributes
    return clean


def redacted_span(span: ReadableSpan) -> ReadableSpan:
    """`span` itself when it holds no secret, else a copy with the secrets cut out."""
    name = _value(span.name)
    attributes = _attributes(span.attributes)
    events = [(e, _value(e.name), _attributes(e.attributes)) for e in span.events]
    links = [(link, _attributes(link.attributes)) for link in span.links]
    description = span.status.description
    clean_description = _value(description) if description else description
    if (
        name is span.name
        and attributes is span.attributes
        and all(n is e.name and a is e.attributes for e, n, a in events)
        and all(a is link.attributes for link, a in links)
        and clean_description is description
    ):
        return span
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=[
            e if n is e.name and a is e.attributes else Event(n, a, e.timestamp)
            for e, n, a in events
        ],
        links=[link if a is link.attributes else Link(link.context, a) for link, a in links],
        kind=span.kind,
        status=Status(span.status.status_code, clean_description),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
