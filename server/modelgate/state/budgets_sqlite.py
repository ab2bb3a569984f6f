"""Budget counters in the SQLite state file: one node, every worker process on it.

Reserve and settle are each one `BEGIN IMMEDIATE` transaction, so the admission
rule (`state.budgets`) holds across the `--workers N` processes sharing the file.
Holds are rows of their own (one per reservation and counter), expired rows and
finished periods' counters are purged as reservations come in.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from modelgate.state.budgets import Exhausted, Line, Reservation, Spend, first_exhausted
from modelgate.state.sqlite import SqliteDb, _Store

_SCHEMA = """
CREATE TABLE IF NOT EXISTS budget_spend (
    counter TEXT PRIMARY KEY, spent_nanos INTEGER NOT NULL, spent_tokens INTEGER NOT NULL,
    expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS budget_holds (
    hold_id TEXT NOT NULL, counter TEXT NOT NULL, nanos INTEGER NOT NULL,
    tokens INTEGER NOT NULL, until REAL NOT NULL, PRIMARY KEY (hold_id, counter));
CREATE INDEX IF NOT EXISTS budget_holds_counter ON budget_holds (counter);
"""


def _spend(c: sqlite3.Connection, counter: str, now: float) -> Spend:
    row = c.execute(
        "SELECT spent_nanos, spent_tokens FROM budget_spend WHERE counter = ?", (counter,)
    ).fetchone()
    held = c.execute(
        "SELECT coalesce(sum(nanos), 0), coalesce(sum(tokens), 0) FROM budget_holds "
        "WHERE counter = ? AND until > ?",
        (counter, now),
    ).fetchone()
    spent_nanos, spent_tokens = row if row else (0, 0)
    return Spend(int(spent_nanos), int(spent_tokens), int(held[0]), int(held[1]))


class SqliteBudgetStore(_Store):
    """Counters and holds as rows of the state file."""

    @classmethod
    async def open(cls, db: SqliteDb) -> SqliteBudgetStore:
        """The store, its tables created if missing."""
        store = cls(db)
        try:
            await db.run(lambda c: c.executescript(_SCHEMA))
        except BaseException:
            await store.aclose()
            raise
        return store

    async def reserve(
        self, reservation: Reservation, now: float, hold_until: float
    ) -> Exhausted | None:
        """See `BudgetStore.reserve`: one transaction."""

        def step(c: sqlite3.Connection) -> Exhausted | None:
            c.execute("DELETE FROM budget_holds WHERE until <= ?", (now,))
            c.execute("DELETE FROM budget_spend WHERE expires_at > 0 AND expires_at <= ?", (now,))
            lines = reservation.lines
            refused = first_exhausted(lines, [_spend(c, line.counter, now) for line in lines])
            if refused is None:
                c.executemany(
                    "INSERT OR REPLACE INTO budget_holds VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            reservation.hold_id,
                            line.counter,
                            reservation.estimate_nanos,
                            reservation.estimate_tokens,
                            hold_until,
                        )
                        for line in lines
                    ],
                )
            return refused

        return await self.db.transaction(step)

    async def settle(self, reservation: Reservation, spent_nanos: int, tokens: int) -> None:
        """See `BudgetStore.settle`: one transaction."""

        def step(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM budget_holds WHERE hold_id = ?", (reservation.hold_id,))
            c.executemany(
                "INSERT INTO budget_spend VALUES (?, ?, ?, ?) ON CONFLICT (counter) DO UPDATE SET "
                "spent_nanos = spent_nanos + excluded.spent_nanos, "
                "spent_tokens = spent_tokens + excluded.spent_tokens",
                [(ln.counter, spent_nanos, tokens, ln.expires_at) for ln in reservation.lines],
            )

        await self.db.transaction(step)

    async def read(self, lines: Sequence[Line], now: float) -> list[Spend]:
        """See `BudgetStore.read`."""
        return await self.db.run(lambda c: [_spend(c, line.counter, now) for line in lines])
