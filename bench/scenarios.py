"""The benchmark scenarios (numbers as in issue 9). Each returns JSON-ready rows."""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.message import Message
from pydantic import BaseModel

from bench.harness import (
    API_KEY,
    PROVIDER_MODELS,
    PROVIDER_PATHS,
    STREAM_TTFT_MS,
    Bench,
    Server,
    combine,
)
from bench.load import H2Result, grpc_frame
from bench.procs import CpuWindow, Proc, free_port, http_get, rss_kib
from bench.profiling import analyse
from bench.tools import Tool
from modelgate.config import Settings
from modelgate.v1 import chat_pb2, content_pb2, embedding_pb2, generation_pb2

UNARY_PROMPT = "hello world from the bench"
Row = dict[str, Any]


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


def answer_size(reply: Message) -> int:
    """Bytes of the gRPC DATA for one answer (frame header included)."""
    return len(grpc_frame(reply))


def _f(value: float, digits: int = 3) -> float | None:
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
        rps=_f(result.rps, 1),
        p50_ms=_f(result.p50_ms),
        p99_ms=_f(result.p99_ms),
        requests=result.done,
    )
    if direct is not None and direct is not result:
        row["added_p50_ms"] = _f(result.p50_ms - direct.p50_ms)
        row["added_p99_ms"] = _f(result.p99_ms - direct.p99_ms)
    if reference is not None and reference is not result and reference.rps:
        row["rps_vs_passthrough"] = _f(result.rps / reference.rps)
        # Noise-robust companion on a shared machine: the inverse CPU-per-request ratio.
        mine, theirs = (
            result.cpu_us_per_request(server_key or ""),
            reference.cpu_us_per_request("server"),
        )
        if mine and theirs and not (math.isnan(mine) or math.isnan(theirs)):
            row["cpu_ratio_vs_passthrough"] = _f(theirs / mine)
    row["server_cpu_us_per_req"] = (
        _f(result.cpu_us_per_request(server_key), 1) if server_key else None
    )
    row["fake_cpu_us_per_req"] = _f(result.cpu_us_per_request("fake"), 1)
    row["foreign_cpu_pct"] = _f(100 * result.foreign_cpu_share(), 1)
    row["verified"] = result.verified
    if result.checks:
        row["checks"] = sorted(set(result.checks))
    return row


def repeats_for(bench: Bench, concurrency: int) -> int:
    """Budget-relevant points are repeated (A/B interleaved), others run once."""
    return bench.mode.repeats if concurrency in (1, 16, 64) else 1


# ------------------------------------------------------------------ 1. unary Chat
@dataclass
class UnaryTargets:
    """Everything needed to fire the standard unary Chat at the three targets."""

    gw_body: Path
    pt_body: Path
    direct_body: Path
    gw_bytes: int
    pt_bytes: int
    direct_url: str


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
                bench.measure_grpc(
                    "passthrough",
                    pt,
                    "Chat",
                    targets.pt_body,
                    answer_bytes=targets.pt_bytes,
                    concurrency=c,
                )
            )
            runs["modelgate"].append(
                bench.measure_grpc(
                    "modelgate",
                    gw,
                    "Chat",
                    targets.gw_body,
                    answer_bytes=targets.gw_bytes,
                    concurrency=c,
                )
            )
        d, p, m = (combine(runs[k]) for k in ("direct", "passthrough", "modelgate"))
        rows.append(h2_row("direct HTTP/1.1", d, server_key=None))
        rows.append(h2_row("passthrough", p, direct=d))
        rows.append(h2_row("modelgate", m, direct=d, reference=p))
        print_progress(rows[-3:])
    return rows, targets


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
                    bench.measure_grpc(
                        "passthrough",
                        pt,
                        "Chat",
                        targets.pt_body,
                        answer_bytes=targets.pt_bytes,
                        concurrency=c,
                    )
                )
                for key, server in (("w1", gw), ("w2", gw2)):
                    runs[key].append(
                        bench.measure_grpc(
                            f"modelgate-{key}",
                            server,
                            "Chat",
                            targets.gw_body,
                            answer_bytes=targets.gw_bytes,
                            concurrency=c,
                        )
                    )
            p, w1, w2 = (combine(runs[k]) for k in ("pt", "w1", "w2"))
            rows.append(h2_row("passthrough", p, workers=1))
            rows.append(h2_row("modelgate", w1, reference=p, workers=1))
            row = h2_row("modelgate", w2, reference=p, workers=2)
            row["rps_vs_1_worker"] = _f(w2.rps / w1.rps) if w1.rps else None
            rows.append(row)
            print_progress(rows[-3:])
    finally:
        bench.procs.stop(gw2.proc)
    return rows


