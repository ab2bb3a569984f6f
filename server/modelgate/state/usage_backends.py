"""Hourly usage buckets on SQLite (one node) and Redis (the fleet); see `state.usage`.

SQLite: one upserted row per (hour, key, model), stale hours deleted once per new
hour. Redis: one hash per hour (fields JSON `[key, model, count]`, JSON because
model ids contain ':', '/' and '@') and a sorted set of the hours present, so a
window reads only its own hashes; both expire after the retention. Each add is one
MULTI/EXEC, so a reader never sees half a call.
"""

from __future__ import annotations

import json
import sqlite3
import time

from redis.asyncio.client import Pipeline

from modelgate.admin.v1 import admin_pb2
from modelgate.state import redis as redis_state
from modelgate.state import sqlite as sqlite_state
from modelgate.state.usage import (
    COUNTS,
    DEFAULT_RETENTION_HOURS,
    HOUR,
    bucket_row,
    hour_of,
    matches,
)

_FIELDS = (*COUNTS, "cost_usd")
_MAX_HOURS_PER_READ = 1000
"""Redis hashes read per MULTI/EXEC while summing a window."""


def _values(row: admin_pb2.UsageRow) -> list[float]:
    return [getattr(row, name) for name in _FIELDS]


class SqliteUsageTotals(sqlite_state._Store):
    """Table `usage_hours`, primary key (hour, api_key_id, model)."""

    def __init__(
        self, db: sqlite_state.SqliteDb, retention_hours: int = DEFAULT_RETENTION_HOURS
    ) -> None:
        super().__init__(db)
        self.retention = retention_hours * HOUR
        self._purged = 0

    async def add(self, row: admin_pb2.UsageRow, at: float | None = None) -> None:
        """See `UsageTotals.add`."""
        hour = hour_of(time.time() if at is None else at)
        purge, self._purged = hour > self._purged, max(hour, self._purged)
        sums = ", ".join(f"{n} = {n} + excluded.{n}" for n in _FIELDS)

        def write(c: sqlite3.Connection) -> None:
            if purge:
                c.execute("DELETE FROM usage_hours WHERE hour <= ?", (hour - self.retention,))
            c.execute(
                f"INSERT INTO usage_hours VALUES (?, ?, ?, {', '.join('?' * len(_FIELDS))}) "
                f"ON CONFLICT (hour, api_key_id, model) DO UPDATE SET {sums}",
                (hour, row.key_id, row.model, *_values(row)),
            )

        await self.db.transaction(write)

    async def rows(
        self, start: int, end: int, key_id: str = "", model: str = ""
    ) -> list[admin_pb2.UsageRow]:
        """See `UsageTotals.rows`."""
        query = "SELECT * FROM usage_hours WHERE hour >= ? AND hour < ?"
        args: list[object] = [start, end]
        if key_id:
            query, args = query + " AND api_key_id = ?", [*args, key_id]
        if model:
            query, args = query + " AND model = ?", [*args, model]
        found = await self.db.run(lambda c: c.execute(query, args).fetchall())
        return [bucket_row(int(h), k, m, list(values)) for h, k, m, *values in found]


class RedisUsageTotals(redis_state._Store):
    """Hash `usage:h:<hour>` per hour and sorted set `usage:hours` of the hours."""

    def __init__(
        self, backend: redis_state.RedisBackend, retention_hours: int = DEFAULT_RETENTION_HOURS
    ) -> None:
        super().__init__(backend)
        self.retention = retention_hours * HOUR
        self._hours = backend.key("usage", "hours")

    def _hash(self, hour: int) -> str:
        return self.backend.key("usage", f"h:{hour}")

    async def add(self, row: admin_pb2.UsageRow, at: float | None = None) -> None:
        """See `UsageTotals.add`."""
        hour = hour_of(time.time() if at is None else at)
        name = self._hash(hour)

        def queue(pipe: Pipeline) -> None:
            for field, value in zip(_FIELDS, _values(row), strict=True):
                if value:
                    label = json.dumps([row.key_id, row.model, field])
                    if field == "cost_usd":
                        pipe.hincrbyfloat(name, label, value)
                    else:
                        pipe.hincrby(name, label, int(value))
            pipe.expireat(name, hour + self.retention + HOUR)
            pipe.zadd(self._hours, {str(hour): hour})
            pipe.zremrangebyscore(self._hours, "-inf", hour - self.retention)
            pipe.expireat(self._hours, hour + self.retention + HOUR)

        await self._transaction(queue)

    async def rows(
        self, start: int, end: int, key_id: str = "", model: str = ""
    ) -> list[admin_pb2.UsageRow]:
        """See `UsageTotals.rows`."""
        found = await self.guard.call(
            lambda: self.client.zrangebyscore(self._hours, start, f"({end}")
        )
        hours = sorted(int(h) for h in found if isinstance(h, bytes | str))
        rows: list[admin_pb2.UsageRow] = []
        for first in range(0, len(hours), _MAX_HOURS_PER_READ):
            chunk = hours[first : first + _MAX_HOURS_PER_READ]

            def queue(pipe: Pipeline, chunk: list[int] = chunk) -> None:
                for hour in chunk:
                    pipe.hgetall(self._hash(hour))

            for hour, fields in zip(chunk, await self._transaction(queue), strict=True):
                rows += self._decode(hour, fields, key_id, model)
        return rows

    @staticmethod
    def _decode(
        hour: int, fields: dict[bytes, bytes], key_id: str, model: str
    ) -> list[admin_pb2.UsageRow]:
        sums: dict[tuple[str, str], list[float]] = {}
        for label, value in fields.items():
            row_key, row_model, field = json.loads(label)
            values = sums.setdefault((row_key, row_model), [0.0] * len(_FIELDS))
            values[_FIELDS.index(field)] = float(value)
        rows = [bucket_row(hour, k, m, values) for (k, m), values in sums.items()]
        return [row for row in rows if matches(row, key_id, model)]
