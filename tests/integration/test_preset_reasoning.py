"""The presets' reasoning quirks: where thought text arrives, and whether it goes back.

DeepSeek's `reasoning_content` comes back as a reasoning part and is never sent back
(deepseek-reasoner answers 400 to it: the fake does too), named in the answer's
`metadata["dropped_reasoning"]`; vLLM and llama.cpp take it back
as `reasoning_content`, OpenRouter as `reasoning`. An operator's `reasoning_input` wins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from modelgate.config import CapabilityName, ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2
from tests.fakes.compatible_quirks import REASONING, CompatibleQuirks
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, user

KEY = "sk-preset-test-0123456789"
CHAT: list[CapabilityName] = ["chat", "streaming"]
PREFIXES = {
    "deepseek": "/deepseek/v1",
    "openrouter": "/openrouter/api/v1",
    "vllm": "/vllm/v1",
    "llamacpp": "/llamacpp/v1",
}


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[CompatibleQuirks]:
    async with CompatibleQuirks() as running:
        yield running


@pytest.fixture(scope="module")
async def served(fake: CompatibleQuirks) -> AsyncIterator[Served]:
    runtimes = {
        name: RuntimeConfig(
            kind="openai_compatible", preset=name, base_url=fake.url + prefix, api_key=KEY
        )
        for name, prefix in PREFIXES.items()
    }
    runtimes["vllm_stripped"] = RuntimeConfig(
        kind="openai_compatible",
        preset="vllm",
        base_url=fake.url + PREFIXES["vllm"],
        reasoning_input="strip",
    )
    models = [ModelConfig(id=name, runtime=name, capabilities=CHAT) for name in runtimes]
    async with serve(settings(runtimes=runtimes, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: CompatibleQuirks) -> None:
    fake.seen.clear()


def _history(model: str) -> chat_pb2.ChatRequest:
    """A second turn: the first answer, with its reasoning part, is replayed."""
    earlier = content_pb2.Message(
        role=content_pb2.ROLE_ASSISTANT,
        parts=[
            content_pb2.ContentPart(reasoning=content_pb2.Reasoning(text=REASONING)),
            content_pb2.ContentPart(text="Hello!"),
        ],
    )
    return chat_pb2.ChatRequest(model=model, messages=[user("hi"), earlier, user("and now?")])


@pytest.mark.parametrize("model", ["deepseek", "openrouter", "vllm", "llamacpp"])
async def test_thought_text_arrives_as_a_reasoning_part_not_as_text(
    served: Served, model: str
) -> None:
    answer = await served.stub.Chat(chat_request(model, "hi"), timeout=20)
    kinds = [(p.WhichOneof("data"), p.reasoning.text or p.text) for p in answer.content]
    assert kinds == [("reasoning", REASONING), ("text", "Hello!")]


@pytest.mark.parametrize("model", ["deepseek", "openrouter", "vllm"])
async def test_thought_text_streams_as_reasoning_deltas(served: Served, model: str) -> None:
    request = chat_pb2.StreamChatRequest(model=model, messages=[user("hi")])
    events = [e async for e in served.stub.StreamChat(request, timeout=20)]
    thought = "".join(e.reasoning_delta.text for e in events if e.HasField("reasoning_delta"))
    assert thought == REASONING


async def test_deepseek_never_gets_reasoning_back_and_the_answer_says_so(
    served: Served, fake: CompatibleQuirks
) -> None:
    answer = await served.stub.Chat(_history("deepseek"), timeout=20)
    [sent] = fake.sent("deepseek")
    assert all("reasoning_content" not in m for m in sent.body["messages"])
    assert answer.metadata["dropped_reasoning"] == "messages[1].parts[0]"


@pytest.mark.parametrize(
    ("model", "prefix", "key"),
    [
        ("vllm", "vllm", "reasoning_content"),
        ("llamacpp", "llamacpp", "reasoning_content"),
        ("openrouter", "openrouter", "reasoning"),
    ],
)
async def test_servers_that_take_reasoning_back_get_it_under_their_key(
    served: Served, fake: CompatibleQuirks, model: str, prefix: str, key: str
) -> None:
    await served.stub.Chat(_history(model), timeout=20)
    [sent] = fake.sent(prefix)
    assert sent.body["messages"][1][key] == REASONING


async def test_the_operators_reasoning_input_wins_over_the_preset(
    served: Served, fake: CompatibleQuirks
) -> None:
    answer = await served.stub.Chat(_history("vllm_stripped"), timeout=20)
    [sent] = fake.sent("vllm")
    assert "reasoning_content" not in sent.body["messages"][1]
    assert answer.metadata["dropped_reasoning"] == "messages[1].parts[0]"
