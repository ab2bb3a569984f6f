"""Pick the state backend from one URL, so deployment chooses it, not code.

None, "", "memory://"        in-process memory (the default; one process)
"sqlite:///abs/path/x.db"    a SQLite file at /abs/path/x.db
"sqlite://relative/x.db"     a SQLite file relative to the working directory
"redis://[:pw@]host:port/db" Redis (also rediss:// for TLS, unix:// sockets)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from modelgate.state import conversations as conv
from modelgate.state import keys_backends, memory, sqlite, usage_backends
from modelgate.state import redis as redis_state
from modelgate.state.budgets import BudgetStore, MemoryBudgetStore
from modelgate.state.budgets_redis import RedisBudgetStore
from modelgate.state.budgets_sqlite import SqliteBudgetStore
from modelgate.state.cache import DEFAULT_MAX_ENTRIES, ResponseCache
from modelgate.state.conversations import ConversationStore
from modelgate.state.counters import RateLimiter
from modelgate.state.errors import StateUnavailableError
from modelgate.state.guard import Bounds
from modelgate.state.keys import KeyStore, MemoryKeyStore
from modelgate.state.usage import DEFAULT_RETENTION_HOURS, MemoryUsageTotals, UsageTotals

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class State:
    """Everything the gateway shares between calls, from one backend."""

    backend: str
    """"memory", "sqlite" or "redis" (for logs and the health report)."""
    conversations: ConversationStore
    cache: ResponseCache
    limiter: RateLimiter
    totals: UsageTotals
    """Hourly usage per key and model (the usage layer writes, GetUsage reads)."""
    budgets: BudgetStore
    """Spend and token budgets per key and period."""
    keys: KeyStore
    """Caller keys made through the admin API."""

    async def aclose(self) -> None:
        """Close every part; the shared connection closes with the last one.

        A backend that fails or hangs while closing is logged, never raised: shutdown
        goes on (the process is about to drop its connections anyway).
        """
        for part in (
            self.conversations,
            self.cache,
            self.limiter,
            self.totals,
            self.budgets,
            self.keys,
        ):
            try:
                await part.aclose()
            except StateUnavailableError as exc:
                log.warning("state not closed cleanly: %s", exc)


async def build_state(
    url: str | None = None,
    *,
    ttl_seconds: float = conv.DEFAULT_TTL_SECONDS,
    max_history: int = conv.DEFAULT_MAX_HISTORY,
    cache_entries: int = DEFAULT_MAX_ENTRIES,
    max_conversations: int = memory.DEFAULT_MAX_CONVERSATIONS,
    max_conversation_bytes: int = memory.DEFAULT_MAX_BYTES,
    namespace: str = "modelgate",
    bounds: Bounds | None = None,
    usage_retention_hours: int = DEFAULT_RETENTION_HOURS,
) -> State:
    """Open the backend named by `url` (async: SQLite creates its schema, Redis is PINGed).

        `ttl_seconds` and `max_history` bound conversations everywhere;
        `cache_entries` bounds the memory and SQLite caches (Redis: `maxmemory`);
        `max_conversations` bounds the memory store only (the others expire by TTL);
        `namespace` prefixes Redis keys; `bounds` limits every SQLite and Redis call in
        time (opening included) and sets their breaker; usage hours older than
    `usage_retention_hours` are dropped. Raises ValueError for an unknown
        scheme and `StateUnavailableError` when the backend cannot be opened in time.
    """
    conv.check_settings(ttl_seconds, max_history)
    if cache_entries < 1 or max_conversations < 1:
        raise ValueError("cache_entries and max_conversations must be >= 1")
    url = url or "memory://"
    problem = url_problem(url)
    if problem:
        raise ValueError(problem)
    scheme = url.split(":", 1)[0].lower()
    if scheme == "memory":
        return State(
            "memory",
            memory.MemoryConversationStore(
                ttl_seconds, max_history, max_conversations, max_conversation_bytes
            ),
            memory.MemoryResponseCache(cache_entries),
            memory.MemoryRateLimiter(),
            MemoryUsageTotals(usage_retention_hours),
            MemoryBudgetStore(),
            MemoryKeyStore(),
        )
    if scheme == "sqlite":
        db = await sqlite.SqliteDb.open(url[len("sqlite://") :], bounds)
        return State(
            "sqlite",
            sqlite.SqliteConversationStore(db, ttl_seconds, max_history),
            sqlite.SqliteResponseCache(db, cache_entries),
            sqlite.SqliteRateLimiter(db),
            usage_backends.SqliteUsageTotals(db, usage_retention_hours),
            await SqliteBudgetStore.open(db),
            keys_backends.SqliteKeyStore(db),
        )
    if scheme in _REDIS_SCHEMES:
        backend = await redis_state.RedisBackend.open(url, namespace, bounds)
        return State(
            "redis",
            redis_state.RedisConversationStore(backend, ttl_seconds, max_history),
            redis_state.RedisResponseCache(backend),
            redis_state.RedisRateLimiter(backend),
            usage_backends.RedisUsageTotals(backend, usage_retention_hours),
            RedisBudgetStore(backend),
            keys_backends.RedisKeyStore(backend),
        )
    raise AssertionError(f"url_problem() let scheme {scheme!r} through")


_REDIS_SCHEMES = ("redis", "rediss", "unix")


def url_problem(url: str) -> str | None:
    """Why `state.url` names no backend this gateway can open, or None (checked at load)."""
    scheme = url.split(":", 1)[0].lower()
    if scheme == "sqlite" and not (url.startswith("sqlite://") and url[len("sqlite://") :]):
        return "SQLite state URL needs a path: sqlite:///abs/path.db"
    if scheme in ("memory", "sqlite", *_REDIS_SCHEMES):
        return None
    return f"unknown state URL scheme {scheme!r}: use memory://, sqlite:///path or redis://host:port/db"