# -------------------------------------------------------------------- 3. streaming
def _stream_point(
    bench: Bench,
    gw: Server,
    pt: Server,
    *,
    fake: str,
    streams: int,
    words: int,
    duration: float,
    **extra: Any,
) -> list[Row]:
    """Direct SSE, passthrough and modelgate at one stream count; overheads vs direct."""
    upstream = bench.fakes[fake]
    model = "gpt-4o-stream" if fake == "stream" else "gpt-4o"
    common = ["--streams", str(streams), "--duration", str(duration), "--words", str(words)]
    plans: list[tuple[str, list[str], int | None]] = [
        ("direct SSE", ["--kind", "http", "--target", upstream.base, "--model", "gpt-4o"], None),
        ("passthrough", ["--kind", "grpc", "--target", pt.target, "--model", model], pt.pid),
        ("modelgate", ["--kind", "grpc", "--target", gw.target, "--model", model], gw.pid),
    ]
    rows: list[Row] = []
    for name, args, pid in plans:
        watch = {"fake": upstream.proc.pid, **({"server": pid} if pid else {})}
        bench.wait_quiet()
        with CpuWindow(watch) as window:
            out = bench.stream_client("load", *args, *common, timeout=duration + 120)
        row: Row = {"target": name, "streams": streams, **extra}
        row.update({k: v for k, v in out.items() if k != "streams"})
        tokens = out.get("tokens_total") or 0
        if pid and tokens:
            row["server_cpu_us_per_token"] = round(window.used["server"] / tokens * 1e6, 1)
        if pid:
            row["server_cpu_pct"] = round(100 * window.used.get("server", 0) / window.wall, 1)
        ours = sum(window.used.values()) + (out.get("client_cpu_s") or 0)
        if window.machine_busy:
            row["foreign_cpu_pct"] = round(100 * max(0.0, 1 - ours / window.machine_busy), 1)
        rows.append(row)
    direct = rows[0]
    for row in rows[1:]:
        if "ttft_p50_ms" in row and "ttft_p50_ms" in direct:
            row["ttft_overhead_p50_ms"] = _f(row["ttft_p50_ms"] - direct["ttft_p50_ms"])
            row["ttft_overhead_p99_ms"] = _f(row["ttft_p99_ms"] - direct["ttft_p99_ms"])
            base_rate = direct.get("tokens_per_s_per_stream_p50") or 0
            if base_rate and row.get("tokens_per_s_per_stream_p50"):
                row["rate_vs_direct"] = _f(row["tokens_per_s_per_stream_p50"] / base_rate)
    print_progress(rows)
    return rows


def scenario_ttft_probe(bench: Bench, gw: Server, pt: Server) -> list[Row]:
    """TTFT with many samples: one stream of 2-token answers, back to back.

    Against the paced upstream (TTFT 20 ms, the budget's case) and, in full
    mode, an instant one (TTFT 0): the difference shows how much of the
    overhead is wake-up latency after the upstream's idle gap rather than work.
    """
    rows: list[Row] = []
    fakes = ("stream", "fast") if bench.mode.name == "full" else ("stream",)
    for fake in fakes:
        label = f"{STREAM_TTFT_MS:g} ms" if fake == "stream" else "0 ms (instant)"
        rows += _stream_point(
            bench,
            gw,
            pt,
            fake=fake,
            streams=1,
            words=2,
            duration=bench.mode.stream_duration,
            upstream_ttft=label,
        )
    return rows


def scenario_streaming(bench: Bench, gw: Server, pt: Server) -> list[Row]:
    """TTFT and token rate at each stream count: direct SSE, passthrough, modelgate."""
    rows: list[Row] = []
    for level in bench.mode.stream_levels:
        rows += _stream_point(
            bench,
            gw,
            pt,
            fake="stream",
            streams=level,
            words=bench.mode.stream_words,
            duration=bench.mode.stream_duration,
        )
    return rows


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


# ------------------------------------------------------------------- 4. LiteLLM
LITELLM_MASTER_KEY = "sk-bench-" + hashlib.sha256(b"modelgate-bench").hexdigest()[:32]


