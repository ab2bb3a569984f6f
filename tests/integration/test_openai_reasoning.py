"""Reasoning and prompt caching on Chat Completions, through the gateway, against the fakes.

OpenAI proper: `reasoning_effort`, `max_completion_tokens` for reasoning models,
`prompt_cache_key`/`prompt_cache_retention`, reasoning and cached token counts.
DeepSeek-style servers: `reasoning_content` comes back as reasoning parts and deltas,
never text; it goes back only where the runtime's `reasoning_input` says.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from modelgate.config import CapabilityName, ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeOpenAI, Reply, Thought, ToolCall
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, text_of, user

THINKS: list[CapabilityName] = ["chat", "streaming", "tools", "reasoning", "prompt_caching"]
THOUGHTS = (Thought("Rayleigh scattering."), Thought("Shorter wavelengths scatter more."))
THOUGHT = "Rayleigh scattering.\n\nShorter wavelengths scatter more."
HIGH = generation_pb2.ReasoningConfig(effort=generation_pb2.REASONING_EFFORT_HIGH)


@pytest.fixture(scope="module")
async def openai_fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def deepseek() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(
        reasoning_field="reasoning_content", usage_dialect="deepseek", reasoning_input="rejected"
    ) as server:
        yield server


@pytest.fixture(scope="module")
async def vllm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(reasoning_field="reasoning") as server:
        yield server


@pytest.fixture(scope="module")
async def served(openai_fake: FakeOpenAI, deepseek: FakeOpenAI, vllm: FakeOpenAI) -> Any:
    key = "sk-test-0123456789"
    compatible: dict[str, Any] = {"kind": "openai_compatible", "api_key": key}
    runtimes = {
        "openai": RuntimeConfig(kind="openai", base_url=openai_fake.url + "/v1", api_key=key),
        "deepseek": RuntimeConfig(base_url=deepseek.url + "/v1", **compatible),
        "vllm": RuntimeConfig(
            base_url=vllm.url + "/v1", reasoning_input="reasoning_content", **compatible
        ),
    }
    models = [
        ModelConfig(id="o4-mini", runtime="openai", capabilities=THINKS),
        ModelConfig(id="gpt-4o", runtime="openai"),
        ModelConfig(id="deepseek-reasoner", runtime="deepseek", capabilities=THINKS),
        ModelConfig(id="qwen3", runtime="vllm", capabilities=THINKS),
    ]
    async with serve(settings(runtimes=runtimes, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(openai_fake: FakeOpenAI, deepseek: FakeOpenAI, vllm: FakeOpenAI) -> None:
    for fake in (openai_fake, deepseek, vllm):
        fake.reset()


async def test_openai_gets_effort_completion_tokens_and_cache_options_in_its_own_form(
    served: Served, openai_fake: FakeOpenAI
) -> None:
    openai_fake.script(Reply(text="ok", reasoning_tokens=9, cached_tokens=2))
    request = chat_request(
        "o4-mini",
        "hi there friend",
        reasoning=HIGH,
        generation=generation_pb2.GenerationConfig(max_output_tokens=500),
        prompt_cache=generation_pb2.PromptCacheConfig(
            key="tenant-7", retention=generation_pb2.PROMPT_CACHE_RETENTION_EXTENDED
        ),
    )
    answer = await served.stub.Chat(request)
    sent = openai_fake.last_request.json
    assert sent["reasoning_effort"] == "high"
    assert sent["max_completion_tokens"] == 500 and "max_tokens" not in sent
    assert (sent["prompt_cache_key"], sent["prompt_cache_retention"]) == ("tenant-7", "24h")
    assert (answer.usage.reasoning_tokens, answer.usage.cached_input_tokens) == (9, 2)
    assert [p.WhichOneof("data") for p in answer.content] == ["text"]


async def test_prompt_cache_options_need_no_catalog_capability(
    served: Served, openai_fake: FakeOpenAI
) -> None:
    """`gpt-4o` lists no `prompt_caching`: OpenAI caches prefixes for every model, so the
    key and retention (hints) reach it all the same; breakpoints would still need it."""
    openai_fake.script(Reply(text="ok"))
    request = chat_request(
        "gpt-4o",
        "hi",
        prompt_cache=generation_pb2.PromptCacheConfig(
            key="tenant-8", retention=generation_pb2.PROMPT_CACHE_RETENTION_IN_MEMORY
        ),
    )
    await served.stub.Chat(request)
    sent = openai_fake.last_request.json
    assert (sent["prompt_cache_key"], sent["prompt_cache_retention"]) == ("tenant-8", "in_memory")


@pytest.mark.parametrize(
    ("field", "model"),
    [("reasoning.budget_tokens", "o4-mini"), ("reasoning.include_thoughts", "o4-mini")],
)
async def test_openai_refuses_what_chat_completions_has_no_place_for(
    served: Served, openai_fake: FakeOpenAI, field: str, model: str
) -> None:
    config = generation_pb2.ReasoningConfig(budget_tokens=100, include_thoughts=True)
    config.ClearField(field.split(".")[1])  # type: ignore[arg-type]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request(model, "x", reasoning=config))
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    other = {"reasoning.budget_tokens", "reasoning.include_thoughts"} - {field}
    assert [path for path, _ in error.violations] == sorted(other)
    assert not openai_fake.requests


async def test_a_model_that_cannot_reason_refuses_effort(served: Served) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", "x", reasoning=HIGH))
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [path for path, _ in error.violations] == ["reasoning.effort"]


async def test_deepseek_reasoning_content_is_a_reasoning_part_never_text(
    served: Served, deepseek: FakeOpenAI
) -> None:
    deepseek.script(Reply(text="Blue.", thoughts=THOUGHTS, cached_tokens=3))
    limit = generation_pb2.GenerationConfig(max_output_tokens=500)
    request = chat_request("deepseek-reasoner", "why is the sky blue", generation=limit)
    answer = await served.stub.Chat(request)
    sent = deepseek.last_request.json
    assert sent["max_tokens"] == 500 and "max_completion_tokens" not in sent  # DeepSeek's name
    assert [p.WhichOneof("data") for p in answer.content] == ["reasoning", "text"]
    thought = answer.content[0].reasoning
    assert (thought.text, thought.format) == (THOUGHT, content_pb2.REASONING_FORMAT_UNSPECIFIED)
    assert text_of(answer) == "Blue."
    assert answer.usage.cached_input_tokens == 3 and answer.usage.reasoning_tokens == 6


async def test_deepseek_streams_reasoning_deltas_before_text_deltas(
    served: Served, deepseek: FakeOpenAI
) -> None:
    deepseek.script(Reply(text="Blue.", thoughts=THOUGHTS))
    request = chat_pb2.StreamChatRequest(model="deepseek-reasoner", messages=[user("why")])
    events = [e async for e in served.stub.StreamChat(request)]
    kinds = [e.WhichOneof("event") for e in events if e.WhichOneof("event") != "attempt"]
    first_text = kinds.index("text_delta")
    assert set(kinds[:first_text]) == {"reasoning_delta"}
    assert "reasoning_delta" not in kinds[first_text:]
    thought = [e.reasoning_delta for e in events if e.HasField("reasoning_delta")]
    assert "".join(d.text for d in thought) == THOUGHT and {d.index for d in thought} == {0}
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "Blue."
    assert events[-1].end.usage.reasoning_tokens == 6


def _turns_with_reasoning(model: str) -> chat_pb2.ChatRequest:
    """A tool-use turn sent back with its reasoning, then the tool result."""
    call = content_pb2.ToolCall(id="call_1", name="look", arguments_json='{"q":"sky"}')
    answer = content_pb2.Message(
        role=content_pb2.ROLE_ASSISTANT,
        parts=[
            content_pb2.ContentPart(reasoning=content_pb2.Reasoning(text="I should look.")),
            content_pb2.ContentPart(
                reasoning=content_pb2.Reasoning(
                    text="signed", signature="sig", format=content_pb2.REASONING_FORMAT_ANTHROPIC
                )
            ),
            content_pb2.ContentPart(tool_call=call),
        ],
    )
    result = content_pb2.Message(
        role=content_pb2.ROLE_TOOL,
        parts=[
            content_pb2.ContentPart(
                tool_result=content_pb2.ToolResult(tool_call_id="call_1", text="blue")
            )
        ],
    )
    tools = [content_pb2.Tool(name="look")]
    return chat_pb2.ChatRequest(model=model, messages=[user("why"), answer, result], tools=tools)


async def test_reasoning_is_stripped_by_default_and_the_answer_says_so(
    served: Served, deepseek: FakeOpenAI
) -> None:
    deepseek.script(Reply(text="Blue."))
    answer = await served.stub.Chat(_turns_with_reasoning("deepseek-reasoner"))
    sent = deepseek.last_request.json["messages"]
    assert all("reasoning_content" not in m and "reasoning" not in m for m in sent)
    assert answer.metadata["dropped_reasoning"] == "messages[1].parts[0],messages[1].parts[1]"


async def test_reasoning_goes_back_under_the_runtimes_key(served: Served, vllm: FakeOpenAI) -> None:
    vllm.script(Reply(text="Blue.", tool_calls=[ToolCall("look")]), Reply(text="Blue."))
    answer = await served.stub.Chat(_turns_with_reasoning("qwen3"))
    assistant = vllm.last_request.json["messages"][1]
    assert assistant["reasoning_content"] == "I should look."
    assert answer.metadata["dropped_reasoning"] == "messages[1].parts[1]"  # Anthropic-signed
