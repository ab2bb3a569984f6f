"""FakeOllama speaks Ollama's native API: NDJSON streams, error bodies, model management."""

from __future__ import annotations

import asyncio
import json
import math
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.fakes import FakeModel, FakeOllama, Fault, Reply, ToolCall, embed
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S

ROOT = Path(__file__).resolve().parents[2]
CHAT = {"model": "llama3.2", "messages": [{"role": "user", "content": "why is the sky blue"}]}


@pytest.fixture
async def fake() -> AsyncIterator[FakeOllama]:
    async with FakeOllama() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def ndjson_lines(resp: aiohttp.ClientResponse) -> list[dict[str, Any]]:
    """Every line must be one complete JSON object."""
    return [json.loads(line) async for line in resp.content if line.strip()]


async def test_chat_streams_ndjson_until_done(
    fake: FakeOllama, http: aiohttp.ClientSession
) -> None:
    async with http.post(fake.url + "/api/chat", json=CHAT) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"] == "application/x-ndjson"
        lines = await ndjson_lines(resp)
    assert "".join(x["message"]["content"] for x in lines) == "why is the sky blue"
    assert [x["done"] for x in lines] == [False] * 5 + [True]
    final = lines[-1]
    assert final["done_reason"] == "stop"
    assert (final["prompt_eval_count"], final["eval_count"]) == (5, 5)
    assert final["total_duration"] >= final["eval_duration"] > 0
    assert final["created_at"] >= lines[0]["created_at"]
    assert all(x["model"] == "llama3.2" for x in lines)
    assert fake.last_request.json == CHAT


async def test_chat_unary_with_tool_calls_and_options(
    fake: FakeOllama, http: aiohttp.ClientSession
) -> None:
    fake.script(Reply(tool_calls=[ToolCall("get_weather", {"city": "Tokyo"})]))
    body = {
        **CHAT,
        "stream": False,
        "options": {"temperature": 0.1},
        "tools": [{"type": "function", "function": {"name": "get_weather"}}],
    }
    async with http.post(fake.url + "/api/chat", json=body) as resp:
        assert resp.status == 200
        out = await resp.json()
    assert out["done"] is True
    call = out["message"]["tool_calls"][0]
    assert call["function"]["name"] == "get_weather"
    assert call["function"]["arguments"] == {"city": "Tokyo"}
    assert fake.last_request.json["options"] == {"temperature": 0.1}
    async with http.post(fake.url + "/api/chat", json={**CHAT, "options": {"num_predict": 2}}) as r:
        lines = await ndjson_lines(r)
    assert "".join(x["message"]["content"] for x in lines) == "why is"
    assert lines[-1]["done_reason"] == "length"


async def test_generate_stream_unary_and_load(
    fake: FakeOllama, http: aiohttp.ClientSession
) -> None:
    body = {"model": "qwen2.5:7b", "prompt": "count to three", "system": "be exact"}
    async with http.post(fake.url + "/api/generate", json=body) as resp:
        lines = await ndjson_lines(resp)
    assert "".join(x["response"] for x in lines) == "count to three"
    assert lines[-1]["done"] is True and lines[-1]["prompt_eval_count"] == 5
    assert isinstance(lines[-1]["context"], list)
    async with http.post(fake.url + "/api/generate", json={**body, "stream": False}) as resp:
        out = await resp.json()
    assert out["response"] == "count to three" and out["done_reason"] == "stop"
    async with http.post(fake.url + "/api/generate", json={"model": "qwen2.5:7b"}) as resp:
        assert (await resp.json())["done_reason"] == "load"


async def test_unknown_and_embedding_only_models(
    fake: FakeOllama, http: aiohttp.ClientSession
) -> None:
    async with http.post(fake.url + "/api/chat", json={**CHAT, "model": "mistral"}) as resp:
        assert resp.status == 404
        assert await resp.json() == {"error": 'model "mistral" not found, try pulling it first'}
    async with http.post(
        fake.url + "/api/chat", json={**CHAT, "model": "nomic-embed-text"}
    ) as resp:
        assert resp.status == 400
        assert await resp.json() == {"error": '"nomic-embed-text" does not support chat'}


async def test_embed_batches_unit_vectors(fake: FakeOllama, http: aiohttp.ClientSession) -> None:
    body = {"model": "nomic-embed-text", "input": ["hello world", "bye"], "dimensions": 12}
    async with http.post(fake.url + "/api/embed", json=body) as resp:
        out = await resp.json()
    assert out["model"] == "nomic-embed-text"
    assert [len(v) for v in out["embeddings"]] == [12, 12]
    assert out["embeddings"][0] == pytest.approx(embed("hello world", 12))
    assert math.isclose(sum(v * v for v in out["embeddings"][1]), 1.0)
    assert out["prompt_eval_count"] == 3