def start_litellm(bench: Bench, tool: Tool) -> tuple[Proc | None, int, str]:
    """Start the LiteLLM proxy (offline, local cost map) on the fast fake; don't wait."""
    if not tool.ok:
        return None, 0, tool.error
    port = free_port()
    config = {
        "model_list": [
            {
                "model_name": "gpt-4o",
                "litellm_params": {
                    "model": "openai/gpt-4o",
                    "api_base": bench.fakes["fast"].base,
                    "api_key": API_KEY,
                },
            }
        ],
        "general_settings": {"master_key": LITELLM_MASTER_KEY},
        "litellm_settings": {"telemetry": False},
    }
    path = bench.run_dir / "litellm.yaml"
    path.write_text(json.dumps(config, indent=1))
    log_config = bench.run_dir / "litellm-logging.json"
    log_config.write_text(json.dumps(_QUIET_UVICORN))
    argv = [
        str(tool.bin("litellm")),
        "--config",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--num_workers",
        "1",
        "--log_config",
        str(log_config),
    ]
    env = {
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_MASTER_KEY": LITELLM_MASTER_KEY,
        "LITELLM_LOG": "ERROR",
        "LITELLM_TELEMETRY": "False",
        "PYTHONPATH": "",
    }
    return bench.procs.start("litellm", argv, env=env), port, ""


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


