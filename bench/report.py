"""Budget verdicts and the result tables (console text and Markdown): the tables of the
load scenarios are built in report_load.py, the rest in report_scale.py, cells in table.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bench.report_load import load_tables
from bench.report_scale import scale_tables
from bench.table import Row, Table


def tables(results: dict[str, Any]) -> list[Table]:
    """Every result table of a run."""
    return load_tables(results) + scale_tables(results)


# ------------------------------------------------------------------------ budget
@dataclass
class Verdict:
    """One budget line."""

    line: str
    value: str
    limit: str
    status: str
    note: str = ""

    def json(self) -> dict[str, str]:
        """JSON-ready."""
        return self.__dict__.copy()


def _find(rows: Sequence[Row], **match: Any) -> Row | None:
    return next((r for r in rows if all(r.get(k) == v for k, v in match.items())), None)


def _check(
    line: str,
    row: Row | None,
    key: str,
    limit: float,
    *,
    at_most: bool,
    fmt: Callable[[float], str],
    missing: str = "n/a (not measured)",
) -> Verdict:
    limit_text = ("<= " if at_most else ">= ") + fmt(limit)
    if row is None or row.get(key) is None:
        return Verdict(line, "-", limit_text, "N/A", missing)
    value = float(row[key])
    good = value <= limit if at_most else value >= limit
    note = ""
    if row.get("checks") or row.get("verified") is False:
        good = False
        note = "measurement not verified: " + "; ".join(row.get("checks", []))
    return Verdict(line, fmt(value), limit_text, "PASS" if good else "FAIL", note)


def budget(results: dict[str, Any]) -> list[Verdict]:
    """The issue's budget lines, evaluated on one run's results."""
    unary = results.get("unary", [])
    lite = results.get("litellm", {})
    lite_rows = lite.get("rows", [])
    streaming = results.get("streaming", [])
    memory = results.get("memory", [])
    features = results.get("features", [])
    x = lambda v: f"{v:.2f}x"  # noqa: E731
    ms = lambda v: f"{v:.3f} ms"  # noqa: E731
    verdicts: list[Verdict] = []
    for c in (16, 64):
        verdicts.append(
            _check(
                f"unary Chat req/s >= 80% of passthrough at concurrency {c}",
                _find(unary, target="modelgate", concurrency=c),
                "rps_vs_passthrough",
                0.8,
                at_most=False,
                fmt=x,
            )
        )
    for c in (16, 64):
        verdicts.append(
            _check(
                f"unary Chat req/s >= 10x LiteLLM at concurrency {c}",
                _find(lite_rows, target="modelgate", concurrency=c),
                "rps_vs_litellm",
                10.0,
                at_most=False,
                fmt=x,
                missing="n/a (not measured)"
                if lite.get("status", "ok") == "ok"
                else f"n/a (LiteLLM {lite.get('status')})",
            )
        )
    c1 = _find(unary, target="modelgate", concurrency=1)
    verdicts.append(
        _check(
            "added latency p50 at concurrency 1 (over direct)",
            c1,
            "added_p50_ms",
            0.6,
            at_most=True,
            fmt=ms,
        )
    )
    verdicts.append(
        _check(
            "added latency p99 at concurrency 1 (over direct)",
            c1,
            "added_p99_ms",
            2.0,
            at_most=True,
            fmt=ms,
        )
    )
    probe = results.get("ttft_probe", [])
    ttft_row = (
        _find(probe, target="modelgate", upstream_ttft=probe[0].get("upstream_ttft"))
        if probe
        else None
    )
    ttft = _check(
        "streaming TTFT overhead p50 (1 stream, over direct SSE)",
        ttft_row or _find(streaming, target="modelgate", streams=1),
        "ttft_overhead_p50_ms",
        1.0,
        at_most=True,
        fmt=ms,
    )
    limit_row = (
        _find(probe, target="passthrough", upstream_ttft=probe[0].get("upstream_ttft"))
        if probe
        else _find(streaming, target="passthrough", streams=1)
    )
    if limit_row and "ttft_overhead_p50_ms" in limit_row and not ttft.note:
        ttft.note = (
            f"passthrough (the limit) in the same run: +{limit_row['ttft_overhead_p50_ms']:.3f} ms"
        )
    verdicts.append(ttft)
    verdicts.append(
        _check(
            "memory per open stream",
            _find(memory, target="modelgate"),
            "kib_per_stream",
            64.0,
            at_most=True,
            fmt=lambda v: f"{v:.1f} KiB",
        )
    )
    verdicts.append(_thousand_streams(streaming, memory))
    for prefix, line in (
        ("tracing (", "tracing throughput cost, every call traced"),
        ("tracing, 10%", "tracing throughput cost, 10% of root traces sampled"),
    ):
        verdicts.append(
            _tracing(line, next((f for f in features if f["feature"].startswith(prefix)), None))
        )
    return verdicts


def _tracing(line: str, row: Row | None) -> Verdict:
    if row is None or "rps_off" not in row:
        return Verdict(
            line, "-", "<= 10.0 %", "N/A", row["status"] if row else "n/a (not measured)"
        )
    if not row.get("active", True):
        value = f"{row['throughput_cost_pct']:.1f} %"
        return Verdict(line, value, "<= 10.0 %", "N/A", row["status"])
    verdict = _check(
        line, row, "throughput_cost_pct", 10.0, at_most=True, fmt=lambda v: f"{v:.1f} %"
    )
    if "cpu_cost_pct" in row and not verdict.note:
        verdict.note = f"gateway CPU per call {row['cpu_cost_pct']:+.1f} %"
    return verdict


def _thousand_streams(streaming: Sequence[Row], memory: Sequence[Row]) -> Verdict:
    line = "1,000 concurrent streams on one process without errors"
    load = _find(streaming, target="modelgate", streams=1000)
    hold = _find(memory, target="modelgate")
    if load is None and hold is None:
        return Verdict(line, "-", "0 errors", "N/A", "n/a (not measured)")
    problems = []
    if load is not None:
        if "error" in load:
            problems.append(f"client failed: {load['error']}")
        elif load.get("errors"):
            problems.append(f"load run errors {load['errors']}")
        elif not load.get("completed"):
            problems.append("no stream completed")
    if hold is not None:
        if "error" in hold:
            problems.append(f"hold client failed: {hold['error']}")
        elif hold.get("ended_early") or hold.get("opened_at_client", 0) < hold.get("streams", 0):
            problems.append(
                f"held: {hold.get('opened_at_client')} of {hold.get('streams')} open, "
                f"{hold.get('ended_early')} ended early"
            )
    value = "0 errors" if not problems else "; ".join(problems)
    return Verdict(line, value[:120], "0 errors", "FAIL" if problems else "PASS")


def budget_table(verdicts: Sequence[Verdict]) -> Table:
    """The budget as a table."""
    return Table(
        "Budget (ratios from this run)",
        ["budget line", "measured", "limit", "verdict", "note"],
        [[v.line, v.value, v.limit, v.status, v.note] for v in verdicts],
    )
