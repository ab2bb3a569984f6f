"""previous_response_id continues a conversation on every backend: the upstream sees the history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from modelgate.config import ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2
from tests.fakes import FakeAnthropic, FakeOllama, FakeOpenAI
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, text_of, user

Fake = FakeOpenAI | FakeAnthropic | FakeOllama


def _texts(fake: Fake) -> list[tuple[str, str]]:
    """(role, text) of the messages the upstream received in its last request."""
    body = fake.last_request.json
    out = [("system", body["system"])] if isinstance(body.get("system"), str) else []
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, list):
            content = "".join(block.get("text", "") for block in content)
        out.append((message["role"], content))
    return out


@pytest.fixture(scope="module", params=["openai", "anthropic", "ollama"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Served, Fake]]:
    kind = request.param
    fake: Fake
    if kind == "openai":
        fake, suffix = FakeOpenAI(), "/v1"
    elif kind == "anthropic":
        fake, suffix = FakeAnthropic(), ""
    else:
        fake, suffix = FakeOllama(models=["llama3.2:latest"]), ""
    async with fake:
        runtime = RuntimeConfig(kind=kind, base_url=fake.url + suffix, api_key="sk-test-key-0123")
        upstream = "llama3.2:latest" if kind == "ollama" else "model-x"
        model = ModelConfig(
            id="m",
            runtime=kind,
            upstream_name=upstream,
            provider=kind,
            capabilities=["chat", "streaming"],
        )
        async with serve(settings(runtimes={kind: runtime}, models=[model])) as running:
            yield running, fake


async def test_unary_continuation_replays_history_upstream(backend: Any) -> None:
    served, fake = backend
    first = await served.stub.Chat(chat_request("m", "my name is Ada"))
    second = await served.stub.Chat(
        chat_request("m", "what is my name", previous_response_id=first.id)
    )
    assert text_of(second) == "what is my name"
    assert _texts(fake) == [
        ("user", "my name is Ada"),
        ("assistant", "my name is Ada"),
        ("user", "what is my name"),
    ]


async def test_stream_continuation_and_continuing_a_streamed_answer(backend: Any) -> None:
    served, fake = backend
    first = await served.stub.Chat(chat_request("m", "one"))
    events = [
        e
        async for e in served.stub.StreamChat(
            chat_pb2.StreamChatRequest(
                model="m", messages=[user("two")], previous_response_id=first.id
            )
        )
    ]
    end = events[-1].end
    await served.stub.Chat(chat_request("m", "three", previous_response_id=end.id))
    assert _texts(fake) == [
        ("user", "one"),
        ("assistant", "one"),
        ("user", "two"),
        ("assistant", "two"),
        ("user", "three"),
    ]
