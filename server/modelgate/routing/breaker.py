"""Per-deployment circuit breaker: consecutive failures open it, a cooldown half-opens it.

Hand-rolled (about 50 lines) rather than aiobreaker/purgatory: those wrap a
callable, while our router must *skip* an open deployment and move to the next
one of an alias or fallback chain without calling anything, must let exactly
one probe through when half-open, and must expose its state in ListModels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeAlias

from modelgate.v1 import model_pb2

State: TypeAlias = model_pb2.BreakerState.ValueType


class CircuitBreaker:
    """CLOSED -> (threshold consecutive failures) -> OPEN -> (cooldown) -> HALF_OPEN -> probe."""

    __slots__ = ("_clock", "_failures", "_opened_at", "_probing", "cooldown", "threshold")

    def __init__(
        self, threshold: int, cooldown: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> State:
        """The state now (OPEN turns HALF_OPEN by itself once the cooldown passed)."""
        if self._opened_at is None:
            return model_pb2.BREAKER_STATE_CLOSED
        if self._clock() - self._opened_at >= self.cooldown:
            return model_pb2.BREAKER_STATE_HALF_OPEN
        return model_pb2.BREAKER_STATE_OPEN

    def retry_after(self) -> float:
        """Seconds until the breaker half-opens (0 when it admits calls)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (self._clock() - self._opened_at))

    def admit(self) -> bool:
        """Whether a call may go to this deployment now; half-open admits one probe."""
        state = self.state
        if state == model_pb2.BREAKER_STATE_CLOSED:
            return True
        if state == model_pb2.BREAKER_STATE_HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def success(self) -> None:
        """A call succeeded: close."""
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failure(self) -> None:
        """A call failed in a way that says the deployment is unhealthy."""
        self._failures += 1
        if self._probing or self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._probing = False

    def release(self) -> None:
        """A call ended without a verdict on health (e.g. the caller's own error)."""
        self._probing = False
