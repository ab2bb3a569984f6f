"""Recorded spans to OTLP protobuf bytes (`ExportTraceServiceRequest`), written directly.

The OpenTelemetry exporters build a message object per span, per attribute and per value
(`encode_spans`) and hash the Resource once per span: 60% of what a traced call cost the
gateway (issue 20). Here the Resource and the instrumentation scope are encoded once per
process, a span's fields are written in protobuf wire format, and the bytes of an
attribute whose key and value recur (model names, providers, the rpc method) are kept, so
most attributes cost one dict lookup. The output is the exporters' own, field for field:
`tests/unit/test_otlp_encoding.py` parses both with the generated `opentelemetry.proto`
messages and compares them. Secrets are cut out here (`REDACTOR`), on the export thread.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from opentelemetry.trace import Status, StatusCode, TraceState

from modelgate.redactor import REDACTOR
from modelgate.telemetry.otlp_attributes import AttributeCache, Freshness
from modelgate.telemetry.otlp_attributes import field as _field
from modelgate.telemetry.otlp_attributes import head as _head
from modelgate.telemetry.otlp_attributes import varint as _varint
from modelgate.telemetry.span_answer import (
    ANSWER_SIZE,
    CONVERSATION_ID,
    FINISH_REASONS,
    INPUT_TOKENS,
    OUTPUT_TOKENS,
    RESPONSE_ID,
    Answer,
    answer_attributes,
)
from modelgate.telemetry.span_record import SpanRecord

log = logging.getLogger(__name__)

_FIXED64 = struct.Struct("<Q").pack
_LOW64 = (1 << 64) - 1
_IDS = struct.Struct(">BBQQBBQ")
"""trace_id (field 1: 16 bytes, two big-endian halves) and span_id (field 2)."""
_IDS_PARENT = struct.Struct(">BBQQBBQBBQ")
"""... and parent_span_id (field 4)."""
_KIND_AND_TIMES = struct.Struct("<BBBQBQ")
"""kind (field 6, a one-byte varint) and the start and end times (fields 7, 8: fixed64)."""
_FLAGS_LOCAL = b"\x85\x01" + (0x100).to_bytes(4, "little")
"""`flags` (fixed32, field 16): SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE, the parent is local."""
_FLAGS_REMOTE = b"\x85\x01" + (0x300).to_bytes(4, "little")
"""... and SPAN_FLAGS_CONTEXT_IS_REMOTE: the parent came from the caller."""
_UNSET_LOCAL = b"\x7a\x00" + _FLAGS_LOCAL
"""An empty status (UNSET, written all the same, as the exporters do), then the flags."""
_UNSET_REMOTE = b"\x7a\x00" + _FLAGS_REMOTE
EMPTY_STATE = TraceState()
"""The trace state of every span without a caller's (`span_recorder` shares it): an
identity test, where `len` of a TraceState is a Python call."""
UNSET_STATUS = Status(StatusCode.UNSET)
"""The status every span starts with (`recording_span` shares it): most are encoded
without looking into it."""


class SpanLimitsUsed(NamedTuple):
    """The SDK's span limits (`opentelemetry.sdk.trace.SpanLimits`, read from OTEL_*)."""

    attributes: int | None
    attribute_length: int | None
    events: int | None
    event_attributes: int | None


def _limited(
    attributes: Mapping[str, Any], limit: int | None
) -> tuple[Iterable[tuple[str, Any]], int]:
    """The newest `limit` attributes and how many were dropped (the SDK evicts the oldest)."""
    if limit is None or len(attributes) <= limit:
        return attributes.items(), 0
    items = list(attributes.items())
    return items[len(items) - limit :], len(items) - limit


