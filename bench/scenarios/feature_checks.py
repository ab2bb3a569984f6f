"""Scenario 6's checks that a feature is visibly on in the gateway it measured (a
config key accepted but doing nothing must not pass for a cheap feature)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import grpc

from bench.harness import Bench
from bench.procs import http_get
from bench.servers import Server
from modelgate.v1 import chat_pb2


@dataclass
class FeatureRun:
    """What a feature scenario needs at run time."""

    server: Server
    request: chat_pb2.ChatRequest
    metadata: tuple[tuple[str, str], ...] = ()
    sink: str = ""
    metrics_port: int = 0
    spans_expected: int = 0
    """Spans the measured calls sent (`Feature.spans_per_call` each); 0: only that some
    arrived is checked."""
    spans_counted: int = 0


def verify_tracing(bench: Bench, run: FeatureRun) -> str:
    """Spans reached the sink: every one the measured calls sent, when the feature says
    how many (the gateway exports every 5 s, so within 20 s). The check calls and a
    retried noisy run add spans, never remove them: at least the expected count."""
    wanted = max(1, run.spans_expected)
    deadline = time.monotonic() + (20 if run.spans_expected else 8)
    spans = 0
    while time.monotonic() < deadline:
        spans = int(json.loads(http_get(run.sink + "/stats"))["spans"])
        if spans >= wanted:
            break
        time.sleep(0.25)
    run.spans_counted = spans
    if not spans:
        return "tracing key accepted but no span reached the OTLP sink"
    if spans < wanted:
        return f"{spans} spans reached the OTLP sink, {wanted} expected"
    return ""


def verify_auth(bench: Bench, run: FeatureRun) -> str:
    _, code, _ = bench.call(run.server, "Chat", run.request, chat_pb2.ChatResponse)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return ""
    return f"a call without a key was answered {code.name}, not UNAUTHENTICATED"


def verify_metrics(bench: Bench, run: FeatureRun) -> str:
    try:
        text = http_get(f"http://127.0.0.1:{run.metrics_port}/metrics").decode()
    except OSError as exc:
        return f"no Prometheus endpoint ({exc})"
    return "" if "modelgate" in text else "Prometheus endpoint has no modelgate series"


def verify_cache(bench: Bench, run: FeatureRun) -> str:
    reply, code, details = bench.call(
        run.server, "Chat", run.request, chat_pb2.ChatResponse, metadata=run.metadata
    )
    if reply is None:
        return f"{code.name}: {details}"
    assert isinstance(reply, chat_pb2.ChatResponse)
    hit = reply.metadata.get("cache", "")
    return "" if hit == "hit" else f"second identical call was not a cache hit (cache={hit!r})"


def verify_alias(bench: Bench, run: FeatureRun) -> str:
    reply, code, details = bench.call(run.server, "Chat", run.request, chat_pb2.ChatResponse)
    if reply is None:
        return f"{code.name}: {details}"
    assert isinstance(reply, chat_pb2.ChatResponse)
    return "" if reply.model == "gpt-4o" else f"alias answered by {reply.model!r}"


def verify_production(bench: Bench, run: FeatureRun) -> str:
    """Each of the three is on: spans arrive, the scrape has series, no key is refused."""
    for verify in (verify_auth, verify_metrics, verify_tracing):
        problem = verify(bench, run)
        if problem:
            return problem
    return ""
