"""Spend and token budgets per key per period: the store contract, its arithmetic, memory.

A budget (`modelgate.admin.v1.Budget`) caps what one key spends in US dollars and/or
tokens per UTC day, UTC month or in total. Each (key, period window) has one counter:
its window is part of the counter's name (`day:2026-12-01`, `month:2026-12`, `total`),
so a new period starts at zero by construction, with no reset job.

A call first *reserves* an estimate, then *settles* its real usage. The admission
rule, applied atomically per key across every store (memory: one event-loop step;
SQLite: one `BEGIN IMMEDIATE` transaction; Redis: one Lua script):

    a call is admitted when, for every cap of every budget of the key,
    spent + held < cap            (held: the estimates of calls still in flight)
    and then holds its estimate on each of the key's counters.

So every call admitted saw the counters below their caps; spend crosses a cap only
through the calls in flight when it does. When every call's real usage stays within
its estimate, the last call admitted before the cap is the only one that can end
past it: spend never exceeds a cap by more than one call. (A call whose real usage
beats its estimate can overshoot by its excess; `api.budget_gate` says how the
gateway estimates.) Settling drops the hold and adds the real usage, also after the
hold expired (a hold outlives a crashed gateway by `hold_seconds` at most).

Money is counted in integer nano-dollars, so sums are exact in every backend (Redis
and Lua numbers included) and a cap of exactly N calls admits exactly N.
"""

from __future__ import annotations

import calendar
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from google.protobuf import timestamp_pb2

from modelgate.admin.v1 import admin_pb2

DAY = admin_pb2.BUDGET_PERIOD_DAY
MONTH = admin_pb2.BUDGET_PERIOD_MONTH
TOTAL = admin_pb2.BUDGET_PERIOD_TOTAL
PERIOD_NAMES = {DAY: "day", MONTH: "month", TOTAL: "total"}
"""How a period is spelt in config, counter names and QuotaFailure subjects."""
NANOS_PER_USD = 1_000_000_000
DEFAULT_HOLD_SECONDS = 3600.0
"""How long a reservation holds budget when its call never settles (a crashed gateway)."""
KEEP_AFTER_RESET_S = 86_400
"""A finished period's counter is kept this long past its reset, then dropped."""


def nanos(usd: float) -> int:
    """US dollars as integer nano-dollars (rounded to the nearest)."""
    return round(usd * NANOS_PER_USD)


@dataclass(frozen=True)
class Window:
    """The current window of one budget's period."""

    name: str
    """Part of the counter's name: `day:YYYY-MM-DD`, `month:YYYY-MM` or `total`."""
    reset: datetime | None
    """When the window ends (None: a total budget never resets)."""


def window(period: int, now: datetime) -> Window:
    """The window of `period` holding `now` (UTC); ValueError for an unset period."""
    now = now.astimezone(UTC)
    if period == DAY:
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return Window(f"day:{start:%Y-%m-%d}", start + timedelta(days=1))
    if period == MONTH:
        days = calendar.monthrange(now.year, now.month)[1]
        start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        return Window(f"month:{start:%Y-%m}", start + timedelta(days=days))
    if period == TOTAL:
        return Window("total", None)
    raise ValueError(f"budget period {period} is not day, month or total")


@dataclass(frozen=True)
class Line:
    """One budget of a key as a store counts it: its counter and its caps."""

    key_id: str
    window: str
    """The window's name, e.g. `day:2026-12-01`."""
    max_nanos: int
    """Spend cap in nano-dollars (0: none)."""
    max_tokens: int
    """Token cap (0: none)."""
    expires_at: float
    """Epoch seconds after which the counter may be dropped (0: never, a total budget)."""

    @property
    def counter(self) -> str:
        """`{key_id}:{window}`: the counter's name in memory and SQLite."""
        return f"{self.key_id}:{self.window}"


def lines(key_id: str, budgets: Sequence[admin_pb2.Budget], now: datetime) -> list[Line]:
    """The counters of `budgets` at `now`; budgets without any cap are skipped."""
    result = []
    for budget in budgets:
        if budget.max_cost_usd <= 0 and budget.max_tokens <= 0:
            continue
        win = window(budget.period, now)
        expires = win.reset.timestamp() + KEEP_AFTER_RESET_S if win.reset else 0.0
        result.append(
            Line(
                key_id,
                win.name,
                max(0, nanos(budget.max_cost_usd)),
                max(0, budget.max_tokens),
                expires,
            )
        )
    return result


@dataclass(frozen=True)
class Reservation:
    """A call's hold on its key's counters, to be settled once."""

    hold_id: str
    lines: tuple[Line, ...]
    estimate_nanos: int
    estimate_tokens: int


@dataclass(frozen=True)
class Exhausted:
    """Why a reservation was refused."""

    index: int
    """Which budget (position in the `budgets` given to `reserve`, capless ones counted)."""
    unit: str
    """"usd" or "tokens"."""
    by_spend: bool
    """True: spend alone reached the cap (wait for the period to reset); False: calls in
    flight hold the rest (retry shortly, they may settle below their estimates)."""


@dataclass(frozen=True)
class Spend:
    """One counter's figures now."""

    spent_nanos: int = 0
    spent_tokens: int = 0
    held_nanos: int = 0
    held_tokens: int = 0


