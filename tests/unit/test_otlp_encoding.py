"""The recorder's OTLP is the SDK's OTLP: same spans in, the same message out.

Each test makes the same spans twice, with the SDK (TracerProvider, its span limits, its
`encode_spans`, as the gateway exported before issue 20) and with the gateway's recorder
and encoder, from the same ids and times, and compares the parsed requests (and bytes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import MappingProxyType
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from opentelemetry.trace import INVALID_SPAN, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from typing_extensions import override

from modelgate.redactor import REDACTOR
from modelgate.telemetry.otlp_attributes import CACHE_LIMIT, Freshness
from modelgate.telemetry.otlp_encoding import (
    Encoder,
    SpanLimitsUsed,
    resource_bytes,
    scope_bytes,
)
from modelgate.telemetry.span_context import ParentBasedRatio
from modelgate.telemetry.span_record import SpanRecord
from modelgate.telemetry.span_recorder import SpanRecorder

SECRET = "sk-encoding-test-secret-0123456789"
RESOURCE = Resource.create({"service.name": "modelgate", "deployment.environment": "test"})
T0 = 1_700_000_000_000_000_000
CALLER = {
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "tracestate": "vendor=abc,other=x1",
}


class Ids(IdGenerator):
    """The same ids, in the same order, for both tracers."""

    def __init__(self) -> None:
        self.next = 0x1000

    @override
    def generate_span_id(self) -> int:
        self.next += 1
        return self.next

    @override
    def generate_trace_id(self) -> int:
        self.next += 1
        return self.next << 64 | 0xABC


class Kept(SpanExporter):
    def __init__(self) -> None:
        self.spans: list[ReadableSpan] = []

    @override
    def export(self, spans: Any) -> SpanExportResult:
        self.spans.extend(spans)
        return SpanExportResult.SUCCESS


Scenario = Callable[[trace.Tracer], None]


def _both(scenario: Scenario, limits: SpanLimits) -> Iterator[bytes]:
    kept = Kept()
    provider = TracerProvider(
        resource=RESOURCE,
        sampler=ParentBased(ALWAYS_ON),
        id_generator=Ids(),
        span_limits=limits,
        shutdown_on_exit=False,
    )
    provider.add_span_processor(SimpleSpanProcessor(kept))
    scenario(provider.get_tracer("modelgate"))
    yield encode_spans(kept.spans).SerializeToString()
    used = SpanLimitsUsed(
        limits.max_span_attributes,
        limits.max_span_attribute_length,
        limits.max_events,
        limits.max_event_attributes,
    )
    records: list[SpanRecord] = []
    scenario(SpanRecorder(ParentBased(ALWAYS_ON), Ids(), records.append, used.events))
    encoder = Encoder(resource_bytes(RESOURCE.attributes), scope_bytes("modelgate", None), used)
    yield encoder.request(records)


def assert_same_otlp(scenario: Scenario, limits: SpanLimits | None = None) -> None:
    sdk, ours = _both(scenario, limits or SpanLimits())
    assert ExportTraceServiceRequest.FromString(ours) == ExportTraceServiceRequest.FromString(sdk)
    assert ours == sdk, "even byte for byte"


def _gateway_call(tracer: trace.Tracer) -> None:
    """What a traced Chat records: a SERVER span under the caller's, a CLIENT attempt."""
    parent = TraceContextTextMapPropagator().extract(CALLER)
    server = tracer.start_span(
        "modelgate.v1.ModelGateway/Chat",
        context=parent,
        kind=SpanKind.SERVER,
        attributes={"rpc.system": "grpc", "rpc.method": "Chat"},
        start_time=T0,
    )
    client = tracer.start_span(
        "chat gpt-4o",
        context=trace.set_span_in_context(server, parent),
        kind=SpanKind.CLIENT,
        attributes={
            "gen_ai.request.model": "gpt-4o",
            "server.port": 8443,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.stop_sequences": ["END", "STOP"],
            "modelgate.attempt": 1,
        },
        start_time=T0 + 10,
    )
    client.set_attributes(
        {
            "gen_ai.usage.input_tokens": 12,
            "gen_ai.response.finish_reasons": ("stop",),
            # Strings around each framing size: a short id, a value of 100 bytes whose
            # pair passes 127, one of 200, multi-byte characters counted in bytes.
            "gen_ai.response.id": "chatcmpl-" + "a1" * 12,
            "modelgate.attempt.reason": "r" * 100,
            "gen_ai.conversation.id": "c" * 200,
            "note": "é" * 70,
        }
    )
    client.set_attribute("modelgate.attempt", 2)  # set again: moves to the end in both
    client.set_attribute("flag", True)
    client.set_attribute("negative", -5)
    client.end(T0 + 20)
    server.set_attributes({"rpc.grpc.status_code": 14, "error.type": "UPSTREAM_UNAVAILABLE"})
    server.set_status(Status(StatusCode.ERROR, "UNAVAILABLE"))
    server.end(T0 + 30)


def test_a_traced_call_encodes_as_the_sdk_encodes_it() -> None:
    assert_same_otlp(_gateway_call)


