"""The Anthropic backend end to end: images and tools, both directions."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import pytest
from google.protobuf import json_format

from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.scenario import Reply, ToolCall
from tests.integration.anthropic_backend.support import (
    WEATHER_PARAMS,
    _message,
    _only_request,
    _struct,
    _text,
    _weather_tools,
)
from tests.rpc_helpers import chat_request, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


PNG = b"\x89PNG\r\n\x1a\n" + b"not-really-an-image"


# ----------------------------------------------------------- multimodal, tools


async def test_image_parts_become_base64_and_url_sources(claude: Stub, fake: FakeAnthropic) -> None:
    message = _message(
        content_pb2.ROLE_USER,
        _text("What is in these?"),
        content_pb2.ContentPart(image=content_pb2.Image(data=PNG, mime_type="image/png")),
        content_pb2.ContentPart(image=content_pb2.Image(url="https://example.com/cat.jpg")),
    )
    await claude.Chat(chat_pb2.ChatRequest(model="claude-test", messages=[message]))
    blocks = _only_request(fake)["messages"][0]["content"]
    assert blocks[1] == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(PNG).decode(),
        },
    }
    assert blocks[2] == {
        "type": "image",
        "source": {"type": "url", "url": "https://example.com/cat.jpg"},
    }


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (content_pb2.ToolChoice(mode=content_pb2.TOOL_CHOICE_MODE_AUTO), {"type": "auto"}),
        (content_pb2.ToolChoice(mode=content_pb2.TOOL_CHOICE_MODE_REQUIRED), {"type": "any"}),
        (content_pb2.ToolChoice(mode=content_pb2.TOOL_CHOICE_MODE_NONE), {"type": "none"}),
        (
            content_pb2.ToolChoice(tool_name="get_weather"),
            {"type": "tool", "name": "get_weather"},
        ),
    ],
)
async def test_tools_and_tool_choice_are_sent_in_anthropic_shape(
    claude: Stub, fake: FakeAnthropic, choice: content_pb2.ToolChoice, expected: dict[str, Any]
) -> None:
    await claude.Chat(
        chat_request("claude-test", "weather?", tools=_weather_tools(), tool_choice=choice)
    )
    sent = _only_request(fake)
    assert sent["tools"] == [
        {"name": "get_weather", "description": "Weather by city", "input_schema": WEATHER_PARAMS},
        {"name": "get_time", "input_schema": {"type": "object"}},
    ]
    assert sent["tool_choice"] == expected


async def test_chat_returns_text_and_tool_call_parts_in_order(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.script(
        Reply(text="Let me check.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})])
    )
    response = await claude.Chat(chat_request("claude-test", "weather?", tools=_weather_tools()))
    kinds = [part.WhichOneof("data") for part in response.content]
    assert kinds == ["text", "tool_call"]
    assert response.content[0].text == "Let me check."
    call = response.content[1].tool_call
    assert call.id.startswith("toolu_01")
    assert call.name == "get_weather"
    assert json_format.MessageToDict(call.arguments) == {"city": "Paris"}
    assert response.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS
    assert response.raw_finish_reason == "tool_use"


async def test_tool_results_become_a_user_turn_with_results_first(
    claude: Stub, fake: FakeAnthropic
) -> None:
    calls = _message(
        content_pb2.ROLE_ASSISTANT,
        _text("Checking both."),
        content_pb2.ContentPart(
            tool_call=content_pb2.ToolCall(
                id="toolu_a", name="get_weather", arguments=_struct({"city": "Paris", "days": 3})
            )
        ),
        content_pb2.ContentPart(tool_call=content_pb2.ToolCall(id="toolu_b", name="get_time")),
    )
    first = _message(
        content_pb2.ROLE_TOOL,
        content_pb2.ContentPart(
            tool_result=content_pb2.ToolResult(tool_call_id="toolu_a", text="18C, sunny")
        ),
    )
    # A user message may carry text before a result; Anthropic wants results first.
    second = _message(
        content_pb2.ROLE_USER,
        _text("Thanks! And the clock:"),
        content_pb2.ContentPart(
            tool_result=content_pb2.ToolResult(
                tool_call_id="toolu_b", json=_struct({"error": "timeout"}), is_error=True
            )
        ),
    )
    request = chat_pb2.ChatRequest(
        model="claude-test",
        messages=[user("Weather and time?"), calls, first, second],
        tools=_weather_tools(),
    )
    await claude.Chat(request)
    messages = _only_request(fake)["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user"]
    assert messages[1]["content"] == [
        {"type": "text", "text": "Checking both."},
        {
            "type": "tool_use",
            "id": "toolu_a",
            "name": "get_weather",
            "input": {"city": "Paris", "days": 3},
        },
        {"type": "tool_use", "id": "toolu_b", "name": "get_time", "input": {}},
    ]
    assert messages[2]["content"] == [
        {"type": "tool_result", "tool_use_id": "toolu_a", "content": "18C, sunny"},
        {
            "type": "tool_result",
            "tool_use_id": "toolu_b",
            "content": '{"error":"timeout"}',
            "is_error": True,
        },
        {"type": "text", "text": "Thanks! And the clock:"},
    ]