def scenario_litellm(
    bench: Bench,
    gw: Server,
    pt: Server,
    targets: UnaryTargets,
    started: tuple[Proc | None, int, str],
) -> dict[str, Any]:
    """LiteLLM proxy vs modelgate (and the passthrough) at the same concurrency."""
    proc, port, error = started
    info: dict[str, Any] = {"status": "ok", "rows": []}
    if proc is None:
        info["status"] = f"not run: {error}"
        return info
    url = f"http://127.0.0.1:{port}"
    auth = f"Bearer {LITELLM_MASTER_KEY}"
    try:
        proc.wait_for(
            lambda: http_get(url + "/health/liveliness", timeout=1) != b"",
            120,
            "/health/liveliness",
        )
        body = {"model": "gpt-4o", "messages": [{"role": "user", "content": UNARY_PROMPT}]}
        request = urllib.request.Request(
            url + "/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json", "authorization": auth},
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            reply = json.loads(response.read())
        if reply["choices"][0]["message"]["content"] != UNARY_PROMPT:
            raise RuntimeError(f"unexpected LiteLLM answer: {reply}")
    except Exception as exc:  # report why, keep the rest of the run
        info["status"] = f"failed to start or answer: {exc}".splitlines()[0][:300]
        info["log_tail"] = proc.log_tail(8)
        bench.procs.stop(proc)
        return info
    info["version"] = _litellm_version(proc)
    body_file = bench.body_file(json.dumps(body).encode(), "litellm.json")
    # LiteLLM is slow for its first few hundred requests (lazy imports, caches): warm it.
    warm = ["h2load", "--h1", "-n150", "-c8", "-t1", "-d", str(body_file)]
    warm += ["-H", "content-type: application/json", "-H", f"authorization: {auth}"]
    subprocess.run(
        [*warm, url + "/v1/chat/completions"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    try:
        for c in bench.mode.litellm_concurrency:
            runs: dict[str, list[H2Result]] = {"litellm": [], "passthrough": [], "modelgate": []}
            for _ in range(bench.mode.litellm_repeats):
                runs["litellm"].append(
                    bench.measure_http(
                        "litellm",
                        url + "/v1/chat/completions",
                        body_file,
                        concurrency=c,
                        headers=(f"authorization: {auth}",),
                        watch={"server": proc.pid},
                        duration=max(bench.mode.duration, 2.0),
                    )
                )
                runs["passthrough"].append(
                    bench.measure_grpc(
                        "passthrough",
                        pt,
                        "Chat",
                        targets.pt_body,
                        answer_bytes=targets.pt_bytes,
                        concurrency=c,
                    )
                )
                runs["modelgate"].append(
                    bench.measure_grpc(
                        "modelgate",
                        gw,
                        "Chat",
                        targets.gw_body,
                        answer_bytes=targets.gw_bytes,
                        concurrency=c,
                    )
                )
            lite, p, m = (combine(runs[k]) for k in ("litellm", "passthrough", "modelgate"))
            rows = [
                h2_row("LiteLLM proxy", lite, reference=p),
                h2_row("passthrough", p),
                h2_row("modelgate", m, reference=p),
            ]
            rows[2]["rps_vs_litellm"] = _f(m.rps / lite.rps) if lite.rps else None
            info["rows"] += rows
            print_progress(rows)
    finally:
        bench.procs.stop(proc, grace=10)
    return info


def _litellm_version(proc: Proc) -> str:
    exe = Path(proc.popen.args[0])  # type: ignore[index,arg-type]
    python = exe.parent / "python"
    try:
        out = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('litellm'))"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return "?"
    return out.stdout.strip()


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
        p = bench.measure_grpc(
            "passthrough", pt, "Chat", targets.pt_body, answer_bytes=targets.pt_bytes, concurrency=c
        )
        m = bench.measure_grpc(
            "modelgate", gw, "Chat", targets.gw_body, answer_bytes=targets.gw_bytes, concurrency=c
        )
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


# ------------------------------------------------------------- 6. feature prices
@dataclass
class FeatureRun:
    """What a feature scenario needs at run time."""

    server: Server
    request: chat_pb2.ChatRequest
    metadata: tuple[tuple[str, str], ...] = ()
    sink: str = ""
    metrics_port: int = 0


@dataclass
class Feature:
    """One hot-path feature, measured only when its config key exists.

    `keys`: dotted paths into `Settings`; the first that exists selects the
    overlay of the same index. A feature with an empty overlay and no sink or
    metrics port runs on the baseline gateway itself (only the request differs).
    `verify` returns "" when the feature is visibly active, else why not.
    """

    name: str
    keys: tuple[str, ...]
    overlays: tuple[dict[str, Any], ...] = ()
    model: str = "gpt-4o"
    metadata: tuple[tuple[str, str], ...] = ()
    tweak: Callable[[chat_pb2.ChatRequest], None] | None = None
    needs_sink: bool = False
    needs_metrics_port: bool = False
    expect_upstream: bool = True
    verify: Callable[[Bench, FeatureRun], str] | None = None
    budget_pct: float | None = None


AUTH_KEY = "bench-caller-key"


def _verify_tracing(bench: Bench, run: FeatureRun) -> str:
    deadline = time.monotonic() + 8
    spans = 0
    while time.monotonic() < deadline:
        spans = int(json.loads(http_get(run.sink + "/stats"))["spans"])
        if spans:
            return ""
        time.sleep(0.25)
    return "tracing key accepted but no span reached the OTLP sink"


def _verify_auth(bench: Bench, run: FeatureRun) -> str:
    _, code, _ = bench.call(run.server, "Chat", run.request, chat_pb2.ChatResponse)
    if code == grpc.StatusCode.UNAUTHENTICATED:
        return ""
    return f"a call without a key was answered {code.name}, not UNAUTHENTICATED"


def _verify_metrics(bench: Bench, run: FeatureRun) -> str:
    try:
        text = http_get(f"http://127.0.0.1:{run.metrics_port}/metrics").decode()
    except OSError as exc:
        return f"no Prometheus endpoint ({exc})"
    return "" if "modelgate" in text else "Prometheus endpoint has no modelgate series"


def _verify_cache(bench: Bench, run: FeatureRun) -> str:
    reply, code, details = bench.call(
        run.server, "Chat", run.request, chat_pb2.ChatResponse, metadata=run.metadata
    )
    if reply is None:
        return f"{code.name}: {details}"
    assert isinstance(reply, chat_pb2.ChatResponse)
    hit = reply.metadata.get("cache", "")
    return "" if hit == "hit" else f"second identical call was not a cache hit (cache={hit!r})"


def _verify_alias(bench: Bench, run: FeatureRun) -> str:
    reply, code, details = bench.call(run.server, "Chat", run.request, chat_pb2.ChatResponse)
    if reply is None:
        return f"{code.name}: {details}"
    assert isinstance(reply, chat_pb2.ChatResponse)
    return "" if reply.model == "gpt-4o" else f"alias answered by {reply.model!r}"


def _cacheable(request: chat_pb2.ChatRequest) -> None:
    request.cache_control.mode = generation_pb2.CACHE_MODE_USE
    request.cache_control.allow_sampled = True


FEATURES: tuple[Feature, ...] = (
    Feature(
        "tracing (OTLP export)",
        keys=("telemetry.tracing",),
        overlays=({"telemetry": {"tracing": "otlp"}},),
        needs_sink=True,
        verify=_verify_tracing,
        budget_pct=10.0,
    ),
    Feature(
        "tracing, 10% of root traces sampled",
        keys=("telemetry.trace_sample_ratio",),
        overlays=({"telemetry": {"tracing": "otlp", "trace_sample_ratio": 0.1}},),
        needs_sink=True,
    ),
    Feature(
        "tracing on, no root trace sampled (the fixed cost)",
        keys=("telemetry.trace_sample_ratio",),
        overlays=({"telemetry": {"tracing": "otlp", "trace_sample_ratio": 0.0}},),
        needs_sink=True,
    ),
    Feature(
        "auth (API key)",
        keys=("auth.enabled",),
        overlays=(
            {
                "auth": {
                    "enabled": True,
                    "keys": [
                        {"id": "bench", "sha256": hashlib.sha256(AUTH_KEY.encode()).hexdigest()}
                    ],
                }
            },
        ),
        metadata=(("authorization", f"Bearer {AUTH_KEY}"),),
        verify=_verify_auth,
    ),
    Feature(
        "metrics (Prometheus)",
        keys=("telemetry.metrics",),
        overlays=({"telemetry": {"metrics": True}},),
        needs_metrics_port=True,
        verify=_verify_metrics,
    ),
    Feature(
        "cache hit",
        # The memory cache is always there; callers ask for it per request.
        keys=("state.cache_entries", "cache", "state.cache"),
        overlays=({}, {"cache": {"enabled": True}}, {"state": {"cache": {"enabled": True}}}),
        tweak=_cacheable,
        expect_upstream=False,
        verify=_verify_cache,
    ),
    Feature(
        "routing through an alias",
        keys=("aliases",),
        overlays=({},),
        model="pool",
        verify=_verify_alias,
    ),
)


def config_key_exists(path: str) -> bool:
    """True when `Settings` has the dotted field path (e.g. `telemetry.tracing`)."""
    model: type[BaseModel] | None = Settings
    for part in path.split("."):
        if model is None or part not in model.model_fields:
            return False
        annotation = model.model_fields[part].annotation
        model = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel)
            else None
        )
    return True


