"""The Ollama backend end to end: chat and stream mapping, tools, images, formats."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from google.protobuf import json_format, struct_pb2

from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes.base import ndjson
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import Fault, Reply, ToolCall
from tests.fakes.text import count_words
from tests.integration.ollama_backend.support import CHAT, LLAMA, only_body
from tests.rpc_helpers import system, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00fake-png-pixels"


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """A Struct holding `value`."""
    result = struct_pb2.Struct()
    result.update(value)
    return result


# -- chat --------------------------------------------------------------------------------------


async def test_chat_maps_generation_to_options_and_keeps_the_system_message_first(
    stub: Stub, fake: FakeOllama
) -> None:
    generation = generation_pb2.GenerationConfig(
        temperature=0.7,
        top_p=0.9,
        top_k=40,
        max_output_tokens=64,
        stop_sequences=["END"],
        presence_penalty=0.5,
        frequency_penalty=0.25,
        seed=7,
        extra=struct({"options": {"num_ctx": 4096}, "think": False}),
    )
    request = chat_pb2.ChatRequest(
        model=LLAMA,
        messages=[system("be brief"), user("hello ollama world")],
        generation=generation,
    )
    response = await stub.Chat(request)

    assert only_body(fake, CHAT) == {
        "model": "llama3.2:latest",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": "hello ollama world"},
        ],
        "stream": False,
        "options": {
            "temperature": 0.7,
            "top_p": 0.9,
            "top_k": 40,
            "num_predict": 64,
            "stop": ["END"],
            "presence_penalty": 0.5,
            "frequency_penalty": 0.25,
            "seed": 7,
            "num_ctx": 4096,
        },
        "think": False,
    }
    assert text_of(response) == "hello ollama world"
    assert response.provider == "llama"
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert response.raw_finish_reason == "stop"
    # the fake counts words of every message as prompt_eval_count
    assert response.usage.input_tokens == count_words("be brief", "hello ollama world")
    assert response.usage.output_tokens == 3
    assert response.usage.total_tokens == response.usage.input_tokens + 3


async def test_chat_cut_by_num_predict_finishes_with_length(stub: Stub, fake: FakeOllama) -> None:
    generation = generation_pb2.GenerationConfig(max_output_tokens=2)
    response = await stub.Chat(
        chat_pb2.ChatRequest(
            model=LLAMA, messages=[user("one two three four")], generation=generation
        )
    )
    assert only_body(fake, CHAT)["options"] == {"num_predict": 2}
    assert text_of(response) == "one two"
    assert response.finish_reason == generation_pb2.FINISH_REASON_LENGTH
    assert response.raw_finish_reason == "length"


async def test_stream_chat_takes_exact_usage_from_the_final_line(
    stub: Stub, fake: FakeOllama
) -> None:
    fake.script(Reply(text="alpha beta gamma", input_tokens=41, output_tokens=7), path=CHAT)
    request = chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("go")])
    events = [e async for e in stub.StreamChat(request)]
    kinds = [e.WhichOneof("event") for e in events]
    assert kinds == ["attempt", "text_delta", "text_delta", "text_delta", "end"]
    assert "".join(e.text_delta.text for e in events[1:-1]) == "alpha beta gamma"
    end = events[-1].end
    assert (end.usage.input_tokens, end.usage.output_tokens, end.usage.total_tokens) == (41, 7, 48)
    assert end.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert end.model == LLAMA and end.runtime == "ollama"
    assert only_body(fake, CHAT)["stream"] is True


WEATHER_TOOL = content_pb2.Tool(
    name="get_weather",
    description="Current weather in a city",
    parameters=struct({"type": "object", "properties": {"city": {"type": "string"}}}),
)
TWO_CALLS = [
    ToolCall("get_weather", {"city": "Paris"}, id="call_paris01"),
    ToolCall("get_weather", {"city": "Oslo", "days": 3}, id="call_oslo002"),
]


async def test_chat_tool_calls_become_parts_and_tools_are_sent_as_functions(
    stub: Stub, fake: FakeOllama
) -> None:
    fake.script(Reply(tool_calls=TWO_CALLS), path=CHAT)
    response = await stub.Chat(
        chat_pb2.ChatRequest(model=LLAMA, messages=[user("weather?")], tools=[WEATHER_TOOL])
    )
    assert only_body(fake, CHAT)["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Current weather in a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
            },
        }
    ]
    calls = [p.tool_call for p in response.content if p.WhichOneof("data") == "tool_call"]
    assert [(c.id, c.name) for c in calls] == [
        ("call_paris01", "get_weather"),
        ("call_oslo002", "get_weather"),
    ]
    assert json_format.MessageToDict(calls[1].arguments) == {"city": "Oslo", "days": 3}
    # Ollama says done_reason "stop" after tool calls; the calls decide
    assert response.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS
    assert response.raw_finish_reason == "stop"


async def test_stream_chat_sends_each_whole_tool_call_as_one_delta_with_stable_index(
    stub: Stub, fake: FakeOllama
) -> None:
    fake.script(Reply(tool_calls=TWO_CALLS), path=CHAT)
    request = chat_pb2.StreamChatRequest(
        model=LLAMA, messages=[user("weather?")], tools=[WEATHER_TOOL]
    )
    events = [e async for e in stub.StreamChat(request)]
    deltas = [e.tool_call_delta for e in events if e.HasField("tool_call_delta")]
    assert [(d.index, d.id, d.name) for d in deltas] == [
        (0, "call_paris01", "get_weather"),
        (1, "call_oslo002", "get_weather"),
    ]
    assert [json.loads(d.arguments_json) for d in deltas] == [
        {"city": "Paris"},
        {"city": "Oslo", "days": 3},
    ]
    assert events[-1].end.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS


async def test_tool_calls_without_upstream_ids_get_positional_ids(
    stub: Stub, fake: FakeOllama
) -> None:
    """Ollama before 0.12 sent tool calls without ids; we synthesize `call_<index>`."""
    call = {"function": {"name": "get_weather", "arguments": {"city": "Rome"}}}
    unary = {
        "model": "llama3.2:latest",
        "message": {"role": "assistant", "content": "", "tool_calls": [call, call]},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 5,
        "eval_count": 9,
    }
    lines = ndjson({"message": {"content": "", "tool_calls": [call]}, "done": False})
    lines += ndjson({"message": {"content": "", "tool_calls": [call]}, "done": False})
    lines += ndjson({"message": {"content": ""}, "done": True, "done_reason": "stop"})
    # verbatim bodies play an older daemon's exact answers
    older_stream = Fault.raw(lines, content_type="application/x-ndjson")
    fake.script(Fault.http(200, body=unary), older_stream, path=CHAT)

    response = await stub.Chat(chat_pb2.ChatRequest(model=LLAMA, messages=[user("x")]))
    assert [p.tool_call.id for p in response.content] == ["call_0", "call_1"]
    assert response.usage.output_tokens == 9

    request = chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("x")])
    deltas = [
        e.tool_call_delta async for e in stub.StreamChat(request) if e.HasField("tool_call_delta")
    ]
    assert [(d.index, d.id) for d in deltas] == [(0, "call_0"), (1, "call_1")]


async def test_tool_history_is_sent_as_tool_calls_and_named_tool_messages(
    stub: Stub, fake: FakeOllama
) -> None:
    assistant = content_pb2.Message(
        role=content_pb2.ROLE_ASSISTANT,
        parts=[
            content_pb2.ContentPart(
                tool_call=content_pb2.ToolCall(
                    id="call_1", name="get_weather", arguments=struct({"city": "Paris"})
                )
            )
        ],
    )
    result = content_pb2.Message(
        role=content_pb2.ROLE_TOOL,
        parts=[
            content_pb2.ContentPart(
                tool_result=content_pb2.ToolResult(tool_call_id="call_1", text="sunny, 21C")
            )
        ],
    )
    await stub.Chat(
        chat_pb2.ChatRequest(
            model=LLAMA, messages=[user("weather?"), assistant, result], tools=[WEATHER_TOOL]
        )
    )
    assert only_body(fake, CHAT)["messages"] == [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        {"role": "tool", "content": "sunny, 21C", "tool_name": "get_weather"},
    ]


async def test_image_bytes_are_sent_base64_in_images(stub: Stub, fake: FakeOllama) -> None:
    message = content_pb2.Message(
        role=content_pb2.ROLE_USER,
        parts=[
            content_pb2.ContentPart(text="what is this?"),
            content_pb2.ContentPart(image=content_pb2.Image(data=PNG, mime_type="image/png")),
        ],
    )
    await stub.Chat(chat_pb2.ChatRequest(model="llava:7b@ollama", messages=[message]))
    assert only_body(fake, CHAT)["messages"] == [
        {"role": "user", "content": "what is this?", "images": [base64.b64encode(PNG).decode()]}
    ]


async def test_json_schema_and_json_object_set_format(stub: Stub, fake: FakeOllama) -> None:
    schema = {
        "type": "object",
        "properties": {"age": {"type": "integer", "minimum": 0}},
        "required": ["age"],
    }
    schema_format = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schema_name="person",
        schema=struct(schema),
    )
    object_format = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT
    )
    for fmt in (schema_format, object_format):
        await stub.Chat(
            chat_pb2.ChatRequest(model=LLAMA, messages=[user('{"age": 3}')], response_format=fmt)
        )
    assert [r.json["format"] for r in fake.requests_to(CHAT)] == [schema, "json"]
