"""The gateway's spans: the OpenTelemetry trace API, recorded as plain tuples.

The SDK's spans cost ~33 us each before any export (a lock, `BoundedAttributes` checking
every value, span processors, a `ReadableSpan` per end), which put tracing every call far
over issue 20's 10% budget. These spans keep only what the gateway uses of the API:
start with attributes under a parent context, set attributes, status, events (and
`record_exception`), end; `get_span_context` and `is_recording`, so
`trace.set_span_in_context`, `get_current_span`, the W3C propagator and the log
correlation work unchanged. At `end()` the span itself goes on the export queue
(`span_export.SpanExport`) as the record of what happened (it changes no more); limits and
encoding are applied there, off the call.

A span holds its ids as plain ints and builds its `SpanContext` only when someone asks
for it (the W3C header and the encoder read the ints): on a traced call nobody does.
`start_under` starts a child of a span already in hand, without the context lookup
`start_span` makes (the tracing wrapper has just looked the parent up).

The decisions stay the SDK's: its sampler (parent-based with the configured ratio, or
`OTEL_TRACES_SAMPLER`), its random ids and its `SpanLimits` (read from OTEL_*). Links are
not supported (the gateway makes none): a span started with links is refused.
"""

from __future__ import annotations

import logging
import random
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, Sampler
from opentelemetry.trace import (
    INVALID_SPAN,
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
)
from opentelemetry.util import types
from opentelemetry.util._decorator import _agnosticcontextmanager
from typing_extensions import override

from modelgate.telemetry.otlp_encoding import EMPTY_STATE as _EMPTY_STATE
from modelgate.telemetry.otlp_encoding import UNSET_STATUS
from modelgate.telemetry.span_context import ParentBasedRatio

log = logging.getLogger(__name__)

Submit = Callable[["RecordingSpan"], None]
_getrandbits = random.getrandbits
_time_ns = time.time_ns
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)
_NOT_SAMPLED = TraceFlags(TraceFlags.DEFAULT)


