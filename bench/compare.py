"""`uv run python -m bench.compare`: gateway configurations A/B/..., interleaved.

For tuning one feature: every configuration gets its own gateway process in
front of the same fast fake; h2load runs go round-robin over them for
`--rounds` rounds, and the table gives the median req/s and gateway CPU per
call, each relative to the first configuration. Interleaving and medians are
what make a 5 % difference visible on a noisy 2-core machine.

    uv run python -m bench.compare --rounds 5 \\
        off='{}' \\
        sampled='{"telemetry": {"tracing": "otlp", "trace_sample_ratio": 0.1}}'

A configuration that turns tracing on exports to a local OTLP sink
(`bench.otlp_sink`), as in the feature scenario.

`--revision NAME=REV` runs configuration NAME on the server code of git revision REV
(exported under the run directory and put first on its PYTHONPATH), for the before/after
of a request-path refactor:

    uv run python -m bench.compare --rounds 7 --revision before=main before='{}' after='{}'

`--header` adds metadata to every
measured call (an API key for a configuration with auth on; the first configuration's
check call goes without it).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench import tools
from bench.harness import Bench
from bench.modes import QUICK, ROOT
from bench.procs import Processes
from bench.scenarios.common import UNARY_PROMPT, answer_size, chat_request, ok_call
from bench.scenarios.profile import h2load_argv, profile_one
from bench.servers import Server
from bench.tools import require_h2load
from modelgate.v1 import chat_pb2


def _parse(spec: str) -> tuple[str, dict[str, Any]]:
    name, _, overlay = spec.partition("=")
    return name, json.loads(overlay or "{}")


def _tracing(overlay: dict[str, Any]) -> bool:
    return bool(overlay.get("telemetry", {}).get("tracing", "off") != "off")


def _export(revision: str, into: Path) -> dict[str, str]:
    """The server and client code of `revision` under `into`, as a child's PYTHONPATH."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", revision, "server", "clients/python"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    paths = [str(into / "server"), str(into / "clients" / "python"), str(ROOT)]
    return {"PYTHONPATH": os.pathsep.join(paths)}


def _profile(bench: Bench, server: Server, body: Path) -> None:
    pyspy = tools.ensure("pyspy")
    summary = profile_one(bench, server.name, server, pyspy, load=h2load_argv(server, body))
    print(json.dumps(summary, indent=1))


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    parser.add_argument("configs", nargs="+", help="name=JSON overlay of the gateway config")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--profile", metavar="NAME", help="also py-spy this configuration")
    parser.add_argument(
        "--revision",
        action="append",
        default=[],
        metavar="NAME=REV",
        help="run configuration NAME on the server code of git revision REV",
    )
    parser.add_argument(
        "--header",
        action="append",
        default=[],
        help="gRPC metadata on every measured call: 'authorization: Bearer <key>' (repeatable)",
    )
    args = parser.parse_args()
    configs = [_parse(spec) for spec in args.configs]
    revisions = dict(spec.partition("=")[::2] for spec in args.revision)
    require_h2load()
    run_dir = ROOT / "bench" / "results" / "compare"
    run_dir.mkdir(parents=True, exist_ok=True)
    with Processes(run_dir, Bench.child_env()) as procs:
        bench = Bench(dataclasses.replace(QUICK, profile_seconds=8.0), run_dir, procs)
        bench.wait_fake("fast", bench.start_fake("fake-fast"))
        bench.fakes.setdefault("stream", bench.fakes["fast"])
        bench.fakes.setdefault("hold", bench.fakes["fast"])
        servers: list[Server] = []
        for name, overlay in configs:
            env: dict[str, str] = {}
            if name in revisions:
                env = _export(revisions[name], run_dir / f"src-{name}")
            if _tracing(overlay):
                sink = procs.start(f"sink-{name}", bench.python("bench.otlp_sink"))
                env |= {
                    "OTEL_EXPORTER_OTLP_ENDPOINT": sink.first_line(30),
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                }
            servers.append(bench.start_gateway(f"gw-{name}", overlay=overlay, env=env))
        request = chat_request("gpt-4o", UNARY_PROMPT)
        body: Path = bench.grpc_body(request, "chat")
        size = answer_size(ok_call(bench, servers[0], "Chat", request, chat_pb2.ChatResponse))
        rps: dict[str, list[float]] = {name: [] for name, _ in configs}
        cpu: dict[str, list[float]] = {name: [] for name, _ in configs}
        for _ in range(args.rounds):
            for (name, _), server in zip(configs, servers, strict=True):
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
                rps[name].append(result.rps)
                cpu[name].append(result.cpu_us_per_request("server"))
        if args.profile:
            _profile(bench, servers[[n for n, _ in configs].index(args.profile)], body)
    base_rps = statistics.median(rps[configs[0][0]])
    base_cpu = statistics.median(cpu[configs[0][0]])
    print(f"{'config':<16} {'req/s':>8} {'vs first':>9} {'CPU us/call':>12} {'vs first':>9}")
    for name, _ in configs:
        r, c = statistics.median(rps[name]), statistics.median(cpu[name])
        print(
            f"{name:<16} {r:>8.0f} {100 * (r / base_rps - 1):>+8.1f}% "
            f"{c:>12.0f} {100 * (c / base_cpu - 1):>+8.1f}%"
        )
        runs = zip(rps[name], cpu[name], strict=True)
        print(f"{'':<16} runs (req/s / CPU us): " + ", ".join(f"{x:.0f}/{y:.0f}" for x, y in runs))


if __name__ == "__main__":
    main()
