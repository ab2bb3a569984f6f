"""What the OTLP encoder reads of an ended span: the record `recording_span.RecordingSpan`
is, handed to the export as it is (no copy on the traced call)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from opentelemetry.trace import SpanContext, SpanKind, Status, TraceState

from modelgate.telemetry.span_answer import Answer


class SpanRecord(Protocol):
    """What the encoder reads of an ended span (`recording_span.RecordingSpan`, which is
    handed over as it is: no copy on the traced call)."""

    @property
    def name(self) -> str: ...
    @property
    def trace_id(self) -> int: ...
    @property
    def span_id(self) -> int: ...
    @property
    def trace_state(self) -> TraceState: ...
    @property
    def parent_id(self) -> int:
        """0: a root span."""
        ...

    @property
    def parent_remote(self) -> bool: ...
    @property
    def context(self) -> SpanContext:
        """The ids as the API has them (built on demand: the console's view, not the
        encoder's)."""
        ...

    @property
    def parent(self) -> SpanContext | None: ...
    @property
    def kind(self) -> SpanKind: ...
    @property
    def start_ns(self) -> int: ...
    @property
    def end_ns(self) -> int: ...
    @property
    def attributes(self) -> Mapping[str, Any]: ...
    @property
    def base(self) -> Mapping[str, Any] | None:
        """Attributes shared by many spans, never changed, before `attributes`."""
        ...

    @property
    def answer(self) -> Answer | None:
        """The upstream's answer attributes as one tuple (`span_answer`), after the rest."""
        ...

    @property
    def all_attributes(self) -> Mapping[str, Any]: ...
    @property
    def events(self) -> Sequence[tuple[str, int, Mapping[str, Any] | None]] | None: ...
    @property
    def dropped_events(self) -> int: ...
    @property
    def status(self) -> Status: ...
