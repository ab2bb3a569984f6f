"""Scenario 1b: unary Chat through modelgate to each provider's fake vs calling it directly."""

from __future__ import annotations

from bench.harness import Bench
from bench.modes import API_KEY, PROVIDER_MODELS, PROVIDER_PATHS
from bench.scenarios.common import (
    UNARY_PROMPT,
    Row,
    answer_size,
    chat_request,
    h2_row,
    ok_call,
    print_progress,
)
from bench.servers import Server
from modelgate.v1 import chat_pb2

# ---------------------------------------------------------- 1b. per provider
PROVIDER_HEADERS = {
    "openai": (f"authorization: Bearer {API_KEY}",),
    "anthropic": (f"x-api-key: {API_KEY}", "anthropic-version: 2023-06-01"),
    "ollama": (),
}


def scenario_providers(bench: Bench, gw: Server) -> list[Row]:
    """Unary Chat through modelgate to each provider's fake vs calling that fake directly.

    The direct call replays the exact body modelgate sent, in the provider's
    own format, so the difference is the gateway: the gRPC hop plus mapping
    the contract to and from that provider's wire format.
    """
    rows: list[Row] = []
    models = {"openai": "gpt-4o", **{k: m for k, (m, _) in PROVIDER_MODELS.items()}}
    for kind, model in models.items():
        fake_name = "fast" if kind == "openai" else kind
        fake, path = bench.fakes[fake_name], PROVIDER_PATHS[kind]
        request = chat_request(model, UNARY_PROMPT)
        size = answer_size(ok_call(bench, gw, "Chat", request, chat_pb2.ChatResponse))
        direct_body = bench.body_file(fake.last_body(path), f"{kind}.json")
        gw_body = bench.grpc_body(request, f"chat-{kind}")
        for c in (1, 16) if bench.mode.name == "full" else (16,):
            direct = bench.measure_http(
                f"direct-{kind}",
                fake.url + path,
                direct_body,
                concurrency=c,
                upstream_path=path,
                headers=PROVIDER_HEADERS[kind],
                fake=fake_name,
            )
            through = bench.measure_grpc(
                f"modelgate-{kind}",
                gw,
                "Chat",
                gw_body,
                answer_bytes=size,
                concurrency=c,
                upstream_path=path,
                fake=fake_name,
            )
            rows.append(h2_row("direct HTTP/1.1", direct, server_key=None, provider=kind))
            rows.append(h2_row("modelgate", through, direct=direct, provider=kind))
            print_progress(rows[-2:])
    return rows
