"""The short soak that CI runs (the long one: `python -m tests.reliability.soak`)."""

from __future__ import annotations

import pytest

from tests.reliability.soak import run


# A fixed amount of work (1500 calls) that takes about 5 s idle and 20 s on a saturated
# machine: pytest's 60 s default would leave it only threefold headroom.
@pytest.mark.timeout(180)
async def test_short_soak_loses_nothing_and_returns_resources() -> None:
    report = await run(calls=1500, concurrency=32, fault_rate=0.1)
    summary = report.summary()
    assert sum(report.outcomes.values()) == 1500, summary
    assert report.lost == 0 and report.hung == 0 and report.duplicated == 0, summary
    assert report.outcomes["OK"] > 1200, summary
    assert report.fds[1] <= report.fds[0] + 5, summary
    assert report.tasks[1] <= report.tasks[0] + 2, summary
    assert report.rss_mib[1] - report.rss_mib[0] < 40, summary
