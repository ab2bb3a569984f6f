"""The recorder decides as the SDK did: parent-based sampling with the configured ratio,
a caller's W3C context continued (trace state included), unsampled spans never queued."""

from __future__ import annotations

from types import MappingProxyType

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, TraceIdRatioBased
from opentelemetry.trace import (
    INVALID_SPAN,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    TraceFlags,
    TraceState,
)
from typing_extensions import override

from modelgate.telemetry import span_recorder
from modelgate.telemetry.otlp_encoding import EMPTY_STATE as _EMPTY_STATE
from modelgate.telemetry.recording_span import RecordingSpan
from modelgate.telemetry.span_context import ParentBasedRatio, traceparent_headers
from modelgate.telemetry.span_record import SpanRecord
from modelgate.telemetry.span_recorder import SpanRecorder
from modelgate.telemetry.tracing import W3C

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"
LOW, HIGH = 0x10, 0xFFFF_FFFF_FFFF_FFF0
"""Trace ids whose lower 64 bits fall below and above half of the id space."""


class FixedTraceIds(IdGenerator):
    """Hands out the given trace ids in order (the ratio sampler decides by trace id)."""

    def __init__(self, *trace_ids: int) -> None:
        self.trace_ids = list(trace_ids)
        self.span_id = 0

    @override
    def generate_span_id(self) -> int:
        self.span_id += 1
        return self.span_id

    @override
    def generate_trace_id(self) -> int:
        return self.trace_ids.pop(0)


def _recorder(ratio: float, *trace_ids: int) -> tuple[SpanRecorder, list[SpanRecord]]:
    records: list[SpanRecord] = []
    sampler = ParentBasedRatio(ratio)  # the default; the SDK's agrees (below)
    return SpanRecorder(sampler, FixedTraceIds(*trace_ids), records.append, None), records


def _caller(flags: str, state: str = "") -> dict[str, str]:
    carrier = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-{flags}"}
    if state:
        carrier["tracestate"] = state
    return carrier


def test_root_traces_are_sampled_by_the_ratio_of_their_trace_id() -> None:
    tracer, records = _recorder(0.5, LOW, HIGH)
    kept, skipped = tracer.start_span("a"), tracer.start_span("b")
    kept.end()
    skipped.end()
    assert kept.is_recording() is False, "ended"
    assert isinstance(skipped, NonRecordingSpan)
    assert not skipped.get_span_context().trace_flags.sampled
    assert [r.context.trace_id for r in records] == [LOW], "only the sampled span is queued"


def test_an_unsampled_root_nobody_reads_the_ids_of_is_the_invalid_span() -> None:
    tracer, records = _recorder(0.5, HIGH, LOW, HIGH)
    skipped = tracer.start_under(trace.INVALID_SPAN, "a", SpanKind.SERVER, {}, ids_wanted=False)
    kept = tracer.start_under(trace.INVALID_SPAN, "b", SpanKind.SERVER, {}, ids_wanted=False)
    with_ids = tracer.start_under(trace.INVALID_SPAN, "c", SpanKind.SERVER, {})
    assert skipped is trace.INVALID_SPAN
    assert isinstance(kept, RecordingSpan) and kept.trace_id == LOW
    assert isinstance(with_ids, NonRecordingSpan)
    assert with_ids.get_span_context().trace_id == HIGH
    kept.end()
    assert len(records) == 1


def test_a_sampled_callers_trace_is_continued_even_at_ratio_zero() -> None:
    tracer, records = _recorder(0.0)
    parent = W3C.extract(_caller("01", "vendor=abc"))
    server = tracer.start_span("server", context=parent, kind=SpanKind.SERVER)
    client = tracer.start_span("client", context=trace.set_span_in_context(server, parent))
    headers: dict[str, str] = {}
    W3C.inject(headers, context=trace.set_span_in_context(client))
    client.end()
    server.end()
    child, root = records
    assert root.parent is not None and child.parent is not None
    assert f"{root.context.trace_id:032x}" == CALLER_TRACE
    assert (f"{root.parent.span_id:016x}", root.parent.is_remote) == (CALLER_SPAN, True)
    assert (child.parent.span_id, child.parent.is_remote) == (root.context.span_id, False)
    for span in (root, child):
        assert span.context.trace_state.to_header() == "vendor=abc", "the caller's state"
    assert headers["traceparent"] == f"00-{CALLER_TRACE}-{child.context.span_id:016x}-01"
    assert headers["tracestate"] == "vendor=abc"


def test_an_unsampled_callers_trace_is_not_recorded_at_ratio_one() -> None:
    tracer, records = _recorder(1.0)
    span = tracer.start_span("server", context=W3C.extract(_caller("00")))
    span.end()
    assert not span.is_recording() and records == []
    assert f"{span.get_span_context().trace_id:032x}" == CALLER_TRACE, "the id still travels"


def test_an_ended_span_ignores_changes_and_a_second_end() -> None:
    tracer, records = _recorder(1.0, LOW)
    span = tracer.start_span("s", attributes={"a": 1})
    span.end()
    span.set_attribute("b", 2)
    span.set_attributes({"c": 3})
    span.end()
    (record,) = records
    assert record.attributes == {"a": 1}


def test_links_are_refused_not_dropped() -> None:
    tracer, _ = _recorder(1.0, LOW)
    link = trace.Link(trace.get_current_span().get_span_context())
    with pytest.raises(ValueError, match="links"):
        tracer.start_span("s", links=[link])