class RecordingSpan(trace.Span):
    """A sampled (or record-only) span; `end()` hands its record to the export queue."""

    __slots__ = (
        "_context",
        "_max_events",
        "_submit",
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
            flags = _SAMPLED if self.sampled else _NOT_SAMPLED
            context = SpanContext(self.trace_id, self.span_id, False, flags, self.trace_state)
            self._context = context
        return context

    @property
    def parent(self) -> SpanContext | None:
        """The parent's context as the SDK's `ReadableSpan` has it (None: a root); its flags
        and state are this span's, which it inherited."""
        if not self.parent_id:
            return None
        flags = _SAMPLED if self.sampled else _NOT_SAMPLED
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

    @property
    def all_attributes(self) -> dict[str, Any]:
        """The shared block and this span's own, in order (the SDK's view)."""
        return {**self.base, **self.attributes} if self.base else self.attributes

    @override
    def set_attributes(self, attributes: Mapping[str, types.AnyValue]) -> None:
        if self.ended:
            return
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
            self.attributes.update(attributes)

    def extend_block(self, block: Mapping[str, Any], extended: Mapping[str, Any]) -> bool:
        """Swap the shared `block` for `extended` (its keys, then more) if the span started
        under `block` and holds nothing of its own: as if the extra keys had been set, but
        framed once by the encoder. False: nothing changed, set them the usual way."""
        if self.base is not block or self.attributes or self.ended:
            return False
        self.base = extended
        return True

    @override
    def set_attribute(self, key: str, value: types.AnyValue) -> None:
        if self.ended:
            return
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


class SpanRecorder(trace.Tracer):
    """A tracer whose spans are `RecordingSpan`s (sampled) or `NonRecordingSpan`s."""

    def __init__(
        self,
        sampler: Sampler | ParentBasedRatio,
        ids: IdGenerator,
        submit: Submit,
        max_events: int | None,
    ) -> None:
        self.sampler = sampler
        self.ids = ids
        self.random_ids = type(ids) is RandomIdGenerator
        """The SDK's default ids, drawn inline from the same `random.getrandbits` (its
        generator is two Python calls per id)."""
        self.submit = submit
        self.max_events = max_events

    @override
    def start_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
    ) -> trace.Span:
        """A child of the span in `context` (else of the current one), or a new trace."""
        if links:
            raise ValueError("modelgate's spans carry no links")
        own = dict(attributes) if attributes else {}
        parent = trace.get_current_span(context)
        return self.start_under(parent, name, kind, own, start_time=start_time)

    def start_under(
        self,
        parent: trace.Span,
        name: str,
        kind: SpanKind,
        attributes: dict[str, Any],
        *,
        start_time: int | None = None,
        base: Mapping[str, Any] | None = None,
        ids_wanted: bool = True,
    ) -> trace.Span:
        """A child of `parent` (an invalid one: a new trace), taking `attributes` as its
        own (the caller hands over a fresh dict), after the shared, never changed `base`.
        `ids_wanted=False`: a span the sampler records nothing of is INVALID_SPAN, not
        one with its own ids (whose `SpanContext` alone is a dozen Python steps)."""
        if type(parent) is RecordingSpan:  # ours: its ids, no SpanContext built
            trace_id, parent_id, remote = parent.trace_id, parent.span_id, False
            parent_sampled, state = parent.sampled, parent.trace_state
        elif parent is not INVALID_SPAN and (context := parent.get_span_context()).is_valid:
            trace_id, parent_id, remote = context.trace_id, context.span_id, context.is_remote
            parent_sampled = bool(context.trace_flags & TraceFlags.SAMPLED)
            state = context.trace_state
        else:  # a new trace
            trace_id = _getrandbits(128) if self.random_ids else self.ids.generate_trace_id()
            while not trace_id:  # 0 is the invalid id (as the SDK's generator redraws)
                trace_id = self.ids.generate_trace_id()
            parent_id, remote = 0, False
            parent_sampled, state = False, _EMPTY_STATE
        sampler = self.sampler
        if isinstance(sampler, ParentBasedRatio):  # the default, decided inline
            # A child follows its parent's flag (`decide`'s first rule, read here: every
            # traced call starts a child, and a call less is ~1.5k instructions).
            sampled = recorded = parent_sampled if parent_id else sampler.decide(0, False, trace_id)
        else:
            if base:  # a sampler sees every attribute, and decides what the span keeps
                attributes, base = {**base, **attributes}, None
            decision = sampler.should_sample(
                trace.set_span_in_context(parent),
                trace_id,
                name,
                kind,
                attributes,
            )
            sampled = decision.decision is Decision.RECORD_AND_SAMPLE
            recorded = decision.decision is not Decision.DROP
            state = decision.trace_state or _EMPTY_STATE
            attributes = dict(decision.attributes)
        span_id = _getrandbits(64) if self.random_ids else self.ids.generate_span_id()
        while not span_id:
            span_id = self.ids.generate_span_id()
        if not recorded:
            if not ids_wanted:
                return INVALID_SPAN
            flags = _SAMPLED if sampled else _NOT_SAMPLED
            return NonRecordingSpan(SpanContext(trace_id, span_id, False, flags, state))
        span = RecordingSpan(
            name,
            (trace_id, span_id, parent_id, sampled),
            state,
            kind,
            attributes,
            self.submit if sampled else None,
            self.max_events,
            _time_ns() if start_time is None else start_time,
            base,
        )
        if remote:
            span.parent_remote = True
        return span

    @override
    @_agnosticcontextmanager
    def start_as_current_span(
        self,
        name: str,
        context: Context | None = None,
        kind: SpanKind = SpanKind.INTERNAL,
        attributes: types.Attributes = None,
        links: Sequence[Link] | None = None,
        start_time: int | None = None,
        record_exception: bool = True,
        set_status_on_exception: bool = True,
        end_on_exit: bool = True,
    ) -> Iterator[trace.Span]:
        """The API's context manager, over `start_span`."""
        span = self.start_span(name, context, kind, attributes, links, start_time)
        with trace.use_span(
            span,
            end_on_exit=end_on_exit,
            record_exception=record_exception,
            set_status_on_exception=set_status_on_exception,
        ) as current:
            yield current
