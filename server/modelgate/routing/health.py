"""A deployment's recent latency and error rate, for callers choosing a model (ListModels).

Each attempt's outcome goes into a fixed ring of the last `SAMPLES` attempts:
three stores and an index step on the call path, whatever the rate, and memory
that never grows. The figures (counts, error rate, percentiles) are computed
only when ListModels or GetModel asks, over the samples at most
`WINDOW_SECONDS` old. Per process: each replica reports the calls it made;
fleet-wide figures come from the Prometheus metrics.

Only failures on the upstream's side count as errors: what the breaker counts
(retryable failures: 5xx, 429, refused, reset or timed-out connections) plus
upstream answers that no retry can fix but that say the deployment is broken for
everyone (our key refused, the model name unknown upstream, an answer that breaks
the provider's API). A caller's own mistake (a bad request, a context too long,
filtered content) or deadline says nothing about the deployment and is not
counted at all.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from modelgate.errors import GatewayError
from modelgate.v1 import model_pb2
from modelgate.v1.errors_pb2 import ErrorReason

SAMPLES = 256
"""Attempts remembered per deployment (the ring's size)."""
WINDOW_SECONDS = 300.0
"""The oldest sample counted, in seconds."""

_UNARY, _STREAM, _FAULT = 0, 1, 2
R = ErrorReason
DEPLOYMENT_FAULTS = frozenset(
    {
        R.ERROR_REASON_UPSTREAM_AUTH_FAILED,
        R.ERROR_REASON_UPSTREAM_MODEL_NOT_FOUND,
        R.ERROR_REASON_UPSTREAM_INVALID_RESPONSE,
    }
)
"""Non-retryable failures that are the deployment's, not the caller's."""


def is_deployment_fault(error: GatewayError) -> bool:
    """Whether `error` says something about the deployment's health (see the module doc)."""
    return error.retryable or error.reason in DEPLOYMENT_FAULTS


class HealthWindow:
    """The last `SAMPLES` attempt outcomes of one deployment, and its last upstream fault."""

    __slots__ = (
        "_clock",
        "_kinds",
        "_next",
        "_seconds",
        "_times",
        "last_fault_message",
        "last_fault_reason",
        "last_fault_time",
    )

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._times = [-math.inf] * SAMPLES
        self._seconds = [0.0] * SAMPLES
        self._kinds = bytearray(SAMPLES)
        self._next = 0
        self.last_fault_reason: ErrorReason.ValueType = R.ERROR_REASON_UNSPECIFIED
        self.last_fault_message = ""
        self.last_fault_time: float | None = None
        """Wall-clock seconds (time.time) of the last fault."""

    def served(self, seconds: float, streaming: bool) -> None:
        """An attempt answered: its latency (unary) or time to first output (stream)."""
        self._add(_STREAM if streaming else _UNARY, seconds)

    def failed(self, error: GatewayError) -> None:
        """An attempt failed: counted, and remembered as the last fault, when it was the
        upstream's fault; a caller's mistake is ignored."""
        if not is_deployment_fault(error):
            return
        self._add(_FAULT, 0.0)
        self.last_fault_reason = error.reason
        self.last_fault_message = error.message
        self.last_fault_time = time.time()

    def _add(self, kind: int, seconds: float) -> None:
        at = self._next
        self._times[at] = self._clock()
        self._seconds[at] = seconds
        self._kinds[at] = kind
        self._next = (at + 1) % SAMPLES

    def report(self, in_flight: int) -> model_pb2.DeploymentHealth:
        """The figures over the window, as the contract carries them."""
        now = self._clock()
        cutoff = now - WINDOW_SECONDS
        oldest = now
        faults = 0
        latencies: list[float] = []
        firsts: list[float] = []
        for at, kind, seconds in zip(self._times, self._kinds, self._seconds, strict=True):
            if at < cutoff:
                continue  # aged out, or a slot never written (-inf)
            oldest = min(oldest, at)
            if kind == _UNARY:
                latencies.append(seconds)
            elif kind == _STREAM:
                firsts.append(seconds)
            else:
                faults += 1
        requests = faults + len(latencies) + len(firsts)
        health = model_pb2.DeploymentHealth(
            requests=requests,
            errors=faults,
            error_rate=faults / requests if requests else 0.0,
            latency_samples=len(latencies),
            time_to_first_token_samples=len(firsts),
            in_flight=in_flight,
            last_error_reason=self.last_fault_reason,
            last_error_message=self.last_fault_message,
        )
        health.window.FromNanoseconds(round((now - oldest) * 1e9))
        if latencies:
            latencies.sort()
            health.latency_p50.FromNanoseconds(_nanos(latencies, 0.5))
            health.latency_p95.FromNanoseconds(_nanos(latencies, 0.95))
        if firsts:
            firsts.sort()
            health.time_to_first_token_p50.FromNanoseconds(_nanos(firsts, 0.5))
            health.time_to_first_token_p95.FromNanoseconds(_nanos(firsts, 0.95))
        if self.last_fault_time is not None:
            health.last_error_time.FromNanoseconds(round(self.last_fault_time * 1e9))
        return health


def _nanos(ordered: list[float], quantile: float) -> int:
    """Nearest-rank percentile of sorted samples, in nanoseconds (always one of the samples)."""
    rank = max(1, math.ceil(quantile * len(ordered)))
    return round(ordered[rank - 1] * 1e9)
