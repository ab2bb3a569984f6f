"""`uv run python -m bench [--quick]`: every scenario of issue 9 in one bounded run.

Starts the fakes, the passthrough and modelgate on loopback, runs the
scenarios, prints the tables and the budget verdicts, writes
bench/results/latest.json (+ a timestamped copy), latest.md and latest.png, and
stops every process it started, whatever happens.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from bench import tools, ttft_breakdown
from bench.harness import Bench
from bench.modes import (
    FULL,
    HOLD_TTFT_MS,
    PROVIDER_MODELS,
    QUICK,
    ROOT,
    STREAM_TOKENS_PER_S,
    STREAM_TTFT_MS,
    Mode,
)
from bench.procs import Processes, machine_cpu
from bench.report import budget, budget_table, tables
from bench.scenarios.features import scenario_features
from bench.scenarios.litellm import scenario_litellm, start_litellm
from bench.scenarios.memory import scenario_memory
from bench.scenarios.payload import scenario_embeddings, scenario_payload
from bench.scenarios.profile import scenario_profile
from bench.scenarios.providers import scenario_providers
from bench.scenarios.streaming import scenario_streaming, scenario_ttft_probe
from bench.scenarios.unary import scenario_unary
from bench.scenarios.workers import scenario_workers
from bench.tools import require_h2load

RESULTS = Path(__file__).resolve().parent / "results"
KEEP_RUNS = 6
WATCHDOG_S = {"quick": 600, "full": 1800}
"""Hard bound on a whole run (tool installs included); on expiry everything is stopped."""
SCENARIOS = (
    "unary",
    "providers",
    "workers",
    "features",
    "payload",
    "streaming",
    "profile",
    "litellm",
)


def _terminate(signum: int, _frame: FrameType | None) -> None:
    """First Ctrl-C/SIGTERM/watchdog: stop listening, unwind, let cleanup stop everything."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _prune_runs() -> None:
    """Keep the newest run directories only (they hold logs, bodies and raw profiles)."""
    runs = sorted(p for p in RESULTS.glob("run-*") if p.is_dir())
    for old in runs[:-KEEP_RUNS]:
        shutil.rmtree(old, ignore_errors=True)


def _background_load(seconds: float = 0.5) -> float:
    """Share of the machine busy before we start anything (other users, CI, ...)."""
    busy0, total0 = machine_cpu()
    time.sleep(seconds)
    busy1, total1 = machine_cpu()
    return (busy1 - busy0) / max(total1 - total0, 1e-9)


