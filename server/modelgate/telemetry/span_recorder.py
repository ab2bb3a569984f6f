"""The gateway's tracer: the OpenTelemetry trace API's `Tracer`, starting `RecordingSpan`s.

`start_under` starts a child of a span already in hand, without the context lookup
`start_span` makes (the tracing wrapper has just looked the parent up); `start_root` and
`start_child` are its two usual cases, decided inline (a new trace's SERVER span, an
upstream attempt's CLIENT span under it).

The decisions stay the SDK's: its sampler (parent-based with the configured ratio, or
`OTEL_TRACES_SAMPLER`), its random ids and its `SpanLimits` (read from OTEL_*). Links are
not supported (the gateway makes none): a span started with links is refused.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping, Sequence
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
    TraceFlags,
)
from opentelemetry.util import types
from opentelemetry.util._decorator import _agnosticcontextmanager
from typing_extensions import override

from modelgate.telemetry.otlp_encoding import EMPTY_STATE as _EMPTY_STATE
from modelgate.telemetry.recording_span import NOT_SAMPLED, SAMPLED, RecordingSpan, Submit
from modelgate.telemetry.span_context import ParentBasedRatio

_getrandbits = random.getrandbits
_time_ns = time.time_ns


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
        self.inline: ParentBasedRatio | None = (
            sampler if isinstance(sampler, ParentBasedRatio) and self.random_ids else None
        )
        """The default sampler when the ids are the SDK's default too: `start_root` and
        `start_child` decide inline (else they go through `start_under`)."""
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
            flags = SAMPLED if sampled else NOT_SAMPLED
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

    def start_root(
        self, name: str, kind: SpanKind, base: Mapping[str, Any]
    ) -> RecordingSpan | None:
        """A new trace's root span under the shared block `base`, or None when the sampler
        records nothing of it: `start_under(INVALID_SPAN, ..., ids_wanted=False)` without
        its parent checks, for a call no caller's context came with (most calls)."""
        sampler = self.inline
        if sampler is None:
            span = self.start_under(INVALID_SPAN, name, kind, {}, base=base, ids_wanted=False)
            return span if type(span) is RecordingSpan else None
        trace_id = _getrandbits(128)
        while not trace_id:  # 0 is the invalid id (as the SDK's generator redraws)
            trace_id = _getrandbits(128)
        if not sampler.decide(0, False, trace_id):
            return None
        span_id = _getrandbits(64)
        while not span_id:
            span_id = _getrandbits(64)
        return RecordingSpan(
            name, (trace_id, span_id, 0, True), _EMPTY_STATE, kind, {}, self.submit,
            self.max_events, _time_ns(), base,
        )  # fmt: skip

    def start_child(
        self, parent: RecordingSpan, name: str, kind: SpanKind, attributes: dict[str, Any],
        base: Mapping[str, Any],
    ) -> trace.Span:  # fmt: skip
        """`start_under` a span of ours: with the default sampler and ids, the child follows
        its parent's flag and state without `start_under`'s checks (every traced upstream
        attempt starts one)."""
        if self.inline is None:
            return self.start_under(parent, name, kind, attributes, base=base)
        span_id = _getrandbits(64)
        while not span_id:
            span_id = _getrandbits(64)
        sampled = parent.sampled
        return RecordingSpan(
            name, (parent.trace_id, span_id, parent.span_id, sampled), parent.trace_state,
            kind, attributes, self.submit if sampled else None, self.max_events, _time_ns(),
            base,
        )  # fmt: skip

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
