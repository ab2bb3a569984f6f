"""`uv run python -m bench.ttft_breakdown`: where a stream's time to first token goes.

Runs the TTFT probe (one stream at a time, 20 ms upstream TTFT) against the
direct SSE call, the passthrough and modelgate while `tcpdump` records the
loopback, then splits every stream at the packets it sends:

    A  the client's request reaches the gateway (last request packet)
    B  the gateway's HTTP request leaves for the fake upstream
    C  the fake sends the first token (first upstream bytes >= 15 ms after B)
    D  the gateway sends that token to the client

A->B is the gateway's request path, B->C the upstream (the same fake and
timer for every target), C->D its response path, and what is left of the
client-measured TTFT is spent in the client (send before A, receive after D).
For the direct call only B and C exist. Packet times are the kernel's, so the
split needs no instrumentation of the processes. Needs `tcpdump` (Debian
package) and the right to capture on `lo`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import time
from dataclasses import dataclass, field

from bench.harness import QUICK, ROOT, STREAM_TTFT_MS, Bench, Server
from bench.procs import Processes

GAP_S = 0.75 * STREAM_TTFT_MS / 1000
"""Upstream bytes this long after the request are the first token, not the headers."""


@dataclass
class Packet:
    """One TCP segment with payload, as tcpdump printed it."""

    at: float
    src: int
    dst: int


@dataclass
class Split:
    """Per-stream segments in ms, for one target."""

    request: list[float] = field(default_factory=list)
    upstream: list[float] = field(default_factory=list)
    response: list[float] = field(default_factory=list)


def parse(lines: list[str]) -> list[Packet]:
    """`tcpdump -tt -nn` lines -> payload packets (ports only; everything is 127.0.0.1)."""
    packets = []
    for line in lines:
        parts = line.split()
        if len(parts) < 5 or parts[1] != "IP" or not line.rstrip().split()[-1].isdigit():
            continue
        if int(line.rstrip().split()[-1]) == 0:  # "length 0": a bare ACK
            continue
        src = int(parts[2].rsplit(".", 1)[1])
        dst = int(parts[4].rstrip(":").rsplit(".", 1)[1])
        packets.append(Packet(float(parts[0]), src, dst))
    return packets


def split(packets: list[Packet], fake: int, gateway: int | None) -> Split:
    """Cut the capture into streams at each request to the fake."""
    out = Split()
    to_fake = [i for i, p in enumerate(packets) if p.dst == fake]
    starts = [
        i
        for n, i in enumerate(to_fake)
        if n == 0 or packets[i].at - packets[to_fake[n - 1]].at > GAP_S
    ]
    for i in starts:
        b = packets[i].at
        c = next((p.at for p in packets[i:] if p.src == fake and p.at - b >= GAP_S), None)
        if c is None:
            continue
        out.upstream.append((c - b) * 1000)
        if gateway is None:
            continue
        a = next((p.at for p in reversed(packets[:i]) if p.dst == gateway), None)
        d = next((p.at for p in packets if p.at > c and p.src == gateway), None)
        if a is not None and d is not None and b - a < GAP_S:
            out.request.append((b - a) * 1000)
            out.response.append((d - c) * 1000)
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    """CLI entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.ttft_breakdown", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="probe length per target")
    args = parser.parse_args()
    run_dir = ROOT / "bench" / "results" / "ttft-breakdown"
    run_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    with Processes(run_dir, Bench.child_env()) as procs:
        bench = Bench(QUICK, run_dir, procs)
        fake_proc = bench.start_fake(
            "fake-stream", "--ttft-ms", str(STREAM_TTFT_MS), "--tokens-per-s", "50"
        )
        stream = bench.wait_fake("stream", fake_proc)
        bench.fakes.update(fast=stream, hold=stream)
        gw = bench.start_gateway("modelgate")
        pt = bench.start_passthrough()
        fake_port = int(stream.base.rsplit(":", 1)[1].split("/")[0])
        grpc_model = ["--kind", "grpc", "--model", "gpt-4o-stream"]
        targets: list[tuple[str, list[str], Server | None]] = [
            ("direct SSE", ["--kind", "http", "--target", stream.base, "--model", "gpt-4o"], None),
            ("passthrough", [*grpc_model, "--target", pt.target], pt),
            ("modelgate", [*grpc_model, "--target", gw.target], gw),
        ]
        for name, client_args, server in targets:
            dump = run_dir / f"{name.split()[0]}.txt"
            ports = f"port {fake_port}" + (f" or port {server.port}" if server else "")
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
                        str(args.seconds),
                    )
                    time.sleep(0.3)
                finally:
                    capture.terminate()
                    capture.wait(10)
            packets = parse(dump.read_text().splitlines())
            segments = split(packets, fake_port, server.port if server else None)
            rows.append((name, result.get("ttft_p50_ms", float("nan")), segments))
    print(
        f"{'target':<12} {'streams':>7} {'TTFT p50':>9} {'A->B req':>9} {'B->C upstream':>14} "
        f"{'C->D resp':>10} {'client':>8}   (ms, medians)"
    )
    for name, ttft, s in rows:
        wire = _median(s.upstream)
        if s.request:
            wire += _median(s.request) + _median(s.response)
        print(
            f"{name:<12} {len(s.upstream):>7} {ttft:>9.3f} {_median(s.request):>9.3f} "
            f"{_median(s.upstream):>14.3f} {_median(s.response):>10.3f} {ttft - wire:>8.3f}"
        )


if __name__ == "__main__":
    main()
