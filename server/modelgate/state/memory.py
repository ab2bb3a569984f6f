"""In-process state: the zero-config default for one gateway process.

Everything is bounded (entries per store, history per conversation) so memory
stays flat under a long soak, and uses `time.monotonic` so wall-clock jumps
neither expire nor revive entries. Values are kept serialized: a caller that
mutates what it saved or loaded cannot change what is stored. Each method runs
without awaiting, so the event loop makes it atomic.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import NamedTuple

from modelgate.state import conversations as conv
from modelgate.state.cache import DEFAULT_MAX_ENTRIES
from modelgate.state.counters import check_bucket, take
from modelgate.v1 import content_pb2

DEFAULT_MAX_CONVERSATIONS = 10_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
"""Memory conversations are bounded by bytes too: 10,000 one-megabyte prompts would be 10 GB."""
DEFAULT_MAX_BUCKETS = 100_000


class _Conversation(NamedTuple):
    expires_at: float
    owner: str
    history: bytes


class MemoryConversationStore:
    """Histories in insertion order; the oldest goes first when full or expired.

    With one TTL for all entries, insertion order is expiry order, so expired
    entries are dropped from the front in O(1) amortized on each save.
    """

    def __init__(
        self,
        ttl_seconds: float = conv.DEFAULT_TTL_SECONDS,
        max_history: int = conv.DEFAULT_MAX_HISTORY,
        max_conversations: int = DEFAULT_MAX_CONVERSATIONS,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        conv.check_settings(ttl_seconds, max_history)
        if max_conversations < 1:
            raise ValueError(f"max conversations must be >= 1, got {max_conversations}")
        self.ttl_seconds = ttl_seconds
        self.max_history = max_history
        self.max_conversations = max_conversations
        self.max_bytes = max_bytes
        self._bytes = 0
        self._entries: OrderedDict[str, _Conversation] = OrderedDict()

    async def save(
        self,
        response_id: str,
        owner: str,
        messages: Sequence[content_pb2.Message],
        model: str,
        *,
        conversation_id: str = "",
    ) -> None:
        """Store the trimmed history; evict expired, then the oldest beyond the cap."""
        conv.check_ids(response_id)
        now = time.monotonic()
        history = conv.encode_history(
            model, conv.trim_history(messages, self.max_history), conversation_id or response_id
        )
        replaced = self._entries.pop(response_id, None)
        if replaced is not None:
            self._bytes -= len(replaced.history)
        self._entries[response_id] = _Conversation(now + self.ttl_seconds, owner, history)
        self._bytes += len(history)
        while self._entries:
            oldest = next(iter(self._entries.values()))
            if (
                oldest.expires_at > now
                and len(self._entries) <= self.max_conversations
                and self._bytes <= self.max_bytes
            ):
                break
            self._bytes -= len(self._entries.popitem(last=False)[1].history)

    async def load(self, response_id: str, owner: str) -> conv.Conversation | None:
        """The conversation when it exists, is fresh and belongs to `owner`."""
        entry = self._entries.get(response_id)
        if entry is None or entry.owner != owner:
            return None
        if entry.expires_at <= time.monotonic():
            del self._entries[response_id]
            self._bytes -= len(entry.history)
            return None
        return conv.decode_history(entry.history, response_id)

    async def aclose(self) -> None:
        """Drop every conversation."""
        self._entries.clear()
        self._bytes = 0


class MemoryResponseCache:
    """An LRU of at most `max_entries`, each with its own expiry."""

    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"cache max entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        """The value when fresh (and mark it recently used)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store as most recently used; evict the least recently used beyond the cap."""
        self._entries.pop(key, None)
        if ttl <= 0:
            return
        self._entries[key] = (time.monotonic() + ttl, bytes(value))
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    async def aclose(self) -> None:
        """Drop every entry."""
        self._entries.clear()


class MemoryRateLimiter:
    """Token buckets in a dict, bounded by `max_buckets`.

    Past the cap, full buckets go first (a missing bucket is a full one, so that
    changes nothing), then the least recently used, down to 90% of the cap so the
    sweep runs once per 10% of new keys rather than on every call.
    """

    def __init__(self, max_buckets: int = DEFAULT_MAX_BUCKETS) -> None:
        if max_buckets < 1:
            raise ValueError(f"max buckets must be >= 1, got {max_buckets}")
        self.max_buckets = max_buckets
        self._buckets: dict[str, tuple[float, float, float]] = {}
        """key -> (tokens, stamp, monotonic time at which it is full again), LRU first."""

    async def acquire(self, key: str, cost: float, rate_per_s: float, burst: float) -> float:
        """See `RateLimiter.acquire`."""
        return self._take(key, cost, rate_per_s, burst, debit=False)

    async def debit(self, key: str, cost: float, rate_per_s: float, burst: float) -> None:
        """See `RateLimiter.debit`."""
        self._take(key, cost, rate_per_s, burst, debit=True)

    def _take(
        self, key: str, cost: float, rate_per_s: float, burst: float, *, debit: bool
    ) -> float:
        check_bucket(cost, rate_per_s, burst)
        now = time.monotonic()
        old = self._buckets.pop(key, None)
        bucket = take(old[:2] if old else None, now, cost, rate_per_s, burst, debit=debit)
        self._buckets[key] = (bucket.tokens, now, now + bucket.full_in)
        if len(self._buckets) > self.max_buckets:
            self._sweep(now)
        return bucket.wait

    def _sweep(self, now: float) -> None:
        for key in [k for k, (_, _, full_at) in self._buckets.items() if full_at <= now]:
            del self._buckets[key]
        excess = len(self._buckets) - int(self.max_buckets * 0.9)
        for key in list(itertools.islice(self._buckets, max(0, excess))):
            del self._buckets[key]

    async def aclose(self) -> None:
        """Drop every bucket."""
        self._buckets.clear()
