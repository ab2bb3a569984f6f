"""The Anthropic backend end to end: structured output as a forced tool, or as text."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import chat_pb2, generation_pb2
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.scenario import Reply, ToolCall
from tests.integration.anthropic_backend.support import _only_request, _struct
from tests.rpc_helpers import chat_request, collect, decode, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


# ------------------------------------------------------------ structured output

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"temp": {"type": "number"}, "sky": {"type": "string"}},
    "required": ["temp"],
}


def _schema_format() -> generation_pb2.ResponseFormat:
    return generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schema_name="weather_report",
        schema=_struct(WEATHER_SCHEMA),
    )


async def test_json_schema_is_a_forced_tool_whose_input_is_the_answer_text(
    claude: Stub, fake: FakeAnthropic
) -> None:
    answer = {"temp": 18.5, "sky": "clear"}
    fake.script(Reply(tool_calls=[ToolCall("weather_report", answer)]))
    response = await claude.Chat(
        chat_request("claude-test", "Weather in Paris?", response_format=_schema_format())
    )
    sent = _only_request(fake)
    assert sent["tools"] == [
        {
            "name": "weather_report",
            "description": "Give the answer as this tool's input.",
            "input_schema": WEATHER_SCHEMA,
        }
    ]
    assert sent["tool_choice"] == {"type": "tool", "name": "weather_report"}
    assert [part.WhichOneof("data") for part in response.content] == ["text"]
    assert json.loads(text_of(response)) == answer
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert response.raw_finish_reason == "tool_use"


async def test_streamed_json_schema_arrives_as_text_deltas(
    claude: Stub, fake: FakeAnthropic
) -> None:
    answer = {"temp": 18.5, "sky": "partly cloudy with a chance of rain"}
    fake.script(Reply(tool_calls=[ToolCall("weather_report", answer)]))
    request = chat_pb2.StreamChatRequest(
        model="claude-test", messages=[user("Weather?")], response_format=_schema_format()
    )
    events, error = await collect(claude.StreamChat(request))
    assert error is None
    kinds = {event.WhichOneof("event") for event in events}
    assert kinds == {"attempt", "text_delta", "end"}
    deltas = [event.text_delta.text for event in events if event.HasField("text_delta")]
    assert len(deltas) > 1
    assert json.loads("".join(deltas)) == answer
    assert events[-1].end.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert _only_request(fake)["tool_choice"] == {"type": "tool", "name": "weather_report"}


async def test_json_answered_in_text_instead_of_the_forced_tool_is_validated_as_text(
    claude: Stub, fake: FakeAnthropic
) -> None:
    """Compatible servers (llama.cpp's /v1/messages) may ignore tool_choice and answer in
    text: that text is the answer to validate, not an empty document."""
    answer = {"temp": 18.5, "sky": "clear"}
    fake.script(Reply(text=json.dumps(answer)))
    response = await claude.Chat(
        chat_request("claude-test", "Weather in Paris?", response_format=_schema_format())
    )
    assert json.loads(text_of(response)) == answer
    assert json.loads(response.structured_output_json) == answer


async def test_streamed_json_answered_in_text_arrives_as_text_deltas(
    claude: Stub, fake: FakeAnthropic
) -> None:
    answer = {"temp": 18.5, "sky": "clear"}
    fake.script(Reply(text=json.dumps(answer)))
    request = chat_pb2.StreamChatRequest(
        model="claude-test", messages=[user("Weather?")], response_format=_schema_format()
    )
    events, error = await collect(claude.StreamChat(request))
    assert error is None
    deltas = [event.text_delta.text for event in events if event.HasField("text_delta")]
    assert json.loads("".join(deltas)) == answer


async def test_json_object_format_forces_an_object_tool(claude: Stub, fake: FakeAnthropic) -> None:
    fake.script(Reply(tool_calls=[ToolCall("json_object", {"ok": True})]))
    fmt = generation_pb2.ResponseFormat(type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT)
    response = await claude.Chat(chat_request("claude-test", "json please", response_format=fmt))
    sent = _only_request(fake)
    assert sent["tools"][0]["name"] == "json_object"
    assert sent["tools"][0]["input_schema"] == {"type": "object"}
    assert sent["tool_choice"] == {"type": "tool", "name": "json_object"}
    assert json.loads(text_of(response)) == {"ok": True}


async def test_json_schema_without_an_object_top_level_is_rejected(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fmt = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schema_name="numbers",
        schema=_struct({"type": "array", "items": {"type": "number"}}),
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "list", response_format=fmt))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == ["response_format.schema"]
    assert fake.requests == []
