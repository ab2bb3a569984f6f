"""OpenAI backend through the real gateway against the wire-faithful fake OpenAI: chat, streams,
tools, images and structured output.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from google.protobuf import struct_pb2

from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeOpenAI, Reply, ToolCall
from tests.gateways import Served
from tests.integration.openai_backend.support import API_KEY
from tests.rpc_helpers import chat_request, system, text_of, user

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


async def test_chat_maps_messages_and_parameters_both_ways(
    served: Served, fake: FakeOpenAI
) -> None:
    request = chat_pb2.ChatRequest(
        model="gpt-4o",
        messages=[system("be brief"), user("hello there")],
        generation=generation_pb2.GenerationConfig(
            temperature=0.7,
            top_p=0.9,
            max_output_tokens=50,
            stop_sequences=["END"],
            presence_penalty=0.5,
            frequency_penalty=-0.5,
            seed=42,
        ),
        user="end-user-1",
    )
    response = await served.stub.Chat(request)
    assert text_of(response) == "hello there"
    assert response.provider == "openai" and response.runtime == "openai"
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert response.raw_finish_reason == "stop"
    assert response.provider_response_id.startswith("chatcmpl-")
    assert response.usage.output_tokens == 2 and response.usage.input_tokens > 0
    assert response.cost.total_usd > 0
    sent = fake.last_request.json
    assert sent["model"] == "gpt-4o"
    assert sent["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello there"},
    ]
    assert sent["temperature"] == 0.7 and sent["top_p"] == 0.9 and sent["max_tokens"] == 50
    assert sent["stop"] == ["END"] and sent["seed"] == 42 and sent["user"] == "end-user-1"
    assert sent["presence_penalty"] == 0.5 and sent["frequency_penalty"] == -0.5
    assert fake.last_request.headers["authorization"] == f"Bearer {API_KEY}"


async def test_stream_chat_passes_deltas_and_exact_final_usage(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(
            text="one two three",
            input_tokens=11,
            output_tokens=3,
            cached_tokens=4,
            reasoning_tokens=1,
        )
    )
    request = chat_pb2.StreamChatRequest(model="gpt-4o", messages=[user("count")])
    events = [e async for e in served.stub.StreamChat(request)]
    assert events[0].WhichOneof("event") == "attempt"
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "one two three"
    end = events[-1].end
    assert (end.usage.input_tokens, end.usage.output_tokens) == (11, 3)
    assert end.usage.cached_input_tokens == 4 and end.usage.reasoning_tokens == 1
    assert end.finish_reason == generation_pb2.FINISH_REASON_STOP
    sent = fake.last_request.json
    assert sent["stream"] is True and sent["stream_options"] == {"include_usage": True}


async def test_tools_request_and_tool_call_response(served: Served, fake: FakeOpenAI) -> None:
    fake.script(Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="call_1")]))
    tool = content_pb2.Tool(
        name="get_weather",
        description="Weather by city",
        parameters=_struct({"type": "object", "properties": {"city": {"type": "string"}}}),
    )
    request = chat_request(
        "gpt-4o",
        "weather in Paris?",
        tools=[tool],
        tool_choice=content_pb2.ToolChoice(tool_name="get_weather"),
    )
    response = await served.stub.Chat(request)
    assert response.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS
    call = response.content[-1].tool_call
    assert (call.id, call.name) == ("call_1", "get_weather")
    assert dict(call.arguments) == {"city": "Paris"}
    sent = fake.last_request.json
    assert sent["tools"][0]["function"]["name"] == "get_weather"
    assert sent["tools"][0]["function"]["parameters"]["properties"]["city"] == {"type": "string"}
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}


async def test_streamed_tool_call_deltas_keep_index_and_id(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.script(
        Reply(
            tool_calls=[
                ToolCall("a", {"x": 1, "y": "long value"}, id="call_a"),
                ToolCall("b", {"z": [1, 2]}, id="call_b"),
            ]
        )
    )
    request = chat_pb2.StreamChatRequest(
        model="gpt-4o",
        messages=[user("go")],
        tools=[content_pb2.Tool(name="a"), content_pb2.Tool(name="b")],
    )
    deltas = [
        e.tool_call_delta
        async for e in served.stub.StreamChat(request)
        if e.HasField("tool_call_delta")
    ]
    by_index: dict[int, list[Any]] = {}
    for delta in deltas:
        by_index.setdefault(delta.index, []).append(delta)
    assert sorted(by_index) == [0, 1]
    assert {d.id for d in by_index[0]} == {"call_a"} and {d.id for d in by_index[1]} == {"call_b"}
    assert json.loads("".join(d.arguments_json for d in by_index[0])) == {"x": 1, "y": "long value"}
    assert json.loads("".join(d.arguments_json for d in by_index[1])) == {"z": [1, 2]}
    assert by_index[0][0].name == "a"


async def test_image_parts_become_data_urls_and_results_tool_messages(
    served: Served, fake: FakeOpenAI
) -> None:
    image = content_pb2.ContentPart(
        image=content_pb2.Image(
            data=PNG, mime_type="image/png", detail=content_pb2.IMAGE_DETAIL_LOW
        )
    )
    call = content_pb2.ContentPart(
        tool_call=content_pb2.ToolCall(id="c1", name="f", arguments=_struct({"q": 1}))
    )
    result = content_pb2.ContentPart(
        tool_result=content_pb2.ToolResult(tool_call_id="c1", text="42")
    )
    request = chat_pb2.ChatRequest(
        model="gpt-4o",
        messages=[
            content_pb2.Message(
                role=content_pb2.ROLE_USER,
                parts=[content_pb2.ContentPart(text="what is this"), image],
            ),
            content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=[call]),
            content_pb2.Message(role=content_pb2.ROLE_TOOL, parts=[result]),
        ],
    )
    await served.stub.Chat(request)
    messages = fake.last_request.json["messages"]
    assert messages[0]["content"][1] == {
        "type": "image_url",
        "image_url": {
            "url": "data:image/png;base64," + base64.b64encode(PNG).decode(),
            "detail": "low",
        },
    }
    assert messages[1]["tool_calls"][0]["function"] == {"name": "f", "arguments": '{"q":1}'}
    assert messages[2] == {"role": "tool", "tool_call_id": "c1", "content": "42"}


async def test_json_schema_response_format_is_sent_natively(
    served: Served, fake: FakeOpenAI
) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    fake.script(Reply(text='{"n": 3}'))
    fmt = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schema_name="count",
        schema=_struct(schema),
        strict=True,
    )
    response = await served.stub.Chat(chat_request("gpt-4o", "three", response_format=fmt))
    assert json.loads(text_of(response)) == {"n": 3}
    sent = fake.last_request.json["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["name"] == "count" and sent["json_schema"]["strict"] is True
    assert sent["json_schema"]["schema"]["required"] == ["n"]
