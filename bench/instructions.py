"""`uv run python -m bench.instructions`: instructions per gateway call, counted by valgrind.

Throughput A/Bs on a shared 2-core machine swing by 10% between rounds of one
configuration, so a request-path change of a few percent cannot be resolved by
`bench.compare` alone. An instruction count can: cachegrind counts every instruction
the gateway process executes (all its threads) while it serves unary Chat calls against
the fast fake, 64 in flight by default as in the throughput bench (the event loop's
turns are shared by many calls there; `--concurrency 1` charges each call whole turns).
Two runs per configuration, of `--calls` and of a tenth of them, cancel start-up and
shutdown out: (large - small) / (calls difference) is the cost of one call. Repeated
runs agree within 2-4k instructions (0.3% of a call; grpc's poller threads poll a
timing-dependent number of times). Spans leave in full batches, as at the bench's rate,
and the rest at shutdown, so a traced run counts their export too; with every call
traced the sink must have received two spans a call.

    uv run python -m bench.instructions off='{}' traced='{"telemetry": {"tracing": "otlp"}}'

`NAME@REV` runs the server code of a revision, as in `bench.compare`. Needs `valgrind`
(Debian package; `scripts/setup` installs it); each run takes a minute or two, two at a time.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import yaml

from bench.compare import parse_config, revision_env, traces
from bench.harness import Bench
from bench.modes import QUICK, ROOT
from bench.procs import Processes, http_get
from bench.scenarios.common import UNARY_PROMPT, chat_request
from modelgate.v1 import chat_pb2, gateway_pb2_grpc
from tests.ports import free_port

START_S = 300.0
"""How long a gateway under valgrind may take to serve its first call (~40 s here)."""
BATCH_WAIT_MS = 3_600_000
"""The export's schedule delay here: batches leave full (512 spans), as they do at the
throughput bench's rate (1,000 calls/s fill one in 0.25 s, the default delay is 5 s); under
valgrind, 50x slower, the default delay would send a batch of ~200 and charge each call
2.5x its share of the POST. The spans still queued leave at shutdown."""
REFS = re.compile(r"I\s+refs:\s+([\d,]+)")
MISSES = {
    "D1 misses": re.compile(r"D1\s+misses:\s+([\d,]+)"),
    "L2 misses": re.compile(r"LL misses:\s+([\d,]+)"),
    "I1 misses": re.compile(r"I1\s+misses:\s+([\d,]+)"),
}
CACHES = ("--I1=32768,8,64", "--D1=32768,8,64", "--LL=1048576,8,64")
"""`--caches`: this machine's per-core caches (32 KiB L1, 1 MiB L2, `lscpu`), the L2 simulated
as cachegrind's last level; the shared L3 is not simulated."""


def _valgrind() -> str:
    path = shutil.which("valgrind")
    if path is None:
        raise SystemExit("bench.instructions needs valgrind (apt-get install valgrind)")
    return path


def _serve_and_count(
    bench: Bench,
    label: str,
    overlay: dict[str, Any],
    env: dict[str, str],
    calls: int,
    *,
    concurrency: int,
    caches: bool,
) -> dict[str, int]:
    """Start the gateway under cachegrind, make `calls` Chat calls, stop it: its I refs
    (and with `caches`, its simulated cache misses)."""
    config = bench.run_dir / f"{label}.yaml"
    config.write_text(yaml.safe_dump(bench.gateway_config(overlay), sort_keys=False))
    port = free_port()
    argv = [
        _valgrind(),
        "--tool=cachegrind",
        *(("--cache-sim=yes", *CACHES) if caches else ("--cache-sim=no",)),
        "--cachegrind-out-file=/dev/null",
        *bench.python("modelgate.cli", "serve", "--config", str(config), "--port", str(port)),
    ]
    proc = bench.procs.start(label, argv, env={**env, "PYTHONHASHSEED": "0"})
    request = chat_request("gpt-4o", UNARY_PROMPT)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = gateway_pb2_grpc.ModelGatewayStub(channel)

        def answered() -> bool:
            return isinstance(stub.Chat(request, timeout=30), chat_pb2.ChatResponse)

        proc.wait_for(answered, START_S, "a first Chat answered under valgrind")
        with ThreadPoolExecutor(concurrency) as callers:
            for _ in callers.map(lambda _: stub.Chat(request, timeout=600), range(calls - 1)):
                pass
    bench.procs.stop(proc, grace=120)  # a graceful stop flushes the spans still queued
    log = proc.log.read_text(errors="replace")
    counts: dict[str, int] = {}
    for name, pattern in {"instructions": REFS, **(MISSES if caches else {})}.items():
        found = pattern.findall(log)
        if not found:
            raise RuntimeError(f"{label}: no {name} in its log:\n{proc.log_tail()}")
        counts[name] = int(found[-1].replace(",", ""))
    return counts


