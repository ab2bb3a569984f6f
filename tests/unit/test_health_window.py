"""The health window stays bounded: the last SAMPLES attempts, none older than WINDOW_SECONDS."""

from __future__ import annotations

import grpc

from modelgate.errors import GatewayError
from modelgate.routing.health import SAMPLES, WINDOW_SECONDS, HealthWindow
from modelgate.v1.errors_pb2 import ErrorReason as R


class Clock:
    """Monotonic time moved only by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _fault(reason: R.ValueType, retryable: bool) -> GatewayError:
    return GatewayError(grpc.StatusCode.UNAVAILABLE, reason, "boom", retryable=retryable)


def test_only_the_last_samples_are_counted() -> None:
    window = HealthWindow(Clock())
    for _ in range(SAMPLES):
        window.failed(_fault(R.ERROR_REASON_UPSTREAM_UNAVAILABLE, retryable=True))
    for _ in range(SAMPLES // 2):
        window.served(2.0, streaming=False)
    health = window.report(in_flight=0)
    assert health.requests == SAMPLES
    assert health.errors == SAMPLES // 2, "the oldest half of the faults fell out of the ring"


def test_samples_older_than_the_window_age_out() -> None:
    clock = Clock()
    window = HealthWindow(clock)
    window.served(1.0, streaming=False)
    clock.now += WINDOW_SECONDS / 2
    window.served(3.0, streaming=True)
    health = window.report(in_flight=2)
    assert (health.requests, health.in_flight) == (2, 2)
    assert health.window.ToTimedelta().total_seconds() == WINDOW_SECONDS / 2
    clock.now += WINDOW_SECONDS / 2 + 1
    health = window.report(in_flight=0)
    assert (health.latency_samples, health.time_to_first_token_samples) == (0, 1)
    assert health.time_to_first_token_p50.ToTimedelta().total_seconds() == 3.0


def test_percentiles_are_nearest_rank_samples() -> None:
    window = HealthWindow(Clock())
    for seconds in range(1, 101):
        window.served(float(seconds), streaming=False)
    health = window.report(in_flight=0)
    assert health.latency_p50.ToTimedelta().total_seconds() == 50.0
    assert health.latency_p95.ToTimedelta().total_seconds() == 95.0


def test_the_last_fault_outlives_the_window_and_caller_mistakes_are_ignored() -> None:
    clock = Clock()
    window = HealthWindow(clock)
    window.failed(_fault(R.ERROR_REASON_UPSTREAM_INVALID_RESPONSE, retryable=False))
    window.failed(_fault(R.ERROR_REASON_CONTEXT_LENGTH_EXCEEDED, retryable=False))
    clock.now += WINDOW_SECONDS + 1
    health = window.report(in_flight=0)
    assert (health.requests, health.errors) == (0, 0)
    assert health.last_error_reason == R.ERROR_REASON_UPSTREAM_INVALID_RESPONSE
    assert health.HasField("last_error_time")
