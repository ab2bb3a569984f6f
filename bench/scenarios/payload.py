"""Scenario 5: payload scaling: Chat with 1 KB / 100 KB / 1 MB prompts, Embed with 1 to 2,048
inputs.
"""

from __future__ import annotations

from typing import Any

from bench.harness import Bench
from bench.load import H2Result
from bench.modes import API_KEY
from bench.procs import rss_kib
from bench.scenarios.common import (
    Row,
    answer_size,
    chat_request,
    h2_row,
    measure_chat,
    ok_call,
    print_progress,
    prompt_of_size,
)
from bench.scenarios.unary import unary_targets
from bench.servers import Server
from modelgate.v1 import embedding_pb2


# ------------------------------------------------------------------- 5. payloads
def scenario_payload(bench: Bench, gw: Server, pt: Server) -> list[Row]:
    """Chat with 1 KB / 100 KB / 1 MB prompts (answers capped at 16 tokens)."""
    rows: list[Row] = []
    c = bench.mode.payload_concurrency
    auth = (f"authorization: Bearer {API_KEY}",)
    for kib in bench.mode.payload_kib:
        request = chat_request("gpt-4o", prompt_of_size(kib * 1024), max_tokens=16)
        targets = unary_targets(bench, gw, pt, request)
        size = f"{kib} KB" if kib < 1024 else f"{kib // 1024} MB"
        d = bench.measure_http(
            "direct", targets.direct_url, targets.direct_body, concurrency=c, headers=auth
        )
        rss = {name: rss_kib(server.pid) for name, server in (("pt", pt), ("gw", gw))}
        p = measure_chat(bench, "passthrough", pt, targets, c, passthrough=True)
        m = measure_chat(bench, "modelgate", gw, targets, c)
        new = [
            h2_row("direct HTTP/1.1", d, server_key=None, prompt=size),
            h2_row("passthrough", p, direct=d, prompt=size, **_rss_growth(pt, rss["pt"], p)),
            h2_row(
                "modelgate", m, direct=d, reference=p, prompt=size, **_rss_growth(gw, rss["gw"], m)
            ),
        ]
        rows += new
        print_progress(new)
    return rows


def _rss_growth(server: Server, before_kib: int, result: H2Result) -> dict[str, Any]:
    """RSS after a run and its growth per call served in the window (retained memory)."""
    after = rss_kib(server.pid)
    calls = result.window_requests or result.done
    return {
        "rss_mib_after": round(after / 1024, 1),
        "rss_growth_kib_per_call": round((after - before_kib) / calls, 2) if calls else None,
    }


def scenario_embeddings(bench: Bench, gw: Server, pt: Server) -> list[Row]:
    """Embed with 1 to 2,048 inputs (256-dimension vectors, base64 upstream)."""
    rows: list[Row] = []
    fake = bench.fakes["fast"]
    c = bench.mode.embed_concurrency
    path = "/v1/embeddings"
    for n in bench.mode.embed_inputs:
        request = embedding_pb2.EmbedRequest(
            model="text-embedding-3-small",
            inputs=[f"input {i} of the embedding benchmark batch" for i in range(n)],
            dimensions=256,
        )
        gw_reply = ok_call(bench, gw, "Embed", request, embedding_pb2.EmbedResponse)
        if len(gw_reply.embeddings) != n:
            raise RuntimeError(f"modelgate returned {len(gw_reply.embeddings)} embeddings for {n}")
        direct_body = bench.body_file(fake.last_body(path), f"embed-{n}.json")
        pt_reply = ok_call(bench, pt, "Embed", request, embedding_pb2.EmbedResponse)
        body = bench.grpc_body(request, f"embed-{n}")
        d = bench.measure_http(
            "direct",
            fake.base + "/embeddings",
            direct_body,
            concurrency=c,
            upstream_path=path,
            headers=(f"authorization: Bearer {API_KEY}",),
        )
        p = bench.measure_grpc(
            "passthrough",
            pt,
            "Embed",
            body,
            answer_bytes=answer_size(pt_reply),
            concurrency=c,
            upstream_path=path,
        )
        m = bench.measure_grpc(
            "modelgate",
            gw,
            "Embed",
            body,
            answer_bytes=answer_size(gw_reply),
            concurrency=c,
            upstream_path=path,
        )
        new = [
            h2_row("direct HTTP/1.1", d, server_key=None, inputs=n),
            h2_row("passthrough", p, direct=d, inputs=n),
            h2_row("modelgate", m, direct=d, reference=p, inputs=n),
        ]
        rows += new
        print_progress(new)
    return rows
