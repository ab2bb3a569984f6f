"""The state backend's breaker: consecutive failures open it, a cooldown half-opens it.

Not the router's breaker (routing/breaker.py), on purpose: that one guards against one
caller's deterministic failures opening a model for everyone, so it needs a volume and a
failure ratio over a window. A state backend is one shared dependency whose failures are
timeouts and connection errors, never a property of one request, so after a few in a row
every call would only pay the timeout again: skip it for a cooldown, then let one probe
decide. Hand-rolled (about 50 lines) because it must skip without calling and admit
exactly one probe.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeAlias

from modelgate.v1 import model_pb2

State: TypeAlias = model_pb2.BreakerState.ValueType


class ConsecutiveBreaker:
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
        """Whether a call may go to the backend now; half-open admits one probe."""
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
        """A call failed in a way that says the backend is unhealthy."""
        self._failures += 1
        if self._probing or self._failures >= self.threshold:
            self._opened_at = self._clock()
        self._probing = False

    def release(self) -> None:
        """A call ended without a verdict on health (e.g. the caller's own error)."""
        self._probing = False