class Encoder:
    """One process's spans to ExportTraceServiceRequest bytes."""

    def __init__(
        self,
        resource: bytes,
        scope: bytes,
        limits: SpanLimitsUsed,
        unique_keys: frozenset[str] = frozenset(),
    ) -> None:
        self.resource_field = _field(0x0A, resource)
        self.scope_field = _field(0x0A, scope)
        self.limits = limits
        self.attributes = AttributeCache(0x4A, limits.attribute_length, unique_keys)
        self.event_attributes = AttributeCache(0x1A, limits.attribute_length)
        self._names: dict[str, bytes] = {}
        """Span names framed as the `name` field (a few recur: "chat gpt-4o")."""
        self._blocks: dict[int, tuple[Mapping[str, Any], bytes, int]] = {}
        """A shared attribute block's framed fields and size, by the block's identity
        (the block is kept beside them, so its id cannot be reused while cached)."""
        self._limit = limits.attributes if limits.attributes is not None else 1 << 62
        """The attribute limit, a number even without one (one comparison per span)."""
        cache = self.attributes
        self._inputs = tuple(cache.framed(INPUT_TOKENS, count) for count in range(0x80))
        self._outputs = tuple(cache.framed(OUTPUT_TOKENS, count) for count in range(0x80))
        """An answer's token counts under 128, framed whole, by the count (`_answer`)."""
        self._response_key = _field(0x0A, RESPONSE_ID.encode())
        self._conversation_key = _field(0x0A, CONVERSATION_ID.encode())
        self._finishes: dict[str, bytes] = {}
        """An answer's finish reason ("stop", "length", ...), framed as its attribute."""
        self._freshness = Freshness(self._names, self._blocks, self._finishes)
        """`_inputs` and `_outputs` stay: token counts under fixed keys hold no secret."""

    def span(self, record: SpanRecord) -> bytes:
        """One Span message, its fields in number order as protobuf writes them. Written
        for speed (it runs for every span): fixed-size fields packed by one struct each,
        the name, a shared attribute block and each recurring attribute one dict lookup
        (caches made fresh once per batch, in `request`), enums never looked into, and
        the usual span (no vendor state, no events, UNSET status, within the attribute
        limit) joined from its pieces at once; the rest goes the long way (`_unusual`)."""
        trace_id, parent_id, state = record.trace_id, record.parent_id, record.trace_state
        if state is not EMPTY_STATE and state:  # rare: a caller's vendor state
            return self._unusual(record)
        if parent_id:
            head = _IDS_PARENT.pack(
                0x0A, 16, trace_id >> 64, trace_id & _LOW64, 0x12, 8, record.span_id, 0x22, 8,
                parent_id,
            )  # fmt: skip
        else:
            head = _IDS.pack(0x0A, 16, trace_id >> 64, trace_id & _LOW64, 0x12, 8, record.span_id)
        name = self._names.get(record.name) or self._name(record.name)
        # OTLP counts kinds from SPAN_KIND_UNSPECIFIED; `_value_` is the member's own
        # attribute (`.value` is a Python property, a dict by member a Python `__hash__`).
        times = _KIND_AND_TIMES.pack(
            0x30, record.kind._value_ + 1, 0x39, record.start_ns, 0x41, record.end_ns
        )
        attributes, base = record.attributes, record.base
        if base is None:
            block, count = b"", len(attributes)
        else:  # a shared block: framed once, looked up by identity
            kept = self._blocks.get(id(base))  # inline: the usual hit without a call
            if kept is None or kept[0] is not base:
                kept = self._block(base)
            block, count = kept[1], len(attributes) + kept[2]
        answer = record.answer
        if answer is not None:
            count += ANSWER_SIZE  # at most: a span near the limit goes the long way
        if (
            count > self._limit
            or record.status is not UNSET_STATUS
            or record.events
            or record.dropped_events
        ):
            return self._unusual(record)
        own = self.attributes.encode_fresh(attributes.items()) if attributes else b""
        if answer is not None:
            own += self._answer(answer)
        status = _UNSET_REMOTE if record.parent_remote else _UNSET_LOCAL
        return b"".join((head, name, times, block, own, status))

    def _answer(self, answer: Answer) -> bytes:
        """An answer's attributes (`span_answer`), as `encode_fresh` frames them: the token
        counts under 128 from tables, the finish reason from a cache, the ids framed as
        they come (new on every call). 13.3k instructions against 17.9k as five attributes
        (cachegrind, a chat answer with two new ids; the ids' framing, with its redaction,
        is ~4.5k of each)."""
        input_tokens, output_tokens, response_id, finish_reason, conversation_id = answer
        cache = self.attributes
        parts = [
            self._inputs[input_tokens]
            if 0 <= input_tokens < 0x80
            else cache.framed(INPUT_TOKENS, input_tokens),
            self._outputs[output_tokens]
            if 0 <= output_tokens < 0x80
            else cache.framed(OUTPUT_TOKENS, output_tokens),
        ]
        if response_id:
            parts.append(cache.framed_text(self._response_key, response_id))
        if finish_reason:
            parts.append(self._finishes.get(finish_reason) or self._finish(finish_reason))
        if conversation_id:
            parts.append(cache.framed_text(self._conversation_key, conversation_id))
        return b"".join(parts)

    def _finish(self, reason: str) -> bytes:
        framed = self._finishes[reason] = self.attributes.framed(FINISH_REASONS, (reason,))
        return framed

    def _name(self, name: str) -> bytes:
        framed = self._names[name] = _field(0x2A, REDACTOR(name).encode())
        return framed

    def _block(self, base: Mapping[str, Any]) -> tuple[Mapping[str, Any], bytes, int]:
        """A shared block's framed fields and size (framed on first sight)."""
        kept = self._blocks.get(id(base))
        if kept is not None and kept[0] is base:
            return kept
        kept = self._blocks[id(base)] = (
            base,
            self.attributes.encode_fresh(base.items()),
            len(base),
        )
        return kept

    def _unusual(self, record: SpanRecord) -> bytes:
        """`span` for a span with a vendor trace state, events, a status or more attributes
        than the limit: every field looked at."""
        trace_id, span_id, state = record.trace_id, record.span_id, record.trace_state
        parent_id = record.parent_id
        head = _IDS.pack(0x0A, 16, trace_id >> 64, trace_id & _LOW64, 0x12, 8, span_id)
        if state is not EMPTY_STATE and state:
            head += _field(0x1A, ",".join(f"{k}={v}" for k, v in state.items()).encode())
        if parent_id:
            head += b"\x22\x08" + parent_id.to_bytes(8, "big")
        name = self._names.get(record.name) or self._name(record.name)
        parts = [
            head,
            name,
            _KIND_AND_TIMES.pack(
                0x30, record.kind._value_ + 1, 0x39, record.start_ns, 0x41, record.end_ns
            ),
        ]
        attributes, limit, base = record.attributes, self.limits.attributes, record.base
        if record.answer is not None:
            attributes = {**attributes, **answer_attributes(record.answer)}
        if base is not None:
            if limit is not None and len(base) + len(attributes) > limit:
                attributes = {**base, **attributes}  # the limit counts both: merged
            else:
                parts.append(self._block(base)[1])
        if limit is None or len(attributes) <= limit:
            parts.append(self.attributes.encode_fresh(attributes.items()))
        else:
            items, dropped = _limited(attributes, limit)
            parts += (self.attributes.encode(items), b"\x50" + _varint(dropped))
        if record.events:
            parts += (_field(0x5A, self._event(*event)) for event in record.events)
        if record.dropped_events:
            parts.append(b"\x60" + _varint(record.dropped_events))
        status = record.status
        if status is UNSET_STATUS:
            parts.append(_UNSET_REMOTE if record.parent_remote else _UNSET_LOCAL)
        else:
            flags = _FLAGS_REMOTE if record.parent_remote else _FLAGS_LOCAL
            parts += (_status(status.status_code.value, status.description), flags)
        return b"".join(parts)

    def _fresh(self) -> None:
        """Drop every cached encoding when the held secrets changed (or a cache is full):
        once per batch, not per span."""
        self._freshness.check()
        self.attributes.fresh()

    def _event(self, name: str, time_ns: int, attributes: Mapping[str, Any] | None) -> bytes:
        items, dropped = _limited(attributes or {}, self.limits.event_attributes)
        event = b"\x09" + _FIXED64(time_ns) + _field(0x12, REDACTOR(name).encode())
        event += self.event_attributes.encode(items)
        return event + (b"\x20" + _varint(dropped) if dropped else b"")

    def request(self, records: Sequence[SpanRecord]) -> bytes:
        """ExportTraceServiceRequest{resource_spans: [{resource, scope_spans: [{scope,
        spans}]}]}: one resource and one scope, as the gateway has."""
        self._fresh()
        span, parts, size = self.span, [self.scope_field], len(self.scope_field)
        for record in records:
            body = span(record)
            length = len(body)
            head = (
                bytes((0x12, length & 0x7F | 0x80, length >> 7))
                if 0x80 <= length < 0x4000  # the usual span: a two-byte length
                else _head(0x12, length)
            )
            parts += (head, body)
            size += len(head) + length
        resource_spans = self.resource_field + _head(0x12, size)  # ... + parts
        return b"".join((_head(0x0A, len(resource_spans) + size), resource_spans, *parts))


def _status(code: int, description: str | None) -> bytes:
    """The `status` field (always written, empty when UNSET, as the exporters do)."""
    status = _field(0x12, REDACTOR(description).encode()) if description else b""
    if code:
        status += b"\x18" + _varint(code)
    return _field(0x7A, status)


def resource_bytes(attributes: Mapping[str, Any]) -> bytes:
    """Resource{attributes} (encoded once per process)."""
    return AttributeCache(0x0A, None).encode(attributes.items())


def scope_bytes(name: str, version: str | None) -> bytes:
    """InstrumentationScope{name, version}."""
    return _field(0x0A, name.encode()) + (_field(0x12, version.encode()) if version else b"")
