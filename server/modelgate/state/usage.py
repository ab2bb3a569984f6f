"""Usage in hourly buckets: requests, tokens and cost per (UTC hour, key, model).

The one record of who used what: the usage layer adds each answered call to its
hour's bucket and the admin API's GetUsage sums buckets over a window. A bucket is
an `admin.v1.UsageRow` whose `period_start` is the hour. Buckets older than the
retention are dropped, so the store is bounded in time (and by keys x models per
hour). Memory here; SQLite and Redis in `usage_backends`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol

from modelgate.admin.v1 import admin_pb2

HOUR = 3600
DEFAULT_RETENTION_HOURS = 90 * 24
COUNTS = ("requests", "input_tokens", "output_tokens", "cached_input_tokens", "reasoning_tokens")
"""The integer fields of a `UsageRow` a bucket sums (plus `cost_usd`)."""


def hour_of(seconds: float) -> int:
    """The UTC hour (epoch seconds) that `seconds` falls in."""
    return int(seconds // HOUR) * HOUR


def merge(into: admin_pb2.UsageRow, row: admin_pb2.UsageRow) -> None:
    """Add `row`'s counts and cost to `into`."""
    for name in COUNTS:
        setattr(into, name, getattr(into, name) + getattr(row, name))
    into.cost_usd += row.cost_usd


def bucket_row(hour: int, key_id: str, model: str, values: list[float]) -> admin_pb2.UsageRow:
    """A bucket from its hour, key, model and `COUNTS` + cost values."""
    row = admin_pb2.UsageRow(key_id=key_id, model=model, cost_usd=values[len(COUNTS)])
    row.period_start.FromSeconds(hour)
    for name, value in zip(COUNTS, values, strict=False):
        setattr(row, name, int(value))
    return row


def matches(row: admin_pb2.UsageRow, key_id: str, model: str) -> bool:
    """Whether the row is of `key_id` and `model` (empty: any)."""
    return (not key_id or row.key_id == key_id) and (not model or row.model == model)


def aggregate(
    buckets: Iterable[admin_pb2.UsageRow], period: Callable[[int], int | None] = lambda _: None
) -> list[admin_pb2.UsageRow]:
    """Buckets summed per key, model and `period(hour)` (its start, or None: the whole
    window), sorted by key, model, then period."""
    sums: dict[tuple[str, str, int], admin_pb2.UsageRow] = {}
    for bucket in buckets:
        start = period(bucket.period_start.seconds)
        group = (bucket.key_id, bucket.model, -1 if start is None else start)
        row = sums.get(group)
        if row is None:
            row = sums[group] = admin_pb2.UsageRow(key_id=bucket.key_id, model=bucket.model)
            if start is not None:
                row.period_start.FromSeconds(start)
        merge(row, bucket)
    return [sums[group] for group in sorted(sums)]


class UsageTotals(Protocol):
    """Hourly usage buckets per key and model, kept for a bounded time."""

    async def add(self, row: admin_pb2.UsageRow, at: float | None = None) -> None:
        """Add one call's usage (`row`, its period ignored) to the bucket of the hour of
        `at` (default: now)."""
        ...

    async def rows(
        self, start: int, end: int, key_id: str = "", model: str = ""
    ) -> list[admin_pb2.UsageRow]:
        """Buckets of the hours in [start, end) (epoch seconds, hour-aligned), of `key_id`
        and `model` (empty: every one), in no particular order."""
        ...

    async def aclose(self) -> None:
        """Release the backend."""
        ...


class MemoryUsageTotals:
    """Buckets in a dict keyed by (hour, key, model); old hours dropped on each new hour."""

    def __init__(self, retention_hours: int = DEFAULT_RETENTION_HOURS) -> None:
        self.retention = retention_hours * HOUR
        self._buckets: dict[tuple[int, str, str], admin_pb2.UsageRow] = {}
        self._newest = 0

    async def add(self, row: admin_pb2.UsageRow, at: float | None = None) -> None:
        """See `UsageTotals.add`."""
        hour = hour_of(time.time() if at is None else at)
        if hour > self._newest:
            self._newest = hour
            oldest = hour - self.retention
            for stale in [b for b in self._buckets if b[0] <= oldest]:
                del self._buckets[stale]
        bucket = self._buckets.get((hour, row.key_id, row.model))
        if bucket is None:
            bucket = self._buckets[(hour, row.key_id, row.model)] = bucket_row(
                hour, row.key_id, row.model, [0] * (len(COUNTS) + 1)
            )
        merge(bucket, row)

    async def rows(
        self, start: int, end: int, key_id: str = "", model: str = ""
    ) -> list[admin_pb2.UsageRow]:
        """See `UsageTotals.rows`."""
        found = []
        for (hour, _, _), bucket in self._buckets.items():
            if start <= hour < end and matches(bucket, key_id, model):
                copy = admin_pb2.UsageRow()
                copy.CopyFrom(bucket)
                found.append(copy)
        return found

    async def aclose(self) -> None:
        """Nothing to release; buckets stay readable."""
