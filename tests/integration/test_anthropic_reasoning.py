"""Anthropic extended thinking through the gateway: asked for, returned, replayed, billed.

Each test asserts both sides: what the caller got over gRPC and what the fake
Anthropic API received. The fake signs the thinking it returns and refuses a
replay whose thinking is missing, reordered or altered, as the API does, and the
tests also compare the bytes it received with the blocks it sent.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import pytest

from modelgate.app import Gateway
from modelgate.config import CapabilityName, ModelConfig, PricingConfig, RuntimeConfig, Settings
from modelgate.v1 import chat_pb2, content_pb2, gateway_pb2_grpc, generation_pb2
from tests.fakes import FakeAnthropic, Reply, Thought, ToolCall
from tests.gateways import Fixture
from tests.rpc_helpers import user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

KEY = "test-key-anthropic-123456"
THINKER: list[CapabilityName] = ["chat", "streaming", "tools", "reasoning", "prompt_caching"]
ANTHROPIC = content_pb2.REASONING_FORMAT_ANTHROPIC
HIGH_BUDGET = generation_pb2.ReasoningConfig(budget_tokens=2048)
TOOL = content_pb2.Tool(name="weather", parameters_json='{"type": "object"}')
# Text a replay must keep byte for byte: non-ASCII, quotes, escapes, a newline.
TRICKY = 'Paris → 22°C? "quoted", back\\slash,\nnew line, naïve 日本'


def _settings(url: str) -> Settings:
    runtimes = {"anthropic": RuntimeConfig(kind="anthropic", base_url=url, api_key=KEY)}
    models = [
        ModelConfig(
            id="claude-thinker",
            runtime="anthropic",
            upstream_name="claude-sonnet-4-5",
            capabilities=THINKER,
            max_output_tokens=16_384,
            pricing=PricingConfig(
                input=3.0, output=15.0, cached_input=0.3, cache_write=3.75, reasoning=15.0
            ),
        ),
        ModelConfig(
            id="claude-auto-cache",
            runtime="anthropic",
            capabilities=THINKER,
            auto_cache_breakpoints=True,
        ),
        ModelConfig(id="claude-plain", runtime="anthropic"),
    ]
    return Settings(runtimes=runtimes, models=models, _env_file=None)  # type: ignore[call-arg]


def claude_fixtures() -> tuple[Fixture, Fixture, Fixture]:
    """The fixtures `fake`, `fresh_fake` (autouse) and `claude` over `_settings`, for one module.

    Assigned to those names at a module's top they serve that module only (this one and
    test_anthropic_caching), without a conftest that every integration test would see.
    """

    @pytest.fixture(scope="module")
    async def fake() -> AsyncIterator[FakeAnthropic]:
        """The fake Anthropic API, demanding our key like the real one."""
        async with FakeAnthropic(required_api_key=KEY) as server:
            yield server

    @pytest.fixture(autouse=True)
    def fresh_fake(fake: FakeAnthropic) -> None:
        """Every test starts with no scripts and no recorded requests."""
        fake.reset()

    @pytest.fixture(scope="module")
    async def claude(fake: FakeAnthropic) -> AsyncIterator[Stub]:
        """A stub to a gateway over the fake."""
        gateway = Gateway(_settings(fake.url))
        await gateway.start(host="127.0.0.1", port=0)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            yield gateway_pb2_grpc.ModelGatewayStub(channel)
        await gateway.stop(grace=1)

    return fake, fresh_fake, claude


fake, fresh_fake, claude = claude_fixtures()


def _loop_replies() -> list[Reply]:
    """Three answers of a tool-use loop with thinking, interleaved thinking in the second."""
    return [
        Reply(
            thoughts=(Thought(TRICKY), Thought(redacted="EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2X")),
            text="Checking.",
            tool_calls=[ToolCall("weather", {"city": "Paris"}, id="toolu_01A")],
        ),
        Reply(
            thoughts=(
                Thought("Paris done; Rome next."),
                Thought("Both asked for; one more.", after_calls=1),
            ),
            tool_calls=[
                ToolCall("weather", {"city": "Rome"}, id="toolu_01B"),
                ToolCall("weather", {"city": "Oslo"}, id="toolu_01C"),
            ],
        ),
        Reply(thoughts=(Thought("All three known."),), text="Sunny everywhere."),
    ]


def _results(*call_ids: str) -> content_pb2.Message:
    return content_pb2.Message(
        role=content_pb2.ROLE_TOOL,
        parts=[
            content_pb2.ContentPart(tool_result=content_pb2.ToolResult(tool_call_id=i, text="sun"))
            for i in call_ids
        ],
    )


def _compact(block: dict[str, Any]) -> bytes:
    """A block as compact JSON, as the gateway (orjson) writes it."""
    return json.dumps(block, separators=(",", ":"), ensure_ascii=False).encode()


def _thinking_blocks(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in answer["content"] if b["type"] in ("thinking", "redacted_thinking")]


def _assert_replayed(fake: FakeAnthropic, sent_answers: list[dict[str, Any]]) -> None:
    """Every thinking block the fake returned reached it again, byte for byte, in order."""
    requests = [r for r in fake.requests if r.path == "/v1/messages"]
    for turn, answer in enumerate(sent_answers[:-1], 1):
        later = requests[turn]
        assistant = [m for m in later.json["messages"] if m["role"] == "assistant"]
        assert assistant[turn - 1]["content"] == answer["content"]  # order, text, signatures
        for block in _thinking_blocks(answer):
            assert _compact(block) in later.raw


async def test_a_three_turn_tool_loop_replays_every_thinking_block_byte_for_byte(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.scenario.push(*_loop_replies())
    messages = [user("Weather in Paris, Rome and Oslo?")]
    answers: list[chat_pb2.ChatResponse] = []
    for results in (("toolu_01A",), ("toolu_01B", "toolu_01C"), None):
        answer = await claude.Chat(
            chat_pb2.ChatRequest(
                model="claude-thinker", messages=messages, tools=[TOOL], reasoning=HIGH_BUDGET
            )
        )
        answers.append(answer)
        if results is not None:
            messages.append(
                content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=answer.content)
            )
            messages.append(_results(*results))
    kinds = [[p.WhichOneof("data") for p in a.content] for a in answers]
    assert kinds == [
        ["reasoning", "reasoning", "text", "tool_call"],
        ["reasoning", "tool_call", "reasoning", "tool_call"],
        ["reasoning", "text"],
    ]
    first = answers[0].content
    assert first[0].reasoning.text == TRICKY and first[0].reasoning.format == ANTHROPIC
    assert first[0].reasoning.signature.startswith("Eq")
    assert first[1].reasoning.encrypted == "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2X"
    sent = [r for r in fake.requests if r.path == "/v1/messages"]
    assert all(r.json["thinking"] == {"type": "enabled", "budget_tokens": 2048} for r in sent)
    _assert_replayed(fake, [_fake_answer(a) for a in answers])


def _fake_answer(answer: chat_pb2.ChatResponse) -> dict[str, Any]:
    """The content blocks the fake sent for `answer`, rebuilt from its parts."""
    blocks: list[dict[str, Any]] = []
    for part in answer.content:
        kind = part.WhichOneof("data")
        if kind == "reasoning" and part.reasoning.encrypted:
            blocks.append({"type": "redacted_thinking", "data": part.reasoning.encrypted})
        elif kind == "reasoning":
            r = part.reasoning
            blocks.append({"type": "thinking", "thinking": r.text, "signature": r.signature})
        elif kind == "text":
            blocks.append({"type": "text", "text": part.text})
        elif kind == "tool_call":
            call = part.tool_call
            args = json.loads(call.arguments_json)
            blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": args})
    return {"content": blocks}


async def test_a_streamed_tool_loop_continued_by_response_id_replays_the_thinking(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.scenario.push(*_loop_replies())
    request = chat_pb2.StreamChatRequest(
        model="claude-thinker",
        messages=[user("Weather in Paris, Rome and Oslo?")],
        tools=[TOOL],
        reasoning=HIGH_BUDGET,
    )
    texts: list[str] = []
    for results in (("toolu_01A",), ("toolu_01B", "toolu_01C"), None):
        events = [e async for e in claude.StreamChat(request)]
        texts.append("".join(e.text_delta.text for e in events if e.HasField("text_delta")))
        thoughts = [e.reasoning_delta for e in events if e.HasField("reasoning_delta")]
        assert thoughts and all(t.format == ANTHROPIC for t in thoughts)
        assert any(t.signature or t.encrypted for t in thoughts)
        if results is not None:
            request = chat_pb2.StreamChatRequest(
                model="claude-thinker",
                previous_response_id=events[-1].end.id,
                messages=[_results(*results)],
                tools=[TOOL],
                reasoning=HIGH_BUDGET,
            )
    assert texts == ["Checking.", "", "Sunny everywhere."]  # reasoning never in the text
    sent = [r for r in fake.requests if r.path == "/v1/messages"]
    first_answer = sent[1].json["messages"][1]["content"]
    assert [b["type"] for b in first_answer] == [
        "thinking",
        "redacted_thinking",
        "text",
        "tool_use",
    ]
    assert first_answer[0]["thinking"] == TRICKY
    assert _compact(first_answer[0]) in sent[2].raw  # still whole two turns later
