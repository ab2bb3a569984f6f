"""Reasoning and prompt caching through the Python client, against a real gateway and the fakes.

Both sides are asserted: what the caller reads through the client (`reasoning_of`,
`stream_text`, the streamed answer rebuilt by `Transcript`) and what the fake
provider received. The Anthropic fake signs the thinking it returns and refuses a
replay whose thinking is missing, reordered or altered, as the API does; the tests
also find the blocks it sent, byte for byte, in the next request's body.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from modelgate.client import (
    AsyncModelGate,
    ModelGate,
    ReasoningText,
    Transcript,
    message_of,
    reasoning_of,
    reasoning_text_of,
    system,
    text_of,
    tool,
    tool_calls_of,
    tool_result,
    user,
)
from modelgate.config import CapabilityName, ModelConfig, RuntimeConfig
from modelgate.v1 import content_pb2
from tests.fakes import FakeAnthropic, FakeOpenAI, Reply, Thought, ToolCall
from tests.gateways import Served, serve, settings
from tests.waiting import RPC_S

KEY = "test-key-anthropic-123456"
THINKS: list[CapabilityName] = ["chat", "streaming", "tools", "reasoning", "prompt_caching"]
WEATHER = tool("weather", "Current weather", {"type": "object"})
# Text a replay must keep byte for byte: non-ASCII, quotes, escapes, a newline.
TRICKY = 'Paris → 22°C? "quoted", back\\slash,\nnew line, naïve 日本'
REDACTED = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2X"


@pytest.fixture(scope="module")
async def claude_fake() -> AsyncIterator[FakeAnthropic]:
    async with FakeAnthropic(required_api_key=KEY) as server:
        yield server


@pytest.fixture(scope="module")
async def openai_fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(claude_fake: FakeAnthropic, openai_fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtimes = {
        "anthropic": RuntimeConfig(kind="anthropic", base_url=claude_fake.url, api_key=KEY),
        "openai": RuntimeConfig(
            kind="openai", base_url=openai_fake.url + "/v1", api_key="sk-test-0123456789"
        ),
    }
    models = [
        ModelConfig(id="claude-thinker", runtime="anthropic", capabilities=THINKS),
        ModelConfig(id="o4-mini", runtime="openai", capabilities=THINKS),
    ]
    async with serve(settings(runtimes=runtimes, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(claude_fake: FakeAnthropic, openai_fake: FakeOpenAI) -> None:
    claude_fake.reset()
    openai_fake.reset()


@pytest.fixture
async def client(served: Served) -> AsyncIterator[AsyncModelGate]:
    async with AsyncModelGate(served.target, timeout=RPC_S) as running:
        yield running


def _tool_loop() -> list[Reply]:
    """Two answers of a tool-use loop: thinking (one part redacted) before a call, then more."""
    return [
        Reply(
            thoughts=(Thought(TRICKY), Thought(redacted=REDACTED)),
            text="Checking.",
            tool_calls=[ToolCall("weather", {"city": "Paris"}, id="toolu_01A")],
        ),
        Reply(thoughts=(Thought("Sunny, so say so."),), text="Sunny in Paris."),
    ]


def _bodies(fake: FakeAnthropic) -> list[Any]:
    return [r.json for r in fake.requests_to("/v1/messages")]


def _assert_sent_back_unchanged(fake: FakeAnthropic, signature: str) -> None:
    """The second request carries the first answer's blocks, thinking byte for byte."""
    blocks = [
        {"type": "thinking", "thinking": TRICKY, "signature": signature},
        {"type": "redacted_thinking", "data": REDACTED},
        {"type": "text", "text": "Checking."},
        {"type": "tool_use", "id": "toolu_01A", "name": "weather", "input": {"city": "Paris"}},
    ]
    second = fake.requests_to("/v1/messages")[1]
    assert second.json["messages"][1] == {"role": "assistant", "content": blocks}
    compact = json.dumps(blocks[0], separators=(",", ":"), ensure_ascii=False).encode()
    assert compact in second.raw


async def test_a_tool_loop_sends_the_answer_back_with_its_reasoning_unchanged(
    client: AsyncModelGate, claude_fake: FakeAnthropic
) -> None:
    claude_fake.scenario.push(*_tool_loop())
    messages: list[content_pb2.Message] = [user("Weather in Paris?")]
    reply = await client.chat(
        "claude-thinker", messages, tools=[WEATHER], reasoning={"budget_tokens": 2048}
    )
    assert reasoning_text_of(reply) == TRICKY  # the redacted part has no text to add
    thought, redacted = reasoning_of(reply)
    assert thought.signature and thought.format == content_pb2.REASONING_FORMAT_ANTHROPIC
    assert (redacted.text, redacted.encrypted) == ("", REDACTED)
    assert text_of(reply) == "Checking."  # reasoning never in the text
    [call] = tool_calls_of(reply)
    messages += [message_of(reply), tool_result(call.id, "sunny, 22°C")]
    final = await client.chat(
        "claude-thinker", messages, tools=[WEATHER], reasoning={"budget_tokens": 2048}
    )
    assert (text_of(final), reasoning_text_of(final)) == ("Sunny in Paris.", "Sunny, so say so.")
    assert [b["thinking"] for b in _bodies(claude_fake)] == [
        {"type": "enabled", "budget_tokens": 2048}
    ] * 2
    _assert_sent_back_unchanged(claude_fake, thought.signature)


