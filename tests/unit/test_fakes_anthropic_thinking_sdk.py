"""The official anthropic SDK parses the fake's extended-thinking answers unchanged, and the
fake refuses what the API refuses (unsigned or altered thinking, tool loops without it)."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest
from anthropic.types import MessageParam

from tests.fakes import FakeAnthropic, Reply, Thought, ToolCall
from tests.unit.anthropic_sdk import anthropic_sdk_fixtures

MODEL = "claude-sonnet-4-6"
THINKING: Any = {"type": "enabled", "budget_tokens": 2048}
USER: list[MessageParam] = [{"role": "user", "content": "weather in Paris?"}]
REPLY = Reply(
    thoughts=(
        Thought("The user wants the weather; I need the tool."),
        Thought(redacted="EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"),
        Thought("After the call: nothing more to do.", after_calls=1),
    ),
    text="Let me look.",
    tool_calls=[ToolCall("weather", {"city": "Paris"}, id="toolu_01WeatherParis")],
    reasoning_tokens=40,
)


fake, client = anthropic_sdk_fixtures()


async def test_unary_thinking_blocks_parse_in_order(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.scenario.push(REPLY)
    message = await client.messages.create(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=USER
    )
    kinds = [block.type for block in message.content]
    assert kinds == ["thinking", "redacted_thinking", "text", "tool_use", "thinking"]
    first = message.content[0]
    assert first.type == "thinking" and first.signature.startswith("Eq")
    assert message.usage.output_tokens_details is not None
    assert message.usage.output_tokens_details.thinking_tokens == 40


async def test_streamed_thinking_accumulates_to_the_unary_blocks(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.scenario.push(REPLY, REPLY)
    unary = await client.messages.create(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=USER
    )
    async with client.messages.stream(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=USER
    ) as stream:
        kinds = [event.type async for event in stream]
        streamed = await stream.get_final_message()
    assert "thinking" in kinds and "signature" in kinds
    assert [b.model_dump() for b in streamed.content] == [b.model_dump() for b in unary.content]


async def test_a_tool_loop_with_its_thinking_sent_back_is_accepted(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic
) -> None:
    fake.scenario.push(REPLY, Reply(text="Sunny."))
    first = await client.messages.create(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=USER
    )
    call = next(b for b in first.content if b.type == "tool_use")
    history: Any = [
        *USER,
        {"role": "assistant", "content": [b.model_dump() for b in first.content]},
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sun"}],
        },
    ]
    second = await client.messages.create(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=history
    )
    assert second.content[0].type == "text"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda blocks: blocks[0].update(thinking="edited"), "Invalid `signature`"),
        (lambda blocks: blocks.pop(0) and blocks.pop(0), "must start with a thinking block"),
        (lambda blocks: blocks[0].update(cache_control={"type": "ephemeral"}), "cannot be marked"),
    ],
)
async def test_the_fake_refuses_a_mangled_replay_as_the_api_does(
    fake: FakeAnthropic, client: anthropic.AsyncAnthropic, change: Any, complaint: str
) -> None:
    fake.scenario.push(REPLY)
    first = await client.messages.create(
        model=MODEL, max_tokens=4096, thinking=THINKING, messages=USER
    )
    blocks = [b.model_dump(exclude_none=True) for b in first.content[:4]]
    change(blocks)
    history: Any = [
        *USER,
        {"role": "assistant", "content": blocks},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "x", "content": "s"}]},
    ]
    with pytest.raises(anthropic.BadRequestError) as caught:
        await client.messages.create(
            model=MODEL, max_tokens=4096, thinking=THINKING, messages=history
        )
    assert complaint in str(caught.value)


async def test_a_budget_not_below_max_tokens_is_refused(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        await client.messages.create(model=MODEL, max_tokens=2048, thinking=THINKING, messages=USER)