def _versions() -> dict[str, str]:
    import aiohttp
    import grpc
    from google.protobuf import __version__ as protobuf_version

    h2load = subprocess.run(["h2load", "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "server"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "python": platform.python_version(),
        "grpcio": grpc.__version__,
        "aiohttp": aiohttp.__version__,
        "protobuf": protobuf_version,
        "h2load": h2load.stdout.strip().split("\n")[0],
        "commit": commit + (" (server/ has uncommitted changes)" if dirty else ""),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def run(mode: Mode, only: set[str]) -> dict[str, Any]:
    """Run the selected scenarios; returns the results dict."""
    started = time.monotonic()
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = RESULTS / f"run-{stamp}-{mode.name}"
    run_dir.mkdir(parents=True, exist_ok=True)
    require_h2load()
    background = _background_load()
    print(f"modelgate bench, {mode.name} mode -> {run_dir.relative_to(ROOT)}", flush=True)
    if background > 0.10:
        print(
            f"  warning: the machine was {100 * background:.0f}% busy before the run started "
            "(other processes); runs wait for quiet moments and are repeated when noisy",
            flush=True,
        )
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        futures = {
            name: pool.submit(tools.ensure, name)
            for name, wanted in (
                ("pyspy", {"profile", "features"}),
                ("chart", None),
                ("litellm", {"litellm"}),
            )
            if wanted is None or wanted & only
        }
        ready = {name: future.result() for name, future in futures.items()}
    results: dict[str, Any] = {
        "meta": {
            "mode": mode.name,
            "started_utc": stamp,
            "machine": {
                "cpus": os.cpu_count(),
                "cpu_model": _cpu_model(),
                "busy_before_start_pct": round(100 * background, 1),
            },
            "versions": _versions(),
            "mode_settings": mode.__dict__,
            "stream_ttft_ms": STREAM_TTFT_MS,
            "stream_tokens_per_s": STREAM_TOKENS_PER_S,
            "feature_concurrency": mode.feature_concurrency,
            "run_dir": str(run_dir.relative_to(ROOT)),
        }
    }
    with Processes(run_dir, Bench.child_env()) as procs:
        bench = Bench(mode, run_dir, procs)
        _scenarios(bench, only, ready, results, started)
        results["meta"]["quiet_waited_s"] = round(bench.quiet_waited, 1)
        results["meta"]["noisy_runs"] = (
            f"{bench.noisy_runs} of {bench.runs} h2load runs ({bench.retries} re-run)"
        )
    results["meta"]["duration_s"] = round(time.monotonic() - started, 1)
    results["budget"] = [v.json() for v in budget(results)]
    target = results_target(only, run_dir)
    results["meta"]["written_to"] = str(target.relative_to(ROOT))
    _write(results, run_dir, ready.get("chart"), target)
    return results


def _scenarios(
    bench: Bench,
    only: set[str],
    ready: dict[str, tools.Tool],
    results: dict[str, Any],
    started: float,
) -> None:
    fakes = {
        "fast": bench.start_fake("fake-fast"),
        "stream": bench.start_fake(
            "fake-stream",
            "--ttft-ms",
            str(STREAM_TTFT_MS),
            "--tokens-per-s",
            str(STREAM_TOKENS_PER_S),
        ),
        "hold": bench.start_fake("fake-hold", "--ttft-ms", str(HOLD_TTFT_MS)),
    }
    if "providers" in only:
        for kind in PROVIDER_MODELS:
            fakes[kind] = bench.start_fake(f"fake-{kind}", provider=kind)
    for name, proc in fakes.items():
        bench.wait_fake(name, proc)
    gw = bench.start_gateway("modelgate", wait=False)
    pt = bench.start_passthrough()
    bench.wait_serving(gw)

    def section(title: str) -> None:
        print(f"\n== {title}  [{time.monotonic() - started:.0f}s]", flush=True)

    section("1. unary Chat: direct vs passthrough vs modelgate")
    results["unary"], targets = scenario_unary(bench, gw, pt)
    if "providers" in only:
        section("1b. unary Chat per provider backend")
        results["providers"] = scenario_providers(bench, gw)
    if "workers" in only:
        section("2. --workers 1 vs --workers 2")
        results["workers"] = scenario_workers(bench, gw, pt, targets)
    if "features" in only:
        section("6. price of each hot-path feature")
        results["features"] = scenario_features(bench, gw, targets, ready.get("pyspy"))
    if "payload" in only:
        section("5. payload scaling")
        results["payload"] = scenario_payload(bench, gw, pt)
        results["embeddings"] = scenario_embeddings(bench, gw, pt)
    if "streaming" in only:
        section("3. streaming")
        results["ttft_probe"] = scenario_ttft_probe(bench, gw, pt)
        unavailable = ttft_breakdown.available()
        results["ttft_breakdown"] = (
            f"n/a ({unavailable})"
            if unavailable
            else ttft_breakdown.breakdown(
                bench, bench.fakes["stream"], gw, pt, bench.mode.stream_duration
            )
        )
        results["streaming"] = scenario_streaming(bench, gw, pt)
    # LiteLLM takes ~10 s of CPU to start: overlap that with the memory scenario,
    # which reads RSS and does not care about CPU contention.
    litellm = start_litellm(bench, ready["litellm"]) if "litellm" in only else None
    if "streaming" in only:
        section("3b. memory per open stream")
        results["memory"] = scenario_memory(bench)
    if litellm is not None:
        section("4. LiteLLM proxy")
        results["litellm"] = scenario_litellm(bench, gw, pt, targets, litellm)
    if "profile" in only:
        section("profile of the unary hot path")
        results["profile"] = scenario_profile(bench, gw, pt, targets, ready["pyspy"])


def results_target(only: set[str], run_dir: Path) -> Path:
    """Where a run's results go: `latest.json` for a whole run; a `--only` run's stay in
    its own directory (they would replace the committed record of every scenario)."""
    return RESULTS / "latest.json" if only >= set(SCENARIOS) else run_dir / "results.json"


def _write(results: dict[str, Any], run_dir: Path, chart: tools.Tool | None, target: Path) -> None:
    """The results in the run's directory and at `target` (.json, .md, .png)."""
    text = json.dumps(results, indent=1, default=str)
    (run_dir / "results.json").write_text(text)
    target.write_text(text)
    markdown = "\n\n".join(t.markdown() for t in [*tables(results), budget_table(budget(results))])
    target.with_suffix(".md").write_text(markdown + "\n")
    if chart is not None and chart.ok:
        proc = subprocess.run(
            [
                str(chart.bin("python")),
                str(Path(__file__).with_name("chart.py")),
                str(target),
                str(target.with_suffix(".png")),
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if proc.returncode != 0:
            print(f"chart failed: {proc.stderr.strip()[-300:]}", flush=True)
    elif chart is not None:
        print(f"chart skipped: {chart.error}", flush=True)


def print_report(results: dict[str, Any]) -> int:
    """Print every table and the budget; returns the number of failed budget lines."""
    for table in tables(results):
        if table.rows:
            print()
            print(table.text())
    verdicts = budget(results)
    print()
    print(budget_table(verdicts).text())
    failed = sum(v.status == "FAIL" for v in verdicts)
    passed = sum(v.status == "PASS" for v in verdicts)
    print(
        f"\n{passed} PASS, {failed} FAIL, {len(verdicts) - passed - failed} N/A; "
        f"total {results['meta'].get('duration_s', '?')} s; "
        f"results in {results['meta'].get('written_to', 'latest.json').removesuffix('.json')}"
        ".json, .md, .png",
        flush=True,
    )
    return failed


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (under 2 minutes)")
    parser.add_argument(
        "--only",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of: {','.join(SCENARIOS)} (unary always runs)",
    )
    parser.add_argument(
        "--report", type=Path, default=None, help="print the tables of a results JSON and exit"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget line fails")
    args = parser.parse_args(argv)
    if args.report is not None:
        failed = print_report(json.loads(args.report.read_text()))
        return 1 if failed and args.strict else 0
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    unknown = only - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    mode = QUICK if args.quick else FULL
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGALRM):
        signal.signal(sig, _terminate)
    signal.alarm(WATCHDOG_S[mode.name])
    try:
        results = run(mode, only)
    except KeyboardInterrupt as exc:
        print(f"\ninterrupted ({exc}): every started process was stopped", file=sys.stderr)
        return 130
    finally:
        signal.alarm(0)
        _prune_runs()
    failed = print_report(results)
    return 1 if failed and args.strict else 0
