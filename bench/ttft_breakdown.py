"""`uv run python -m bench.ttft_breakdown`: where a stream's time to first token goes.

Runs the TTFT probe (one stream at a time, 20 ms upstream TTFT) against the
direct SSE call, the passthrough and modelgate while `tcpdump` records the
loopback, and lines each stream's client-side start (S) and first token (F)
up with the packets it caused:

    A  the call's first packet reaches the gateway
    B  the HTTP request leaves for the fake upstream
    C  the fake sends the first token (first upstream bytes >= 15 ms after B)
    D  the gateway sends that token on to the client

S->A is the client sending, A->B the gateway's request path, B->C the
upstream (the same fake and timer for every target), C->D the gateway's
response path and D->F the client receiving. For the direct call the client
talks to the fake itself: S->B and C->F. Packet times are the kernel's and the
client reports wall-clock times, so nothing in the servers is instrumented.
Needs `tcpdump` (Debian package) and the right to capture on `lo`.
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import time
from dataclasses import dataclass
from typing import Any

from bench.harness import Bench
from bench.modes import QUICK, ROOT, STREAM_TOKENS_PER_S, STREAM_TTFT_MS
from bench.procs import Processes
from bench.report_scale import ttft_breakdown_table
from bench.servers import Fake, Server
from bench.tools import apt_tool

Row = dict[str, Any]

GAP_S = 0.75 * STREAM_TTFT_MS / 1000
"""Upstream bytes this long after the request are the first token, not the headers."""


@dataclass
class Packet:
    """One TCP segment with payload, as tcpdump printed it."""

    at: float
    src: int
    dst: int


def parse(lines: list[str]) -> list[Packet]:
    """`tcpdump -tt -nn -q` lines -> payload packets (ports only; everything is 127.0.0.1)."""
    packets = []
    for line in lines:
        parts = line.split()
        # "1795478220.137886 IP 127.0.0.1.56170 > 127.0.0.1.36663: tcp 366"
        if len(parts) != 7 or parts[1] != "IP" or not parts[6].isdigit() or parts[6] == "0":
            continue
        src = int(parts[2].rsplit(".", 1)[1])
        dst = int(parts[4].rstrip(":").rsplit(".", 1)[1])
        packets.append(Packet(float(parts[0]), src, dst))
    return packets


SEGMENTS = ("client_send_ms", "request_ms", "upstream_ms", "response_ms", "client_receive_ms")


def _first(packets: list[Packet], after: float, src: int = 0, dst: int = 0) -> float | None:
    for p in packets:
        if p.at >= after and (not src or p.src == src) and (not dst or p.dst == dst):
            return p.at
    return None


def split(
    packets: list[Packet], times: list[list[float]], fake: int, gateway: int | None
) -> dict[str, list[float]]:
    """Per-stream segments in ms, keyed as in SEGMENTS (the direct call has no gateway ones)."""
    out: dict[str, list[float]] = {key: [] for key in SEGMENTS}
    for start, first_token in times:
        b = _first(packets, start, dst=fake)
        c = _first(packets, b + GAP_S, src=fake) if b is not None else None
        if b is None or c is None or c > first_token:
            continue
        out["upstream_ms"].append((c - b) * 1000)
        if gateway is None:
            out["client_send_ms"].append((b - start) * 1000)
            out["client_receive_ms"].append((first_token - c) * 1000)
            continue
        a = _first(packets, start, dst=gateway)
        d = _first(packets, c, src=gateway)
        if a is None or d is None or not start <= a <= b or d > first_token:
            continue
        out["client_send_ms"].append((a - start) * 1000)
        out["request_ms"].append((b - a) * 1000)
        out["response_ms"].append((d - c) * 1000)
        out["client_receive_ms"].append((first_token - d) * 1000)
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def available() -> str:
    """ "" when tcpdump can capture on loopback here, else why not."""
    if apt_tool("tcpdump", "tcpdump") is None:
        return "tcpdump not installed (Debian package tcpdump)"
    probe = subprocess.run(
        ["tcpdump", "-i", "lo", "-J"], capture_output=True, text=True, timeout=10, check=False
    )
    if probe.returncode != 0:
        return "tcpdump cannot capture on lo: " + (probe.stderr.strip().splitlines() or ["?"])[-1]
    return ""


def _capture(
    bench: Bench, name: str, client_args: list[str], ports: str, seconds: float
) -> tuple[dict[str, Any], list[Packet]]:
    dump = bench.run_dir / f"ttft-packets-{name.split(maxsplit=1)[0]}.txt"
    with dump.open("w") as sink:
        capture = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-nn", "-tt", "-l", "-q", f"tcp and ({ports})"],
            stdout=sink,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1.0)  # tcpdump attaches
            result = bench.stream_client(
                "load",
                *client_args,
                "--streams",
                "1",
                "--words",
                "2",
                "--duration",
                str(seconds),
                "--times",
            )
            time.sleep(0.3)
        finally:
            capture.terminate()
            capture.wait(10)
    return result, parse(dump.read_text().splitlines())


def breakdown(bench: Bench, fake: Fake, gw: Server, pt: Server, seconds: float) -> list[Row]:
    """One row per target: TTFT p50 and the median of each segment, in ms."""
    fake_port = int(fake.base.rsplit(":", 1)[1].split("/")[0])
    grpc_model = ["--kind", "grpc", "--model", "gpt-4o-stream"]
    targets: list[tuple[str, list[str], Server | None]] = [
        ("direct SSE", ["--kind", "http", "--target", fake.base, "--model", "gpt-4o"], None),
        ("passthrough", [*grpc_model, "--target", pt.target], pt),
        ("modelgate", [*grpc_model, "--target", gw.target], gw),
    ]
    rows: list[Row] = []
    for name, client_args, server in targets:
        ports = f"port {fake_port}" + (f" or port {server.port}" if server else "")
        bench.wait_quiet()
        result, packets = _capture(bench, name, client_args, ports, seconds)
        times = result.get("times") or []
        segments = split(packets, times, fake_port, server.port if server else None)
        row: Row = {
            "target": name,
            "streams": len(segments["upstream_ms"]),
            "ttft_p50_ms": float(result.get("ttft_p50_ms", math.nan)),
        }
        row.update({key: _median(values) for key, values in segments.items() if values})
        rows.append(row)
    return rows


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.ttft_breakdown", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="probe length per target")
    args = parser.parse_args()
    if why := available():
        raise SystemExit(why)
    run_dir = ROOT / "bench" / "results" / "ttft-breakdown"
    run_dir.mkdir(parents=True, exist_ok=True)
    with Processes(run_dir, Bench.child_env()) as procs:
        bench = Bench(QUICK, run_dir, procs)
        fake_proc = bench.start_fake(
            "fake-stream",
            "--ttft-ms",
            str(STREAM_TTFT_MS),
            "--tokens-per-s",
            str(STREAM_TOKENS_PER_S),
        )
        stream = bench.wait_fake("stream", fake_proc)
        bench.fakes.update(fast=stream, hold=stream)
        gw = bench.start_gateway("modelgate")
        pt = bench.start_passthrough()
        rows = breakdown(bench, stream, gw, pt, args.seconds)
    print(ttft_breakdown_table(rows).text())


if __name__ == "__main__":
    main()