async def test_listing_endpoints_follow_model_mutations(
    fake: FakeOllama, http: aiohttp.ClientSession
) -> None:
    async with http.get(fake.url + "/api/tags") as resp:
        models = (await resp.json())["models"]
    assert [m["name"] for m in models] == [
        "llama3.2:latest",
        "qwen2.5:7b",
        "nomic-embed-text:latest",
    ]
    assert models[0]["details"]["family"] == "llama"
    assert len(models[0]["digest"]) == 64
    fake.set_models([FakeModel("gemma3:4b", family="gemma3", loaded=False)])
    fake.add_model("phi4")
    assert fake.remove_model("gemma3:4b") is True
    async with http.get(fake.url + "/api/tags") as resp:
        assert [m["name"] for m in (await resp.json())["models"]] == ["phi4"]
    async with http.post(fake.url + "/api/show", json={"model": "phi4"}) as resp:
        shown = await resp.json()
    assert shown["details"]["quantization_level"] == "Q4_K_M"
    assert shown["model_info"]["llama.context_length"] == 8192
    assert "completion" in shown["capabilities"]
    async with http.post(fake.url + "/api/show", json={"model": "nope"}) as resp:
        assert resp.status == 404
        assert await resp.json() == {"error": "model 'nope' not found"}
    async with http.get(fake.url + "/api/ps") as resp:
        assert [m["name"] for m in (await resp.json())["models"]] == ["phi4"]
    async with http.get(fake.url + "/api/version") as resp:
        assert (await resp.json())["version"] == "0.12.6"


async def test_pull_streams_progress_then_delete(
    fake: FakeOllama, http: aiohttp.ClientSession
) -> None:
    async with http.post(fake.url + "/api/pull", json={"model": "mistral"}) as resp:
        assert resp.headers["Content-Type"] == "application/x-ndjson"
        statuses = await ndjson_lines(resp)
    assert statuses[0] == {"status": "pulling manifest"}
    progress = [s for s in statuses if "total" in s]
    assert progress[-1]["completed"] == progress[-1]["total"] > 0
    assert progress[0]["digest"].startswith("sha256:")
    assert [s["status"] for s in statuses[-3:]] == [
        "verifying sha256 digest",
        "writing manifest",
        "success",
    ]
    assert fake.find_model("mistral:latest") is not None
    async with http.post(fake.url + "/api/chat", json={**CHAT, "model": "mistral"}) as resp:
        assert resp.status == 200
    async with http.delete(fake.url + "/api/delete", json={"model": "mistral"}) as resp:
        assert resp.status == 200
    async with http.delete(fake.url + "/api/delete", json={"model": "mistral"}) as resp:
        assert resp.status == 404
        assert await resp.json() == {"error": "model 'mistral' not found"}


async def test_http_fault_and_listing_fault(fake: FakeOllama, http: aiohttp.ClientSession) -> None:
    fake.script(Fault.overloaded(retry_after=1))
    fake.script(Fault.server_error(message="disk on fire"), path="/api/tags")
    async with http.post(fake.url + "/api/chat", json=CHAT) as resp:
        assert resp.status == 503
        assert resp.headers["retry-after"] == "1"
        assert (await resp.json())["error"].startswith("server busy")
    async with http.get(fake.url + "/api/tags") as resp:
        assert resp.status == 500
        assert await resp.json() == {"error": "disk on fire"}


async def test_stream_faults(fake: FakeOllama, http: aiohttp.ClientSession) -> None:
    fake.script(
        Fault.stream_error(after_chunks=2, message="model crashed"),
        Fault.truncate(),
        Fault.malformed(after_chunks=1),
        Fault.reset_mid_stream(after_chunks=1),
    )
    async with http.post(fake.url + "/api/chat", json=CHAT) as resp:
        lines = await ndjson_lines(resp)
    assert lines[-1] == {"error": "model crashed"} and len(lines) == 3
    async with http.post(fake.url + "/api/chat", json=CHAT) as resp:
        lines = await ndjson_lines(resp)
    assert len(lines) == 5 and not any(x["done"] for x in lines)
    async with http.post(fake.url + "/api/chat", json=CHAT) as resp:
        raw = [line async for line in resp.content]
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw[1])
    assert json.loads(raw[-1])["done"] is True
    with pytest.raises(aiohttp.ClientPayloadError):
        async with http.post(fake.url + "/api/chat", json=CHAT) as resp:
            await resp.read()


async def test_disconnect_mid_stream_is_recorded() -> None:
    # The first line comes at once, the next one 60 s later (past pytest's timeout): the
    # stream is surely open when the client leaves, and the fake must notice by itself.
    async with FakeOllama(tokens_per_s=1 / 60) as fake, aiohttp.ClientSession() as http:
        body = {**CHAT, "messages": [{"role": "user", "content": "x " * 30}]}
        resp = await http.post(fake.url + "/api/chat", json=body)
        await resp.content.readline()
        assert fake.active_streams == 1
        resp.close()
        await fake.wait_for_disconnect()
        # The handler's own bookkeeping ends before the disconnect is recorded.
        assert fake.active_streams == 0


async def test_auth_required() -> None:
    async with FakeOllama(required_api_key="t0k") as fake, aiohttp.ClientSession() as http:
        async with http.get(fake.url + "/api/tags") as resp:
            assert resp.status == 401
            assert await resp.json() == {"error": "unauthorized"}
        async with http.get(
            fake.url + "/api/tags", headers={"Authorization": "Bearer t0k"}
        ) as resp:
            assert resp.status == 200


@pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)
async def test_standalone_cli_serves_until_sigterm() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.fakes",
        "ollama",
        "--port",
        "0",
        "--latency-ms",
        "0",
        "--ttft-ms",
        "0",
        "--tokens-per-s",
        "0",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), PROCESS_S)).decode().strip()
        assert url.startswith("http://127.0.0.1:")
        async with aiohttp.ClientSession() as http, http.get(url + "/api/version") as resp:
            assert resp.status == 200
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), PROCESS_S) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