class BudgetStore(Protocol):
    """Budget counters in one state backend."""

    async def reserve(
        self, reservation: Reservation, now: float, hold_until: float
    ) -> Exhausted | None:
        """Admit and hold `reservation` on each of its lines until `hold_until` (epoch
        seconds) and answer None, or refuse and hold nothing."""
        ...

    async def settle(self, reservation: Reservation, spent_nanos: int, tokens: int) -> None:
        """Drop the reservation's holds and add the real usage to its counters."""
        ...

    async def read(self, lines: Sequence[Line], now: float) -> list[Spend]:
        """Each line's counter as it stands (expired holds not counted)."""
        ...

    async def aclose(self) -> None:
        """Release the backend."""
        ...


def new_reservation(lines: Sequence[Line], estimate_usd: float, tokens: int) -> Reservation:
    """A reservation with a fresh id."""
    return Reservation(uuid.uuid4().hex, tuple(lines), max(0, nanos(estimate_usd)), max(0, tokens))


def first_exhausted(lines: Sequence[Line], spends: Sequence[Spend]) -> Exhausted | None:
    """The admission rule (see the module docstring) over each line's figures."""
    for index, (line, spend) in enumerate(zip(lines, spends, strict=True)):
        caps = (
            ("usd", line.max_nanos, spend.spent_nanos, spend.held_nanos),
            ("tokens", line.max_tokens, spend.spent_tokens, spend.held_tokens),
        )
        for unit, cap, spent, held in caps:
            if cap and spent + held >= cap:
                return Exhausted(index, unit, spent >= cap)
    return None


@dataclass
class _Counter:
    spent_nanos: int = 0
    spent_tokens: int = 0
    expires_at: float = 0.0
    holds: dict[str, tuple[int, int, float]] = field(default_factory=dict)
    """hold id -> (nanos, tokens, epoch seconds it expires)."""

    def spend(self, now: float) -> Spend:
        for hold_id in [h for h, (_, _, until) in self.holds.items() if until <= now]:
            del self.holds[hold_id]
        return Spend(
            self.spent_nanos,
            self.spent_tokens,
            sum(h[0] for h in self.holds.values()),
            sum(h[1] for h in self.holds.values()),
        )


class MemoryBudgetStore:
    """Counters in a dict (one process); each method runs without awaiting, so atomically.

    Finished periods' counters are dropped on the next reserve after they expire, so
    memory is bounded by keys x budgets x calls in flight.
    """

    def __init__(self) -> None:
        self._counters: dict[str, _Counter] = {}
        self._swept = 0.0

    async def reserve(
        self, reservation: Reservation, now: float, hold_until: float
    ) -> Exhausted | None:
        """See `BudgetStore.reserve`."""
        self._sweep(now)
        lines = reservation.lines
        counters = [self._counters.setdefault(line.counter, _Counter()) for line in lines]
        refused = first_exhausted(lines, [c.spend(now) for c in counters])
        if refused is None:
            for line, counter in zip(lines, counters, strict=True):
                counter.expires_at = line.expires_at
                counter.holds[reservation.hold_id] = (
                    reservation.estimate_nanos,
                    reservation.estimate_tokens,
                    hold_until,
                )
        return refused

    async def settle(self, reservation: Reservation, spent_nanos: int, tokens: int) -> None:
        """See `BudgetStore.settle`."""
        for line in reservation.lines:
            counter = self._counters.setdefault(line.counter, _Counter(expires_at=line.expires_at))
            counter.holds.pop(reservation.hold_id, None)
            counter.spent_nanos += spent_nanos
            counter.spent_tokens += tokens

    async def read(self, lines: Sequence[Line], now: float) -> list[Spend]:
        """See `BudgetStore.read`."""
        return [
            self._counters[line.counter].spend(now) if line.counter in self._counters else Spend()
            for line in lines
        ]

    def _sweep(self, now: float) -> None:
        if now - self._swept < 60:
            return
        self._swept = now
        for name in [n for n, c in self._counters.items() if 0 < c.expires_at <= now]:
            del self._counters[name]

    async def aclose(self) -> None:
        """Nothing to release; counters stay readable."""


async def budget_states(
    store: BudgetStore, key: admin_pb2.ApiKey, now: datetime | None = None
) -> list[admin_pb2.BudgetState]:
    """Each budget of `key` with its current period's spend (for `ApiKey.budget_states`).

    Raises `StateUnavailableError` when the backend cannot answer in time.
    """
    now = now or datetime.now(UTC)
    budgets = list(key.budgets)
    counted = lines(key.id, budgets, now)
    spends = iter(await store.read(counted, now.timestamp()))
    states = []
    for budget in budgets:
        state = admin_pb2.BudgetState(budget=budget)
        if budget.max_cost_usd > 0 or budget.max_tokens > 0:
            spend = next(spends)
            state.spent_usd = spend.spent_nanos / NANOS_PER_USD
            state.spent_tokens = spend.spent_tokens
        reset = window(budget.period, now).reset
        if reset is not None:
            state.reset_time.CopyFrom(_timestamp(reset))
        states.append(state)
    return states


def _timestamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def seconds_until(moment: datetime | None, now: datetime) -> float:
    """Seconds from `now` to `moment` (inf when None: never)."""
    return math.inf if moment is None else max(0.0, (moment - now).total_seconds())
