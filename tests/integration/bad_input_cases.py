"""The bad-input table: each malformed request with the status and field path it must get."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import struct_pb2

from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    generation_pb2,
    model_pb2,
    tokens_pb2,
)
from tests.rpc_helpers import user

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _chat(**fields: Any) -> chat_pb2.ChatRequest:
    fields.setdefault("model", "echo")
    fields.setdefault("messages", [user("hi")])
    return chat_pb2.ChatRequest(**fields)


def _gen(**fields: Any) -> chat_pb2.ChatRequest:
    return _chat(generation=generation_pb2.GenerationConfig(**fields))


def _message(role: int, *parts: content_pb2.ContentPart) -> content_pb2.Message:
    return content_pb2.Message(role=role, parts=list(parts))  # type: ignore[arg-type]


def _image(**fields: Any) -> chat_pb2.ChatRequest:
    part = content_pb2.ContentPart(image=content_pb2.Image(**fields))
    return _chat(messages=[_message(content_pb2.ROLE_USER, part)])


@dataclass
class Case:
    name: str
    rpc: str
    request: Any
    code: grpc.StatusCode
    field: str | None  # expected BadRequest field path (None: no violation expected)


SCHEMA_FORMAT = generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA
INVALID = grpc.StatusCode.INVALID_ARGUMENT
CASES = [
    Case("empty chat request", "Chat", chat_pb2.ChatRequest(), INVALID, "model"),
    Case("no messages", "Chat", _chat(messages=[]), INVALID, "messages"),
    Case(
        "unspecified role",
        "Chat",
        _chat(messages=[_message(0, content_pb2.ContentPart(text="x"))]),
        INVALID,
        "messages[0].role",
    ),
    Case(
        "unknown role number",
        "Chat",
        _chat(messages=[_message(42, content_pb2.ContentPart(text="x"))]),
        INVALID,
        "messages[0].role",
    ),
    Case(
        "message without parts",
        "Chat",
        _chat(messages=[_message(content_pb2.ROLE_USER)]),
        INVALID,
        "messages[0].parts",
    ),
    Case(
        "empty content part",
        "Chat",
        _chat(messages=[_message(content_pb2.ROLE_USER, content_pb2.ContentPart())]),
        INVALID,
        "messages[0].parts[0]",
    ),
    Case("temperature above 2", "Chat", _gen(temperature=2.5), INVALID, "generation.temperature"),
    Case("negative temperature", "Chat", _gen(temperature=-0.1), INVALID, "generation.temperature"),
    Case(
        "NaN temperature", "Chat", _gen(temperature=float("nan")), INVALID, "generation.temperature"
    ),
    Case("top_p zero", "Chat", _gen(top_p=0.0), INVALID, "generation.top_p"),
    Case("top_k zero", "Chat", _gen(top_k=0), INVALID, "generation.top_k"),
    Case(
        "max_output_tokens zero",
        "Chat",
        _gen(max_output_tokens=0),
        INVALID,
        "generation.max_output_tokens",
    ),
    Case(
        "negative max_output_tokens",
        "Chat",
        _gen(max_output_tokens=-5),
        INVALID,
        "generation.max_output_tokens",
    ),
    Case(
        "huge max_output_tokens",
        "Chat",
        _gen(max_output_tokens=2_000_000_000),
        INVALID,
        "generation.max_output_tokens",
    ),
    Case(
        "presence penalty out of range",
        "Chat",
        _gen(presence_penalty=3.0),
        INVALID,
        "generation.presence_penalty",
    ),
    Case(
        "empty stop sequence",
        "Chat",
        _gen(stop_sequences=["ok", ""]),
        INVALID,
        "generation.stop_sequences[1]",
    ),
    Case(
        "too many stop sequences",
        "Chat",
        _gen(stop_sequences=[str(i) for i in range(17)]),
        INVALID,
        "generation.stop_sequences",
    ),
    Case(
        "image without source",
        "Chat",
        _image(mime_type="image/png"),
        INVALID,
        "messages[0].parts[0].image.source",
    ),
    Case(
        "image bytes with unsupported mime",
        "Chat",
        _image(data=PNG, mime_type="image/tiff"),
        INVALID,
        "messages[0].parts[0].image.mime_type",
    ),
    Case(
        "image bytes not matching mime",
        "Chat",
        _image(data=b"not an image", mime_type="image/png"),
        INVALID,
        "messages[0].parts[0].image.data",
    ),
    Case(
        "image url not http",
        "Chat",
        _image(url="file:///etc/passwd"),
        INVALID,
        "messages[0].parts[0].image.url",
    ),
    Case(
        "tool result without a call",
        "Chat",
        _chat(
            messages=[
                user("q"),
                _message(
                    content_pb2.ROLE_TOOL,
                    content_pb2.ContentPart(
                        tool_result=content_pb2.ToolResult(tool_call_id="nope", text="1")
                    ),
                ),
            ]
        ),
        INVALID,
        "messages[1].parts[0].tool_result.tool_call_id",
    ),
    Case(
        "tool call from a user",
        "Chat",
        _chat(
            messages=[
                _message(
                    content_pb2.ROLE_USER,
                    content_pb2.ContentPart(tool_call=content_pb2.ToolCall(id="c", name="f")),
                )
            ]
        ),
        INVALID,
        "messages[0].parts[0].tool_call",
    ),
    Case(
        "bad tool name",
        "Chat",
        _chat(tools=[content_pb2.Tool(name="has space")]),
        INVALID,
        "tools[0].name",
    ),
    Case(
        "duplicate tool name",
        "Chat",
        _chat(tools=[content_pb2.Tool(name="f"), content_pb2.Tool(name="f")]),
        INVALID,
        "tools[1].name",
    ),
    Case(
        "tool parameters not a JSON schema",
        "Chat",
        _chat(tools=[content_pb2.Tool(name="f", parameters=_struct({"type": 12}))]),
        INVALID,
        "tools[0].parameters",
    ),
    Case(
        "tool_choice names a missing tool",
        "Chat",
        _chat(
            tools=[content_pb2.Tool(name="f")], tool_choice=content_pb2.ToolChoice(tool_name="g")
        ),
        INVALID,
        "tool_choice.tool_name",
    ),
    Case(
        "tool_choice required without tools",
        "Chat",
        _chat(tool_choice=content_pb2.ToolChoice(mode=content_pb2.TOOL_CHOICE_MODE_REQUIRED)),
        INVALID,
        "tool_choice.mode",
    ),
    Case(
        "json schema format without schema",
        "Chat",
        _chat(response_format=generation_pb2.ResponseFormat(type=SCHEMA_FORMAT, schema_name="s")),
        INVALID,
        "response_format.schema_json",
    ),
    Case(
        "invalid json schema",
        "Chat",
        _chat(
            response_format=generation_pb2.ResponseFormat(
                type=SCHEMA_FORMAT, schema_name="s", schema=_struct({"type": "no-such-type"})
            )
        ),
        INVALID,
        "response_format.schema",
    ),
    Case(
        "unknown response format",
        "Chat",
        _chat(response_format=generation_pb2.ResponseFormat(type=99)),  # type: ignore[arg-type]
        INVALID,
        "response_format.type",
    ),
    Case(
        "too many metadata entries",
        "Chat",
        _chat(metadata={str(i): "v" for i in range(17)}),
        INVALID,
        "metadata",
    ),
    Case(
        "unknown cache mode",
        "Chat",
        _chat(cache_control=generation_pb2.CacheControl(mode=7)),  # type: ignore[arg-type]
        INVALID,
        "cache_control.mode",
    ),
    Case("unknown model", "Chat", _chat(model="no-such-model"), grpc.StatusCode.NOT_FOUND, None),
    Case(
        "stream: temperature out of range",
        "StreamChat",
        chat_pb2.StreamChatRequest(
            model="echo",
            messages=[user("x")],
            generation=generation_pb2.GenerationConfig(temperature=9),
        ),
        INVALID,
        "generation.temperature",
    ),
    Case(
        "stream: unknown model",
        "StreamChat",
        chat_pb2.StreamChatRequest(model="nope", messages=[user("x")]),
        grpc.StatusCode.NOT_FOUND,
        None,
    ),
    Case(
        "complete without prompt",
        "Complete",
        completion_pb2.CompleteRequest(model="echo"),
        INVALID,
        "prompt",
    ),
    Case(
        "embed without inputs", "Embed", embedding_pb2.EmbedRequest(model="echo"), INVALID, "inputs"
    ),
    Case(
        "embed with an empty input",
        "Embed",
        embedding_pb2.EmbedRequest(model="echo", inputs=["a", ""]),
        INVALID,
        "inputs[1]",
    ),
    Case(
        "embed with too many inputs",
        "Embed",
        embedding_pb2.EmbedRequest(model="echo", inputs=["a"] * 2049),
        INVALID,
        "inputs",
    ),
    Case(
        "embed with zero dimensions",
        "Embed",
        embedding_pb2.EmbedRequest(model="echo", inputs=["a"], dimensions=0),
        INVALID,
        "dimensions",
    ),
    Case(
        "count tokens with neither text nor messages",
        "CountTokens",
        tokens_pb2.CountTokensRequest(model="echo"),
        INVALID,
        "text",
    ),
    Case(
        "list models page size too large",
        "ListModels",
        model_pb2.ListModelsRequest(page_size=5000),
        INVALID,
        "page_size",
    ),
    Case(
        "list models forged page token",
        "ListModels",
        model_pb2.ListModelsRequest(page_token="%%%not-base64"),
        INVALID,
        "page_token",
    ),
    Case("get model without id", "GetModel", model_pb2.GetModelRequest(), INVALID, "id"),
    Case(
        "chat on an embedding-only model",
        "Chat",
        _chat(model="echo-embed"),
        grpc.StatusCode.UNIMPLEMENTED,
        None,
    ),
    Case(
        "pull without runtime",
        "PullModel",
        model_pb2.PullModelRequest(name="x"),
        INVALID,
        "runtime",
    ),
]