def scenario_features(
    bench: Bench, gw: Server, targets: UnaryTargets, pyspy: Tool | None = None
) -> list[Row]:
    """Each present feature on vs off, interleaved (its own gateway process when needed).

    Every feature's gateway is started up front, in parallel, so the start-up
    cost is paid once; idle gateways use no CPU while another one is measured.
    A feature on its own gateway is compared with a twin started at the same
    time with the baseline config, not with the long-running baseline gateway:
    same-age processes (same heap, same conversation-store fill).
    """
    rows: list[Row] = []
    setups: list[tuple[Feature, FeatureRun | str]] = []
    extra: list[Proc] = []
    twin = bench.start_gateway("modelgate-feature-off", wait=False)
    extra.append(twin.proc)
    try:
        for feature in FEATURES:
            index = next((i for i, k in enumerate(feature.keys) if config_key_exists(k)), None)
            if index is None:
                setups.append((feature, "n/a (feature not present)"))
                continue
            try:
                started = _start_feature(bench, gw, feature, index, extra)
            except Exception as exc:  # one feature must not sink the run
                setups.append((feature, f"n/a ({type(exc).__name__}: {exc})"[:300]))
                continue
            setups.append((feature, started))
        bench.wait_serving(twin)
        for _, setup in setups:
            if isinstance(setup, FeatureRun) and setup.server is not gw:
                bench.wait_serving(setup.server)
        for feature, setup in setups:
            if isinstance(setup, str):
                row: Row = {"feature": feature.name, "status": setup}
            else:
                off = twin if setup.server is not gw else gw
                try:
                    row = _measure_feature(
                        bench, off, targets=targets, feature=feature, run=setup, pyspy=pyspy
                    )
                except Exception as exc:
                    row = {"feature": feature.name, "status": f"n/a ({exc})"[:300]}
                if setup.server is not gw:
                    bench.procs.stop(setup.server.proc)
            rows.append(row)
            print_progress(rows[-1:])
    finally:
        for _, setup in setups:
            if isinstance(setup, FeatureRun) and setup.server is not gw:
                bench.procs.stop(setup.server.proc)
        for proc in extra:
            bench.procs.stop(proc)
    return rows


