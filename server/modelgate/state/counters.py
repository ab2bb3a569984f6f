"""Per-key token buckets (usage lives in `state.usage`).

The bucket arithmetic lives here once (`take`) for the memory and SQLite
limiters; the Redis limiter runs the same arithmetic as a Lua script so that
read, refill and consume are one atomic step on the server.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Protocol


class RateLimiter(Protocol):
    """Token buckets by key, created full on first use."""

    async def acquire(self, key: str, cost: float, rate_per_s: float, burst: float) -> float:
        """0 when `cost` tokens were available (and are now taken), else seconds to wait.

        A refused call takes nothing, so waiting the returned time and calling
        again succeeds unless someone else took the tokens meanwhile. A cost
        above `burst` can never be met: the answer is `math.inf`.
        """
        ...

    async def debit(self, key: str, cost: float, rate_per_s: float, burst: float) -> None:
        """Take `cost` tokens whatever the level, which may go negative: for costs known
        only after the fact (a call's tokens). An overdrawn bucket answers `acquire` with
        the wait until it is back above the cost asked."""
        ...

    async def aclose(self) -> None:
        """Release the backend."""
        ...


class Bucket(NamedTuple):
    """A bucket's state after `take`, and its answer."""

    tokens: float
    """Tokens left (refilled up to now, minus the cost when taken)."""
    wait: float
    """0 when taken, else seconds until `cost` tokens will be there."""
    full_in: float
    """Seconds until the bucket is full again: after that its state can be dropped,
    as a missing bucket is a full one."""


def check_bucket(cost: float, rate_per_s: float, burst: float) -> None:
    """Reject arguments with no meaningful bucket (0 rate means "no limit": don't call)."""
    if not (rate_per_s > 0 and burst > 0 and cost >= 0):
        raise ValueError(
            f"token bucket needs rate > 0, burst > 0, cost >= 0; got "
            f"rate={rate_per_s}, burst={burst}, cost={cost}"
        )


def take(
    old: tuple[float, float] | None,
    now: float,
    cost: float,
    rate_per_s: float,
    burst: float,
    *,
    debit: bool = False,
) -> Bucket:
    """Refill a bucket (`old` = (tokens, stamp), None: new and full) to `now`, then take
    `cost` if it is there (`debit`: take it anyway, going negative)."""
    level = burst if old is None else min(burst, old[0] + max(0.0, now - old[1]) * rate_per_s)
    if debit:
        level -= cost
        return Bucket(level, 0.0, (burst - level) / rate_per_s)
    if cost > burst:
        return Bucket(level, math.inf, (burst - level) / rate_per_s)
    if level >= cost:
        level -= cost
        return Bucket(level, 0.0, (burst - level) / rate_per_s)
    return Bucket(level, (cost - level) / rate_per_s, (burst - level) / rate_per_s)
