"""JSON log lines carry the active trace and span ids."""

from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from modelgate.telemetry.logs import JsonFormatter


def _record(message: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("modelgate.test", logging.WARNING, __file__, 1, message, (), None)
    for key, value in extra.items():
        setattr(record, key, value)
    return record


def test_log_line_inside_a_span_has_its_trace_and_span_ids() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("call") as span:
        line = json.loads(JsonFormatter().format(_record("upstream slow", model="gpt-4o")))
    context = span.get_span_context()
    assert line["trace_id"] == format(context.trace_id, "032x")
    assert line["span_id"] == format(context.span_id, "016x")
    assert (line["level"], line["message"], line["model"]) == ("WARNING", "upstream slow", "gpt-4o")


def test_log_line_outside_a_span_has_no_trace_ids() -> None:
    line = json.loads(JsonFormatter().format(_record("started")))
    assert "trace_id" not in line and line["logger"] == "modelgate.test"