def _start_feature(
    bench: Bench, gw: Server, feature: Feature, index: int, extra: list[Proc]
) -> FeatureRun:
    """Start what the feature needs (sink, gateway) without waiting for the gateway."""
    request = chat_request(feature.model, UNARY_PROMPT)
    if feature.tweak is not None:
        feature.tweak(request)
    run = FeatureRun(gw, request, feature.metadata)
    overlay = dict(feature.overlays[index]) if feature.overlays else {}
    env: dict[str, str] = {}
    if feature.needs_sink:
        sink = bench.procs.start("otlp-sink", bench.python("bench.otlp_sink"))
        extra.append(sink)
        run.sink = sink.first_line(30)
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": run.sink,
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
            "OTEL_SERVICE_NAME": "modelgate-bench",
        }
    if feature.needs_metrics_port:
        run.metrics_port = free_port()
        telemetry = {**overlay.get("telemetry", {}), "metrics_port": run.metrics_port}
        overlay = {**overlay, "telemetry": telemetry}
    if overlay or env:
        name = f"modelgate-{feature.keys[index].replace('.', '-')}"
        run.server = bench.start_gateway(name, overlay=overlay, env=env, wait=False)
    return run


def _measure_feature(
    bench: Bench,
    baseline: Server,
    *,
    targets: UnaryTargets,
    feature: Feature,
    run: FeatureRun,
    pyspy: Tool | None,
) -> Row:
    server, request = run.server, run.request
    reply, code, details = bench.call(
        server, "Chat", request, chat_pb2.ChatResponse, metadata=feature.metadata
    )
    if reply is None:
        return {"feature": feature.name, "status": f"n/a (call failed: {code.name} {details})"}
    on_body = bench.grpc_body(request, "feature")
    headers = tuple(f"{k}: {v}" for k, v in feature.metadata)
    on_bytes = answer_size(reply)

    def off_at(c: int) -> H2Result:
        return bench.measure_grpc(
            "feature-off",
            baseline,
            "Chat",
            targets.gw_body,
            answer_bytes=targets.gw_bytes,
            concurrency=c,
        )

    def on_at(c: int) -> H2Result:
        return bench.measure_grpc(
            "feature-on",
            server,
            "Chat",
            on_body,
            answer_bytes=on_bytes,
            concurrency=c,
            headers=headers,
            expect_upstream=feature.expect_upstream,
        )

    c = bench.mode.feature_concurrency
    off_runs, on_runs = [], []
    for _ in range(bench.mode.feature_repeats):
        off_runs.append(off_at(c))
        on_runs.append(on_at(c))
    off, on = combine(off_runs), combine(on_runs)
    singles = (off_at(1), on_at(1)) if bench.mode.feature_latency else None
    problem = feature.verify(bench, run) if feature.verify else ""
    cost = 100 * (1 - on.rps / off.rps) if off.rps else math.nan
    row: Row = {
        "feature": feature.name,
        "status": "measured" if not problem else f"measured, but {problem}",
        "active": not problem,
        "concurrency": c,
        "rps_off": _f(off.rps, 1),
        "rps_on": _f(on.rps, 1),
        "throughput_cost_pct": _f(cost, 1),
        "cpu_us_per_req_off": _f(off.cpu_us_per_request("server"), 1),
        "cpu_us_per_req_on": _f(on.cpu_us_per_request("server"), 1),
        "cpu_cost_pct": _f(
            100 * (on.cpu_us_per_request("server") / off.cpu_us_per_request("server") - 1), 1
        ),
        "budget_pct": feature.budget_pct,
    }
    measured = [off, on, *(singles or ())]
    if singles is not None:
        row.update(
            p50_c1_off_ms=_f(singles[0].p50_ms),
            p50_c1_on_ms=_f(singles[1].p50_ms),
            added_p50_c1_ms=_f(singles[1].p50_ms - singles[0].p50_ms),
        )
    row["verified"] = all(r.verified for r in measured)
    checks = sorted({check for r in measured for check in r.checks})
    if checks:
        row["checks"] = checks
    if cost > 10 and bench.mode.profile_features and pyspy is not None and pyspy.ok:
        label = f"feature-{feature.name.split()[0]}"
        load = h2load_argv(server, on_body, headers)
        row["profile"] = profile_one(bench, label, server, pyspy, load=load)
    return row


# ------------------------------------------------------------------- profile
PROFILE_RATE = 250


