"""The redactor and its choke points, one piece at a time (the end-to-end canary test is
tests/integration/test_no_secret_leaks.py)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status, StatusCode
from prometheus_client import generate_latest
from typing_extensions import override

from modelgate.redactor import (
    REDACTOR,
    Redactor,
    header_secrets,
    looks_like_credential,
    redact,
    url_secrets,
)
from modelgate.telemetry.logs import JsonFormatter, RedactingFilter, RedactingStreamHandler
from modelgate.telemetry.metrics import Metrics
from modelgate.telemetry.span_redaction import RedactingExporter

SECRET = "unit-secret-q8Z/w+3=&x"
REDACTOR.hold([SECRET])


def test_a_secret_is_cut_out_however_it_is_written() -> None:
    redactor = Redactor()
    redactor.hold(["p@ss/word+1", "p@ss/word+1-and-more"])
    assert redactor("key p@ss/word+1 here") == "key [redacted] here"
    assert redactor("url p%40ss%2Fword%2B1 here") == "url [redacted] here"
    assert redactor('{"k": "p@ss\\/word+1-and-more"}') == '{"k": "p@ss\\/word+1-and-more"}'
    assert redactor("p@ss/word+1-and-more!") == "[redacted]!", "the longer secret goes whole"
    assert redactor("nothing to see") == "nothing to see"


def test_a_secret_too_short_to_tell_from_text_is_refused() -> None:
    with pytest.raises(ValueError, match="shorter than 8"):
        Redactor().hold(["abc1234"])


def test_what_counts_as_a_secret_in_headers_and_urls() -> None:
    for name in ("Authorization", "api-key", "x-api-key", "X-Auth-Token", "client_secret"):
        assert looks_like_credential(name), name
    for name in ("anthropic-version", "openai-organization", "content-type", "x-request-id"):
        assert not looks_like_credential(name), name
    assert header_secrets("Bearer sk-abcdefgh") == ["Bearer sk-abcdefgh", "sk-abcdefgh"]
    assert header_secrets("az-0123456789") == ["az-0123456789"]
    assert url_secrets("redis://:pw-0123456@redis:6379/0") == [("password", "pw-0123456")]
    assert url_secrets("https://tok-0123456@h/v1") == [("user name", "tok-0123456")]
    assert url_secrets("https://u:pw-0123456@h/v1?key=k-0123456&alt=json") == [
        ("password", "pw-0123456"),
        ("query parameter key", "k-0123456"),
    ]
    assert url_secrets("http://127.0.0.1:11434") == []


def _log_line(formatter: logging.Formatter, *args: object) -> str:
    handler = RedactingStreamHandler(io.StringIO())
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("modelgate.test.redaction")
    logger.propagate, logger.handlers = False, [handler]
    try:
        raise RuntimeError(f"upstream said {SECRET}")
    except RuntimeError:
        logger.exception("call with %s failed", *args, extra={"detail": {"k": SECRET}})
    stream = handler.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue()


def test_log_records_lose_secrets_in_message_arguments_extras_and_traceback() -> None:
    line = json.loads(_log_line(JsonFormatter(), SECRET))
    assert line["message"] == "call with [redacted] failed"
    assert "RuntimeError: upstream said [redacted]" in line["exception"]
    assert line["detail"] == "{'k': '[redacted]'}"
    text = _log_line(logging.Formatter("%(levelname)s %(message)s"), SECRET)
    assert text.startswith("ERROR call with [redacted] failed")
    assert SECRET not in text and "upstream said [redacted]" in text


def test_a_log_line_that_cannot_be_written_is_reported_without_its_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    closed = io.StringIO()
    closed.close()
    handler = RedactingStreamHandler(closed)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("modelgate.test.broken")
    logger.propagate, logger.handlers = False, [handler]
    try:
        raise RuntimeError(f"upstream said {SECRET}")
    except RuntimeError:
        logger.error("unhandled error")  # Python's own report would chain the RuntimeError in
    err = capsys.readouterr().err
    assert "Logging error: ValueError while writing a ERROR record" in err
    assert SECRET not in err


class Kept(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    @override
    def export(self, spans: object) -> SpanExportResult:
        assert isinstance(spans, list)
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


def test_spans_are_exported_without_secrets_and_untouched_when_they_hold_none() -> None:
    tracer = TracerProvider().get_tracer("test")
    clean = tracer.start_span("chat gpt-4o", attributes={"gen_ai.request.model": "gpt-4o"})
    clean.end()
    dirty = tracer.start_span(
        f"chat {SECRET}",
        attributes={"gen_ai.output.text": f"the key is {SECRET}", "tokens": 3, "stop": (SECRET,)},
    )
    dirty.add_event("retry", {"why": f"refused {SECRET}"})
    dirty.set_status(Status(StatusCode.ERROR, f"failed with {SECRET}"))
    dirty.end()
    assert isinstance(clean, ReadableSpan) and isinstance(dirty, ReadableSpan)
    kept = Kept()
    RedactingExporter(kept).export([clean, dirty])
    assert kept.spans[0] is clean, "a span without secrets is passed on as it is"
    copy = kept.spans[1]
    assert copy.name == "chat [redacted]"
    assert dict(copy.attributes or {}) == {
        "gen_ai.output.text": "the key is [redacted]",
        "tokens": 3,
        "stop": ("[redacted]",),
    }
    assert dict(copy.events[0].attributes or {}) == {"why": "refused [redacted]"}
    assert copy.status.description == "failed with [redacted]"
    assert (copy.context, copy.start_time, copy.end_time) == (
        dirty.context,
        dirty.start_time,
        dirty.end_time,
    )


def test_the_metrics_scrape_redacts_label_values() -> None:
    metrics = Metrics()
    metrics.requests.labels("Chat", "gpt-4o", f"acme {SECRET}", "OK").inc()
    page = generate_latest(metrics.scrape).decode()
    assert 'provider="acme [redacted]"' in page
    assert SECRET not in page
    restricted = generate_latest(metrics.scrape.restricted_registry(["modelgate_requests_total"]))
    assert SECRET not in restricted.decode()
    assert redact(SECRET) == "[redacted]"
