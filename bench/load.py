"""h2load runs: gRPC unary (HTTP/2 cleartext) and plain HTTP/1.1 JSON, with checks.

gRPC framing for h2load: the body file is 0x00 + 4-byte big-endian length +
the serialized request; headers `content-type: application/grpc` and
`te: trailers`. h2load counts a gRPC error (HTTP 200 with a non-zero
grpc-status in the trailers) as a success, so gRPC runs are checked twice:
the upstream fake's request counter must have grown by at least the number of
answered calls, and the DATA bytes per answer must match the size of an answer
verified with a real gRPC client (an error answer carries no DATA frame).
"""

from __future__ import annotations

import math
import re
import statistics
import struct
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from google.protobuf.message import Message

T = TypeVar("T")
GRPC_HEADERS = ("content-type: application/grpc", "te: trailers")


def grpc_frame(message: Message) -> bytes:
    """One uncompressed gRPC length-prefixed message."""
    payload = message.SerializeToString()
    return b"\x00" + struct.pack(">I", len(payload)) + payload


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (nan when empty)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return float(sorted_values[min(rank, len(sorted_values)) - 1])


@dataclass
class H2Result:
    """One h2load run, parsed."""

    label: str
    concurrency: int
    duration_s: float
    rps: float = 0.0
    done: int = 0
    ok_2xx: int = 0
    failed: int = 0
    errored: int = 0
    timeouts: int = 0
    data_bytes: int = 0
    p50_ms: float = math.nan
    p90_ms: float = math.nan
    p99_ms: float = math.nan
    mean_ms: float = math.nan
    cpu: dict[str, float] = field(default_factory=dict)
    """CPU seconds per watched process (server, fake, h2load) over the whole window."""
    machine_busy_cpu: float = 0.0
    """CPU seconds the whole machine was busy in the window (every process, ours or not)."""
    window_s: float = 0.0
    """Wall time of the window (warm-up + measured part + h2load start/stop)."""
    window_requests: int = 0
    """Requests the upstream fake served in the window (warm-up included)."""
    checks: list[str] = field(default_factory=list)
    """Failed verifications (empty: verified)."""
    latencies_ms: list[float] = field(default_factory=list, repr=False)

    @property
    def verified(self) -> bool:
        """True when every check passed."""
        return not self.checks

    def cpu_us_per_request(self, name: str) -> float:
        """CPU microseconds per request of one watched process over the window."""
        if name not in self.cpu:
            return math.nan
        if self.window_requests:
            return self.cpu[name] / self.window_requests * 1e6
        if not self.done or not self.window_s:
            return math.nan
        return self.cpu[name] * (self.duration_s / self.window_s) / self.done * 1e6

    def foreign_cpu_share(self) -> float:
        """Share of the machine's busy CPU in the window used by processes not watched."""
        if not self.machine_busy_cpu:
            return math.nan
        ours = sum(self.cpu.values())
        return max(0.0, 1 - ours / self.machine_busy_cpu)

    def summary(self) -> dict[str, Any]:
        """JSON-ready fields (without the raw latencies)."""
        out = asdict(self)
        out.pop("latencies_ms")
        out["verified"] = self.verified
        return out


_FINISHED = re.compile(r"finished in ([\d.]+)(\w+), ([\d.]+) req/s")
_REQUESTS = re.compile(
    r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, "
    r"(\d+) errored, (\d+) timeout"
)
_STATUS = re.compile(r"status codes: (\d+) 2xx")
_TRAFFIC = re.compile(r"traffic: .*?\(\d+\) total, .*?\((\d+)\) headers.*?\((\d+)\) data")


def run_h2load(
    label: str,
    url: str,
    body: Path,
    headers: Sequence[str],
    *,
    concurrency: int,
    duration: float,
    warmup: float,
    log_dir: Path,
    h1: bool = False,
    timeout: float | None = None,
) -> H2Result:
    """One closed-loop run: `concurrency` connections, one request in flight on each."""
    log_file = log_dir / f"h2load-{label}.tsv"
    argv = [
        "h2load",
        "-t1",
        f"-c{concurrency}",
        "-m1",
        f"-D{round(duration * 1000)}ms",
        f"--warm-up-time={max(1, round(warmup * 1000))}ms",
        "-d",
        str(body),
        f"--log-file={log_file}",
    ]
    if h1:
        argv.append("--h1")
    for header in headers:
        argv += ["-H", header]
    argv.append(url)
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=timeout or (duration + warmup + 60),
        check=False,
    )
    out = proc.stdout
    result = H2Result(label, concurrency, duration)
    if proc.returncode != 0 or not _FINISHED.search(out):
        result.checks.append(f"h2load failed (exit {proc.returncode}): {proc.stderr[-300:]}")
        return result
    if match := _REQUESTS.search(out):
        _total, _started, done, _ok, failed, errored, timeouts = map(int, match.groups())
        result.done, result.failed, result.errored, result.timeouts = (
            done,
            failed,
            errored,
            timeouts,
        )
    if match := _STATUS.search(out):
        result.ok_2xx = int(match.group(1))
    if match := _TRAFFIC.search(out):
        result.data_bytes = int(match.group(2))
    latencies = []
    ok = 0
    for line in log_file.read_text().splitlines():
        parts = line.split("\t")
        if len(parts) >= 3 and parts[1].startswith("2"):
            ok += 1
            latencies.append(int(parts[2]) / 1000)
    latencies.sort()
    result.latencies_ms = latencies
    result.rps = ok / duration
    result.p50_ms = percentile(latencies, 50)
    result.p90_ms = percentile(latencies, 90)
    result.p99_ms = percentile(latencies, 99)
    result.mean_ms = sum(latencies) / len(latencies) if latencies else math.nan
    if result.failed or result.errored or result.timeouts:
        result.checks.append(
            f"{result.failed} failed, {result.errored} errored, {result.timeouts} timed out"
        )
    if result.ok_2xx < result.done:
        result.checks.append(f"{result.done - result.ok_2xx} non-2xx answers")
    if not ok:
        result.checks.append("no successful request")
    log_file.unlink(missing_ok=True)
    return result


