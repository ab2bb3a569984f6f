"""The gateway's span: the OpenTelemetry trace API's `Span`, recorded as plain fields.

The SDK's spans cost ~33 us each before any export (a lock, `BoundedAttributes` checking
every value, span processors, a `ReadableSpan` per end), which put tracing every call far
over issue 20's 10% budget. This span keeps only what the gateway uses of the API: set
attributes, status, events (and `record_exception`), end; `get_span_context` and
`is_recording`, so `trace.set_span_in_context`, `get_current_span`, the W3C propagator and
the log correlation work unchanged. At `end()` the span itself goes on the export queue
(`span_export.SpanExport`) as the record of what happened (it changes no more); limits and
encoding are applied there, off the call.

A span holds its ids as plain ints and builds its `SpanContext` only when someone asks
for it (the W3C header and the encoder read the ints): on a traced call nobody does.
`span_recorder.SpanRecorder` starts them.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import (
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)
from opentelemetry.util import types
from typing_extensions import override

from modelgate.telemetry.otlp_encoding import UNSET_STATUS
from modelgate.telemetry.span_answer import Answer, answer_attributes

log = logging.getLogger(__name__)

Submit = Callable[["RecordingSpan"], None]
_time_ns = time.time_ns
SAMPLED = TraceFlags(TraceFlags.SAMPLED)
NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)


class RecordingSpan(trace.Span):
    """A sampled (or record-only) span; `end()` hands its record to the export queue."""

    __slots__ = (
        "_context",
        "_max_events",
        "_submit",
        "answer",
        "attributes",
        "base",
        "dropped_events",
        "end_ns",
        "ended",
        "events",
        "kind",
        "name",
        "parent_id",
        "parent_remote",
        "sampled",
        "span_id",
        "start_ns",
        "status",
        "trace_id",
        "trace_state",
    )

    def __init__(  # noqa: PLR0917 (positional: a span starts on every traced call)
        self,
        name: str,
        ids: tuple[int, int, int, bool],
        trace_state: TraceState,
        kind: SpanKind,
        attributes: dict[str, Any],
        submit: Submit | None,
        max_events: int | None,
        start_ns: int,
        base: Mapping[str, Any] | None,
    ) -> None:
        self.name = name
        self.trace_id, self.span_id, self.parent_id, self.sampled = ids
        """`parent_id` is the parent's span id (0: a root)."""
        self.trace_state = trace_state
        self.parent_remote = False
        """Whether the parent came from the caller (`SpanRecorder` sets it when so)."""
        self.kind = kind
        self.start_ns = start_ns
        self.attributes = attributes
        self.base = base
        """Attributes shared by many spans (a deployment's, an RPC's), never changed,
        before `attributes`: the encoder frames such a block once. Merged into
        `attributes` as soon as one of its keys is set again."""
        self.answer: Answer | None = None
        """The upstream's answer (`set_answer`), after `attributes`: merged into them as
        soon as anything is set after it."""
        self.events: list[tuple[str, int, Mapping[str, Any] | None]] | None = None
        self.dropped_events = 0
        self.status = UNSET_STATUS
        self.end_ns = 0
        self.ended = False
        self._context: SpanContext | None = None
        self._submit = submit
        """None for a record-only span (recorded, never exported)."""
        self._max_events = max_events

    @property
    def context(self) -> SpanContext:
        """The API's view of the ids (built on first use)."""
        context = self._context
        if context is None:
            flags = SAMPLED if self.sampled else NOT_SAMPLED
            context = SpanContext(self.trace_id, self.span_id, False, flags, self.trace_state)
            self._context = context
        return context

    @property
    def parent(self) -> SpanContext | None:
        """The parent's context as the SDK's `ReadableSpan` has it (None: a root); its flags
        and state are this span's, which it inherited."""
        if not self.parent_id:
            return None
        flags = SAMPLED if self.sampled else NOT_SAMPLED
        return SpanContext(
            self.trace_id, self.parent_id, self.parent_remote, flags, self.trace_state
        )

    @override
    def get_span_context(self) -> SpanContext:
        return self.context

    @override
    def is_recording(self) -> bool:
        return not self.ended

    def _merge_base(self) -> None:
        """The shared block becomes this span's own (a key of it is set again)."""
        if self.base is not None:
            self.attributes = {**self.base, **self.attributes}
            self.base = None

    def _merge_answer(self) -> None:
        """The answer becomes attributes of the span's own (something is set after it)."""
        if self.answer is not None:
            self.attributes.update(answer_attributes(self.answer))
            self.answer = None

    @property
    def all_attributes(self) -> dict[str, Any]:
        """The shared block, this span's own and the answer's, in order (the SDK's view)."""
        merged = {**self.base, **self.attributes} if self.base else self.attributes
        if self.answer is not None:
            merged = {**merged, **answer_attributes(self.answer)}
        return merged

    @override
    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        if self.ended:
            return
        if self.answer is not None:
            self._merge_answer()
        if self.base is not None and not self.base.keys().isdisjoint(attributes):
            self._merge_base()
        own = self.attributes
        if own.keys().isdisjoint(attributes):
            own.update(attributes)
            return
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def add_new_attributes(self, attributes: Mapping[str, Any]) -> None:
        """`set_attributes` for keys the caller knows this span does not hold (an answer's):
        no check for keys set again (0.9k instructions against 5.6k, cachegrind)."""
        if not self.ended:
            if self.answer is not None:
                self._merge_answer()
            self.attributes.update(attributes)

    def set_answer(self, answer: Answer) -> None:
        """The upstream's answer attributes (`span_answer`), which the span does not hold
        yet: one tuple kept, framed from tables by the encoder."""
        if self.ended:
            return
        if self.answer is not None:  # a second answer (never in the gateway): set it key by key
            self.set_attributes(answer_attributes(answer))
            return
        self.answer = answer

    def extend_block(self, block: Mapping[str, Any], extended: Mapping[str, Any]) -> bool:
        """Swap the shared `block` for `extended` (its keys, then more) if the span started
        under `block` and holds nothing of its own: as if the extra keys had been set, but
        framed once by the encoder. False: nothing changed, set them the usual way."""
        if self.base is not block or self.attributes or self.answer is not None or self.ended:
            return False
        self.base = extended
        return True

    @override
    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        if self.ended:
            return
        if self.answer is not None:
            self._merge_answer()
        if self.base is not None and key in self.base:
            self._merge_base()
        own = self.attributes
        own.pop(key, None)  # a key set again moves to the end, as in the SDK
        own[key] = value

    @override
    def add_event(
        self,
        name: str,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
    ) -> None:
        if self.ended:
            return
        if self.events is None:
            self.events = []
        self.events.append(
            (name, _time_ns() if timestamp is None else timestamp, dict(attributes or {}))
        )
        if self._max_events is not None and len(self.events) > self._max_events:
            del self.events[0]  # the oldest goes, as in the SDK
            self.dropped_events += 1

    @override
    def update_name(self, name: str) -> None:
        if not self.ended:
            self.name = name

    @override
    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        """The SDK's rules: OK is final, UNSET changes nothing, only ERROR has a description."""
        if self.ended or self.status.status_code is StatusCode.OK:
            return
        if isinstance(status, StatusCode):
            status = Status(status, description)
        if status.status_code is StatusCode.UNSET:
            return
        self.status = status

    @override
    def record_exception(
        self,
        exception: BaseException,
        attributes: types.Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        """The SDK's `exception` event."""
        kind = type(exception)
        event: dict[str, Any] = {
            "exception.type": f"{kind.__module__}.{kind.__qualname__}"
            if kind.__module__ != "builtins"
            else kind.__qualname__,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        event.update(attributes or {})
        self.add_event("exception", event, timestamp)

    @override
    def end(self, end_time: int | None = None) -> None:
        if self.ended:
            log.warning("span %s ended twice", self.name)
            return
        self.end_ns = _time_ns() if end_time is None else end_time
        self.ended = True
        if self._submit is not None:
            self._submit(self)  # read, never changed, from here on: the span is the record
