"""Continuity, cache and totals through the gRPC contract, on every state backend,
and two gateway processes sharing one Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from modelgate.config import ModelConfig, StateConfig
from modelgate.state.usage import aggregate
from modelgate.v1 import chat_pb2, gateway_pb2_grpc, generation_pb2
from tests.gateways import Served, serve, settings
from tests.integration.test_cli_process import ROOT, _wait_serving
from tests.ports import free_port
from tests.rpc_helpers import chat_request, decode, text_of, user
from tests.waiting import PROCESS_S, PROCESS_TEST_TIMEOUT_S

GREEDY = generation_pb2.GenerationConfig(temperature=0)


@pytest.fixture
async def served(state_url: str) -> AsyncIterator[Served]:
    cached = ModelConfig(
        id="echo-cached",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "streaming"],
        cache=True,
    )
    config = settings(echo=True, models=[cached], state=StateConfig(url=state_url))
    async with serve(config) as running:
        yield running


async def test_previous_response_id_replays_the_conversation(served: Served) -> None:
    first = await served.stub.Chat(chat_request("echo", "my name is Ada"))
    history = await served.gateway.state.conversations.load(first.id, "")  # type: ignore[union-attr]
    assert [m.parts[0].text for m in (history.messages if history else [])] == [
        "my name is Ada",
        "my name is Ada",
    ]
    second = await served.stub.Chat(
        chat_request("echo", "what is my name?", previous_response_id=first.id)
    )
    assert text_of(second) == "what is my name?"
    assert second.usage.input_tokens == 4 + 4 + 4, "the replayed history was sent to the model"
    stream = chat_pb2.StreamChatRequest(
        model="echo", messages=[user("and again")], previous_response_id=second.id
    )
    end = [e async for e in served.stub.StreamChat(stream)][-1].end
    assert end.usage.input_tokens == 12 + 4 + 2
    third = await served.stub.Chat(chat_request("echo", "x", previous_response_id=end.id))
    assert third.usage.input_tokens == 18 + 2 + 1, "a streamed answer is remembered too"


async def test_unknown_previous_response_id_is_not_found(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("echo", "x", previous_response_id="resp_nope"))
    assert decode(caught.value).reason == "RESPONSE_NOT_FOUND"


async def test_cache_serves_reproducible_answers_and_honors_modes(served: Served) -> None:
    first = await served.stub.Chat(chat_request("echo-cached", "cache me", generation=GREEDY))
    assert "cache" not in first.metadata
    hit = await served.stub.Chat(chat_request("echo-cached", "cache me", generation=GREEDY))
    assert hit.metadata["cache"] == "hit" and text_of(hit) == "cache me"
    assert hit.id != first.id
    bypass = generation_pb2.CacheControl(mode=generation_pb2.CACHE_MODE_BYPASS)
    fresh = await served.stub.Chat(
        chat_request("echo-cached", "cache me", generation=GREEDY, cache_control=bypass)
    )
    assert "cache" not in fresh.metadata
    sampled = chat_request(
        "echo-cached", "sampled", generation=generation_pb2.GenerationConfig(temperature=0.8)
    )
    await served.stub.Chat(sampled)
    assert "cache" not in (await served.stub.Chat(sampled)).metadata, "sampled output never cached"
    stream = chat_pb2.StreamChatRequest(
        model="echo-cached", messages=[user("cache me")], generation=GREEDY
    )
    events = [e async for e in served.stub.StreamChat(stream)]
    assert events[0].attempt.model == "echo-cached", "a replay keeps the stream's shape"
    assert events[-1].end.metadata["cache"] == "hit"
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "cache me"


async def test_usage_totals_accumulate_per_model_and_key(served: Served) -> None:
    await served.stub.Chat(chat_request("echo", "one two"))
    await served.stub.Chat(chat_request("echo", "three"))
    state = served.gateway.state
    assert state is not None
    rows = aggregate(await state.totals.rows(0, 2**40))
    assert [(r.key_id, r.model, r.requests, r.input_tokens, r.output_tokens) for r in rows] == [
        ("", "echo", 2, 3, 3)
    ]


CONFIG = """
models:
  - id: echo-cached
    runtime: echo
    provider: modelgate
    capabilities: [chat, streaming]
    cache: true
"""


@pytest.mark.redis
@pytest.mark.timeout(PROCESS_TEST_TIMEOUT_S)
async def test_two_gateway_processes_share_conversations_and_cache(
    fresh_redis_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "modelgate.yaml"
    config.write_text(CONFIG)
    env = {**os.environ, "MODELGATE_STATE__URL": fresh_redis_url, "MODELGATE_LOG_LEVEL": "WARNING"}
    ports = [free_port(), free_port()]
    processes = [
        subprocess.Popen(  # noqa: ASYNC220 - Popen only forks; waits happen in threads
            [
                sys.executable,
                "-m",
                "modelgate.cli",
                "serve",
                "--port",
                str(port),
                "--config",
                str(config),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for port in ports
    ]
    try:
        for port in ports:
            await asyncio.to_thread(_wait_serving, f"127.0.0.1:{port}")
        async with (
            grpc.aio.insecure_channel(f"127.0.0.1:{ports[0]}") as a_channel,
            grpc.aio.insecure_channel(f"127.0.0.1:{ports[1]}") as b_channel,
        ):
            a = gateway_pb2_grpc.ModelGatewayStub(a_channel)
            b = gateway_pb2_grpc.ModelGatewayStub(b_channel)
            first = await a.Chat(chat_request("echo", "remember me"))
            second = await b.Chat(chat_request("echo", "who?", previous_response_id=first.id))
            assert second.usage.input_tokens == 2 + 2 + 1
            await a.Chat(chat_request("echo-cached", "shared entry", generation=GREEDY))
            hit = await b.Chat(chat_request("echo-cached", "shared entry", generation=GREEDY))
            assert hit.metadata["cache"] == "hit"
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            await asyncio.to_thread(process.wait, PROCESS_S)
