"""Prompt caching and reasoning settings on Anthropic: cache_control, cost, effort, refusals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest
from google.protobuf import duration_pb2

from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeAnthropic, Reply
from tests.integration.test_anthropic_reasoning import TOOL, claude_fixtures
from tests.rpc_helpers import decode, system, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


fake, fresh_fake, claude = claude_fixtures()


def _sent(fake: FakeAnthropic) -> dict:  # type: ignore[type-arg]
    [request] = [r for r in fake.requests if r.path == "/v1/messages"]
    return request.json


async def test_cache_breakpoints_reach_anthropic_as_cache_control(
    claude: Stub, fake: FakeAnthropic
) -> None:
    prompt = system("You are a meteorologist.")
    prompt.cache_breakpoint.ttl.CopyFrom(duration_pb2.Duration(seconds=3600))
    question = user("Weather?")
    question.parts[0].cache_breakpoint.ttl.CopyFrom(duration_pb2.Duration(seconds=10))
    tool = content_pb2.Tool()
    tool.CopyFrom(TOOL)
    tool.cache_breakpoint.SetInParent()
    await claude.Chat(
        chat_pb2.ChatRequest(model="claude-thinker", messages=[prompt, question], tools=[tool])
    )
    body = _sent(fake)
    assert body["tools"][0]["cache_control"] == {"type": "ephemeral"}
    assert body["system"] == [
        {
            "type": "text",
            "text": "You are a meteorologist.",
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": "Weather?", "cache_control": {"type": "ephemeral", "ttl": "5m"}}
    ]


async def test_a_ttl_longer_than_an_hour_is_refused_naming_it(claude: Stub) -> None:
    question = user("Weather?")
    question.cache_breakpoint.ttl.CopyFrom(duration_pb2.Duration(seconds=7200))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_pb2.ChatRequest(model="claude-thinker", messages=[question]))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in status.violations] == ["messages[0].cache_breakpoint.ttl"]


async def test_auto_cache_breakpoints_mark_a_long_system_prompt_only(
    claude: Stub, fake: FakeAnthropic
) -> None:
    short = chat_pb2.ChatRequest(
        model="claude-auto-cache", messages=[system("Be brief."), user("hi")]
    )
    await claude.Chat(short)
    assert _sent(fake)["system"] == "Be brief."
    fake.reset()
    long_prompt = "Facts about the weather. " * 400  # 10,000 bytes: past ~1,024 tokens
    long = chat_pb2.ChatRequest(
        model="claude-auto-cache", messages=[system(long_prompt), user("hi")]
    )
    await claude.Chat(long)
    assert _sent(fake)["system"] == [
        {"type": "text", "text": long_prompt, "cache_control": {"type": "ephemeral"}}
    ]


async def test_cost_of_cache_reads_writes_and_reasoning_matches_a_hand_computation(
    claude: Stub, fake: FakeAnthropic
) -> None:
    # Anthropic's input_tokens excludes cache reads and writes; the gateway's includes them.
    fake.scenario.push(
        Reply(
            text="ok",
            input_tokens=2_000,
            cached_tokens=5_000,
            cache_creation_tokens=3_000,
            output_tokens=1_500,
            reasoning_tokens=1_000,
        )
    )
    answer = await claude.Chat(chat_pb2.ChatRequest(model="claude-thinker", messages=[user("hi")]))
    usage = answer.usage
    assert (usage.input_tokens, usage.cached_input_tokens) == (10_000, 5_000)
    assert (usage.cache_creation_input_tokens, usage.reasoning_tokens) == (3_000, 1_000)
    # Prices per million: input 3, cached 0.30, cache write 3.75, output 15, reasoning 15.
    # input:  2,000 x 3 + 5,000 x 0.30 + 3,000 x 3.75 = 6,000 + 1,500 + 11,250 -> $0.01875
    # output: 500 x 15 + 1,000 x 15 = 7,500 + 15,000                            -> $0.0225
    cost = answer.cost
    assert cost.input_usd == pytest.approx(0.01875)
    assert cost.cache_read_usd == pytest.approx(0.0015)
    assert cost.cache_write_usd == pytest.approx(0.01125)
    assert cost.output_usd == pytest.approx(0.0225)
    assert cost.reasoning_usd == pytest.approx(0.015)
    assert cost.total_usd == pytest.approx(0.04125)


@pytest.mark.parametrize(
    ("effort", "budget", "max_tokens"),
    [
        (generation_pb2.REASONING_EFFORT_MINIMAL, 1024, 16_384),
        (generation_pb2.REASONING_EFFORT_MEDIUM, 10_240, 16_384),
    ],
)
async def test_effort_becomes_a_thinking_budget_below_max_tokens(
    claude: Stub, fake: FakeAnthropic, effort: int, budget: int, max_tokens: int
) -> None:
    reasoning = generation_pb2.ReasoningConfig(effort=effort)  # type: ignore[arg-type]
    await claude.Chat(
        chat_pb2.ChatRequest(model="claude-thinker", messages=[user("hi")], reasoning=reasoning)
    )
    body = _sent(fake)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": budget}
    assert body["max_tokens"] == max_tokens


async def test_an_effort_the_model_has_no_room_for_is_refused(claude: Stub) -> None:
    reasoning = generation_pb2.ReasoningConfig(effort=generation_pb2.REASONING_EFFORT_HIGH)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(
            chat_pb2.ChatRequest(model="claude-thinker", messages=[user("hi")], reasoning=reasoning)
        )
    assert [f for f, _ in decode(caught.value).violations] == ["reasoning.effort"]


@pytest.mark.parametrize(
    ("generation", "budget", "fields"),
    [
        (generation_pb2.GenerationConfig(), 500, ["reasoning.budget_tokens"]),
        (
            generation_pb2.GenerationConfig(max_output_tokens=2048),
            2048,
            ["generation.max_output_tokens"],
        ),
        (generation_pb2.GenerationConfig(temperature=0.5), 2048, ["generation.temperature"]),
    ],
)
async def test_thinking_settings_anthropic_would_reject_are_refused_up_front(
    claude: Stub,
    fake: FakeAnthropic,
    generation: generation_pb2.GenerationConfig,
    budget: int,
    fields: list[str],
) -> None:
    reasoning = generation_pb2.ReasoningConfig(budget_tokens=budget)
    request = chat_pb2.ChatRequest(
        model="claude-thinker", messages=[user("hi")], reasoning=reasoning, generation=generation
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(request)
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [f for f, _ in status.violations] == fields
    assert fake.requests == []


async def test_reasoning_of_another_format_is_left_out_and_named(
    claude: Stub, fake: FakeAnthropic
) -> None:
    foreign = content_pb2.Reasoning(text="plain thoughts from DeepSeek")
    earlier = content_pb2.Message(
        role=content_pb2.ROLE_ASSISTANT,
        parts=[content_pb2.ContentPart(reasoning=foreign), content_pb2.ContentPart(text="4")],
    )
    answer = await claude.Chat(
        chat_pb2.ChatRequest(
            model="claude-thinker", messages=[user("2+2?"), earlier, user("and 3+3?")]
        )
    )
    assert answer.metadata["dropped_reasoning"] == "messages[1].parts[0]"
    assert _sent(fake)["messages"][1] == {
        "role": "assistant",
        "content": [{"type": "text", "text": "4"}],
    }


async def test_a_model_without_reasoning_in_its_entry_refuses_it(claude: Stub) -> None:
    reasoning = generation_pb2.ReasoningConfig(budget_tokens=2048)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(
            chat_pb2.ChatRequest(model="claude-plain", messages=[user("hi")], reasoning=reasoning)
        )
    [(field, why)] = decode(caught.value).violations
    assert field == "reasoning.budget_tokens" and "capability `reasoning`" in why


async def test_prompt_cache_options_anthropic_has_no_place_for_are_refused(claude: Stub) -> None:
    cache = generation_pb2.PromptCacheConfig(key="tenant-7")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(
            chat_pb2.ChatRequest(model="claude-thinker", messages=[user("hi")], prompt_cache=cache)
        )
    [(field, why)] = decode(caught.value).violations
    assert field == "prompt_cache.key" and "Anthropic Messages has no such parameter" in why