def check_grpc(result: H2Result, answer_bytes: int, upstream_delta: int | None) -> None:
    """Add failed checks for a gRPC run (see the module docstring)."""
    if not result.done:
        return
    mean = result.data_bytes / result.done
    # A verified answer's size varies by a few bytes (latency varint, ids): allow 2%.
    if mean < 0.98 * answer_bytes:
        errors = round((1 - mean / answer_bytes) * result.done)
        result.checks.append(
            f"~{errors} gRPC errors (DATA {mean:.0f} B/answer, expected {answer_bytes} B)"
        )
    if upstream_delta is not None and upstream_delta < result.done:
        result.checks.append(
            f"only {upstream_delta} upstream requests for {result.done} answered calls"
        )


def combine(results: Sequence[H2Result]) -> H2Result:
    """Repeated runs of one point: median req/s, pooled latency percentiles, summed CPU."""
    first = results[0]
    if len(results) == 1:
        return first
    merged = H2Result(first.label, first.concurrency, sum(r.duration_s for r in results))
    merged.rps = statistics.median(r.rps for r in results)
    merged.done = sum(r.done for r in results)
    merged.ok_2xx = sum(r.ok_2xx for r in results)
    merged.failed = sum(r.failed for r in results)
    merged.errored = sum(r.errored for r in results)
    merged.timeouts = sum(r.timeouts for r in results)
    merged.data_bytes = sum(r.data_bytes for r in results)
    merged.window_s = sum(r.window_s for r in results)
    merged.window_requests = sum(r.window_requests for r in results)
    latencies = sorted(x for r in results for x in r.latencies_ms)
    merged.latencies_ms = latencies
    merged.p50_ms = percentile(latencies, 50)
    merged.p90_ms = percentile(latencies, 90)
    merged.p99_ms = percentile(latencies, 99)
    merged.mean_ms = sum(latencies) / len(latencies) if latencies else math.nan
    for r in results:
        for name, used in r.cpu.items():
            merged.cpu[name] = merged.cpu.get(name, 0.0) + used
        merged.machine_busy_cpu += r.machine_busy_cpu
        merged.checks += r.checks
    return merged


def alternating_pairs(
    count: int, off: Callable[[], H2Result], on: Callable[[], H2Result]
) -> tuple[list[H2Result], list[H2Result]]:
    """`count` off/on pairs, each back to back, every other pair with on first, so a
    run's place in its pair is cancelled rather than charged to the feature. Two
    identical gateways in `bench.compare` (11 rounds, each pair back to back) read the
    second one 0.5% and 1.8% slower on a quiet machine and 12.7% slower beside a test
    run (2026-12-02)."""
    offs: list[H2Result] = []
    ons: list[H2Result] = []
    for pair in range(count):
        if pair % 2:
            ons.append(on())
            offs.append(off())
        else:
            offs.append(off())
            ons.append(on())
    return offs, ons


def in_round_order(items: Sequence[T], round_number: int) -> list[T]:
    """`items` in their order on even rounds and backwards on odd ones (`bench.compare`):
    no configuration always runs right after another (`alternating_pairs`)."""
    return list(reversed(items)) if round_number % 2 else list(items)


def paired_cost_pct(off: Sequence[H2Result], on: Sequence[H2Result]) -> tuple[float, list[float]]:
    """A feature's throughput cost in percent: the median over its interleaved pairs of
    1 - on/off, and each pair's. A pair runs back to back, so the machine's drift between
    pairs (other tenants: 10-20% between rounds here) cancels; a ratio of the two medians
    would keep it."""
    pairs = [100 * (1 - b.rps / a.rps) for a, b in zip(off, on, strict=True) if a.rps]
    return (statistics.median(pairs) if pairs else math.nan), pairs
