"""Budget counters: the specification every backend (memory, SQLite, Redis) meets."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis

from modelgate.admin.v1 import admin_pb2
from modelgate.state import State
from modelgate.state.budgets import (
    DAY,
    MONTH,
    TOTAL,
    Exhausted,
    Reservation,
    budget_states,
    lines,
    new_reservation,
    window,
)

NOW = datetime(2026, 12, 31, 23, 0, tzinfo=UTC)
HOUR = 3600.0


def _day(usd: float = 0, tokens: int = 0) -> admin_pb2.Budget:
    return admin_pb2.Budget(period=DAY, max_cost_usd=usd, max_tokens=tokens)


async def _reserve(
    state: State,
    budgets: list[admin_pb2.Budget],
    usd: float,
    tokens: int,
    *,
    now: datetime = NOW,
    key: str = "team-a",
) -> tuple[Exhausted | None, Reservation]:
    reservation = new_reservation(lines(key, budgets, now), usd, tokens)
    stamp = now.timestamp()
    return await state.budgets.reserve(reservation, stamp, stamp + HOUR), reservation


def test_periods_reset_at_utc_midnight_and_month_start_and_total_never() -> None:
    assert window(DAY, NOW) == window(DAY, NOW.replace(hour=0))
    assert window(DAY, NOW).reset == datetime(2027, 1, 1, tzinfo=UTC)
    assert window(MONTH, NOW).name == "month:2026-12"
    assert window(MONTH, NOW).reset == datetime(2027, 1, 1, tzinfo=UTC)
    assert window(MONTH, datetime(2028, 2, 10, tzinfo=UTC)).reset == datetime(
        2028, 3, 1, tzinfo=UTC
    )
    assert window(TOTAL, NOW).reset is None


async def test_calls_are_admitted_while_spent_plus_held_is_below_the_cap(state: State) -> None:
    budgets = [_day(usd=0.01)]
    refused, first = await _reserve(state, budgets, 0.004, 0)
    assert refused is None
    refused, second = await _reserve(state, budgets, 0.004, 0)
    assert refused is None
    refused, third = await _reserve(state, budgets, 0.004, 0)
    assert refused is None, "0.008 held < 0.01: admitted (and may end over the cap)"
    refused, _ = await _reserve(state, budgets, 0.004, 0)
    assert refused == Exhausted(0, "usd", by_spend=False), "calls in flight hold the rest"
    for reservation in (first, second, third):
        await state.budgets.settle(reservation, 4_000_000, 10)
    refused, _ = await _reserve(state, budgets, 0.004, 0)
    assert refused == Exhausted(0, "usd", by_spend=True)
    [spend] = await state.budgets.read(lines("team-a", budgets, NOW), NOW.timestamp())
    assert (spend.spent_nanos, spend.spent_tokens, spend.held_nanos) == (12_000_000, 30, 0)


async def test_a_refused_reservation_holds_nothing(state: State) -> None:
    budgets = [_day(tokens=10)]
    refused, held = await _reserve(state, budgets, 0, 10)
    assert refused is None
    for _ in range(3):
        assert (await _reserve(state, budgets, 0, 10))[0] == Exhausted(0, "tokens", False)
    await state.budgets.settle(held, 0, 4)
    refused, _ = await _reserve(state, budgets, 0, 10)
    assert refused is None, "4 spent, nothing held: the refusals took nothing"


async def test_settling_below_the_estimate_gives_the_rest_back(state: State) -> None:
    budgets = [_day(tokens=100)]
    _, big = await _reserve(state, budgets, 0, 100)
    assert (await _reserve(state, budgets, 0, 1))[0] is not None
    await state.budgets.settle(big, 0, 30)
    assert (await _reserve(state, budgets, 0, 1))[0] is None


async def test_concurrent_reservations_admit_exactly_what_the_cap_allows(state: State) -> None:
    budgets = [_day(tokens=50)]
    answers = await asyncio.gather(*(_reserve(state, budgets, 0, 10) for _ in range(20)))
    assert sum(refused is None for refused, _ in answers) == 5


async def test_every_budget_of_the_key_must_have_room_and_the_refusal_names_which(
    state: State,
) -> None:
    budgets = [_day(usd=1.0), admin_pb2.Budget(period=MONTH, max_tokens=5)]
    _, first = await _reserve(state, budgets, 0.01, 1)
    await state.budgets.settle(first, 10_000_000, 5)
    assert (await _reserve(state, budgets, 0.01, 1))[0] == Exhausted(1, "tokens", True)
    spends = await state.budgets.read(lines("team-a", budgets, NOW), NOW.timestamp())
    assert [s.held_tokens for s in spends] == [0, 0], "refused: not held on the day budget"


async def test_a_new_day_starts_from_zero_and_keys_are_independent(state: State) -> None:
    budgets = [_day(tokens=10)]
    _, spent = await _reserve(state, budgets, 0, 1)
    await state.budgets.settle(spent, 0, 10)
    assert (await _reserve(state, budgets, 0, 1))[0] is not None
    assert (await _reserve(state, budgets, 0, 1, key="team-b"))[0] is None
    tomorrow = NOW + timedelta(hours=2)
    assert (await _reserve(state, budgets, 0, 1, now=tomorrow))[0] is None


async def test_an_expired_hold_no_longer_counts(state: State) -> None:
    budgets = [_day(tokens=10)]
    assert (await _reserve(state, budgets, 0, 10))[0] is None
    later = NOW + timedelta(seconds=HOUR + 1)  # the hold's gateway never settled it
    assert (await _reserve(state, budgets, 0, 10, now=later))[0] is None


async def test_budget_states_report_the_current_period(state: State) -> None:
    key = admin_pb2.ApiKey(
        id="team-a", budgets=[_day(usd=1.0), admin_pb2.Budget(period=TOTAL, max_tokens=99)]
    )
    _, held = await _reserve(state, list(key.budgets), 0.5, 5)
    await state.budgets.settle(held, 250_000_000, 7)
    day, total = await budget_states(state.budgets, key, NOW)
    assert (day.spent_usd, day.spent_tokens) == (0.25, 7)
    assert day.reset_time.ToDatetime(UTC) == datetime(2027, 1, 1, tzinfo=UTC)
    assert (total.spent_tokens, total.HasField("reset_time")) == (7, False)
    assert total.budget == key.budgets[1]


async def test_debited_tokens_overdraw_a_bucket_until_it_refills(state: State) -> None:
    assert await state.limiter.acquire("tpm:k", 0, rate_per_s=0.1, burst=10) == 0
    await state.limiter.debit("tpm:k", 25, rate_per_s=0.1, burst=10)
    wait = await state.limiter.acquire("tpm:k", 0, rate_per_s=0.1, burst=10)
    assert 140 < wait <= 150, "15 tokens overdrawn at 0.1 a second"


@pytest.mark.redis
async def test_redis_counters_expire_a_day_after_their_period_and_total_never(
    fresh_redis_url: str,
) -> None:
    from modelgate.state import build_state

    state = await build_state(fresh_redis_url)
    try:
        now = datetime.now(UTC)
        budgets = [_day(tokens=10), admin_pb2.Budget(period=TOTAL, max_tokens=10)]
        assert (await _reserve(state, budgets, 0, 1, now=now))[0] is None
    finally:
        await state.aclose()
    with redis.Redis.from_url(fresh_redis_url) as client:
        names = {n.decode(): client.ttl(n) for n in client.keys("modelgate:budget:*")}
    reset = window(DAY, now).reset
    assert reset is not None
    day_ttl = names[f"modelgate:budget:{{team-a}}:{window(DAY, now).name}"]
    assert 86_400 < day_ttl <= (reset - now).total_seconds() + 86_401
    assert names["modelgate:budget:{team-a}:total"] == -1
