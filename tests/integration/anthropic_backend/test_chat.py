"""The Anthropic backend end to end, chat mapping: system hoisting, turns, usage, generation fields.

Each test asserts both sides: what the caller got over gRPC and what the fake
Anthropic API received (body and headers), so a mapping bug shows up on
whichever side it lives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.scenario import Reply
from tests.integration.anthropic_backend.support import (
    KEY,
    UPSTREAM,
    _message,
    _only_request,
    _struct,
    _text,
)
from tests.rpc_helpers import chat_request, decode, system, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


# ---------------------------------------------------------------- chat mapping


async def test_chat_hoists_system_merges_same_role_turns_and_reports_usage(
    claude: Stub, fake: FakeAnthropic
) -> None:
    request = chat_pb2.ChatRequest(
        model="claude-test",
        messages=[
            system("Be brief."),
            user("Hi there"),
            user("Are you there?"),
            _message(content_pb2.ROLE_ASSISTANT, _text("Yes.")),
            system("Be polite."),
            user("Say hello"),
        ],
    )
    response = await claude.Chat(request)

    sent = _only_request(fake)
    headers = fake.requests[0].headers
    assert headers["x-api-key"] == KEY
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["content-type"].startswith("application/json")
    assert sent["model"] == UPSTREAM
    assert sent["system"] == "Be brief.\n\nBe polite."
    assert [m["role"] for m in sent["messages"]] == ["user", "assistant", "user"]
    assert sent["messages"][0]["content"] == [
        {"type": "text", "text": "Hi there"},
        {"type": "text", "text": "Are you there?"},
    ]
    assert sent["max_tokens"] == 8192  # the model record's limit
    assert "stream" not in sent

    assert text_of(response) == "Say hello"
    assert (response.model, response.provider, response.runtime) == (
        "claude-test",
        "anthropic",
        "anthropic",
    )
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert response.raw_finish_reason == "end_turn"
    assert response.provider_response_id.startswith("msg_01")
    # The fake counts words: 12 in system + messages, 2 in the answer.
    assert (response.usage.input_tokens, response.usage.output_tokens) == (12, 2)
    assert response.usage.total_tokens == 14
    assert response.cost.input_usd == pytest.approx(12 * 3.0 / 1e6)


async def test_chat_usage_counts_cache_reads_and_writes_as_input(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.script(
        Reply(
            text="ok", input_tokens=10, output_tokens=3, cached_tokens=50, cache_creation_tokens=7
        )
    )
    response = await claude.Chat(chat_request("claude-test", "hello"))
    usage = response.usage
    assert usage.input_tokens == 10 + 50 + 7
    assert usage.cached_input_tokens == 50
    assert usage.cache_creation_input_tokens == 7
    assert usage.output_tokens == 3
    assert usage.total_tokens == 70


async def test_generation_settings_map_to_messages_fields(
    claude: Stub, fake: FakeAnthropic
) -> None:
    generation = generation_pb2.GenerationConfig(
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        max_output_tokens=2077,  # above the thinking budget, as Anthropic requires
        stop_sequences=["END", "STOP"],
        extra=_struct({"thinking": {"type": "enabled", "budget_tokens": 1024}}),
    )
    await claude.Chat(chat_request("claude-test", "hi", generation=generation, user="u-17"))
    sent = _only_request(fake)
    assert sent["temperature"] == pytest.approx(0.7)
    assert sent["top_p"] == pytest.approx(0.9)
    assert sent["top_k"] == 40
    assert sent["max_tokens"] == 2077
    assert sent["stop_sequences"] == ["END", "STOP"]
    # Struct numbers are doubles; integral ones must reach Anthropic as integers.
    assert sent["thinking"] == {"type": "enabled", "budget_tokens": 1024}
    assert isinstance(sent["thinking"]["budget_tokens"], int)
    assert sent["metadata"] == {"user_id": "u-17"}
    assert "stop" not in sent  # Anthropic's name is stop_sequences


@pytest.mark.parametrize(
    ("model", "max_output_tokens", "expected"),
    [
        ("claude-test", 300, 300),  # the request wins
        ("claude-test", None, 8192),  # then the model record
        ("claude-defaults", None, 1234),  # catalog defaults come before the record
        ("claude-bare", None, 4096),  # and 4096 when nothing says
    ],
)
async def test_max_tokens_is_always_sent(
    claude: Stub, fake: FakeAnthropic, model: str, max_output_tokens: int | None, expected: int
) -> None:
    generation = generation_pb2.GenerationConfig()
    if max_output_tokens is not None:
        generation.max_output_tokens = max_output_tokens
    await claude.Chat(chat_request(model, "hi", generation=generation))
    assert _only_request(fake)["max_tokens"] == expected


async def test_catalog_extra_is_merged_into_the_body(claude: Stub, fake: FakeAnthropic) -> None:
    await claude.Chat(chat_request("claude-defaults", "hi"))
    assert _only_request(fake)["service_tier"] == "standard_only"


async def test_temperature_above_one_is_rejected_before_the_upstream(
    claude: Stub, fake: FakeAnthropic
) -> None:
    generation = generation_pb2.GenerationConfig(temperature=1.5)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi", generation=generation))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == ["generation.temperature"]
    assert fake.requests == []