def test_integers_encode_as_the_sdk_encodes_them() -> None:
    """Small non-negative ints (token counts) take a short path; every int, on either
    side of its bounds, gives the SDK's bytes."""
    numbers = (0, 1, 127, 128, 300, 0x3FFF, 0x4000, 2**31, 2**63 - 1, -1, -(2**63))

    def scenario(tracer: trace.Tracer) -> None:
        for number in numbers:
            attributes = {"gen_ai.usage.input_tokens": number}
            tracer.start_span("s", attributes=attributes, start_time=T0).end(T0 + 1)
        flags = {"yes": True, "no": False}
        tracer.start_span("flags", attributes=flags, start_time=T0).end(T0 + 1)

    assert_same_otlp(scenario)


def test_a_root_span_with_events_and_an_exception() -> None:
    def scenario(tracer: trace.Tracer) -> None:
        span = tracer.start_span("root", attributes={"a": "b"}, start_time=T0)
        span.add_event("retry", {"why": "503"}, timestamp=T0 + 1)
        span.add_event("plain", timestamp=T0 + 2)
        span.set_status(StatusCode.OK)
        span.set_status(Status(StatusCode.ERROR, "ignored after OK"))
        span.end(T0 + 3)

    assert_same_otlp(scenario)


def test_span_limits_drop_the_oldest_and_cut_long_values_as_the_sdk_does() -> None:
    def scenario(tracer: trace.Tracer) -> None:
        attributes = {f"k{n}": f"value number {n}" for n in range(6)}
        span = tracer.start_span("limited", attributes=attributes, start_time=T0)
        span.set_attribute("late", ("a long item", "short"))
        for n in range(4):
            span.add_event(f"e{n}", {"x": 1, "y": 2, "z": 3}, timestamp=T0 + n)
        span.end(T0 + 9)

    limits = SpanLimits(
        max_span_attributes=4, max_attribute_length=6, max_events=2, max_event_attributes=2
    )
    assert_same_otlp(scenario, limits)


def test_secrets_are_cut_from_names_values_events_and_status() -> None:
    REDACTOR.hold([SECRET])
    records: list[SpanRecord] = []
    tracer = SpanRecorder(ParentBased(ALWAYS_ON), Ids(), records.append, None)
    span = tracer.start_span(f"chat {SECRET}", attributes={"text": f"key {SECRET}"})
    span.set_attribute("list", (SECRET, "fine"))
    span.add_event("retry", {"why": f"refused {SECRET}"})
    span.set_status(Status(StatusCode.ERROR, f"failed with {SECRET}"))
    span.end()
    limits = SpanLimitsUsed(None, None, None, None)
    encoder = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits)
    body = encoder.request(records)
    assert SECRET.encode() not in body
    (exported,) = ExportTraceServiceRequest.FromString(body).resource_spans[0].scope_spans[0].spans
    assert exported.name == "chat [redacted]"
    assert exported.status.message == "failed with [redacted]"
    assert exported.events[0].attributes[0].value.string_value == "refused [redacted]"


def test_a_value_seen_before_a_secret_was_held_is_redacted_after_it() -> None:
    late = "sk-held-later-secret-abcdef0123456"
    limits = SpanLimitsUsed(None, None, None, None)
    encoder = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits)

    def encoded() -> bytes:
        records: list[SpanRecord] = []
        tracer = SpanRecorder(ParentBased(ALWAYS_ON), Ids(), records.append, None)
        tracer.start_span("s", attributes={"note": late}).end()
        return encoder.request(records)

    assert late.encode() in encoded(), "not a secret yet: cached as it is"
    REDACTOR.hold([late])
    assert late.encode() not in encoded(), "the cached encoding was dropped"


def test_a_name_and_a_shared_block_framed_before_a_secret_was_held_are_redacted_after_it() -> None:
    """The span names' and shared blocks' caches follow the same rule as the values'."""
    late = "sk-held-later-in-a-name-and-a-block-0123"
    block = MappingProxyType({"note": f"block {late}"})
    limits = SpanLimitsUsed(None, None, None, None)
    encoder = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits)

    def encoded() -> bytes:
        records: list[SpanRecord] = []
        # The gateway's own sampler: another one merges the block into the attributes.
        tracer = SpanRecorder(ParentBasedRatio(1.0), Ids(), records.append, None)
        tracer.start_under(INVALID_SPAN, f"chat {late}", SpanKind.CLIENT, {}, base=block).end()
        assert records[0].base is block
        return encoder.request(records)

    assert encoded().count(late.encode()) == 2, "not a secret yet: both cached as they are"
    REDACTOR.hold([late])
    assert late.encode() not in encoded(), "both cached encodings were dropped"


def test_caches_are_dropped_together_when_a_secret_is_held_or_one_is_full() -> None:
    names: dict[str, bytes] = {"chat": b"framed"}
    values: dict[int, bytes] = {}
    freshness = Freshness(names, values)
    freshness.check()
    assert names == {"chat": b"framed"}, "nothing changed: kept"
    values.update((number, b"") for number in range(CACHE_LIMIT + 1))
    freshness.check()
    assert names == {} and values == {}, "one cache over the limit: all dropped"
    names["chat"] = b"framed"
    freshness.check()
    assert names == {"chat": b"framed"}
    REDACTOR.hold(["sk-freshness-test-secret-0123456789"])
    freshness.check()
    assert names == {}, "a secret held since: dropped"


