"""The state guard's rules, on a clock the test moves: no test here waits for real time.

A backend that fails `threshold` times in a row is skipped without being called
until the cooldown has passed; then exactly one call probes it, and its verdict
closes or reopens the breaker. A hang is cut at the operation timeout and counts
as a failure; a caller's cancellation says nothing about the backend.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable

import pytest

from modelgate.state import Bounds, StateUnavailableError
from modelgate.state.guard import Guard

THRESHOLD = 3
COOLDOWN = 10.0


class Clock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """Counts calls; fails (a driver error) while `down`, hangs forever while `hung`."""

    def __init__(self) -> None:
        self.calls = 0
        self.down = False
        self.hung = False

    async def operation(self) -> str:
        self.calls += 1
        if self.hung:
            await asyncio.Event().wait()
        if self.down:
            raise sqlite3.OperationalError("database is locked")
        return "ok"


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make_guard(clock: Clock, operation_timeout: float) -> Guard:
    bounds = Bounds(operation_timeout, 1.0, THRESHOLD, COOLDOWN)
    return Guard("sqlite", "SQLite state at /x.db", (sqlite3.Error, OSError), bounds, clock)


@pytest.fixture
def guard(clock: Clock) -> Guard:
    """Its timeout never fires during a test: only `clock` moves the breaker."""
    return make_guard(clock, operation_timeout=300)


async def fails(call: Callable[[], Awaitable[str]]) -> StateUnavailableError:
    with pytest.raises(StateUnavailableError) as caught:
        await call()
    return caught.value


async def open_breaker(guard: Guard, backend: Backend) -> None:
    backend.down = True
    for _ in range(THRESHOLD):
        await fails(lambda: guard.call(backend.operation))


async def test_a_driver_error_becomes_state_unavailable_naming_only_the_backend(
    guard: Guard,
) -> None:
    backend = Backend()
    backend.down = True
    error = await fails(lambda: guard.call(backend.operation))
    assert str(error) == "SQLite state at /x.db failed: database is locked"
    assert (error.backend, error.summary, error.retry_after) == ("sqlite", "failed", None)


async def test_after_threshold_consecutive_failures_the_backend_is_not_called(
    guard: Guard, clock: Clock
) -> None:
    backend = Backend()
    await open_breaker(guard, backend)
    assert backend.calls == THRESHOLD
    clock.now += 4
    skipped = await fails(lambda: guard.call(backend.operation))
    assert backend.calls == THRESHOLD, "skipped, not called"
    assert skipped.summary == "is skipped after repeated failures"
    assert skipped.retry_after == pytest.approx(COOLDOWN - 4)
    assert "next try in 6.0s" in str(skipped)


async def test_a_success_resets_the_count_of_consecutive_failures(guard: Guard) -> None:
    backend = Backend()
    for _ in range(3):
        backend.down = True
        for _ in range(THRESHOLD - 1):
            await fails(lambda: guard.call(backend.operation))
        backend.down = False
        assert await guard.call(backend.operation) == "ok"
    assert backend.calls == 3 * THRESHOLD, "never skipped"


async def test_after_the_cooldown_one_probe_goes_through_and_its_success_closes(
    guard: Guard, clock: Clock
) -> None:
    backend = Backend()
    await open_breaker(guard, backend)
    clock.now += COOLDOWN
    backend.down = False
    backend.hung = True  # hold the probe in flight while a second call arrives
    probe = asyncio.ensure_future(guard.call(backend.operation))
    await asyncio.sleep(0)
    assert backend.calls == THRESHOLD + 1
    await fails(lambda: guard.call(backend.operation))
    assert backend.calls == THRESHOLD + 1, "while the probe is out, other calls are skipped"
    backend.hung = False
    probe.cancel()  # no verdict: the next call probes again
    with pytest.raises(asyncio.CancelledError):
        await probe
    assert await guard.call(backend.operation) == "ok"
    assert [await guard.call(backend.operation) for _ in range(5)] == ["ok"] * 5


async def test_a_failed_probe_skips_the_backend_for_another_full_cooldown(
    guard: Guard, clock: Clock
) -> None:
    backend = Backend()
    await open_breaker(guard, backend)
    clock.now += COOLDOWN
    await fails(lambda: guard.call(backend.operation))
    assert backend.calls == THRESHOLD + 1, "one probe, which failed"
    clock.now += COOLDOWN - 0.5
    skipped = await fails(lambda: guard.call(backend.operation))
    assert backend.calls == THRESHOLD + 1
    assert skipped.retry_after == pytest.approx(0.5)


async def test_a_hung_operation_fails_at_the_timeout_and_counts_as_a_failure(
    clock: Clock,
) -> None:
    guard = make_guard(clock, operation_timeout=0.05)
    backend = Backend()
    backend.hung = True  # never answers: only the guard can end the call
    for _ in range(THRESHOLD):
        error = await fails(lambda: guard.call(backend.operation))
        assert error.summary == "did not answer within 0.05s"
        assert str(error) == "SQLite state at /x.db did not answer within 0.05s"
    await fails(lambda: guard.call(backend.operation))
    assert backend.calls == THRESHOLD, "a hung backend is skipped like a down one"


async def test_errors_that_are_not_the_drivers_pass_through_without_a_verdict(
    guard: Guard,
) -> None:
    async def bug() -> str:
        raise KeyError("a gateway bug")

    for _ in range(THRESHOLD + 1):
        with pytest.raises(KeyError):
            await guard.call(bug)
    backend = Backend()
    assert await guard.call(backend.operation) == "ok", "bugs never open the breaker"


@pytest.mark.parametrize(
    "fields",
    [
        {"operation_timeout": 0},
        {"connect_timeout": -1},
        {"breaker_cooldown": 0},
        {"breaker_threshold": 0},
    ],
)
def test_bounds_that_would_never_bound_or_never_close_are_rejected(
    fields: dict[str, float],
) -> None:
    with pytest.raises(ValueError, match="state"):
        Bounds(**fields)  # type: ignore[arg-type]
