"""The modelgate-client package against the real gateway (echo)."""

from __future__ import annotations

import asyncio

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.client import (
    AsyncModelGate,
    DeadlineExceededError,
    InvalidArgumentError,
    ModelGate,
    NotFoundError,
    UnimplementedError,
    system,
    user,
)
from tests.waiting import RPC_S


@pytest.fixture
async def client(gateway: Gateway) -> AsyncModelGate:
    return AsyncModelGate(f"127.0.0.1:{gateway.port}", timeout=RPC_S)


async def test_chat_stream_and_models_through_the_client(client: AsyncModelGate) -> None:
    async with client:
        reply = await client.chat("echo", [system("be brief"), user("hello client")])
        assert reply.content[0].text == "hello client"
        stream = client.stream_text("echo", "one two three")
        texts = [text async for text in stream]
        assert "".join(texts) == "one two three"
        assert stream.end is not None and stream.end.usage.output_tokens == 3
        ids = [model.id async for model in client.list_models()]
        assert "echo" in ids
        embedded = await client.embed("echo", ["a", "b"])
        assert len(embedded.embeddings) == 2
        counted = await client.count_tokens("echo", text="four little words here")
        assert counted.input_tokens == 4


async def test_client_raises_typed_errors_with_details(client: AsyncModelGate) -> None:
    async with client:
        with pytest.raises(NotFoundError) as missing:
            await client.chat("no-such-model", "x")
        assert missing.value.reason == "MODEL_NOT_FOUND"
        with pytest.raises(InvalidArgumentError) as invalid:
            await client.chat("echo", "x", temperature=7.0)
        assert "generation.temperature" in [f for f, _ in invalid.value.field_violations]
        with pytest.raises(UnimplementedError):
            await client.embed("echo-priced", ["x"])
        with pytest.raises(DeadlineExceededError):
            await client.chat("echo-slow", "x", timeout=0.2)


async def test_breaking_out_of_a_stream_cancels_the_call(client: AsyncModelGate) -> None:
    # 100 words at 0.2 s apart take at least 19.8 s: leaving after the first word well
    # within that shows the client did not drain the stream, with a margin no load eats.
    words = " ".join(f"w{i}" for i in range(100))
    async with client:
        started = asyncio.get_running_loop().time()
        async for _text in client.stream_text("echo-trickle", words):
            break
        assert asyncio.get_running_loop().time() - started < 10
        assert (await client.chat("echo", "alive")).content[0].text == "alive"


def _use_sync_client(target: str) -> None:
    with ModelGate(target, timeout=RPC_S) as client:
        assert client.chat("echo", "sync hello").content[0].text == "sync hello"
        assert "".join(client.stream_text("echo", "sync words")) == "sync words"
        with pytest.raises(NotFoundError) as caught:
            client.chat("missing", "x")
        assert caught.value.code == grpc.StatusCode.NOT_FOUND


async def test_sync_client_chat_and_errors(gateway: Gateway) -> None:
    # The in-process server shares this event loop: drive the blocking client from a thread.
    await asyncio.to_thread(_use_sync_client, f"127.0.0.1:{gateway.port}")
