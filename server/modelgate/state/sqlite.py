"""SQLite state: one durable node, stdlib `sqlite3` on one dedicated thread.

One connection lives on a single-thread executor, so it is only ever touched by
the thread that opened it (no lock, and `check_same_thread` stays on to prove
it) and the event loop never blocks on disk. WAL mode lets readers run beside
the writer and lets `--workers N` processes on the same node share the file;
`busy_timeout` makes them queue rather than fail, for at most the operation
timeout: a file locked for longer fails like a broken one (see `guard`), and the
thread is free again about when the caller gave up. Expiry columns use
wall-clock time, which survives restarts and is shared by those processes.

Token buckets live in the file too, each acquire one `BEGIN IMMEDIATE`
transaction: that costs a small write per call, but keeps the limit a node-wide
one when several worker processes share the file (per-process memory buckets
would let N workers admit N times the rate).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from modelgate.state import conversations as conv
from modelgate.state.cache import DEFAULT_MAX_ENTRIES
from modelgate.state.counters import check_bucket, take
from modelgate.state.errors import StateUnavailableError
from modelgate.state.guard import Bounds, Guard
from modelgate.v1 import content_pb2

T = TypeVar("T")

SCHEMA_VERSION = 2
"""2: hourly usage (`usage_hours`, replacing lifetime `usage_totals`) and `api_keys`."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, owner TEXT NOT NULL, history BLOB NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS conversations_expiry ON conversations (expires_at);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY, value BLOB NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS cache_expiry ON cache (expires_at);
CREATE TABLE IF NOT EXISTS rate_buckets (
    key TEXT PRIMARY KEY, tokens REAL NOT NULL, stamp REAL NOT NULL, full_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS rate_buckets_full ON rate_buckets (full_at);
CREATE TABLE IF NOT EXISTS usage_hours (
    hour INTEGER NOT NULL, api_key_id TEXT NOT NULL, model TEXT NOT NULL,
    requests INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL, PRIMARY KEY (hour, api_key_id, model));
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, key BLOB NOT NULL);
"""


class SqliteDb:
    """The shared connection, closed when the last store using it closes."""

    def __init__(self, path: Path, bounds: Bounds | None = None) -> None:
        self.path = path
        self.bounds = bounds or Bounds()
        self.guard = Guard(
            "sqlite", f"SQLite state at {path}", (sqlite3.Error, OSError), self.bounds
        )
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="modelgate-sqlite")
        self._conn: sqlite3.Connection | None = None
        self._users = 0
        self._closed = False

    @classmethod
    async def open(cls, path: str | Path, bounds: Bounds | None = None) -> SqliteDb:
        """Open (creating the file, its directory and the schema) in WAL mode, within the
        connect timeout."""
        db = cls(Path(path), bounds)
        try:
            await db._call(db._connect, db.bounds.connect_timeout)
        except BaseException:
            db._closed = True
            db._executor.shutdown(wait=False)
            raise
        return db

    def _connect(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            self.path, timeout=self.bounds.operation_timeout, isolation_level=None
        )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"schema version {version} is newer than this gateway")
            conn.executescript(_SCHEMA)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    async def _call(self, fn: Callable[[], T], limit: float | None = None) -> T:
        """Run `fn` on the database thread: within the guard, or within `limit` seconds and
        without the breaker (opening and closing)."""
        if self._closed:  # report use after close like any other backend failure
            raise StateUnavailableError(f"SQLite state at {self.path} is closed", backend="sqlite")

        def run() -> asyncio.Future[T]:
            return asyncio.get_running_loop().run_in_executor(self._executor, fn)

        if limit is None:
            return await self.guard.call(run)
        return await self.guard.bounded(run, limit)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the database thread."""
        return await self._call(lambda: fn(self._connection()))

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` inside `BEGIN IMMEDIATE` ... `COMMIT` (rolled back on error)."""

        def body() -> T:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                if conn.in_transaction:  # SQLite may have rolled back already (e.g. disk full)
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await self._call(body)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise sqlite3.ProgrammingError("the SQLite state is closed")
        return self._conn

    def retain(self) -> None:
        """Count one more store using the connection."""
        self._users += 1

    async def release(self) -> None:
        """One store is done; the last one closes the connection and its thread."""
        self._users -= 1
        if self._users <= 0 and self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await self._call(conn.close, self.bounds.operation_timeout)
            finally:
                self._closed = True
                self._executor.shutdown(wait=False)


class _Store:
    """Retains the db on creation, releases it once on `aclose`."""

    def __init__(self, db: SqliteDb) -> None:
        self.db = db
        self._open = True
        db.retain()

    async def aclose(self) -> None:
        """Release this store's hold on the shared connection (idempotent)."""
        if self._open:
            self._open = False
            await self.db.release()


class SqliteConversationStore(_Store):
    """Histories with an expiry column; expired rows are purged on each save."""

    def __init__(
        self,
        db: SqliteDb,
        ttl_seconds: float = conv.DEFAULT_TTL_SECONDS,
        max_history: int = conv.DEFAULT_MAX_HISTORY,
    ) -> None:
        conv.check_settings(ttl_seconds, max_history)
        super().__init__(db)
        self.ttl_seconds = ttl_seconds
        self.max_history = max_history

    async def save(
        self,
        response_id: str,
        owner: str,
        messages: Sequence[content_pb2.Message],
        model: str,
        *,
        conversation_id: str = "",
    ) -> None:
        """Store the trimmed history; see `ConversationStore.save`."""
        conv.check_ids(response_id)
        history = conv.encode_history(
            model, conv.trim_history(messages, self.max_history), conversation_id or response_id
        )

        def write(c: sqlite3.Connection) -> None:
            now = time.time()
            c.execute("DELETE FROM conversations WHERE expires_at <= ?", (now,))
            c.execute(
                "INSERT OR REPLACE INTO conversations VALUES (?, ?, ?, ?)",
                (response_id, owner, history, now + self.ttl_seconds),
            )

        await self.db.transaction(write)

    async def load(self, response_id: str, owner: str) -> conv.Conversation | None:
        """The conversation when it exists, is fresh and belongs to `owner`."""
        row = await self.db.run(
            lambda c: c.execute(
                "SELECT history FROM conversations WHERE id = ? AND owner = ? AND expires_at > ?",
                (response_id, owner, time.time()),
            ).fetchone()
        )
        return None if row is None else conv.decode_history(row[0], response_id)


class SqliteResponseCache(_Store):
    """Entries with an expiry column; beyond `max_entries` the soonest to expire go.

    Not a strict LRU: that would turn every hit into a write. Evicting by expiry
    bounds the file with reads staying reads.
    """

    def __init__(self, db: SqliteDb, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        if max_entries < 1:
            raise ValueError(f"cache max entries must be >= 1, got {max_entries}")
        super().__init__(db)
        self.max_entries = max_entries

    async def get(self, key: str) -> bytes | None:
        """The value when fresh."""
        row = await self.db.run(
            lambda c: c.execute(
                "SELECT value FROM cache WHERE key = ? AND expires_at > ?", (key, time.time())
            ).fetchone()
        )
        return None if row is None else bytes(row[0])

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store for `ttl` seconds (`ttl <= 0` deletes); purge expired and overflow."""

        def write(c: sqlite3.Connection) -> None:
            now = time.time()
            c.execute("DELETE FROM cache WHERE expires_at <= ? OR key = ?", (now, key))
            if ttl > 0:
                c.execute("INSERT INTO cache VALUES (?, ?, ?)", (key, bytes(value), now + ttl))
            (count,) = c.execute("SELECT count(*) FROM cache").fetchone()
            if count > self.max_entries:
                c.execute(
                    "DELETE FROM cache WHERE key IN "
                    "(SELECT key FROM cache ORDER BY expires_at LIMIT ?)",
                    (count - self.max_entries,),
                )

        await self.db.transaction(write)


class SqliteRateLimiter(_Store):
    """Token buckets shared by every process on the node; full buckets are purged."""

    async def acquire(self, key: str, cost: float, rate_per_s: float, burst: float) -> float:
        """See `RateLimiter.acquire`."""
        return await self._take(key, cost, rate_per_s, burst, debit=False)

    async def debit(self, key: str, cost: float, rate_per_s: float, burst: float) -> None:
        """See `RateLimiter.debit`."""
        await self._take(key, cost, rate_per_s, burst, debit=True)

    async def _take(
        self, key: str, cost: float, rate_per_s: float, burst: float, *, debit: bool
    ) -> float:
        check_bucket(cost, rate_per_s, burst)

        def step(c: sqlite3.Connection) -> float:
            now = time.time()
            row = c.execute(
                "SELECT tokens, stamp FROM rate_buckets WHERE key = ?", (key,)
            ).fetchone()
            bucket = take(row, now, cost, rate_per_s, burst, debit=debit)
            c.execute("DELETE FROM rate_buckets WHERE full_at <= ?", (now,))
            c.execute(
                "INSERT OR REPLACE INTO rate_buckets VALUES (?, ?, ?, ?)",
                (key, bucket.tokens, now, now + bucket.full_in),
            )
            return bucket.wait

        return await self.db.transaction(step)