def scenario_profile(
    bench: Bench, gw: Server, pt: Server, targets: UnaryTargets, pyspy: Tool
) -> dict[str, Any]:
    """py-spy (native stacks) on modelgate, then on the passthrough, under the same load.

    Unary: h2load drives Chat at concurrency 16. Streaming (full mode): the
    streaming client holds 100 streams. The upstream's request counter gives
    the calls (or tokens) served while py-spy sampled, and the process's CPU
    in the same window turns shares of busy samples into CPU microseconds per
    call (per token), so the two servers compare component by component.
    """
    if not pyspy.ok:
        return {"status": f"not run: {pyspy.error}"}
    out: dict[str, Any] = {
        "status": "ok",
        "seconds": bench.mode.profile_seconds,
        "rate": PROFILE_RATE,
    }
    for name, server, body in (
        ("modelgate", gw, targets.gw_body),
        ("passthrough", pt, targets.pt_body),
    ):
        summary = profile_one(bench, name, server, pyspy, load=h2load_argv(server, body))
        if summary.get("status") != "ok":
            return summary
        out[name] = summary
    if bench.mode.profile_streaming:
        streaming: dict[str, Any] = {"streams": 100, "words": bench.mode.stream_words}
        for name, server in (("modelgate", gw), ("passthrough", pt)):
            load = bench.python(
                "bench.stream_client",
                "load",
                "--kind",
                "grpc",
                "--target",
                server.target,
                "--model",
                "gpt-4o-stream",
                "--streams",
                "100",
                "--words",
                str(bench.mode.stream_words),
                "--duration",
                str(bench.mode.profile_seconds + 4),
            )
            streaming[name] = profile_one(
                bench,
                f"stream-{name}",
                server,
                pyspy,
                load=load,
                fake="stream",
                units_per_request=bench.mode.stream_words,
                settle=2.0,
            )
        out["streaming"] = streaming
    out.update({k: v for k, v in out["modelgate"].items() if k not in ("status",)})
    return out


def h2load_argv(
    server: Server, body: Path, headers: tuple[str, ...] = (), seconds: float = 60
) -> list[str]:
    argv = ["h2load", "-t1", "-c16", "-m1", f"-D{round(seconds * 1000)}ms", "-d", str(body)]
    for header in ("content-type: application/grpc", "te: trailers", *headers):
        argv += ["-H", header]
    argv.append(f"http://{server.target}/modelgate.v1.ModelGateway/Chat")
    return argv


def profile_one(
    bench: Bench,
    name: str,
    server: Server,
    pyspy: Tool,
    *,
    load: list[str],
    fake: str = "fast",
    units_per_request: int = 1,
    settle: float = 0.5,
) -> dict[str, Any]:
    """Sample `server` with py-spy while `load` (a command) drives it; stop the load after.

    CPU per unit = the server's CPU in the sampling window / upstream requests
    served in it x `units_per_request` (1 for unary calls, tokens for streams).
    """
    seconds = bench.mode.profile_seconds
    raw = bench.run_dir / f"profile-{name}.txt"
    upstream = bench.fakes[fake]
    bench.wait_quiet()
    driver = subprocess.Popen(
        load,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=bench.child_env(),
        cwd=bench.run_dir,
    )
    try:
        time.sleep(settle)
        before = upstream.counts().get("/v1/chat/completions", 0)
        with CpuWindow({"server": server.pid}) as window:
            spy = subprocess.run(
                [
                    str(pyspy.bin("py-spy")),
                    "record",
                    "--pid",
                    str(server.pid),
                    "--duration",
                    f"{math.ceil(seconds)}",
                    "--rate",
                    str(PROFILE_RATE),
                    "--native",
                    "--full-filenames",
                    "--function",
                    "--format",
                    "raw",
                    "-o",
                    str(raw),
                ],
                capture_output=True,
                text=True,
                timeout=seconds + 60,
                check=False,
            )
        units = (upstream.counts().get("/v1/chat/completions", 0) - before) * units_per_request
    finally:
        driver.terminate()
        try:
            driver.wait(10)
        except subprocess.TimeoutExpired:
            driver.kill()
            driver.wait()
    if spy.returncode != 0 or not raw.is_file():
        return {"status": f"py-spy failed: {(spy.stderr or spy.stdout).strip()[-300:]}"}
    cpu_per_unit = window.used["server"] / units * 1e6 if units else 0.0
    summary = analyse(raw).summary(cpu_us_per_req=cpu_per_unit)
    summary.update(status="ok", raw=raw.name, requests=units, rps=round(units / window.wall))
    return summary


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