async def test_stream_text_yields_reasoning_only_when_asked_and_marks_it(
    client: AsyncModelGate, claude_fake: FakeAnthropic
) -> None:
    answer = Reply(thoughts=(Thought("Rayleigh scattering."),), text="The sky is blue.")
    claude_fake.scenario.push(answer, answer)
    plain = [
        p async for p in client.stream_text("claude-thinker", "Why?", reasoning={"effort": "low"})
    ]
    assert "".join(plain) == "The sky is blue."
    assert not any(isinstance(p, ReasoningText) for p in plain)
    stream = client.stream_text(
        "claude-thinker", "Why?", reasoning={"effort": "low"}, include_reasoning=True
    )
    pieces = [p async for p in stream]
    kinds = [isinstance(p, ReasoningText) for p in pieces]
    assert kinds == sorted(kinds, reverse=True) and any(kinds)  # thinking first, then text
    assert "".join(p for p in pieces if isinstance(p, ReasoningText)) == "Rayleigh scattering."
    assert "".join(p for p in pieces if not isinstance(p, ReasoningText)) == "The sky is blue."
    assert stream.end is not None and stream.end.usage.output_tokens > 0


async def test_a_streamed_answer_is_rebuilt_and_sent_back_unchanged(
    client: AsyncModelGate, claude_fake: FakeAnthropic
) -> None:
    claude_fake.scenario.push(*_tool_loop())
    messages: list[content_pb2.Message] = [user("Weather in Paris?")]
    stream = client.stream_text(
        "claude-thinker", messages, tools=[WEATHER], reasoning={"budget_tokens": 2048}
    )
    assert "".join([p async for p in stream]) == "Checking."
    first = stream.message()
    kinds = [p.WhichOneof("data") for p in first.parts]
    assert kinds == ["reasoning", "reasoning", "text", "tool_call"]
    signature = first.parts[0].reasoning.signature
    assert reasoning_text_of(first) == TRICKY and signature
    messages += [first, tool_result("toolu_01A", "sunny, 22°C")]
    transcript = Transcript()
    async for event in client.stream_chat(
        "claude-thinker", messages, tools=[WEATHER], reasoning={"budget_tokens": 2048}
    ):
        transcript.add(event)
    assert text_of(transcript) == "Sunny in Paris."
    assert reasoning_text_of(transcript) == "Sunny, so say so."
    assert transcript.end is not None and transcript.end.id
    _assert_sent_back_unchanged(claude_fake, signature)


def _sync_stream(target: str) -> tuple[list[str], str]:
    with ModelGate(target, timeout=RPC_S) as sync_client:
        stream = sync_client.stream_text(
            "claude-thinker", "Why?", reasoning={"effort": "high"}, include_reasoning=True
        )
        pieces = list(stream)
        return pieces, reasoning_text_of(stream.message())


async def test_the_blocking_client_streams_reasoning_the_same_way(
    served: Served, claude_fake: FakeAnthropic
) -> None:
    claude_fake.scenario.push(Reply(thoughts=(Thought("Short."),), text="Blue."))
    # The in-process gateway shares this event loop: drive the blocking client from a thread.
    pieces, reasoning = await asyncio.to_thread(_sync_stream, served.target)
    assert "".join(p for p in pieces if isinstance(p, ReasoningText)) == "Short."
    assert "".join(p for p in pieces if not isinstance(p, ReasoningText)) == "Blue."
    assert reasoning == "Short."


async def test_cache_breakpoints_from_the_builders_reach_anthropic(
    client: AsyncModelGate, claude_fake: FakeAnthropic
) -> None:
    await client.chat(
        "claude-thinker",
        [system("You are a meteorologist.", cache_breakpoint=3600), user("Weather?")],
        tools=[tool("weather", parameters={"type": "object"}, cache_breakpoint=True)],
    )
    [body] = _bodies(claude_fake)
    assert body["system"][0]["cache_control"] == {"type": "ephemeral", "ttl": "1h"}
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral"}


async def test_reasoning_and_prompt_cache_keywords_reach_openai_in_its_own_form(
    client: AsyncModelGate, openai_fake: FakeOpenAI
) -> None:
    openai_fake.script(Reply(text="ok"))
    await client.chat(
        "o4-mini",
        "hi",
        reasoning={"effort": "high"},
        prompt_cache={"key": "tenant-7", "retention": "extended"},
    )
    sent = openai_fake.last_request.json
    assert sent["reasoning_effort"] == "high"
    assert (sent["prompt_cache_key"], sent["prompt_cache_retention"]) == ("tenant-7", "24h")
