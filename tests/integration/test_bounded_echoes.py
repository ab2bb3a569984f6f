"""Bounded echoes: an error quotes a caller's value cut short, with its length.

A status travels in trailers, which a default gRPC client caps at 8 KiB; past
that it reports RESOURCE_EXHAUSTED instead of the gateway's answer. So every
caller value an error quotes is cut to a few dozen characters and its length
given, and the whole status stays well inside the limit. The stub here is a
default client on a default channel (conftest).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

import grpc
import pytest
from google.protobuf import struct_pb2
from google.rpc import status_pb2

from modelgate.errors import MAX_ECHO_CHARS, GatewayError, bounded, quoted
from modelgate.v1 import (
    chat_pb2,
    content_pb2,
    embedding_pb2,
    generation_pb2,
    model_pb2,
    tokens_pb2,
)
from modelgate.v1.errors_pb2 import ErrorReason
from tests.rpc_helpers import Decoded, chat_request, decode, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

LONG = "m" * 100_000
WIDE = "漢" * 50_000  # 150 KB of UTF-8; percent-encoded in grpc-message it would triple
STATUS_BUDGET = 6 * 1024
"""What the status may take on the wire: well inside the 8 KiB default client limit."""


def _assert_fits(error: grpc.aio.AioRpcError) -> None:
    details = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin", b"")
    assert isinstance(details, bytes)
    wire = len(quote(error.details() or "", safe=" ")) + len(base64.b64encode(details))
    assert wire < STATUS_BUDGET


async def _status_of(call: Awaitable[object]) -> Decoded:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    _assert_fits(caught.value)
    return decode(caught.value)


def _tool_call_message(call_id: str) -> content_pb2.Message:
    part = content_pb2.ContentPart(
        tool_result=content_pb2.ToolResult(tool_call_id=call_id, text="r")
    )
    return content_pb2.Message(role=content_pb2.ROLE_TOOL, parts=[part])


@dataclass(frozen=True)
class Echo:
    """One RPC whose error quotes a caller's value, and where the status shows it."""

    call: Callable[[ModelGatewayAsyncStub, str], Awaitable[object]]
    code: grpc.StatusCode
    metadata_key: str = ""
    violation_field: str = ""


async def _first(stream: object) -> object:
    return await stream.read()  # type: ignore[attr-defined]


