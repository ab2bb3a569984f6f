"""Per-deployment circuit breaker: it measures the upstream's health, not one request's fate.

Like Envoy's outlier detection (failure percentage with a request volume), it
opens only when, within a sliding window, enough logical calls reached the
deployment (`breaker_min_requests`) and a large enough share of them failed
(`breaker_failure_ratio`). The router reports one verdict per call and
deployment, however many retries the call made there, and only for failures
that say something about health (5xx, 429, connection refused, reset):
requests the upstream rejects deterministically (4xx) and answers that break
the provider's own API never count. So one caller's bad request cannot open
the circuit for everyone, while a real outage opens it within the window.
After `breaker_cooldown_seconds` one probe call decides: success closes,
failure reopens.

Hand-rolled rather than aiobreaker/purgatory: those wrap a callable, while our
router must *skip* an open deployment and move on to the next one of an alias
or fallback chain without calling anything, must let exactly one probe
through when half-open, and must expose its state in ListModels.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import TypeAlias

from modelgate.config import RoutingConfig
from modelgate.v1 import model_pb2

State: TypeAlias = model_pb2.BreakerState.ValueType

BUCKETS = 10
"""The window is counted in this many buckets: memory and work stay constant at any rate."""


class Admission(enum.IntEnum):
    """What `admit` let a call do."""

    DENIED = 0
    CALL = 1
    PROBE = 2
    """The one trial call of a half-open breaker: its verdict closes or reopens it."""


class CircuitBreaker:
    """CLOSED -> (failure ratio over the window, above the volume) -> OPEN -> cooldown -> probe."""

    __slots__ = (
        "_calls",
        "_clock",
        "_epochs",
        "_failures",
        "_opened_at",
        "_probing",
        "_width",
        "cooldown",
        "failure_ratio",
        "last_failure",
        "min_requests",
    )

    def __init__(self, config: RoutingConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self.min_requests = config.breaker_min_requests
        self.failure_ratio = config.breaker_failure_ratio
        self.cooldown = config.breaker_cooldown_seconds
        self.last_failure = ""
        """The message of the last failure that counted (named when calls are turned away)."""
        self._width = config.breaker_window_seconds / BUCKETS
        self._clock = clock
        self._epochs = [-1] * BUCKETS
        self._calls = [0] * BUCKETS
        self._failures = [0] * BUCKETS
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

    @property
    def closed(self) -> bool:
        """Whether calls flow freely (a call may keep retrying here)."""
        return self._opened_at is None

    def retry_after(self) -> float:
        """Seconds until the breaker half-opens (0 when it admits calls)."""
        if self._opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (self._clock() - self._opened_at))

    def admit(self) -> Admission:
        """Whether a call may go to this deployment now; half-open admits one probe."""
        if self._opened_at is None:
            return Admission.CALL
        if self.state == model_pb2.BREAKER_STATE_HALF_OPEN and not self._probing:
            self._probing = True
            return Admission.PROBE
        return Admission.DENIED

    def success(self, admission: Admission) -> None:
        """A call was served: a probe closes the breaker, other calls add to the volume."""
        if admission == Admission.PROBE:
            self._close()
        elif self._opened_at is None:
            self._count(failed=False)

    def failure(self, admission: Admission, message: str) -> None:
        """A call failed in a way that says the deployment is unhealthy (once per call)."""
        if admission == Admission.PROBE:
            self.last_failure = message
            self._open()
        elif self._opened_at is None:
            self.last_failure = message
            calls, failures = self._count(failed=True)
            if calls >= self.min_requests and failures >= self.failure_ratio * calls:
                self._open()

    def release(self, admission: Admission) -> None:
        """A call ended without a verdict on health (cancelled, or the caller's own error)."""
        if admission == Admission.PROBE:
            self._probing = False

    def _count(self, *, failed: bool) -> tuple[int, int]:
        """Add one call to the current bucket; (calls, failures) in the window when it failed."""
        epoch = int(self._clock() // self._width)
        slot = epoch % BUCKETS
        if self._epochs[slot] != epoch:
            self._epochs[slot] = epoch
            self._calls[slot] = self._failures[slot] = 0
        self._calls[slot] += 1
        if not failed:
            return 0, 0
        self._failures[slot] += 1
        oldest = epoch - BUCKETS
        calls = failures = 0
        for i in range(BUCKETS):
            if self._epochs[i] > oldest:
                calls += self._calls[i]
                failures += self._failures[i]
        return calls, failures

    def _open(self) -> None:
        self._opened_at = self._clock()
        self._probing = False
        self._epochs = [-1] * BUCKETS  # a fresh window once it closes again

    def _close(self) -> None:
        self._opened_at = None
        self._probing = False