def _per_call(
    bench: Bench,
    name: str,
    overlay: dict[str, Any],
    calls: int,
    concurrency: int,
    *,
    caches: bool = False,
) -> dict[str, float]:
    """Instructions (and cache misses) per call of one configuration (two runs side by
    side)."""
    env = revision_env(name, bench.run_dir)
    small = max(calls // 10, 1)
    label = name.replace("@", "-at-")

    def run(count: int) -> dict[str, int]:
        run_env, url = dict(env), ""
        if traces(overlay):
            sink = bench.procs.start(f"sink-{label}-{count}", bench.python("bench.otlp_sink"))
            url = sink.first_line(30)
            run_env |= {
                "OTEL_EXPORTER_OTLP_ENDPOINT": url,
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                "OTEL_BSP_SCHEDULE_DELAY": str(BATCH_WAIT_MS),
            }
        counted = _serve_and_count(
            bench,
            f"vg-{label}-{count}",
            overlay,
            run_env,
            count,
            concurrency=concurrency,
            caches=caches,
        )
        every_call = overlay.get("telemetry", {}).get("trace_sample_ratio", 1.0) == 1.0
        if traces(overlay) and every_call:
            stats = json.loads(http_get(url + "/stats"))
            spans = int(stats["spans"])
            print(
                f"{name}, {count} calls: {spans} spans in {stats['requests']} exports", flush=True
            )
            if spans < 2 * count:
                raise RuntimeError(f"{name}: {spans} spans at the sink for {count} calls")
        return counted

    with ThreadPoolExecutor(2) as pool:
        few, many = pool.map(run, (small, calls))
    return {key: (many[key] - few[key]) / (calls - small) for key in many}


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument(
        "--concurrency",
        type=int,
        default=64,
        help="calls in flight at once (64: the throughput bench's load, the event loop's "
        "turns shared by many calls as there)",
    )
    parser.add_argument(
        "--caches",
        action="store_true",
        help="also simulate this machine's L1 and L2 caches and count misses per call (slower)",
    )
    parser.add_argument("configs", nargs="+", help="name=JSON overlay of the gateway config")
    args = parser.parse_args()
    configs = [parse_config(spec) for spec in args.configs]
    run_dir: Path = ROOT / "bench" / "results" / "instructions"
    run_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, float]] = {}
    with Processes(run_dir, Bench.child_env()) as procs:
        bench = Bench(QUICK, run_dir, procs)
        bench.wait_fake("fast", bench.start_fake("fake-fast"))
        bench.fakes.setdefault("stream", bench.fakes["fast"])
        bench.fakes.setdefault("hold", bench.fakes["fast"])
        for name, overlay in configs:
            started = time.monotonic()
            results[name] = _per_call(
                bench, name, overlay, args.calls, args.concurrency, caches=args.caches
            )
            print(
                f"{name}: {results[name]['instructions']:,.0f} instructions per call "
                f"({time.monotonic() - started:.0f} s)",
                flush=True,
            )
    first = results[configs[0][0]]
    for key in first:
        print(f"{'config':<20} {key + '/call':>18} {'vs first':>9}")
        for name, counts in results.items():
            value = counts[key]
            print(f"{name:<20} {value:>18,.0f} {100 * (value / first[key] - 1):>+8.1f}%")


if __name__ == "__main__":
    main()