@pytest.mark.parametrize("ratio", [0.0, 0.1, 0.5, 1.0])
def test_the_inline_default_sampler_decides_as_the_sdks_parent_based_ratio(ratio: float) -> None:
    sdk = ParentBased(TraceIdRatioBased(ratio))
    inline = ParentBasedRatio(ratio)
    trace_ids = [1, LOW, 1 << 62, (1 << 63) - 1, 1 << 63, HIGH, (1 << 64) - 1, 7 << 64 | 5]
    for trace_id in trace_ids:
        root = sdk.should_sample(None, trace_id, "root").decision
        assert inline.decide(0, False, trace_id) == (root is Decision.RECORD_AND_SAMPLE), trace_id
    for flags in ("00", "01"):
        context = W3C.extract(_caller(flags))
        parent = trace.get_current_span(context).get_span_context()
        same_but_local = SpanContext(
            parent.trace_id, parent.span_id, False, parent.trace_flags, parent.trace_state
        )
        for local in (parent, same_but_local):
            sdk_context = trace.set_span_in_context(NonRecordingSpan(local))
            child = sdk.should_sample(sdk_context, parent.trace_id, "child").decision
            parent_sampled = local.trace_flags.sampled
            decided = inline.decide(local.span_id, parent_sampled, HIGH)
            assert decided == (child is Decision.RECORD_AND_SAMPLE), flags


def test_upstream_trace_headers_are_what_the_w3c_propagator_injects() -> None:
    tracer, _ = _recorder(1.0)
    for carrier in (_caller("01"), _caller("01", "vendor=abc,other=x1")):
        span = tracer.start_span("client", context=W3C.extract(carrier))
        injected: dict[str, str] = {}
        W3C.inject(injected, context=trace.set_span_in_context(span))
        context = span.get_span_context()
        ids = (context.trace_id, context.span_id, context.trace_flags, context.trace_state)
        assert traceparent_headers(*ids) == injected
        assert isinstance(span, RecordingSpan)
        own = (span.trace_id, span.span_id, span.sampled, span.trace_state)
        assert traceparent_headers(*own) == injected, "from the span's own ids"


def test_trace_headers_keep_leading_zeros_and_every_flag() -> None:
    """The ids are written at full width (leading zeros kept) and the flags as they are."""
    ids = ((1, 1), ((1 << 128) - 1, (1 << 64) - 1), (7 << 64 | 5, 1 << 60))
    for trace_id, span_id in ids:
        for flags in (0, 1, 3):
            context = SpanContext(trace_id, span_id, False, TraceFlags(flags))
            injected: dict[str, str] = {}
            W3C.inject(injected, context=trace.set_span_in_context(NonRecordingSpan(context)))
            assert traceparent_headers(trace_id, span_id, flags, TraceState()) == injected


def test_a_block_is_extended_only_while_the_span_holds_nothing_of_its_own() -> None:
    """`extend_block`: the span's block becomes the extended one only if it is the block
    the span started under, nothing of its own was set and it has not ended."""
    tracer, _ = _recorder(1.0, 1, 2, 3, 4)
    block = MappingProxyType({"a": 1})
    extended = MappingProxyType({"a": 1, "b": 2})

    def span() -> RecordingSpan:
        started = tracer.start_under(INVALID_SPAN, "s", SpanKind.CLIENT, {}, base=block)
        assert isinstance(started, RecordingSpan)
        return started

    plain = span()
    assert plain.extend_block(block, extended) and plain.all_attributes == {"a": 1, "b": 2}
    other = span()
    assert not other.extend_block(MappingProxyType({"a": 1}), extended), "another block"
    own = span()
    own.set_attribute("c", 3)
    assert not own.extend_block(block, extended) and own.base is block
    ended = span()
    ended.end()
    assert not ended.extend_block(block, extended) and ended.base is block


def _random_ids_recorder(
    monkeypatch: pytest.MonkeyPatch, ratio: float, *draws: int
) -> tuple[SpanRecorder, list[SpanRecord]]:
    """A recorder with the SDK's random ids, which `start_root` and `start_child` draw
    inline: `draws` are what `getrandbits` returns, in order."""
    queue = list(draws)
    monkeypatch.setattr(span_recorder, "_getrandbits", lambda _bits: queue.pop(0))
    records: list[SpanRecord] = []
    recorder = SpanRecorder(ParentBasedRatio(ratio), RandomIdGenerator(), records.append, None)
    return recorder, records


def test_a_root_started_inline_is_the_span_start_under_would_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    block = MappingProxyType({"rpc.system": "grpc"})
    recorder, records = _random_ids_recorder(monkeypatch, 0.5, 0, LOW, 0, 7, HIGH)
    root = recorder.start_root("server", SpanKind.SERVER, block)
    assert isinstance(root, RecordingSpan)
    assert (root.trace_id, root.span_id, root.parent_id) == (LOW, 7, 0), "zero ids redrawn"
    assert root.sampled and root.base is block and root.attributes == {}
    assert root.trace_state is _EMPTY_STATE and root.kind is SpanKind.SERVER
    assert recorder.start_root("unsampled", SpanKind.SERVER, block) is None, "HIGH: over 0.5"
    root.end()
    assert records == [root]


def test_a_child_started_inline_follows_its_parents_trace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    block = MappingProxyType({"gen_ai.operation.name": "chat"})
    recorder, records = _random_ids_recorder(monkeypatch, 1.0, LOW, 7, 0, 9)
    root = recorder.start_root("server", SpanKind.SERVER, {})
    assert root is not None
    child = recorder.start_child(root, "chat m", SpanKind.CLIENT, {"a": 1}, block)
    assert isinstance(child, RecordingSpan)
    assert (child.trace_id, child.span_id, child.parent_id) == (LOW, 9, 7)
    assert child.sampled and child.trace_state is root.trace_state
    assert child.base is block and child.all_attributes == {**block, "a": 1}
    child.end()
    root.end()
    assert records == [child, root]
