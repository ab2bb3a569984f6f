"""Bounds on every call to a state backend: a timeout, and a breaker that skips a failing one.

A hung backend (Redis stopped with its sockets open, a SQLite file locked by
another process) must degrade exactly like a down one, and as quickly: every
call gets `operation_timeout` seconds at most, whatever the driver does inside
(retries, reconnects, waiting for a pooled connection), and after
`breaker_threshold` consecutive failures the backend is skipped for
`breaker_cooldown` seconds, so calls fail at once instead of each waiting out
the timeout; then one call probes it and a success closes the breaker
(`state/breaker.py` says why this is not the router's windowed breaker).

Every failure leaves as `StateUnavailableError`, so callers apply their one
degradation (a cache miss, an unsaved conversation, UNAVAILABLE) to all of them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from modelgate.state.breaker import ConsecutiveBreaker
from modelgate.state.errors import StateUnavailableError
from modelgate.v1 import model_pb2

T = TypeVar("T")
log = logging.getLogger(__name__)

_CLOSED = model_pb2.BREAKER_STATE_CLOSED
_OPEN = model_pb2.BREAKER_STATE_OPEN


@dataclass(frozen=True)
class Bounds:
    """The limits of one backend (the `state.*` settings of the same names)."""

    operation_timeout: float = 0.5
    """Seconds one operation may take, retries and reconnects included."""
    connect_timeout: float = 2.0
    """Seconds to open the backend at start-up (Redis: connect and PING)."""
    breaker_threshold: int = 3
    """Consecutive failures (errors or timeouts) that open the breaker."""
    breaker_cooldown: float = 5.0
    """Seconds an open breaker skips the backend before one call probes it."""

    def __post_init__(self) -> None:
        if min(self.operation_timeout, self.connect_timeout, self.breaker_cooldown) <= 0:
            raise ValueError(f"state timeouts and cooldown must be > 0 seconds: {self}")
        if self.breaker_threshold < 1:
            raise ValueError(f"state breaker threshold must be >= 1, got {self.breaker_threshold}")


class Guard:
    """Runs one backend's operations within its bounds; shared by all of its stores."""

    def __init__(
        self,
        backend: str,
        where: str,
        faults: tuple[type[BaseException], ...],
        bounds: Bounds,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        """"redis" or "sqlite": safe to show callers."""
        self.where = where
        """e.g. "Redis state at redis://host:6379/0" (no password): for logs only."""
        self.faults = faults
        """The driver's exceptions that mean "the backend failed"."""
        self.bounds = bounds
        self.breaker = ConsecutiveBreaker(bounds.breaker_threshold, bounds.breaker_cooldown, clock)

    async def call(self, operation: Callable[[], Awaitable[T]]) -> T:
        """`await operation()` within the operation timeout, unless the breaker skips it."""
        breaker = self.breaker
        if not breaker.admit():
            wait = breaker.retry_after()
            raise StateUnavailableError(
                f"{self.where} skipped after {breaker.threshold} consecutive failures; "
                f"next try in {wait:.1f}s",
                backend=self.backend,
                summary="is skipped after repeated failures",
                retry_after=wait,
            )
        try:
            result = await self.bounded(operation, self.bounds.operation_timeout)
        except StateUnavailableError as exc:
            was_open = breaker.state == _OPEN
            breaker.failure()
            if not was_open and breaker.state == _OPEN:
                log.warning("%s; skipping it for %gs", exc, breaker.cooldown)
            raise
        except BaseException:  # cancelled by the caller, or a bug: no verdict on health
            breaker.release()
            raise
        if breaker.state != _CLOSED:
            log.info("%s answers again", self.where)
        breaker.success()
        return result

    async def bounded(self, operation: Callable[[], Awaitable[T]], seconds: float) -> T:
        """`await operation()` within `seconds`, the driver's faults as `StateUnavailableError`.

        No breaker: for opening and closing the backend, which are once per process.
        """
        try:
            async with asyncio.timeout(seconds):
                return await operation()
        except TimeoutError as exc:  # ours, or the driver's own socket timeout
            raise StateUnavailableError(
                f"{self.where} did not answer within {seconds:g}s",
                backend=self.backend,
                summary=f"did not answer within {seconds:g}s",
            ) from exc
        except self.faults as exc:
            raise StateUnavailableError(
                f"{self.where} failed: {exc}", backend=self.backend, summary="failed"
            ) from exc
