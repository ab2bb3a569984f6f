"""Wait for a condition by polling, instead of sleeping a fixed amount and hoping.

A fixed sleep encodes a guess about how fast the machine is: too short on a loaded
machine, wasted time on an idle one. Polling returns as soon as the condition holds,
and its bound is generous on purpose: it only limits how long a *failing* test takes.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable

GENEROUS_S = 30.0
"""Long enough for any loaded machine, short enough to stay under pytest's 60 s timeout."""
RPC_S = GENEROUS_S
"""Deadline of an RPC that must answer (or fail with a status) at once: a hang guard only,
so it is far above what any machine needs and never decides the outcome of a test."""


async def eventually(
    condition: Callable[[], bool] | Callable[[], Awaitable[bool]],
    *,
    within_s: float = GENEROUS_S,
    every_s: float = 0.01,
    what: str = "the condition",
) -> float:
    """Poll `condition` (sync or async) until it is true; return the monotonic time it was.

    Fails the test with `what` in the message if it is still false after `within_s`.
    """
    deadline = time.monotonic() + within_s
    while True:
        result = condition()
        if inspect.isawaitable(result):
            result = await result
        seen_at = time.monotonic()
        if result:
            return seen_at
        if seen_at > deadline:
            raise AssertionError(f"{what} did not hold within {within_s} s")
        await asyncio.sleep(every_s)


PROCESS_S = 60.0
"""Bound on one step of a child Python process: starting `modelgate serve` until it is
SERVING, a CLI call, an exit after SIGTERM. Each pays interpreter start-up and imports,
about a second on an idle machine and ten times that on a saturated one."""
PROCESS_TEST_TIMEOUT_S = 180.0
"""pytest-timeout for a test that runs child processes: a few PROCESS_S steps, instead of
the 60 s default that a handful of slow start-ups on a loaded machine can use up."""
