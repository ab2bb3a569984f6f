"""JSON text fields that are not JSON, not the right kind, or set beside their deprecated
Struct twin: INVALID_ARGUMENT naming the field, before any upstream call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
import pytest
from google.protobuf import struct_pb2

from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, generation_pb2, tokens_pb2
from tests.rpc_helpers import decode, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

SCHEMA = generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA
OBJECT = '{"type": "object"}'


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _tool(**fields: Any) -> chat_pb2.ChatRequest:
    return chat_pb2.ChatRequest(
        model="echo", messages=[user("hi")], tools=[content_pb2.Tool(name="f", **fields)]
    )


def _format(**fields: Any) -> chat_pb2.ChatRequest:
    fmt = generation_pb2.ResponseFormat(type=SCHEMA, schema_name="s", **fields)
    return chat_pb2.ChatRequest(model="echo", messages=[user("{}")], response_format=fmt)


def _extra(**fields: Any) -> chat_pb2.ChatRequest:
    generation = generation_pb2.GenerationConfig(**fields)
    return chat_pb2.ChatRequest(model="echo", messages=[user("hi")], generation=generation)


def _call(**fields: Any) -> chat_pb2.ChatRequest:
    call = content_pb2.ToolCall(id="c1", name="f", **fields)
    assistant = content_pb2.Message(
        role=content_pb2.ROLE_ASSISTANT, parts=[content_pb2.ContentPart(tool_call=call)]
    )
    return chat_pb2.ChatRequest(model="echo", messages=[user("hi"), assistant, user("and?")])


def _result(json_text: str) -> chat_pb2.ChatRequest:
    request = _call(arguments_json="{}")
    result = content_pb2.ToolResult(tool_call_id="c1", json_text=json_text)
    request.messages.insert(
        2,
        content_pb2.Message(
            role=content_pb2.ROLE_TOOL, parts=[content_pb2.ContentPart(tool_result=result)]
        ),
    )
    return request


CASES: list[tuple[str, str, Any, str, str]] = [
    # (name, rpc, request, field path, words of the description)
    ("parameters not JSON", "Chat", _tool(parameters_json="{type"), "tools[0].parameters_json",
     "is not valid JSON"),
    ("parameters an array", "Chat", _tool(parameters_json="[1]"), "tools[0].parameters_json",
     "must be a JSON object, got an array"),
    ("parameters not a schema", "Chat", _tool(parameters_json='{"type": 12}'),
     "tools[0].parameters_json", "is not a valid JSON Schema"),
    ("parameters twice", "Chat", _tool(parameters_json=OBJECT, parameters=_struct({})),
     "tools[0].parameters_json", "not both"),
    ("schema not JSON", "Chat", _format(schema_json='{"type": "object"'),
     "response_format.schema_json", "is not valid JSON"),
    ("schema a string", "Chat", _format(schema_json='"object"'), "response_format.schema_json",
     "must be a JSON object, got a string"),
    ("schema twice", "Chat", _format(schema_json=OBJECT, schema=_struct({"type": "object"})),
     "response_format.schema_json", "not both"),
    ("extra not JSON", "Chat", _extra(extra_json="{'a': 1}"), "generation.extra_json",
     "is not valid JSON"),
    ("extra a number", "Chat", _extra(extra_json="36"), "generation.extra_json",
     "must be a JSON object, got a number"),
    ("extra twice", "Chat", _extra(extra_json="{}", extra=_struct({"a": 1})),
     "generation.extra_json", "not both"),
    ("completion extra an array", "Complete",
     completion_pb2.CompleteRequest(model="echo", prompt="x",
                                    generation=generation_pb2.GenerationConfig(extra_json="[]")),
     "generation.extra_json", "must be a JSON object"),
    ("arguments not JSON", "Chat", _call(arguments_json="{"),
     "messages[1].parts[0].tool_call.arguments_json", "is not valid JSON"),
    ("arguments null", "Chat", _call(arguments_json="null"),
     "messages[1].parts[0].tool_call.arguments_json", "must be a JSON object, got null"),
    ("arguments differ from the deprecated copy", "Chat",
     _call(arguments_json='{"a": 1}', arguments=_struct({"a": 2})),
     "messages[1].parts[0].tool_call.arguments_json", "differs from the deprecated `arguments`"),
    ("tool result not JSON", "Chat", _result("{nope}"),
     "messages[2].parts[0].tool_result.json_text", "is not valid JSON"),
    ("count tokens: parameters not JSON", "CountTokens",
     tokens_pb2.CountTokensRequest(model="echo", text="x",
                                   tools=[content_pb2.Tool(name="f", parameters_json="{")]),
     "tools[0].parameters_json", "is not valid JSON"),
]  # fmt: skip


@pytest.mark.parametrize(("rpc", "request_", "field", "words"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])  # fmt: skip
async def test_bad_json_is_invalid_argument_naming_the_field(
    stub: Stub, rpc: str, request_: Any, field: str, words: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await getattr(stub, rpc)(request_, timeout=10)
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_REQUEST")
    assert [(f, d) for f, d in status.violations if f == field and words in d], status.violations


async def test_a_stream_refuses_bad_json_before_any_event(stub: Stub) -> None:
    request = chat_pb2.StreamChatRequest.FromString(_format(schema_json="[]").SerializeToString())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stub.StreamChat(request, timeout=10):
            pytest.fail("no event may precede the refusal")
    assert decode(caught.value).violations == [
        ("response_format.schema_json", "must be a JSON object, got an array")
    ]


async def test_valid_json_text_in_every_field_is_accepted(stub: Stub) -> None:
    request = _result('[36, 1152921504606846976, {"b": null, "a": true}]')
    request.tools.add(name="f", parameters_json='{"type":"object","properties":{}}')
    request.generation.extra_json = '{"unused_by_echo": 1}'
    request.messages[1].parts[0].tool_call.arguments_json = '{"id": 1152921504606846976}'
    response = await stub.Chat(request, timeout=10)
    assert response.content[0].text == "and?"