ECHOES = {
    "Chat model": Echo(
        lambda stub, v: stub.Chat(chat_request(v, "hi")), grpc.StatusCode.NOT_FOUND, "model"
    ),
    "StreamChat model": Echo(
        lambda stub, v: _first(
            stub.StreamChat(chat_pb2.StreamChatRequest(model=v, messages=[user("hi")]))
        ),
        grpc.StatusCode.NOT_FOUND,
        "model",
    ),
    "Embed model": Echo(
        lambda stub, v: stub.Embed(embedding_pb2.EmbedRequest(model=v, inputs=["x"])),
        grpc.StatusCode.NOT_FOUND,
        "model",
    ),
    "CountTokens model": Echo(
        lambda stub, v: stub.CountTokens(tokens_pb2.CountTokensRequest(model=v, text="x")),
        grpc.StatusCode.NOT_FOUND,
        "model",
    ),
    "GetModel id": Echo(
        lambda stub, v: stub.GetModel(model_pb2.GetModelRequest(id=v)),
        grpc.StatusCode.NOT_FOUND,
        "model",
    ),
    "PullModel runtime": Echo(
        lambda stub, v: _first(stub.PullModel(model_pb2.PullModelRequest(runtime=v, name="x"))),
        grpc.StatusCode.NOT_FOUND,
        "runtime",
    ),
    "previous_response_id": Echo(
        lambda stub, v: stub.Chat(chat_request("echo", "hi", previous_response_id=v)),
        grpc.StatusCode.NOT_FOUND,
        "previous_response_id",
    ),
    "tool_choice.tool_name": Echo(
        lambda stub, v: stub.Chat(
            chat_request(
                "echo",
                "hi",
                tools=[content_pb2.Tool(name="lookup")],
                tool_choice=content_pb2.ToolChoice(tool_name=v),
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        violation_field="tool_choice.tool_name",
    ),
    "tool_result.tool_call_id": Echo(
        lambda stub, v: stub.Chat(
            chat_pb2.ChatRequest(model="echo", messages=[user("hi"), _tool_call_message(v)])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        violation_field="messages[1].parts[0].tool_result.tool_call_id",
    ),
}


@pytest.mark.parametrize("value", [LONG, WIDE], ids=["100k-ascii", "150kB-utf8"])
@pytest.mark.parametrize("echo", ECHOES.values(), ids=ECHOES.keys())
async def test_a_huge_caller_value_comes_back_truncated_with_its_length(
    stub: ModelGatewayAsyncStub, echo: Echo, value: str
) -> None:
    status = await _status_of(echo.call(stub, value))
    assert status.code == echo.code
    shown = f"{value[:MAX_ECHO_CHARS]!r}... ({len(value)} characters)"
    if echo.metadata_key:
        assert shown in status.message
        assert status.metadata[echo.metadata_key] == bounded(value)
    else:
        descriptions = dict(status.violations)
        assert shown in descriptions[echo.violation_field]


@pytest.mark.parametrize(
    "request_",
    [
        chat_request(
            "echo",
            "hi",
            response_format=generation_pb2.ResponseFormat(
                type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
                schema_name=LONG,
                schema=struct_pb2.Struct(fields={"type": struct_pb2.Value(string_value="object")}),
            ),
        ),
        chat_request(
            "echo",
            "hi",
            response_format=generation_pb2.ResponseFormat(
                type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
                schema_name="answer",
                schema=struct_pb2.Struct(fields={"type": struct_pb2.Value(string_value=LONG)}),
            ),
        ),
        chat_request("echo", "hi", tools=[content_pb2.Tool(name=LONG)]),
    ],
    ids=["schema_name", "schema with a huge value", "tool name"],
)
async def test_other_huge_fields_get_invalid_argument_not_resource_exhausted(
    stub: ModelGatewayAsyncStub, request_: chat_pb2.ChatRequest
) -> None:
    status = await _status_of(stub.Chat(request_))
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert LONG[: 2 * MAX_ECHO_CHARS] not in status.message
    assert all(LONG[: 2 * MAX_ECHO_CHARS] not in why for _, why in status.violations)


async def test_a_thousand_violations_fit_and_the_omitted_ones_are_counted(
    stub: ModelGatewayAsyncStub,
) -> None:
    empty = content_pb2.Message(role=content_pb2.ROLE_USER)
    status = await _status_of(
        stub.Chat(chat_pb2.ChatRequest(model="echo", messages=[empty] * 1000))
    )
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert status.violations[0] == ("messages[0].parts", "must have at least one part")
    omitted = int(status.metadata["violations_omitted"])
    assert omitted > 0
    assert len(status.violations) + omitted == 1000
    assert status.message.endswith(f"and {1000 - 5} more")


def test_quoted_values_are_whole_when_short_and_cut_with_their_length_when_long() -> None:
    assert quoted("gpt-4o") == "'gpt-4o'"
    assert bounded("gpt-4o") == "gpt-4o"
    assert quoted("x" * 1000) == f"{'x' * MAX_ECHO_CHARS!r}... (1000 characters)"
    assert bounded("x" * 1000) == f"{'x' * MAX_ECHO_CHARS}... (1000 characters)"
    message = "'" + "x" * 1000 + "' is not of type 'object'"
    assert bounded(message, 4, tail=10) == "'xxx... (1026 characters) ...e 'object'"


def test_a_status_with_every_part_oversized_still_fits_the_default_limit() -> None:
    """The budget holds even for the worst text: 4-byte characters everywhere."""
    huge = "\U0001f600" * 100_000
    error = GatewayError(
        grpc.StatusCode.INVALID_ARGUMENT,
        ErrorReason.ERROR_REASON_STRUCTURED_OUTPUT_INVALID,
        huge,
        metadata={"last_output": huge, "attempts": "3"},
        violations=[(f"output[{i}]", huge) for i in range(1000)],
    )
    status = error.to_status()
    message = status.details
    details = dict(status.trailing_metadata)["grpc-status-details-bin"]
    assert isinstance(details, bytes)
    wire = len(quote(message, safe=" ")) + len(base64.b64encode(details))
    assert wire < 8 * 1024
    decoded = status_pb2.Status.FromString(details)
    assert decoded.message == message
