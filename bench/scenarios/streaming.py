"""Scenario 3: streams: TTFT and token rate at each stream count, and the many-sample TTFT probe."""

from __future__ import annotations

from typing import Any

from bench.harness import Bench
from bench.modes import STREAM_TTFT_MS
from bench.procs import CpuWindow
from bench.scenarios.common import Row, print_progress, rounded
from bench.servers import Server


# -------------------------------------------------------------------- 3. streaming
def _stream_point(
    bench: Bench,
    gw: Server,
    pt: Server,
    *,
    fake: str,
    streams: int,
    words: int,
    duration: float,
    **extra: Any,
) -> list[Row]:
    """Direct SSE, passthrough and modelgate at one stream count; overheads vs direct."""
    upstream = bench.fakes[fake]
    model = "gpt-4o-stream" if fake == "stream" else "gpt-4o"
    common = ["--streams", str(streams), "--duration", str(duration), "--words", str(words)]
    plans: list[tuple[str, list[str], int | None]] = [
        ("direct SSE", ["--kind", "http", "--target", upstream.base, "--model", "gpt-4o"], None),
        ("passthrough", ["--kind", "grpc", "--target", pt.target, "--model", model], pt.pid),
        ("modelgate", ["--kind", "grpc", "--target", gw.target, "--model", model], gw.pid),
    ]
    rows: list[Row] = []
    for name, args, pid in plans:
        watch = {"fake": upstream.proc.pid, **({"server": pid} if pid else {})}
        bench.wait_quiet()
        with CpuWindow(watch) as window:
            out = bench.stream_client("load", *args, *common, timeout=duration + 120)
        row: Row = {"target": name, "streams": streams, **extra}
        row.update({k: v for k, v in out.items() if k != "streams"})
        tokens = out.get("tokens_total") or 0
        if pid and tokens:
            row["server_cpu_us_per_token"] = round(window.used["server"] / tokens * 1e6, 1)
        if pid:
            row["server_cpu_pct"] = round(100 * window.used.get("server", 0) / window.wall, 1)
        ours = sum(window.used.values()) + (out.get("client_cpu_s") or 0)
        if window.machine_busy:
            row["foreign_cpu_pct"] = round(100 * max(0.0, 1 - ours / window.machine_busy), 1)
        rows.append(row)
    direct = rows[0]
    for row in rows[1:]:
        if "ttft_p50_ms" in row and "ttft_p50_ms" in direct:
            row["ttft_overhead_p50_ms"] = rounded(row["ttft_p50_ms"] - direct["ttft_p50_ms"])
            row["ttft_overhead_p99_ms"] = rounded(row["ttft_p99_ms"] - direct["ttft_p99_ms"])
            base_rate = direct.get("tokens_per_s_per_stream_p50") or 0
            if base_rate and row.get("tokens_per_s_per_stream_p50"):
                row["rate_vs_direct"] = rounded(row["tokens_per_s_per_stream_p50"] / base_rate)
    print_progress(rows)
    return rows


def scenario_ttft_probe(bench: Bench, gw: Server, pt: Server) -> list[Row]:
    """TTFT with many samples: one stream of 2-token answers, back to back.

    Against the paced upstream (TTFT 20 ms, the budget's case) and, in full
    mode, an instant one (TTFT 0): the difference shows how much of the
    overhead is wake-up latency after the upstream's idle gap rather than work.
    """
    rows: list[Row] = []
    fakes = ("stream", "fast") if bench.mode.name == "full" else ("stream",)
    for fake in fakes:
        label = f"{STREAM_TTFT_MS:g} ms" if fake == "stream" else "0 ms (instant)"
        rows += _stream_point(
            bench,
            gw,
            pt,
            fake=fake,
            streams=1,
            words=2,
            duration=bench.mode.stream_duration,
            upstream_ttft=label,
        )
    return rows


def scenario_streaming(bench: Bench, gw: Server, pt: Server) -> list[Row]:
    """TTFT and token rate at each stream count: direct SSE, passthrough, modelgate."""
    rows: list[Row] = []
    for level in bench.mode.stream_levels:
        rows += _stream_point(
            bench,
            gw,
            pt,
            fake="stream",
            streams=level,
            words=bench.mode.stream_words,
            duration=bench.mode.stream_duration,
        )
    return rows
