"""Scenario 2: one worker vs two (`--workers`, SO_REUSEPORT), passthrough alongside."""

from __future__ import annotations

from bench.harness import Bench
from bench.load import H2Result, combine
from bench.scenarios.common import (
    UNARY_PROMPT,
    Row,
    UnaryTargets,
    chat_request,
    h2_row,
    measure_chat,
    ok_call,
    print_progress,
    repeats_for,
    rounded,
)
from bench.servers import Server
from modelgate.v1 import chat_pb2


# ----------------------------------------------------------------- 2. --workers
def scenario_workers(bench: Bench, gw: Server, pt: Server, targets: UnaryTargets) -> list[Row]:
    """One worker vs two (SO_REUSEPORT), passthrough alongside."""
    gw2 = bench.start_gateway("modelgate-w2", workers=2)
    rows: list[Row] = []
    try:
        ok_call(bench, gw2, "Chat", chat_request("gpt-4o", UNARY_PROMPT), chat_pb2.ChatResponse)
        for c in bench.mode.worker_concurrency:
            runs: dict[str, list[H2Result]] = {"pt": [], "w1": [], "w2": []}
            for _ in range(repeats_for(bench, c)):
                runs["pt"].append(
                    measure_chat(bench, "passthrough", pt, targets, c, passthrough=True)
                )
                for key, server in (("w1", gw), ("w2", gw2)):
                    runs[key].append(measure_chat(bench, f"modelgate-{key}", server, targets, c))
            p, w1, w2 = (combine(runs[k]) for k in ("pt", "w1", "w2"))
            rows.append(h2_row("passthrough", p, workers=1))
            rows.append(h2_row("modelgate", w1, reference=p, workers=1))
            row = h2_row("modelgate", w2, reference=p, workers=2)
            row["rps_vs_1_worker"] = rounded(w2.rps / w1.rps) if w1.rps else None
            rows.append(row)
            print_progress(rows[-3:])
    finally:
        bench.procs.stop(gw2.proc)
    return rows
