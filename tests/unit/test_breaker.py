"""The circuit breaker measures an upstream's health over a window, on a clock the test steps."""

from __future__ import annotations

from modelgate.config import RoutingConfig
from modelgate.routing.breaker import Admission, CircuitBreaker
from modelgate.v1 import model_pb2

CLOSED = model_pb2.BREAKER_STATE_CLOSED
OPEN = model_pb2.BREAKER_STATE_OPEN
HALF_OPEN = model_pb2.BREAKER_STATE_HALF_OPEN
CONFIG = RoutingConfig(
    breaker_window_seconds=10,
    breaker_min_requests=4,
    breaker_failure_ratio=0.5,
    breaker_cooldown_seconds=5,
)


class Clock:
    """Monotonic time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _breaker() -> tuple[CircuitBreaker, Clock]:
    clock = Clock()
    return CircuitBreaker(CONFIG, clock), clock


def _calls(breaker: CircuitBreaker, *outcomes: bool) -> None:
    """One finished call per outcome (True: served, False: failed)."""
    for served in outcomes:
        admission = breaker.admit()
        assert admission == Admission.CALL
        if served:
            breaker.success(admission)
        else:
            breaker.failure(admission, "test returned 500")


def test_failures_below_the_minimum_volume_never_open_it() -> None:
    breaker, _ = _breaker()
    _calls(breaker, False, False, False)
    assert breaker.state == CLOSED


def test_enough_failing_calls_in_the_window_open_it() -> None:
    breaker, _ = _breaker()
    _calls(breaker, True, True, False, False)
    assert breaker.state == OPEN
    assert breaker.admit() == Admission.DENIED
    assert breaker.retry_after() == 5
    assert breaker.last_failure == "test returned 500"


def test_failures_below_the_ratio_keep_it_closed() -> None:
    breaker, _ = _breaker()
    _calls(breaker, *[True, True, False] * 10)
    assert breaker.state == CLOSED


def test_old_calls_slide_out_of_the_window() -> None:
    breaker, clock = _breaker()
    _calls(breaker, False, False, False)
    clock.now += 10
    _calls(breaker, False)
    assert breaker.state == CLOSED, "the first three failures are older than the window"
    _calls(breaker, False, False, False)
    assert breaker.state == OPEN


def test_after_the_cooldown_exactly_one_probe_decides() -> None:
    breaker, clock = _breaker()
    _calls(breaker, False, False, False, False)
    clock.now += 5
    assert breaker.state == HALF_OPEN
    probe = breaker.admit()
    assert probe == Admission.PROBE
    assert breaker.admit() == Admission.DENIED, "one probe at a time"
    breaker.failure(probe, "connection refused by 127.0.0.1:9")
    assert breaker.state == OPEN and breaker.retry_after() == 5
    clock.now += 5
    probe = breaker.admit()
    breaker.success(probe)
    assert breaker.state == CLOSED
    _calls(breaker, False, False, False)
    assert breaker.state == CLOSED, "closing starts a fresh window"


def test_a_probe_without_a_verdict_lets_the_next_call_probe() -> None:
    breaker, clock = _breaker()
    _calls(breaker, False, False, False, False)
    clock.now += 5
    breaker.release(breaker.admit())
    assert breaker.admit() == Admission.PROBE


def test_late_verdicts_of_calls_admitted_before_it_opened_change_nothing() -> None:
    breaker, clock = _breaker()
    late = breaker.admit()
    _calls(breaker, False, False, False, False)
    clock.now += 5
    probe = breaker.admit()
    breaker.failure(late, "slow failure")
    breaker.success(late)
    assert breaker.state == HALF_OPEN and breaker.admit() == Admission.DENIED
    breaker.success(probe)
    assert breaker.state == CLOSED
