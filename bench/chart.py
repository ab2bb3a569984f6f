"""Draw bench/results/latest.png from latest.json (run with the bench's matplotlib venv).

    <cache>/chart/bin/python bench/chart.py bench/results/latest.json bench/results/latest.png

Standalone on purpose: it imports only the standard library and matplotlib.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib  # type: ignore[import-not-found]

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # type: ignore[import-not-found]

COLORS = {
    "direct": "#7f7f7f",
    "passthrough": "#1f77b4",
    "modelgate": "#d62728",
    "LiteLLM proxy": "#2ca02c",
}


def _color(target: str) -> str:
    for key, color in COLORS.items():
        if target.startswith(key):
            return color
    return "#9467bd"


def _series(rows: list[dict[str, Any]], x: str, y: str) -> dict[str, tuple[list[Any], list[Any]]]:
    out: dict[str, tuple[list[Any], list[Any]]] = {}
    for row in rows:
        if row.get(y) is None or row.get(x) is None:
            continue
        xs, ys = out.setdefault(row["target"], ([], []))
        xs.append(row[x])
        ys.append(row[y])
    return out


def _bars(
    ax: Any, rows: list[dict[str, Any]], group: str, y: str, *, title: str, ylabel: str
) -> None:
    groups = list(dict.fromkeys(str(r[group]) for r in rows))
    targets = list(dict.fromkeys(r["target"] for r in rows))
    width = 0.8 / max(len(targets), 1)
    for i, target in enumerate(targets):
        values = []
        for g in groups:
            row = next((r for r in rows if str(r[group]) == g and r["target"] == target), None)
            values.append((row or {}).get(y) or 0)
        ax.bar(
            [j + i * width for j in range(len(groups))],
            values,
            width,
            label=target,
            color=_color(target),
        )
    ax.set_xticks([j + width * (len(targets) - 1) / 2 for j in range(len(groups))], groups)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=7)


def draw(results: dict[str, Any], out: Path) -> None:
    """Six panels: unary throughput and latency, streaming, payload, features."""
    fig, axes = plt.subplots(2, 3, figsize=(16, 9))
    meta = results.get("meta", {})
    fig.suptitle(
        f"modelgate bench ({meta.get('mode')} mode, {meta.get('started_utc')}, "
        f"{meta.get('machine', {}).get('cpus')} CPUs, {meta.get('versions', {}).get('commit')})",
        fontsize=11,
    )
    unary = results.get("unary", [])
    lite = [r for r in results.get("litellm", {}).get("rows", []) if r["target"] == "LiteLLM proxy"]
    ax = axes[0][0]
    for target, (xs, ys) in _series(unary + lite, "concurrency", "rps").items():
        ax.plot(xs, ys, marker="o", label=target, color=_color(target))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_title("1. Unary Chat throughput (log scale)", fontsize=10)
    ax.set_xlabel("concurrency")
    ax.set_ylabel("requests/s")
    ax.legend(fontsize=7)

    ax = axes[0][1]
    for target, (xs, ys) in _series(unary, "concurrency", "p50_ms").items():
        ax.plot(xs, ys, marker="o", label=f"{target} p50", color=_color(target))
    for target, (xs, ys) in _series(unary, "concurrency", "p99_ms").items():
        ax.plot(xs, ys, marker="x", linestyle="--", label=f"{target} p99", color=_color(target))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_title("1. Unary Chat latency", fontsize=10)
    ax.set_xlabel("concurrency")
    ax.set_ylabel("ms")
    ax.legend(fontsize=6)

    streaming = results.get("streaming", [])
    if streaming:
        _bars(
            axes[0][2],
            streaming,
            "streams",
            "ttft_p50_ms",
            title="3. Streaming TTFT p50",
            ylabel="ms",
        )
        axes[0][2].set_xlabel("concurrent streams")
        axes[0][2].set_yscale("log")
        _bars(
            axes[1][0],
            streaming,
            "streams",
            "tokens_per_s_per_stream_p50",
            title="3. Tokens/s per stream (p50)",
            ylabel="tokens/s",
        )
        axes[1][0].set_xlabel("concurrent streams")
    payload = results.get("payload", [])
    if payload:
        _bars(
            axes[1][1],
            payload,
            "prompt",
            "p50_ms",
            title="5. Chat p50 by prompt size (c=16)",
            ylabel="ms",
        )
        axes[1][1].set_yscale("log")
    features = [f for f in results.get("features", []) if f.get("throughput_cost_pct") is not None]
    ax = axes[1][2]
    if features:
        names = [f["feature"] for f in features]
        costs = [f["throughput_cost_pct"] for f in features]
        ax.barh(names, costs, color=["#d62728" if c > 10 else "#1f77b4" for c in costs])
        ax.axvline(10, color="black", linestyle=":", linewidth=1)
        ax.set_title("6. Throughput cost of each feature (%)", fontsize=10)
        ax.tick_params(axis="y", labelsize=7)
    verdicts = results.get("budget", [])
    if verdicts:
        passed = sum(v["status"] == "PASS" for v in verdicts)
        failed = sum(v["status"] == "FAIL" for v in verdicts)
        fig.text(0.01, 0.005, f"budget: {passed} PASS, {failed} FAIL (see latest.json)", fontsize=9)
    fig.tight_layout(rect=(0, 0.02, 1, 0.96))
    fig.savefig(out, dpi=90)


if __name__ == "__main__":
    draw(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
