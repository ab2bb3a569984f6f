"""What the scenarios share: request builders, checked calls, h2load rows, progress lines."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from bench.harness import Bench
from bench.load import H2Result, grpc_frame
from bench.servers import Server
from modelgate.v1 import chat_pb2, content_pb2

UNARY_PROMPT = "hello world from the bench"
Row = dict[str, Any]


@dataclass
class UnaryTargets:
    """Everything needed to fire the standard unary Chat at the three targets."""

    gw_body: Path
    pt_body: Path
    direct_body: Path
    gw_bytes: int
    pt_bytes: int
    direct_url: str


# ----------------------------------------------------------------------------- helpers
def chat_request(model: str, text: str, max_tokens: int | None = None) -> chat_pb2.ChatRequest:
    """A one-message chat request."""
    request = chat_pb2.ChatRequest(
        model=model,
        messages=[
            content_pb2.Message(
                role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text=text)]
            )
        ],
    )
    if max_tokens is not None:
        request.generation.max_output_tokens = max_tokens
    return request


def prompt_of_size(size: int) -> str:
    """Words ("p0 p1 ...") filling about `size` bytes."""
    words, total, i = [], 0, 0
    while total < size:
        word = f"p{i}"
        words.append(word)
        total += len(word) + 1
        i += 1
    return " ".join(words)[:size]


def ok_call(
    bench: Bench, server: Server, method: str, request: Message, kind: type[Message]
) -> Any:
    """A call that must succeed; raises with the status otherwise."""
    reply, code, details = bench.call(server, method, request, kind)
    if reply is None:
        raise RuntimeError(f"{server.name} {method}: {code.name} {details}")
    return reply


def measure_chat(
    bench: Bench,
    label: str,
    server: Server,
    targets: UnaryTargets,
    concurrency: int,
    *,
    passthrough: bool = False,
) -> H2Result:
    """h2load of the targets' unary Chat at `server`: the passthrough's body and answer size
    when `passthrough`, else modelgate's (the two answers differ in size, so the checks do).
    """
    body, answer = (
        (targets.pt_body, targets.pt_bytes) if passthrough else (targets.gw_body, targets.gw_bytes)
    )
    return bench.measure_grpc(
        label, server, "Chat", body, answer_bytes=answer, concurrency=concurrency
    )


def answer_size(reply: Message) -> int:
    """Bytes of the gRPC DATA for one answer (frame header included)."""
    return len(grpc_frame(reply))


def rounded(value: float, digits: int = 3) -> float | None:
    return None if value is None or math.isnan(value) else round(value, digits)


def h2_row(
    target: str,
    result: H2Result,
    *,
    direct: H2Result | None = None,
    reference: H2Result | None = None,
    server_key: str | None = "server",
    **extra: Any,
) -> Row:
    """One table row from an h2load result."""
    row: Row = {"target": target, "concurrency": result.concurrency, **extra}
    row.update(
        rps=rounded(result.rps, 1),
        p50_ms=rounded(result.p50_ms),
        p99_ms=rounded(result.p99_ms),
        requests=result.done,
    )
    if direct is not None and direct is not result:
        row["added_p50_ms"] = rounded(result.p50_ms - direct.p50_ms)
        row["added_p99_ms"] = rounded(result.p99_ms - direct.p99_ms)
    if reference is not None and reference is not result and reference.rps:
        row["rps_vs_passthrough"] = rounded(result.rps / reference.rps)
        # Noise-robust companion on a shared machine: the inverse CPU-per-request ratio.
        mine, theirs = (
            result.cpu_us_per_request(server_key or ""),
            reference.cpu_us_per_request("server"),
        )
        if mine and theirs and not (math.isnan(mine) or math.isnan(theirs)):
            row["cpu_ratio_vs_passthrough"] = rounded(theirs / mine)
    row["server_cpu_us_per_req"] = (
        rounded(result.cpu_us_per_request(server_key), 1) if server_key else None
    )
    row["fake_cpu_us_per_req"] = rounded(result.cpu_us_per_request("fake"), 1)
    row["foreign_cpu_pct"] = rounded(100 * result.foreign_cpu_share(), 1)
    row["verified"] = result.verified
    if result.checks:
        row["checks"] = sorted(set(result.checks))
    return row


def repeats_for(bench: Bench, concurrency: int) -> int:
    """Budget-relevant points are repeated (A/B interleaved), others run once."""
    return bench.mode.repeats if concurrency in (1, 16, 64) else 1


# Uvicorn logging with the per-request access log off: modelgate logs nothing per
# request at WARNING either, so LiteLLM is not charged for log lines.
_QUIET_UVICORN: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(levelname)s %(name)s %(message)s"}},
    "handlers": {"err": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "uvicorn": {"handlers": ["err"], "level": "WARNING"},
        "uvicorn.error": {"level": "WARNING"},
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
    },
}


# ------------------------------------------------------------------ progress
def print_progress(rows: list[Row]) -> None:
    """One compact line per fresh row, so a long run shows it is alive."""
    for row in rows:
        keys = ("target", "feature", "concurrency", "streams", "workers", "prompt", "inputs")
        head = " ".join(f"{row[k]}" for k in keys if k in row)
        vals = []
        for key in (
            "rps",
            "p50_ms",
            "p99_ms",
            "ttft_p50_ms",
            "tokens_per_s_per_stream_p50",
            "kib_per_stream",
            "rps_off",
            "rps_on",
            "status",
        ):
            if key in row and row[key] is not None:
                value = row[key]
                vals.append(f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}")
        if row.get("checks"):
            vals.append(f"CHECKS={row['checks']}")
        if row.get("errors"):
            vals.append(f"errors={row['errors']}")
        print(f"  {head:<32} {' '.join(vals)}", flush=True)


def gateway_name(feature: str) -> str:
    """A feature gateway's name, which names its config and log files: from the
    feature's name, as two features can share a first config key and start at once."""
    return "modelgate-" + re.sub(r"[^a-z0-9]+", "-", feature.lower()).strip("-")
