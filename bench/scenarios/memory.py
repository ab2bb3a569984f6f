"""Scenario 3, memory: resident memory per open stream on fresh processes (streams held open
by a silent upstream).
"""

from __future__ import annotations

from bench.harness import Bench
from bench.scenarios.common import Row, print_progress


def scenario_memory(bench: Bench) -> list[Row]:
    """RSS per open stream on fresh processes: streams held open by a silent upstream."""
    hold = bench.fakes["hold"]
    rows: list[Row] = []
    fresh = {"modelgate": bench.start_gateway("modelgate-hold", wait=False)}
    fresh["passthrough"] = bench.start_passthrough("passthrough-hold")
    bench.wait_serving(fresh["modelgate"])
    for name in ("passthrough", "modelgate"):
        server = fresh[name]
        try:
            out = bench.stream_client(
                "hold",
                "--kind",
                "grpc",
                "--target",
                server.target,
                "--model",
                "gpt-4o-hold",
                "--streams",
                str(bench.mode.hold_streams),
                "--duration",
                "30",
                "--server-pid",
                str(server.pid),
                "--fake",
                hold.url,
                timeout=120,
            )
        finally:
            bench.procs.stop(server.proc)
        rows.append({"target": name, **out})
        print_progress(rows[-1:])
    return rows
