"""The current span set and read through OpenTelemetry's context variable agrees with the
API: what `enter` makes current the API sees, what the API makes current `current_span`
sees, and `leave` restores what was before. Both ways: the direct one (the default
runtime context) and the API's (any other)."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator

import pytest
from opentelemetry import baggage, trace
from opentelemetry import context as otel_context
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import INVALID_SPAN, NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from modelgate.telemetry import current_span as current
from modelgate.telemetry.recording_span import RecordingSpan
from modelgate.telemetry.span_context import ParentBasedRatio
from modelgate.telemetry.span_recorder import SpanRecorder


@pytest.fixture(params=["context variable", "API"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test runs both ways; the first must be the one the default runtime takes."""
    if request.param == "API":
        monkeypatch.setattr(current, "_CURRENT", None)
    else:
        assert current._CURRENT is not None, "the default runtime context takes the direct way"
    yield request.param


def _span() -> RecordingSpan:
    recorder = SpanRecorder(ParentBasedRatio(1.0), RandomIdGenerator(), lambda span: None, None)
    span = recorder.start_under(INVALID_SPAN, "server", SpanKind.SERVER, {})
    assert isinstance(span, RecordingSpan)
    return span


def test_what_enter_makes_current_the_api_sees_and_leave_restores(way: str) -> None:
    before = trace.get_current_span()
    span = _span()
    token = current.enter(span, None)
    assert trace.get_current_span() is span
    assert current.current_span() is span
    current.leave(token)
    assert trace.get_current_span() is before


def test_a_callers_context_keeps_its_other_values(way: str) -> None:
    remote = NonRecordingSpan(SpanContext(7, 9, True, TraceFlags(TraceFlags.SAMPLED)))
    parent = baggage.set_baggage("team", "search", trace.set_span_in_context(remote))
    span = _span()
    token = current.enter(span, parent)
    assert trace.get_current_span() is span
    assert baggage.get_baggage("team") == "search"
    current.leave(token)


def test_current_span_sees_what_the_api_made_current(way: str) -> None:
    for span in (_span(), NonRecordingSpan(SpanContext(5, 6, True, TraceFlags(0)))):
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            assert current.current_span() is span
        finally:
            otel_context.detach(token)
    assert current.current_span() is trace.get_current_span()


def test_with_no_span_current_it_is_the_invalid_span_as_the_api_says(way: str) -> None:
    token = otel_context.attach(otel_context.Context())
    try:
        assert current.current_span() is INVALID_SPAN is trace.get_current_span()
    finally:
        otel_context.detach(token)


def test_a_token_from_another_context_is_logged_never_raised(
    way: str, caplog: pytest.LogCaptureFixture
) -> None:
    token = contextvars.copy_context().run(current.enter, _span(), None)
    with caplog.at_level(logging.ERROR):
        current.leave(token)
    assert "Failed to detach context" in caplog.text
