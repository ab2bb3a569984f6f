"""Scenario 6's verdict and where a run's results go: the throughput cost is the median of
the interleaved pairs' own costs, and a run of a subset never replaces `latest.*`."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.load import H2Result, alternating_pairs, in_round_order, paired_cost_pct
from bench.main import RESULTS, SCENARIOS, results_target
from bench.modes import FULL, QUICK
from bench.scenarios.common import gateway_name
from bench.scenarios.features import FEATURES


def _runs(*rps: float) -> list[H2Result]:
    runs = []
    for value in rps:
        run = H2Result("feature", 64, 3.0)
        run.rps = value
        runs.append(run)
    return runs


def test_the_cost_is_the_median_of_the_pairs_not_the_ratio_of_the_medians() -> None:
    # One pair ran while the machine was busy: the pairs say 5%, the medians would say 24%.
    off, on = _runs(1000, 1200, 800), _runs(700, 1140, 760)
    cost, pairs = paired_cost_pct(off, on)
    assert pairs == pytest.approx([30.0, 5.0, 5.0])
    assert cost == pytest.approx(5.0)


def test_a_pair_whose_off_run_served_nothing_is_left_out() -> None:
    cost, pairs = paired_cost_pct(_runs(0, 1000), _runs(500, 800))
    assert pairs == pytest.approx([20.0])
    assert cost == pytest.approx(20.0)


def test_a_budgeted_feature_gets_more_pairs_in_full_mode() -> None:
    assert FULL.budget_repeats > FULL.feature_repeats
    assert QUICK.budget_repeats >= QUICK.feature_repeats


def test_only_a_whole_run_writes_latest(tmp_path: Path) -> None:
    assert results_target(set(SCENARIOS), tmp_path) == RESULTS / "latest.json"
    assert results_target({"features"}, tmp_path) == tmp_path / "results.json"


def test_every_other_pair_runs_on_first() -> None:
    """A run's place in its pair must not be charged to the feature."""
    calls: list[str] = []

    def run(kind: str, rps: float) -> H2Result:
        calls.append(kind)
        return _runs(rps)[0]

    off, on = alternating_pairs(4, lambda: run("off", 100), lambda: run("on", 90))
    assert calls == ["off", "on", "on", "off", "off", "on", "on", "off"]
    assert [r.rps for r in off] == [100] * 4 and [r.rps for r in on] == [90] * 4
    assert paired_cost_pct(off, on)[0] == pytest.approx(10.0)


def test_compare_runs_every_other_round_backwards() -> None:
    assert in_round_order(["a", "b", "c"], 0) == ["a", "b", "c"]
    assert in_round_order(["a", "b", "c"], 1) == ["c", "b", "a"]


def test_every_feature_gateway_has_its_own_name() -> None:
    """Feature gateways start at once; a shared name would share their config file."""
    names = [gateway_name(feature.name) for feature in FEATURES]
    assert len(set(names)) == len(names)
    assert gateway_name(FEATURES[0].name) == "modelgate-tracing-otlp-export"
