"""Scenario 1: unary Chat, direct vs passthrough vs modelgate at each concurrency (and the
targets the workers scenario reuses).
"""

from __future__ import annotations

from bench.harness import Bench
from bench.load import H2Result, combine
from bench.modes import API_KEY
from bench.scenarios.common import (
    UNARY_PROMPT,
    Row,
    UnaryTargets,
    answer_size,
    chat_request,
    h2_row,
    measure_chat,
    ok_call,
    print_progress,
    repeats_for,
)
from bench.servers import Server
from modelgate.v1 import chat_pb2


# ------------------------------------------------------------------ 1. unary Chat
def unary_targets(
    bench: Bench, gw: Server, pt: Server, request: chat_pb2.ChatRequest
) -> UnaryTargets:
    """Verify the request on both servers and prepare the h2load bodies."""
    fake = bench.fakes["fast"]
    gw_reply = ok_call(bench, gw, "Chat", request, chat_pb2.ChatResponse)
    direct_json = fake.last_body("/v1/chat/completions")  # the exact body modelgate sent
    pt_reply = ok_call(bench, pt, "Chat", request, chat_pb2.ChatResponse)
    return UnaryTargets(
        gw_body=bench.grpc_body(request, "chat"),
        pt_body=bench.grpc_body(request, "chat-pt"),
        direct_body=bench.body_file(direct_json, "chat.json"),
        gw_bytes=answer_size(gw_reply),
        pt_bytes=answer_size(pt_reply),
        direct_url=fake.base + "/chat/completions",
    )


def scenario_unary(bench: Bench, gw: Server, pt: Server) -> tuple[list[Row], UnaryTargets]:
    """Direct vs passthrough vs modelgate at each concurrency."""
    targets = unary_targets(bench, gw, pt, chat_request("gpt-4o", UNARY_PROMPT))
    rows: list[Row] = []
    auth = (f"authorization: Bearer {API_KEY}",)
    for c in bench.mode.concurrency:
        runs: dict[str, list[H2Result]] = {"direct": [], "passthrough": [], "modelgate": []}
        for _ in range(repeats_for(bench, c)):
            runs["direct"].append(
                bench.measure_http(
                    "direct", targets.direct_url, targets.direct_body, concurrency=c, headers=auth
                )
            )
            runs["passthrough"].append(
                measure_chat(bench, "passthrough", pt, targets, c, passthrough=True)
            )
            runs["modelgate"].append(measure_chat(bench, "modelgate", gw, targets, c))
        d, p, m = (combine(runs[k]) for k in ("direct", "passthrough", "modelgate"))
        rows.append(h2_row("direct HTTP/1.1", d, server_key=None))
        rows.append(h2_row("passthrough", p, direct=d))
        rows.append(h2_row("modelgate", m, direct=d, reference=p))
        print_progress(rows[-3:])
    return rows, targets
