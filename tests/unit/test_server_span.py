"""A SERVER span ends as the gRPC conventions say (status code always; ERROR only for the
server's own failures), and its usual end, OK with nothing else set, swaps in a shared
block that carries the status code: the same attributes, in the same order, encoded to
the same bytes as setting the code on the span."""

from __future__ import annotations

from typing import Any

import grpc
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import INVALID_SPAN, SpanKind, StatusCode

from modelgate.telemetry.otlp_encoding import Encoder, SpanLimitsUsed, resource_bytes, scope_bytes
from modelgate.telemetry.recording_span import RecordingSpan
from modelgate.telemetry.server_span import end_server_span, server_span_shape
from modelgate.telemetry.span_context import ParentBasedRatio
from modelgate.telemetry.span_recorder import SpanRecorder

CODE = "rpc.grpc.status_code"
SHAPE = server_span_shape("Chat", "gpt-4o")


def _server_span(ended: list[Any]) -> RecordingSpan:
    recorder = SpanRecorder(ParentBasedRatio(1.0), RandomIdGenerator(), ended.append, None)
    shape = server_span_shape("Chat", "gpt-4o")
    span = recorder.start_under(INVALID_SPAN, shape.name, SpanKind.SERVER, {}, base=shape.shared)
    assert isinstance(span, RecordingSpan)
    return span


def test_an_ok_end_shares_one_block_with_the_status_code_last() -> None:
    ended: list[Any] = []
    first, second = _server_span(ended), _server_span(ended)
    for span in (first, second):
        end_server_span(span, SHAPE, grpc.StatusCode.OK, "")
    shared = server_span_shape("Chat", "gpt-4o").shared
    assert first.all_attributes == {**shared, CODE: 0}
    assert list(first.all_attributes)[-1] == CODE
    assert first.base is second.base and first.attributes == {}, "one shared block"
    assert first.status.status_code is StatusCode.UNSET
    assert ended == [first, second]


def test_an_ok_end_encodes_as_setting_the_code_would() -> None:
    ended: list[Any] = []
    swapped, set_on_span = _server_span(ended), _server_span(ended)
    end_server_span(swapped, SHAPE, grpc.StatusCode.OK, "")
    set_on_span.set_attribute(CODE, 0)
    set_on_span.end()
    assert set_on_span.attributes == {CODE: 0}, "the long way: the code is the span's own"
    set_on_span.trace_id, set_on_span.span_id = swapped.trace_id, swapped.span_id
    set_on_span.start_ns, set_on_span.end_ns = swapped.start_ns, swapped.end_ns
    encoder = Encoder(
        resource_bytes({"service.name": "t"}),
        scope_bytes("modelgate", None),
        SpanLimitsUsed(128, None, 128, 128),
    )
    assert encoder.request([swapped]) == encoder.request([set_on_span])


def test_an_attribute_set_before_the_end_keeps_its_place() -> None:
    span = _server_span([])
    span.set_attribute("modelgate.note", "x")
    end_server_span(span, SHAPE, grpc.StatusCode.OK, "")
    assert list(span.all_attributes)[-2:] == ["modelgate.note", CODE]


def test_only_the_servers_own_failures_are_errors() -> None:
    missing, down = _server_span([]), _server_span([])
    end_server_span(missing, SHAPE, grpc.StatusCode.NOT_FOUND, "MODEL_NOT_FOUND")
    end_server_span(down, SHAPE, grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE")
    assert missing.all_attributes[CODE] == grpc.StatusCode.NOT_FOUND.value[0]
    assert missing.all_attributes["error.type"] == "MODEL_NOT_FOUND"
    assert missing.status.status_code is StatusCode.UNSET
    assert down.status.status_code is StatusCode.ERROR
