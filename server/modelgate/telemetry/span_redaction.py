"""Spans leave the process without any secret the gateway holds.

A SpanProcessor cannot do this (a span is read-only once ended), so the exporter
is wrapped: it runs on the export thread, never on a traced call. Spans with
nothing to redact, nearly all of them, are passed on as they are; the others are
copied with their texts redacted (names, string attributes, event and link
attributes, the status description). A redacted copy reports no dropped
attributes, events or links.

Measured (timeit, interleaved, best of 15 on a loaded 2-core machine): 11-14 us for a
CLIENT span of ten GenAI attributes with nothing to redact, against 38-41 us the SDK
spends starting and ending that span; paid on the export thread, not the traced call.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Link, Status
from typing_extensions import override

from modelgate.redactor import REDACTOR


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
        return REDACTOR(value)  # `value` itself when it holds no secret
    if not isinstance(value, (tuple, list)):
        return value
    items = [REDACTOR(item) if isinstance(item, str) else item for item in value]
    if all(map(operator.is_, items, value)):
        return value
    return tuple(items)


def _attributes(attributes: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """Redacted attributes, or the same mapping when nothing changed (one pass, no copy)."""
    if not attributes:
        return attributes
    changed: dict[str, Any] | None = None
    for key, value in attributes.items():
        clean = _value(value)
        if clean is not value:
            if changed is None:
                changed = dict(attributes)
            changed[key] = clean
    return attributes if changed is None else changed


def _event(event: Event) -> Event:
    name, attributes = _value(event.name), _attributes(event.attributes)
    if name is event.name and attributes is event.attributes:
        return event
    return Event(name, attributes, event.timestamp)


def _link(link: Link) -> Link:
    attributes = _attributes(link.attributes)
    return link if attributes is link.attributes else Link(link.context, attributes)


def redacted_span(span: ReadableSpan) -> ReadableSpan:
    """`span` itself when it holds no secret, else a copy with the secrets cut out."""
    name = _value(span.name)
    original = span.attributes  # a fresh read-only view on every access: compare this one
    attributes = _attributes(original)
    events, links = span.events, span.links
    clean_events = [_event(event) for event in events] if events else events
    clean_links = [_link(link) for link in links] if links else links
    description = span.status.description
    clean_description = _value(description) if description else description
    if (
        name is span.name
        and attributes is original
        and all(map(operator.is_, clean_events, events))
        and all(map(operator.is_, clean_links, links))
        and clean_description is description
    ):
        return span
    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=attributes,
        events=clean_events,
        links=clean_links,
        kind=span.kind,
        status=Status(span.status.status_code, clean_description),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
