"""`uv run python -m bench.compare`: gateway configurations A/B/..., interleaved.

For tuning one feature: every configuration gets its own gateway process in
front of the same fast fake; h2load runs go round-robin over them for
`--rounds` rounds (every other round backwards, so no configuration always runs right
after another), and the table gives the median req/s and gateway CPU per
call, each relative to the first configuration. Interleaving and medians are
what make a 5 % difference visible on a noisy 2-core machine.

    uv run python -m bench.compare --rounds 5 \\
        off='{}' \\
        sampled='{"telemetry": {"tracing": "otlp", "trace_sample_ratio": 0.1}}'

A configuration that turns tracing on exports to a local OTLP sink
(`bench.otlp_sink`), as in the feature scenario.

Two git revisions side by side (a request-path refactor's before/after): a name
`NAME@REV` runs that gateway on the server code of revision REV (`git archive` of
its server and client stubs into the run directory, first on its PYTHONPATH);
`--ttft` adds the streaming TTFT probe of scenario 3a (one stream of 2-token
answers against the paced fake) to every round.

    uv run python -m bench.compare --rounds 5 --ttft base@main='{}' head='{}'

`--header` adds metadata to every measured call (an API key for a configuration
with auth on; the first configuration's check call goes without it).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

from bench import tools
from bench.harness import Bench
from bench.load import in_round_order
from bench.modes import QUICK, ROOT, STREAM_TOKENS_PER_S, STREAM_TTFT_MS
from bench.procs import Processes, http_get
from bench.scenarios.common import UNARY_PROMPT, answer_size, chat_request, ok_call
from bench.scenarios.profile import h2load_argv, profile_one
from bench.servers import Server
from bench.thread_cpu import ThreadSplit
from bench.tools import require_h2load
from modelgate.v1 import chat_pb2


def parse_config(spec: str) -> tuple[str, dict[str, Any]]:
    """`NAME=JSON` (a configuration's name and its overlay of the gateway config)."""
    name, _, overlay = spec.partition("=")
    return name, json.loads(overlay or "{}")


def revision_env(name: str, run_dir: Path) -> dict[str, str]:
    """For `NAME@REV`: PYTHONPATH with REV's server code first (extracted once)."""
    _, _, rev = name.partition("@")
    if not rev:
        return {}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", rev], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.strip()
    tree = run_dir / f"rev-{commit}"
    if not tree.exists():
        tree.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", commit, "server", "clients/python"],
            cwd=ROOT,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    print(f"{name}: server code of {commit}")
    # The revision's generated stubs too: its server code may predate today's contract.
    return {"PYTHONPATH": f"{tree / 'server'}:{tree / 'clients' / 'python'}:{ROOT}"}


def _ttft_p50(bench: Bench, server: Server, seconds: float) -> float:
    """Scenario 3a's probe: median TTFT (ms) of back-to-back 2-token streams."""
    out = bench.stream_client(
        "load",
        *("--kind", "grpc", "--target", server.target, "--model", "gpt-4o-stream"),
        *("--streams", "1", "--words", "2", "--duration", str(seconds)),
        timeout=seconds + 120,
    )
    return float(out["ttft_p50_ms"])


def traces(overlay: dict[str, Any]) -> bool:
    """Whether the overlay turns tracing on (then the gateway gets its own OTLP sink)."""
    return bool(overlay.get("telemetry", {}).get("tracing", "off") != "off")


def _profile(bench: Bench, server: Server, body: Path) -> None:
    pyspy = tools.ensure("pyspy")
    summary = profile_one(bench, server.name, server, pyspy, load=h2load_argv(server, body))
    print(json.dumps(summary, indent=1))


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("configs", nargs="+", help="name=JSON overlay of the gateway config")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--profile", metavar="NAME", help="also py-spy this configuration")
    parser.add_argument("--ttft", action="store_true", help="also probe streaming TTFT")
    parser.add_argument(
        "--threads",
        action="store_true",
        help="also split the gateway's CPU per call by thread (event loop, grpc, others)",
    )
    parser.add_argument(
        "--pin",
        action="store_true",
        help="gateways on CPU 0, everything else (h2load, fakes, sinks, and processes a "
        "gateway started before it was pinned) on the others: each gateway's own cost, "
        "without the contention of a 2-core machine",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        help="gRPC metadata on every measured call: 'authorization: Bearer <key>' (repeatable)",
    )
    return parser.parse_args()


def main() -> None:
    """CLI entry point."""
    args = _arguments()
    configs = [parse_config(spec) for spec in args.configs]
    require_h2load()
    run_dir = ROOT / "bench" / "results" / "compare"
    run_dir.mkdir(parents=True, exist_ok=True)
    if args.pin:
        _pin_bench()
    with Processes(run_dir, Bench.child_env()) as procs:
        bench = Bench(dataclasses.replace(QUICK, profile_seconds=8.0), run_dir, procs)
        bench.wait_fake("fast", bench.start_fake("fake-fast"))
        if args.ttft:
            paced = ("--ttft-ms", str(STREAM_TTFT_MS), "--tokens-per-s", str(STREAM_TOKENS_PER_S))
            bench.wait_fake("stream", bench.start_fake("fake-stream", *paced))
        bench.fakes.setdefault("stream", bench.fakes["fast"])
        bench.fakes.setdefault("hold", bench.fakes["fast"])
        servers, sinks = _start_gateways(bench, configs, run_dir)
        if args.pin:
            for server in servers:
                _pin_gateway(server.pid)
        request = chat_request("gpt-4o", UNARY_PROMPT)
        body: Path = bench.grpc_body(request, "chat")
        size = answer_size(ok_call(bench, servers[0], "Chat", request, chat_pb2.ChatResponse))
        rps: dict[str, list[float]] = {name: [] for name, _ in configs}
        cpu: dict[str, list[float]] = {name: [] for name, _ in configs}
        ttft: dict[str, list[float]] = {name: [] for name, _ in configs}
        threads = ThreadSplit(enabled=args.threads)
        upstream_calls = {name: 0 for name, _ in configs}
        upstream_calls[configs[0][0]] += 1  # the check call above
        for round_number in range(args.rounds):
            in_order = in_round_order(list(zip(configs, servers, strict=True)), round_number)
            for (name, _), server in in_order:
                before = threads.snapshot(server.pid)
                result = bench.measure_grpc(
                    name,
                    server,
                    "Chat",
                    body,
                    answer_bytes=size,
                    concurrency=args.concurrency,
                    duration=args.seconds,
                    headers=args.header,
                )
                threads.add(name, server.pid, before, result.window_requests)
                rps[name].append(result.rps)
                cpu[name].append(result.cpu_us_per_request("server"))
                upstream_calls[name] += result.window_requests
                if args.ttft:
                    bench.wait_quiet()
                    ttft[name].append(_ttft_p50(bench, server, args.seconds))
        if args.profile:
            _profile(bench, servers[[n for n, _ in configs].index(args.profile)], body)
        counted = {  # a profiled gateway served calls nobody counted
            name: _spans_counted(url, 2 * upstream_calls[name])
            for name, url in sinks.items()
            if name != args.profile
        }
    _report([name for name, _ in configs], rps, cpu, ttft)
    threads.report()
    for name, (spans, expected) in counted.items():
        verdict = "every span counted" if spans >= expected else "SPANS MISSING"
        print(f"{name}: {spans} spans at the OTLP sink, {expected} expected (2 a call): {verdict}")


GATEWAY_CPU = 0


def _start_gateways(
    bench: Bench, configs: list[tuple[str, dict[str, Any]]], run_dir: Path
) -> tuple[list[Server], dict[str, str]]:
    """One gateway per configuration; a traced one exports to its own OTLP sink."""
    servers: list[Server] = []
    sinks: dict[str, str] = {}
    for name, overlay in configs:
        env = revision_env(name, run_dir)
        if traces(overlay):
            sink = bench.procs.start(f"sink-{name}", bench.python("bench.otlp_sink"))
            sinks[name] = sink.first_line(30)
            env |= {
                "OTEL_EXPORTER_OTLP_ENDPOINT": sinks[name],
                "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            }
        label = name.replace("@", "-at-")
        servers.append(bench.start_gateway(f"gw-{label}", overlay=overlay, env=env))
    return servers, sinks


def _pin_bench() -> None:
    """This process (and so every process it starts) off `GATEWAY_CPU`."""
    others = os.sched_getaffinity(0) - {GATEWAY_CPU}
    if not others:
        raise SystemExit("--pin needs at least 2 CPUs")
    os.sched_setaffinity(0, others)


def _pin_gateway(pid: int) -> None:
    """Move the gateway process's threads (not its children) onto `GATEWAY_CPU`; threads
    it starts later inherit it."""
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(tid), {GATEWAY_CPU})


def _spans_counted(sink: str, expected: int, within_s: float = 20.0) -> tuple[int, int]:
    """The sink's span count once it reaches `expected` (a traced Chat is a SERVER and a
    CLIENT span; the gateway exports every 5 s), or whatever arrived within `within_s`.
    `expected` counts the calls the fake served inside the measured windows: a call it
    served just outside one (h2load's start and stop) adds spans, never removes them."""
    deadline = time.monotonic() + within_s
    spans = 0
    while time.monotonic() < deadline:
        spans = int(json.loads(http_get(sink + "/stats"))["spans"])
        if spans >= expected:
            break
        time.sleep(0.5)
    return spans, expected


Samples = dict[str, list[float]]


def _report(names: list[str], rps: Samples, cpu: Samples, ttft: Samples) -> None:
    """Medians per configuration, each relative to the first; every run's figures."""
    base_rps = statistics.median(rps[names[0]])
    base_cpu = statistics.median(cpu[names[0]])
    print(f"{'config':<16} {'req/s':>8} {'vs first':>9} {'CPU us/call':>12} {'vs first':>9}")
    for name in names:
        r, c = statistics.median(rps[name]), statistics.median(cpu[name])
        print(
            f"{name:<16} {r:>8.0f} {100 * (r / base_rps - 1):>+8.1f}% "
            f"{c:>12.0f} {100 * (c / base_cpu - 1):>+8.1f}%"
        )
        runs = zip(rps[name], cpu[name], strict=True)
        print(f"{'':<16} runs (req/s / CPU us): " + ", ".join(f"{x:.0f}/{y:.0f}" for x, y in runs))
        if ttft[name]:
            base_ttft = statistics.median(ttft[names[0]])
            t = statistics.median(ttft[name])
            print(
                f"{'':<16} TTFT p50 {t:.3f} ms ({t - base_ttft:+.3f} ms vs first); runs: "
                + ", ".join(f"{x:.3f}" for x in ttft[name])
            )


if __name__ == "__main__":
    main()