def test_a_shared_attribute_block_encodes_as_one_dict_would() -> None:
    """A block shared by spans (framed once) gives the bytes of the same attributes in one
    dict: alone, with the span's own after it, with one of its keys set again (merged,
    and moved to the end), and under an attribute limit that counts both."""
    shared = MappingProxyType({"gen_ai.operation.name": "chat", "server.port": 443})

    def spans(tracer: SpanRecorder, with_base: bool) -> None:
        for overwrite in (False, True):
            own = {"modelgate.attempt": 1}
            if with_base:
                span = tracer.start_under(
                    INVALID_SPAN, "s", SpanKind.CLIENT, own, start_time=T0, base=shared
                )
            else:
                mixed = {**shared, **own}
                span = tracer.start_under(INVALID_SPAN, "s", SpanKind.CLIENT, mixed, start_time=T0)
            span.set_attribute("gen_ai.usage.input_tokens", 3)
            if overwrite:
                span.set_attribute("server.port", 8443)
            span.end(T0 + 1)

    for limit in (None, 2):
        encoded: list[bytes] = []
        views: list[list[dict[str, Any]]] = []
        for with_base in (True, False):
            records: list[SpanRecord] = []
            tracer = SpanRecorder(ParentBasedRatio(1.0), Ids(), records.append, None)
            spans(tracer, with_base)
            views.append([dict(record.all_attributes) for record in records])
            used = SpanLimitsUsed(limit, None, None, None)
            encoder = Encoder(resource_bytes({}), scope_bytes("modelgate", None), used)
            encoded.append(encoder.request(records) + encoder.request(records))  # cached too
        assert encoded[0] == encoded[1], f"limit {limit}"
        assert views[0] == views[1], "the SDK's view (the console's) is the same too"


def test_unique_keys_are_encoded_the_same_and_never_kept() -> None:
    limits = SpanLimitsUsed(None, None, None, None)
    plain = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits)
    unique = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits, frozenset({"id"}))
    records: list[SpanRecord] = []
    tracer = SpanRecorder(ParentBased(ALWAYS_ON), Ids(), records.append, None)
    for number in range(3):
        tracer.start_span("s", attributes={"id": f"resp_{number}", "model": "m"}).end()
    assert unique.request(records) == plain.request(records)
    assert sorted(unique.attributes.cache) == [("model", "m")]
    assert len(plain.attributes.cache) == 4


@pytest.mark.parametrize(
    "value",
    ["", "r" * 0x7D, "r" * 0x7E, "r" * 300, "é" * 70, 7, 300, True, 0.5, ("a", "b")],
    ids=repr,
)
def test_a_unique_keys_value_of_any_length_or_type_encodes_as_the_sdk_does(value: Any) -> None:
    """A string under a unique key is framed on the spot (short ones from head tables): as
    the exporter encodes it, at every length around the one-byte boundaries, and any other
    type the usual way."""

    def scenario(tracer: trace.Tracer) -> None:
        tracer.start_span("s", attributes={"id": value, "next": 1}, start_time=T0).end(T0 + 1)

    sdk, _ = _both(scenario, SpanLimits())
    records: list[SpanRecord] = []
    scenario(SpanRecorder(ParentBased(ALWAYS_ON), Ids(), records.append, None))
    limits = SpanLimitsUsed(128, None, 128, 128)
    unique = Encoder(
        resource_bytes(RESOURCE.attributes),
        scope_bytes("modelgate", None),
        limits,
        frozenset({"id"}),
    )
    assert unique.request(records) == sdk


@pytest.mark.parametrize("unique_keys", [frozenset(), frozenset({"id"})], ids=["kept", "unique"])
def test_a_secret_is_redacted_before_the_length_limit_cuts_a_value(
    unique_keys: frozenset[str],
) -> None:
    """The cut falls inside the secret: cutting first would leave its first 17 characters,
    which no longer match it."""
    secret = "sk-cut-inside-secret-0123456789"
    REDACTOR.hold([secret])
    limits = SpanLimitsUsed(None, 20, None, None)
    encoder = Encoder(resource_bytes({}), scope_bytes("modelgate", None), limits, unique_keys)
    records: list[SpanRecord] = []
    tracer = SpanRecorder(ParentBased(ALWAYS_ON), Ids(), records.append, None)
    tracer.start_span("s", attributes={"id": f"id {secret} tail", "list": (f"x {secret}",)}).end()
    body = ExportTraceServiceRequest.FromString(encoder.request(records))
    values = [
        attribute.value for attribute in body.resource_spans[0].scope_spans[0].spans[0].attributes
    ]
    assert values[0].string_value == "id [redacted] tail"
    assert values[1].array_value.values[0].string_value == "x [redacted]"
    assert secret[:10].encode() not in encoder.request(records)
