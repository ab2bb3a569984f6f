"""`uv run python -m bench.health_window`: what the per-deployment health window costs.

Every attempt records one sample into the deployment's ring (routing/health.py)
next to the moving average the lowest-latency strategy already kept; ListModels
and GetModel compute the figures from a full ring. This times the three in a
tight loop, without a gateway, and prints the ring's share of a recording call
side by side with the moving average alone.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence

import grpc

from modelgate.config import RoutingConfig
from modelgate.errors import GatewayError
from modelgate.routing.balancer import StatsBoard
from modelgate.routing.health import SAMPLES
from modelgate.v1.errors_pb2 import ErrorReason


def _ns_per_call(work: Callable[[], object], calls: int, repeats: int) -> float:
    """Best of `repeats` runs of `calls` calls, in ns per call (best: least disturbed by others)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter_ns()
        for _ in range(calls):
            work()
        best = min(best, (time.perf_counter_ns() - started) / calls)
    return best


def main(argv: Sequence[str] | None = None) -> None:
    """Print ns per recording call and us per report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    stats = StatsBoard(RoutingConfig()).get("gpt-4o")
    fault = GatewayError(
        grpc.StatusCode.UNAVAILABLE,
        ErrorReason.ERROR_REASON_UPSTREAM_UNAVAILABLE,
        "upstream returned 503",
        retryable=True,
    )
    noop = _ns_per_call(lambda: None, args.calls, args.repeats)
    ring = _ns_per_call(lambda: stats.health.served(0.123, False), args.calls, args.repeats) - noop
    served = _ns_per_call(lambda: stats.observe_latency(0.123), args.calls, args.repeats) - noop
    failed = _ns_per_call(lambda: stats.observe_failure(fault), args.calls, args.repeats) - noop
    idle = StatsBoard(RoutingConfig()).get("idle").health
    idle_us = _ns_per_call(lambda: idle.report(0), 2000, args.repeats) / 1000
    for index in range(SAMPLES):
        stats.observe_latency(index / 1000, streaming=bool(index % 2))
    full_us = _ns_per_call(lambda: stats.health.report(0), 2000, args.repeats) / 1000
    print(f"per attempt, recording (loop overhead of {noop:.0f} ns removed):")
    print(f"  observe_latency (moving average + window) {served:8.0f} ns")
    print(f"    of which the window's ring              {ring:8.0f} ns")
    print(f"  observe_failure (an upstream fault)       {failed:8.0f} ns")
    print("per deployment on a ListModels/GetModel page: report")
    print(f"  never called (empty ring)                 {idle_us:8.1f} us")
    print(f"  full ring of {SAMPLES} samples                 {full_us:8.1f} us")


if __name__ == "__main__":
    main()
