"""The response cache: opaque bytes (a serialized response) by request key.

Values are bytes so every backend stores the same thing and the cache never
needs to know which response type it holds; the caller serializes the proto
response and parses it back.
"""

from __future__ import annotations

import hashlib
from typing import Protocol

from google.protobuf.message import Message

DEFAULT_MAX_ENTRIES = 1024

CALLER_ONLY_FIELDS = ("metadata", "user", "cache_control")
"""Fields that describe the caller or the cache itself, never the answer."""

_KEY_VERSION = b"modelgate.cache.v2"
"""v2: keys carry a scope (the caller key, unless shared); v1 entries simply miss."""


class ResponseCache(Protocol):
    """Bytes by key with a per-entry TTL; a miss is None, never an error."""

    async def get(self, key: str) -> bytes | None:
        """The value, or None when absent or expired."""
        ...

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store `value` for `ttl` seconds; `ttl <= 0` removes the key instead."""
        ...

    async def aclose(self) -> None:
        """Release the backend; the cache is unusable afterwards."""
        ...


def cache_key(model: str, request: Message, scope: str = "") -> str:
    """SHA-256 hex key of `model` and everything in `request` that shapes the answer.

    The request is copied with the caller-only fields (`metadata`, `user`,
    `cache_control`) cleared, so two requests differing only there share an
    entry (within one `scope`), then serialized with `deterministic=True`: without it, map fields
    (the deprecated `google.protobuf.Struct` twins of the JSON text fields)
    may serialize in any order and equal requests would miss. JSON text
    fields are keyed as written: the same JSON spelt differently (key order,
    spacing) reaches the provider differently, so it is a different request. Deterministic
    output is stable within one protobuf runtime, which is all a cache needs: a
    version skew across a rollout costs misses, never wrong hits. Unknown fields
    (a newer client) stay in the bytes, so they can only split keys, never merge.

    `model` is the model that will serve the call (after alias resolution), so an
    alias and its target share entries. The key also names the request kind, so
    a chat and a completion never collide; StreamChat and Chat share one (a StreamChat
    request is decoded as a ChatRequest, `modelgate.api.decoding`), as a cached unary
    answer can be replayed as a stream.
    `scope` keeps callers apart: the caller's key id with `state.cache_scope: key` (the
    default), so one key is never served what another asked (nor can time it); "" shares
    entries across keys (`shared`). The request passed in is not modified.
    """
    clean = type(request)()
    clean.CopyFrom(request)
    fields = clean.DESCRIPTOR.fields_by_name
    for name in CALLER_ONLY_FIELDS:
        if name in fields:
            clean.ClearField(name)
    kind = clean.DESCRIPTOR.full_name
    digest = hashlib.sha256()
    for part in (
        _KEY_VERSION,
        kind.encode(),
        model.encode(),
        scope.encode(),
        clean.SerializeToString(deterministic=True),
    ):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()
