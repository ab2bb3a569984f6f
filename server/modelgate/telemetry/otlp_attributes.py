"""Protobuf wire framing of OTLP attributes (`KeyValue`), and the cache of their bytes.

Split from `otlp_encoding` (which frames the spans around them): every attribute of every
traced call passes through here, so the usual ones cost a dict lookup or a table index.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterable, MutableMapping
from typing import Any

from modelgate.redactor import REDACTOR

log = logging.getLogger(__name__)

_DOUBLE = struct.Struct("<d").pack
_SMALL_INT = tuple(bytes((0x12, 2, 0x18, value)) for value in range(0x80))
"""KeyValue `value` fields of ints under 128, by the int; below, the head of a string's."""
_TEXT_HEADS = tuple(bytes((0x12, size + 2, 0x0A, size)) for size in range(0x7E))
CACHE_LIMIT = 8192
"""Attribute encodings kept (a few hundred recur; the rest, like response ids, do not)."""


class Freshness:
    """The one rule for caches of encodings that went through `REDACTOR`: all of them are
    dropped together when the held secrets change (a framed value may hold a new secret)
    or when one holds more than CACHE_LIMIT entries. Checked once per batch, not per
    span (`Encoder.request`, `AttributeCache.encode`)."""

    __slots__ = ("_caches", "_seen")

    def __init__(self, *caches: MutableMapping[Any, Any]) -> None:
        self._caches = caches
        self._seen = REDACTOR.version

    def check(self) -> None:
        """Clear every cache if the rule says so."""
        if self._seen != REDACTOR.version or any(len(c) > CACHE_LIMIT for c in self._caches):
            for cache in self._caches:
                cache.clear()
            self._seen = REDACTOR.version


def varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 as the wire has it: ten bytes, two's complement
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def head(tag: int, size: int) -> bytes:
    """The tag byte and length of a length-delimited field of `size` bytes."""
    if size < 0x80:
        return bytes((tag, size))
    if size < 0x4000:
        return bytes((tag, size & 0x7F | 0x80, size >> 7))
    return bytes((tag,)) + varint(size)


def field(tag: int, payload: bytes) -> bytes:
    """A length-delimited field: tag byte, length, payload."""
    return head(tag, len(payload)) + payload


def _any_value(value: Any, max_length: int | None) -> bytes | None:
    """AnyValue's bytes (None: a type OTLP cannot carry)."""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        value = REDACTOR(value)  # before the cut, which could leave part of a secret
        if max_length is not None:
            value = value[:max_length]
        return field(0x0A, value.encode())
    if isinstance(value, int):
        return b"\x18" + varint(value)
    if isinstance(value, float):
        return b"\x21" + _DOUBLE(value)
    if isinstance(value, bytes):
        return field(0x3A, value)
    if isinstance(value, (list, tuple)):
        items = [_any_value(item, max_length) if item is not None else b"" for item in value]
        if any(item is None for item in items):
            return None
        return field(0x2A, b"".join(field(0x0A, item) for item in items if item is not None))
    return None


def key_value(key: str, value: Any, max_length: int | None) -> bytes | None:
    """KeyValue's bytes, or None (logged) for a value OTLP cannot carry."""
    encoded = _any_value(value, max_length)
    if encoded is None:
        log.warning("span attribute %s dropped: invalid type %s", key, type(value).__name__)
        return None
    return field(0x0A, key.encode()) + field(0x12, encoded)


class AttributeCache:
    """Framed KeyValue fields (tag, length, bytes) per (key, value), made again whenever
    the held secrets change. A hit also checks the value's type: `(k, 1)`, `(k, True)`
    and `(k, 1.0)` are one dict key, not one attribute."""

    def __init__(
        self, tag: int, max_length: int | None, unique_keys: frozenset[str] = frozenset()
    ) -> None:
        self.tag = tag
        self.max_length = max_length
        self.unique_keys = {key: field(0x0A, key.encode()) for key in unique_keys}
        """Keys whose values are new on every call (a response id), to their own fields:
        framed, never kept. Keeping them cost a cache entry each and a clear every few
        thousand calls: 4.3k instructions per span with two such ids (cachegrind)."""
        self.cache: dict[tuple[str, Any], tuple[type, bytes]] = {}
        """(key, value) -> (the value's type, the framed field)."""
        self._keys: dict[str, bytes] = {}
        """Each key's own field (the keys are few; their text holds no secret)."""
        self._heads = tuple(bytes((tag, size)) for size in range(0x80))  # tag, length
        self._freshness = Freshness(self.cache)

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
            return head(self.tag, len(entry)) + entry
        if kind is not str:
            encoded = key_value(key, value, self.max_length)
            return b"" if encoded is None else field(self.tag, encoded)
        return self.framed_text(self._keys.get(key) or self._key_field(key), value)

    def framed_text(self, key_field: bytes, value: str) -> bytes:
        """A string attribute framed whole, `key_field` its key's own field."""
        value = REDACTOR(value)  # before the cut, which could leave part of a secret
        if self.max_length is not None:
            value = value[: self.max_length]
        text = value.encode()
        size = len(text)
        if size < 0x7E and (pair := len(key_field) + size + 4) < 0x80:
            # + both heads, from tables (`bytes` of a tuple: ~120 ns, an index: ~20)
            return self._heads[pair] + key_field + _TEXT_HEADS[size] + text
        return field(self.tag, key_field + field(0x12, field(0x0A, text)))

    def _key_field(self, key: str) -> bytes:
        key_field = self._keys[key] = field(0x0A, key.encode())
        return key_field

    def fresh(self) -> None:
        """Forget every encoding when the held secrets changed (or the cache is full); the
        keys' own fields stay (a key holds no secret)."""
        self._freshness.check()

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
                out.append(self.framed_text(key_field, value))
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
