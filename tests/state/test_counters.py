"""Token buckets and usage totals: the specification every backend meets."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from modelgate.state import State
from modelgate.state.memory import MemoryRateLimiter
from tests.state import usage_helpers

SLOW = 0.1
"""Tokens per second slow enough (10 s a token) that the time a few calls take refills
next to nothing however loaded the machine: waits are then known to well under a second.
The rate is an argument of every call, so a test can refill a bucket at a fast rate and
then inspect it at this one."""
SLACK_S = 0.5
"""Allowance for the backend's clock (time.time in SQLite, Redis' TIME) against ours."""


async def test_bucket_allows_the_burst_then_asks_to_wait_for_one_token(state: State) -> None:
    started = time.monotonic()
    for _ in range(3):
        assert await state.limiter.acquire("key", 1, rate_per_s=SLOW, burst=3) == 0
    wait = await state.limiter.acquire("key", 1, rate_per_s=SLOW, burst=3)
    elapsed = time.monotonic() - started
    # one token at SLOW/s, minus what refilled during the calls
    assert 1 / SLOW - elapsed - SLACK_S < wait <= 1 / SLOW


async def test_wait_is_proportional_to_the_missing_tokens(state: State) -> None:
    started = time.monotonic()
    assert await state.limiter.acquire("key", 10, rate_per_s=SLOW, burst=10) == 0
    five = await state.limiter.acquire("key", 5, rate_per_s=SLOW, burst=10)
    two = await state.limiter.acquire("key", 2, rate_per_s=SLOW, burst=10)
    elapsed = time.monotonic() - started
    assert 5 / SLOW - elapsed - SLACK_S < five <= 5 / SLOW
    assert 2 / SLOW - elapsed - SLACK_S < two <= 2 / SLOW


async def test_refused_acquire_consumes_nothing_and_the_bucket_refills(state: State) -> None:
    assert await state.limiter.acquire("key", 2, rate_per_s=SLOW, burst=2) == 0
    first = await state.limiter.acquire("key", 2, rate_per_s=SLOW, burst=2)
    assert first > 0
    for _ in range(5):  # a refusal that took tokens would make the next wait longer
        wait = await state.limiter.acquire("key", 2, rate_per_s=SLOW, burst=2)
        assert 0 < wait <= first
    # At 20/s the empty bucket holds its 2 tokens again after 0.1 s (a sleep is at least
    # as long as asked, so this holds on any machine), unless a refusal took some.
    await asyncio.sleep(2 / 20 + 0.03)
    assert await state.limiter.acquire("key", 2, rate_per_s=20, burst=2) == 0


async def test_refill_never_exceeds_the_burst(state: State) -> None:
    assert await state.limiter.acquire("key", 1, rate_per_s=SLOW, burst=2) == 0
    await asyncio.sleep(0.1)  # 10 tokens' worth of time at 100/s, but the bucket holds 2
    started = time.monotonic()
    assert await state.limiter.acquire("key", 2, rate_per_s=100, burst=2) == 0
    # Asked at the slow rate, a whole token is missing: nothing past the burst was kept.
    wait = await state.limiter.acquire("key", 1, rate_per_s=SLOW, burst=2)
    elapsed = time.monotonic() - started
    assert 1 / SLOW - elapsed - SLACK_S < wait <= 1 / SLOW


async def test_buckets_of_different_keys_are_independent(state: State) -> None:
    assert await state.limiter.acquire("key-a", 1, rate_per_s=SLOW, burst=1) == 0
    assert await state.limiter.acquire("key-a", 1, rate_per_s=SLOW, burst=1) > 0
    assert await state.limiter.acquire("key-b", 1, rate_per_s=SLOW, burst=1) == 0


async def test_a_cost_above_the_burst_is_never_allowed_and_takes_nothing(state: State) -> None:
    assert await state.limiter.acquire("key", 5, rate_per_s=1, burst=4) == math.inf
    assert await state.limiter.acquire("key", 4, rate_per_s=1, burst=4) == 0


@pytest.mark.parametrize(("cost", "rate", "burst"), [(1, 0, 1), (1, 1, 0), (-1, 1, 1)])
async def test_meaningless_bucket_arguments_are_rejected(
    state: State, cost: float, rate: float, burst: float
) -> None:
    with pytest.raises(ValueError, match="token bucket"):
        await state.limiter.acquire("key", cost, rate_per_s=rate, burst=burst)


async def test_usage_totals_accumulate_per_model_and_key(state: State) -> None:
    assert await usage_helpers.totals(state) == {}
    await state.totals.add(usage_helpers.call("gpt-4o", "key-a", 10, 5, 0.25))
    await state.totals.add(usage_helpers.call("gpt-4o", "key-a", 1, 2, 0.5))
    await state.totals.add(usage_helpers.call("gpt-4o", "key-b", 100, 0, 0.125))
    await state.totals.add(
        usage_helpers.call("llama3.2:latest@ollama/10.0.0.5:11434", "", 7, 8, 0.0)
    )
    totals = await usage_helpers.totals(state)
    assert set(totals) == {
        ("gpt-4o", "key-a"),
        ("gpt-4o", "key-b"),
        ("llama3.2:latest@ollama/10.0.0.5:11434", ""),
    }
    assert totals[("gpt-4o", "key-a")][:2] == (11, 7)
    assert totals[("gpt-4o", "key-a")][2] == pytest.approx(0.75)
    assert totals[("gpt-4o", "key-b")][:2] == (100, 0)
    assert totals[("gpt-4o", "key-b")][2] == pytest.approx(0.125)
    assert totals[("llama3.2:latest@ollama/10.0.0.5:11434", "")] == (7, 8, 0.0)


async def test_memory_limiter_past_its_cap_forgets_full_buckets_first() -> None:
    limiter = MemoryRateLimiter(max_buckets=10)
    assert await limiter.acquire("busy-0", 1, rate_per_s=0.001, burst=1) == 0
    for i in range(5):
        assert await limiter.acquire(f"full-{i}", 0.001, rate_per_s=1000, burst=1) == 0
    await asyncio.sleep(0.01)  # the "full-" buckets are full again: forgetting them is free
    for i in range(1, 6):
        assert await limiter.acquire(f"busy-{i}", 1, rate_per_s=0.001, burst=1) == 0
    # 11 buckets > 10: the 5 full ones go, which is enough; busy-0 is still empty.
    assert await limiter.acquire("busy-0", 1, rate_per_s=0.001, burst=1) > 0


async def test_memory_limiter_past_its_cap_forgets_the_least_recent_buckets() -> None:
    limiter = MemoryRateLimiter(max_buckets=10)
    for i in range(10):
        assert await limiter.acquire(f"busy-{i}", 1, rate_per_s=0.001, burst=1) == 0
    assert await limiter.acquire("busy-0", 1, rate_per_s=0.001, burst=1) > 0  # used again
    assert await limiter.acquire("busy-10", 1, rate_per_s=0.001, burst=1) == 0
    # None is full: the least recently used go, down to 9 (busy-1 and busy-2).
    assert await limiter.acquire("busy-0", 1, rate_per_s=0.001, burst=1) > 0
    assert await limiter.acquire("busy-3", 1, rate_per_s=0.001, burst=1) > 0
    assert await limiter.acquire("busy-1", 1, rate_per_s=0.001, burst=1) == 0
