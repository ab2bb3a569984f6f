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
_DOUBLE = struct.Struct("<d").pack
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
_SMALL_INT = tuple(bytes((0x12, 2, 0x18, value)) for value in range(0x80))
"""KeyValue `value` fields of ints under 128, by the int; below, the head of a string's."""
_TEXT_HEADS = tuple(bytes((0x12, size + 2, 0x0A, size)) for size in range(0x7E))
_CACHE_LIMIT = 8192
"""Attribute encodings kept (a few hundred recur; the rest, like response ids, do not)."""


class SpanLimitsUsed(NamedTuple):
    """The SDK's span limits (`opentelemetry.sdk.trace.SpanLimits`, read from OTEL_*)."""

    attributes: int | None
    attribute_length: int | None
    events: int | None
    event_attributes: int | None


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 as the wire has it: ten bytes, two's complement
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _head(tag: int, size: int) -> bytes:
    """The tag byte and length of a length-delimited field of `size` bytes."""
    if size < 0x80:
        return bytes((tag, size))
    if size < 0x4000:
        return bytes((tag, size & 0x7F | 0x80, size >> 7))
    return bytes((tag,)) + _varint(size)


def _field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field: tag byte, length, payload."""
    return _head(tag, len(payload)) + payload


def _any_value(value: Any, max_length: int | None) -> bytes | None:
    """AnyValue's bytes (None: a type OTLP cannot carry)."""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        value = REDACTOR(value)  # before the cut, which could leave part of a secret
        if max_length is not None:
            value = value[:max_length]
        return _field(0x0A, value.encode())
    if isinstance(value, int):
        return b"\x18" + _varint(value)
    if isinstance(value, float):
        return b"\x21" + _DOUBLE(value)
    if isinstance(value, bytes):
        return _field(0x3A, value)
    if isinstance(value, (list, tuple)):
        items = [_any_value(item, max_length) if item is not None else b"" for item in value]
        if any(item is None for item in items):
            return None
        return _field(0x2A, b"".join(_field(0x0A, item) for item in items if item is not None))
    return None


def key_value(key: str, value: Any, max_length: int | None) -> bytes | None:
    """KeyValue's bytes, or None (logged) for a value OTLP cannot carry."""
    encoded = _any_value(value, max_length)
    if encoded is None:
        log.warning("span attribute %s dropped: invalid type %s", key, type(value).__name__)
        return None
    return _field(0x0A, key.encode()) + _field(0x12, encoded)


class AttributeCache:
    """Framed KeyValue fields (tag, length, bytes) per (key, value), made again whenever
    the held secrets change. A hit also checks the value's type: `(k, 1)`, `(k, True)`
    and `(k, 1.0)` are one dict key, not one attribute."""

    def __init__(
        self, tag: int, max_length: int | None, unique_keys: frozenset[str] = frozenset()
    ) -> None:
        self.tag = tag
        self.max_length = max_length
        self.unique_keys = {key: _field(0x0A, key.encode()) for key in unique_keys}
        """Keys whose values are new on every call (a response id), to their own fields:
        framed, never kept. Keeping them cost a cache entry each and a clear every few
        thousand calls: 4.3k instructions per span with two such ids (cachegrind)."""
        self.cache: dict[tuple[str, Any], tuple[type, bytes]] = {}
        """(key, value) -> (the value's type, the framed field)."""
        self._keys: dict[str, bytes] = {}
        """Each key's own field (the keys are few; their text holds no secret)."""
        self._heads = tuple(bytes((tag, size)) for size in range(0x80))  # tag, length
        self._secrets_seen = REDACTOR.version

    def framed(self, key: str, value: Any) -> bytes:
        """One framed KeyValue field, encoded now (b"" for a value OTLP cannot carry).
        The usual misses are framed in one step, their key's field kept: a string (a
        response or conversation id, new on every call) and a small non-negative int (a
        token count, which varies from call to call in production: 5.7-6.2k instructions
        against 15.3-16.2k through `key_value`, cachegrind, one call in a loop)."""
        kind = type(value)
        if kind is int and 0 <= value < 0x4000:  # a token count: a one- or two-byte varint
            key_field = self._keys.get(key) or self._key_field(key)
            entry: bytes
            if value < 0x80:
                entry = key_field + _SMALL_INT[value]
            else:
                entry = key_field + bytes((0x12, 3, 0x18, value & 0x7F | 0x80, value >> 7))
            return _head(self.tag, len(entry)) + entry
        if kind is not str:
            encoded = key_value(key, value, self.max_length)
            return b"" if encoded is None else _field(self.tag, encoded)
        return self._text(self._keys.get(key) or self._key_field(key), value)

    def _text(self, key_field: bytes, value: str) -> bytes:
        """A string attribute framed whole, `key_field` its key's own field."""
        value = REDACTOR(value)  # before the cut, which could leave part of a secret
        if self.max_length is not None:
            value = value[: self.max_length]
        text = value.encode()
        size = len(text)
        if size < 0x7E and (pair := len(key_field) + size + 4) < 0x80:
            # + both heads, from tables (`bytes` of a tuple: ~120 ns, an index: ~20)
            return self._heads[pair] + key_field + _TEXT_HEADS[size] + text
        return _field(self.tag, key_field + _field(0x12, _field(0x0A, text)))

    def _key_field(self, key: str) -> bytes:
        key_field = self._keys[key] = _field(0x0A, key.encode())
        return key_field

    def fresh(self) -> None:
        """Forget every encoding when the held secrets changed (or the cache is full)."""
        if self._secrets_seen != REDACTOR.version or len(self.cache) > _CACHE_LIMIT:
            self.cache.clear()
            self._secrets_seen = REDACTOR.version

    def encode(self, attributes: Iterable[tuple[str, Any]]) -> bytes:
        """The repeated KeyValue fields for `attributes`."""
        self.fresh()
        return self.encode_fresh(attributes)

    def encode_fresh(self, attributes: Iterable[tuple[str, Any]]) -> bytes:
        """`encode`, the caches known to be fresh (`Encoder` checks once per batch). A
        string under a unique key (an id new on every call) is framed at once: no
        (key, value) tuple hashed for a lookup that would miss."""
        cache, unique, out = self.cache, self.unique_keys, []
        for item in attributes:
            key, value = item
            if type(value) is str and (key_field := unique.get(key)) is not None:
                out.append(self._text(key_field, value))
                continue
            try:
                hit = cache.get(item)
            except TypeError:  # an unhashable value (a list)
                out.append(self.framed(key, value))
                continue
            if hit is None or hit[0] is not type(value):
                if key in unique:
                    out.append(self.framed(key, value))
                    continue
                hit = cache[item] = (type(value), self.framed(key, value))
            out.append(hit[1])
        return b"".join(out)


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
        self._secrets_seen = REDACTOR.version

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
        if (
            count > self._limit
            or record.status is not UNSET_STATUS
            or record.events
            or record.dropped_events
        ):
            return self._unusual(record)
        own = self.attributes.encode_fresh(attributes.items()) if attributes else b""
        status = _UNSET_REMOTE if record.parent_remote else _UNSET_LOCAL
        return b"".join((head, name, times, block, own, status))

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
        if (
            self._secrets_seen != REDACTOR.version
            or len(self._names) > _CACHE_LIMIT
            or len(self._blocks) > _CACHE_LIMIT
        ):
            self._names.clear()
            self._blocks.clear()
            self._secrets_seen = REDACTOR.version
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
