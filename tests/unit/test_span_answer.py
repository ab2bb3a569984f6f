"""An upstream's answer kept on its CLIENT span as one tuple (`span_answer`) is the same
span as the answer's attributes set one by one: in OTLP bytes, in the SDK's view (the
console's), under span limits, with secrets, and whatever is set after it."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from opentelemetry.trace import INVALID_SPAN, SpanKind
from typing_extensions import override

from modelgate.redactor import REDACTOR
from modelgate.telemetry.otlp_encoding import Encoder, SpanLimitsUsed, resource_bytes, scope_bytes
from modelgate.telemetry.recording_span import RecordingSpan
from modelgate.telemetry.span_answer import (
    FINISH_REASONS,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    RESPONSE_ID,
    Answer,
    answer_attributes,
)
from modelgate.telemetry.span_attributes import UNIQUE_PER_CALL
from modelgate.telemetry.span_record import SpanRecord
from modelgate.telemetry.span_recorder import SpanRecorder

BLOCK = MappingProxyType({"gen_ai.operation.name": "chat", "server.port": 443})
T0 = 1_700_000_000_000_000_000
ANSWERS: list[Answer] = [
    (12, 9, "chatcmpl-0123456789abcdef01234567", "stop", "resp_0123456789abcdef"),
    (0, 127, "", "", ""),  # an embedding's: tokens only
    (128, 20_000, "r" * 300, "length", "c" * 200),  # counts past the tables, long ids
    (-1, 2**40, "é" * 70, "", "conversation"),  # any int; multi-byte text
    (127, 128, "x", "stop", "y"),  # each table's last count, and one past it
]


def _spans(answer: Answer, *, as_tuple: bool, after: dict[str, Any]) -> list[SpanRecord]:
    """One CLIENT span under `BLOCK` with `answer`, then the attributes `after` one by one."""
    records: list[SpanRecord] = []
    tracer = SpanRecorder(ParentBased(ALWAYS_ON), _Ids(), records.append, None)
    span = tracer.start_under(
        INVALID_SPAN, "chat m", SpanKind.CLIENT, {}, start_time=T0, base=BLOCK
    )
    assert type(span) is RecordingSpan
    span.add_new_attributes({"modelgate.attempt": 2})
    if as_tuple:
        span.set_answer(answer)
    else:
        span.add_new_attributes(answer_attributes(answer))
    for key, value in after.items():
        span.set_attribute(key, value)
    span.end(T0 + 1)
    return records


class _Ids(RandomIdGenerator):
    """The same ids for both spans of a comparison."""

    @override
    def generate_span_id(self) -> int:
        return 0xB7AD6B7169203331

    @override
    def generate_trace_id(self) -> int:
        return 0x0AF7651916CD43DD8448EB211C80319C


def _encoded(records: list[SpanRecord], limits: SpanLimitsUsed) -> bytes:
    encoder = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits, UNIQUE_PER_CALL)
    return encoder.request(records) + encoder.request(records)  # framed, then cached


@pytest.mark.parametrize("answer", ANSWERS, ids=range(len(ANSWERS)))
@pytest.mark.parametrize(
    "limits",
    [(None, None), (128, 20), (7, None), (3, 5)],
    ids=["none", "cut-values", "at-the-limit", "over-the-limit"],
)
@pytest.mark.parametrize(
    "after",
    [{}, {"gen_ai.output.messages": "[]"}, {INPUT_TOKENS: 5, "flag": True}],
    ids=["nothing", "content", "a-key-again"],
)
def test_an_answer_is_the_span_its_attributes_make(
    answer: Answer, limits: tuple[int | None, int | None], after: dict[str, Any]
) -> None:
    used = SpanLimitsUsed(limits[0], limits[1], None, None)
    as_tuple = _spans(answer, as_tuple=True, after=after)
    as_attributes = _spans(answer, as_tuple=False, after=after)
    assert _encoded(as_tuple, used) == _encoded(as_attributes, used)
    assert as_tuple[0].all_attributes == as_attributes[0].all_attributes
    assert list(as_tuple[0].all_attributes) == list(as_attributes[0].all_attributes), "order"


def test_the_answer_comes_out_as_the_conventions_name_it() -> None:
    answer: Answer = (12, 300, "chatcmpl-1", "stop", "resp_1")
    body = ExportTraceServiceRequest.FromString(
        _encoded(_spans(answer, as_tuple=True, after={}), SpanLimitsUsed(None, None, None, None))
    )
    span = body.resource_spans[0].scope_spans[0].spans[0]
    values = {kv.key: kv.value for kv in span.attributes}
    assert values[INPUT_TOKENS].int_value == 12
    assert values[OUTPUT_TOKENS].int_value == 300
    assert values[RESPONSE_ID].string_value == "chatcmpl-1"
    assert [v.string_value for v in values[FINISH_REASONS].array_value.values] == ["stop"]
    assert values["gen_ai.conversation.id"].string_value == "resp_1"
    assert len(span.attributes) == len(BLOCK) + 1 + 5


def test_secrets_are_cut_from_an_answer_even_one_held_after_its_finish_reason_was_framed() -> None:
    """The finish reasons' cache is made again when the held secrets change, as every
    cache of encodings is."""
    id_secret, reason_secret = "sk-answer-id-secret-0123456789", "sk-answer-reason-0123456789"
    REDACTOR.hold([id_secret])
    records = _spans((1, 2, f"id-{id_secret}", reason_secret, ""), as_tuple=True, after={})
    encoder = Encoder(
        resource_bytes({}),
        scope_bytes("modelgate", None),
        SpanLimitsUsed(None, None, None, None),
        UNIQUE_PER_CALL,
    )
    before = encoder.request(records)
    assert id_secret.encode() not in before and b"id-[redacted]" in before
    assert reason_secret.encode() in before, "not a secret yet"
    REDACTOR.hold([reason_secret])
    after = encoder.request(records)
    assert reason_secret.encode() not in after and id_secret.encode() not in after


def test_a_block_is_not_extended_under_an_answer_and_a_second_answer_is_set_key_by_key() -> None:
    records: list[SpanRecord] = []
    tracer = SpanRecorder(ParentBased(ALWAYS_ON), _Ids(), records.append, None)
    span = tracer.start_under(INVALID_SPAN, "s", SpanKind.CLIENT, {}, base=BLOCK)
    assert type(span) is RecordingSpan
    span.set_answer((1, 2, "a", "stop", ""))
    assert not span.extend_block(BLOCK, {**BLOCK, "extra": 1}), "the block goes before it"
    span.set_answer((3, 4, "b", "", ""))
    expected = {**BLOCK, FINISH_REASONS: ("stop",), INPUT_TOKENS: 3, OUTPUT_TOKENS: 4}
    expected[RESPONSE_ID] = "b"
    assert list(span.all_attributes.items()) == list(expected.items()), "set again: moved last"
