"""Failure WARNINGs are rate-limited per key: an outage shows, but never floods the log."""

from __future__ import annotations

import logging

import pytest

from modelgate.telemetry.failure_log import WINDOW_SECONDS, FailureLog

log = logging.getLogger("tests.failure_log")


class Clock:
    """Monotonic time moved only by the test."""

    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == log.name]


def test_the_first_failure_of_a_key_is_logged_as_a_warning(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert FailureLog(clock=clock).warning(log, "a", "failed: %s", "boom")
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "failed: boom")
    ]


def test_repeats_within_the_window_are_suppressed(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    failures = FailureLog(clock=clock)
    failures.warning(log, "a", "failed")
    clock.now += WINDOW_SECONDS - 0.001
    assert not failures.warning(log, "a", "failed")
    assert _lines(caplog) == ["failed"]


def test_the_next_line_after_the_window_counts_what_was_suppressed(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    failures = FailureLog(clock=clock)
    for _ in range(4):
        failures.warning(log, "a", "failed %d", 7)
    clock.now += WINDOW_SECONDS
    assert failures.warning(log, "a", "failed %d", 7)
    assert _lines(caplog) == ["failed 7", "failed 7 (3 similar suppressed in the last 30s)"]


def test_a_quiet_window_starts_afresh_without_a_count(
    clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    failures = FailureLog(clock=clock)
    failures.warning(log, "a", "failed")
    clock.now += WINDOW_SECONDS
    failures.warning(log, "a", "failed")
    assert _lines(caplog) == ["failed", "failed"]


def test_keys_are_limited_independently(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    failures = FailureLog(clock=clock)
    failures.warning(log, "a", "a failed")
    failures.warning(log, "a", "a failed")
    failures.warning(log, "b", "b failed")
    assert _lines(caplog) == ["a failed", "b failed"]


def test_the_window_is_configurable(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    failures = FailureLog(window=5.0, clock=clock)
    failures.warning(log, "a", "failed")
    failures.warning(log, "a", "failed")
    clock.now += 5.0
    failures.warning(log, "a", "failed")
    assert _lines(caplog) == ["failed", "failed (1 similar suppressed in the last 5s)"]
