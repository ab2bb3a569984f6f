"""The redact hook (`answers: true`) scrubs plain reasoning text in answers, unary and
streamed, and leaves a provider's signed reasoning byte for byte (changing it would make
the provider refuse the conversation when it is sent back).

Plain reasoning comes through a real gateway from a DeepSeek-style fake
(`reasoning_content`); the signed kinds are checked on the hook itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from modelgate.config import HookConfig, ModelConfig, RuntimeConfig
from modelgate.hooks.redaction import RedactionHook
from modelgate.v1 import chat_pb2, content_pb2, stream_pb2
from tests.fakes import FakeOpenAI, Reply
from tests.fakes.scenario import Thought
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, text_of

EMAIL = "jane.doe@example.com"
API_KEY = "sk-abcdefghijklmnopqrstuvwx"
SECRETS = f"mail {EMAIL} the key {API_KEY} please"
REDACTED = "mail [email] the key [api-key] please"
SIGNED = (
    content_pb2.REASONING_FORMAT_ANTHROPIC,
    content_pb2.REASONING_FORMAT_GEMINI,
    content_pb2.REASONING_FORMAT_OPENAI_RESPONSES,
)


@pytest.fixture(scope="module")
async def deepseek() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(reasoning_field="reasoning_content", usage_dialect="deepseek") as fake:
        yield fake


@pytest.fixture(scope="module")
async def served(deepseek: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(
        kind="openai_compatible", base_url=deepseek.url + "/v1", api_key="sk-test-0123456789"
    )
    model = ModelConfig(
        id="deepseek-reasoner", runtime="deepseek", capabilities=["chat", "streaming", "reasoning"]
    )
    hooks = [HookConfig(name="redact", options={"answers": True})]
    config = settings(runtimes={"deepseek": runtime}, models=[model], hooks=hooks)
    async with serve(config) as running:
        yield running


async def test_plain_reasoning_in_a_unary_answer_is_redacted(
    served: Served, deepseek: FakeOpenAI
) -> None:
    deepseek.reset()
    deepseek.script(Reply(text="Done.", thoughts=(Thought(text=SECRETS),)))
    answer = await served.stub.Chat(chat_request("deepseek-reasoner", "go"), timeout=20)
    [thought] = [p.reasoning for p in answer.content if p.WhichOneof("data") == "reasoning"]
    assert thought.text == REDACTED
    assert text_of(answer) == "Done."


async def test_plain_reasoning_deltas_in_a_stream_are_redacted(
    served: Served, deepseek: FakeOpenAI
) -> None:
    deepseek.reset()
    deepseek.script(Reply(text="Done.", thoughts=(Thought(text=SECRETS),)))
    request = chat_pb2.StreamChatRequest.FromString(
        chat_request("deepseek-reasoner", "go").SerializeToString()
    )
    events = [event async for event in served.stub.StreamChat(request, timeout=20)]
    thought = "".join(e.reasoning_delta.text for e in events if e.HasField("reasoning_delta"))
    assert thought == REDACTED


@pytest.mark.parametrize("reasoning_format", SIGNED)
async def test_signed_reasoning_passes_unchanged_unary_and_streamed(
    reasoning_format: content_pb2.ReasoningFormat.ValueType,
) -> None:
    hook = RedactionHook(answers=True)
    part = content_pb2.Reasoning(text=SECRETS, signature="sig", format=reasoning_format)
    answer = chat_pb2.ChatResponse(content=[content_pb2.ContentPart(reasoning=part)])
    await hook.after(chat_pb2.ChatRequest(), answer)
    assert answer.content[0].reasoning == part
    delta = stream_pb2.ReasoningDelta(text=SECRETS, format=reasoning_format)
    event = chat_pb2.StreamChatResponse(reasoning_delta=delta)
    hook.on_chunk(chat_pb2.ChatRequest(), event)
    assert event.reasoning_delta == delta


async def test_reasoning_is_left_alone_without_answers() -> None:
    hook = RedactionHook(answers=False)
    part = content_pb2.Reasoning(text=SECRETS)
    answer = chat_pb2.ChatResponse(content=[content_pb2.ContentPart(reasoning=part)])
    await hook.after(chat_pb2.ChatRequest(), answer)
    assert answer.content[0].reasoning.text == SECRETS
