"""Gemini streaming end to end: deltas, usage, tool calls, cancel, and streams that break."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import chat_pb2, completion_pb2, generation_pb2
from tests.fakes import FakeGemini, Fault, Reply, ToolCall
from tests.fakes.gemini_fake import GeminiReply
from tests.fakes.scenario import Thought
from tests.integration.gemini_setup import WEATHER, gemini_fixtures, path
from tests.rpc_helpers import chat_request, collect, decode, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


fake, fresh_fake, gemini = gemini_fixtures()


def _stream(text: str = "one two three", **fields: object) -> chat_pb2.StreamChatRequest:
    return chat_pb2.StreamChatRequest(model="gemini-test", messages=[user(text)], **fields)  # type: ignore[arg-type]


async def test_stream_chat_text_then_end_with_the_last_usage(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(Reply(text="alpha beta gamma", cached_tokens=2))
    events, error = await collect(gemini.StreamChat(_stream("a b c d")))
    assert error is None
    assert events[0].WhichOneof("event") == "attempt"
    texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
    assert "".join(texts) == "alpha beta gamma" and len(texts) == 3
    end = events[-1].end
    assert (end.model, end.provider, end.runtime) == ("gemini-test", "gemini", "gemini")
    assert end.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert (end.usage.input_tokens, end.usage.output_tokens, end.usage.cached_input_tokens) == (
        4,
        3,
        2,
    )
    assert end.provider_response_id
    recorded = fake.requests[0]
    assert recorded.path == path("streamGenerateContent")
    assert recorded.query == {"alt": "sse"}  # and no key in it


async def test_stream_max_tokens_ends_with_length(gemini: Stub, fake: FakeGemini) -> None:
    generation = generation_pb2.GenerationConfig(max_output_tokens=2)
    events, _ = await collect(gemini.StreamChat(_stream("a b c d", generation=generation)))
    assert events[-1].end.finish_reason == generation_pb2.FINISH_REASON_LENGTH
    assert events[-1].end.raw_finish_reason == "MAX_TOKENS"


async def test_streamed_tool_calls_arrive_whole_with_stable_indexes_and_ids(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(
        GeminiReply(
            text="Checking.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris", "n": 12}), ToolCall("get_time")],
        )
    )
    events, error = await collect(gemini.StreamChat(_stream()))
    assert error is None
    calls = [e.tool_call_delta for e in events if e.HasField("tool_call_delta")]
    assert [(c.index, c.name, c.arguments_json) for c in calls] == [
        (0, "get_weather", '{"city":"Paris","n":12}'),
        (1, "get_time", "{}"),
    ]
    assert all(c.id.startswith("gemini-call-") for c in calls)
    assert events[-1].end.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS


async def test_streamed_json_schema_is_validated_at_the_end(gemini: Stub, fake: FakeGemini) -> None:
    fake.script(Reply(chunks=['{"city":', '"Rome"}']))
    fmt = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA, schema_name="w", schema_json=WEATHER
    )
    events, error = await collect(gemini.StreamChat(_stream(response_format=fmt)))
    assert error is None
    assert events[-1].end.structured_output_json == '{"city":"Rome"}'


async def test_client_cancel_closes_the_upstream_stream(gemini: Stub, fake: FakeGemini) -> None:
    # The first piece comes at once, the next 60 s later (past pytest's timeout): the
    # upstream stream is surely open at the cancel, and only the gateway can close it.
    fake.script(Reply(text="one two three", tokens_per_s=1 / 60))
    call = gemini.StreamChat(_stream())
    async for event in call:
        if event.HasField("text_delta"):
            break
    call.cancel()
    await fake.wait_for_disconnect()
    assert fake.active_streams == 0


async def test_deadline_while_upstream_hangs_is_deadline_exceeded(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(Fault.hang())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Chat(chat_request("gemini-test", "hi"), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await fake.wait_for_disconnect()


@pytest.mark.parametrize(
    ("status_name", "reason", "http"),
    [
        ("UNAVAILABLE", "UPSTREAM_OVERLOADED", "503"),
        ("INTERNAL", "UPSTREAM_UNAVAILABLE", "500"),
        ("RESOURCE_EXHAUSTED", "RATE_LIMITED", "429"),
    ],
)
async def test_error_event_mid_stream_ends_the_stream_with_its_status(
    gemini: Stub, fake: FakeGemini, status_name: str, reason: str, http: str
) -> None:
    fake.script(Fault.stream_error(after_chunks=2, type=status_name))
    events, error = await collect(gemini.StreamChat(_stream("one two three four")))
    assert error is not None
    texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
    assert "".join(texts) == "one two"
    assert not [e for e in events if e.HasField("end")]
    status = decode(error)
    assert (status.reason, status.domain) == (reason, "gemini")
    assert status.metadata["http_status"] == http
    assert status.metadata["upstream_status"] == status_name


@pytest.mark.parametrize(
    ("fault", "words", "reason"),
    [
        (Fault.truncate(), "finish reason", "UPSTREAM_UNAVAILABLE"),
        (Fault.truncate(after_chunks=1), "finish reason", "UPSTREAM_UNAVAILABLE"),
        (Fault.malformed(after_chunks=1), "malformed", "UPSTREAM_INVALID_RESPONSE"),
        (Fault.reset_mid_stream(after_chunks=1), "broke off", "UPSTREAM_UNAVAILABLE"),
    ],
    ids=["no-finish-reason", "cut-after-one-delta", "malformed-json", "reset-mid-stream"],
)
async def test_broken_streams_end_unavailable_never_ok(
    gemini: Stub, fake: FakeGemini, fault: Fault, words: str, reason: str
) -> None:
    fake.script(fault)
    events, error = await collect(gemini.StreamChat(_stream("a b c d")))
    assert error is not None
    assert not [e for e in events if e.HasField("end")]
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == reason
    assert words in status.message


async def test_blocked_prompt_in_a_stream_is_content_filtered(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(GeminiReply(block_reason="PROHIBITED_CONTENT"))
    _, error = await collect(gemini.StreamChat(_stream()))
    assert error is not None
    status = decode(error)
    assert (status.code, status.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "CONTENT_FILTERED")


async def test_complete_and_stream_complete_send_the_prompt_as_one_user_turn(
    gemini: Stub, fake: FakeGemini
) -> None:
    response = await gemini.Complete(
        completion_pb2.CompleteRequest(model="gemini-test", prompt="Once upon a time")
    )
    assert response.text == "Once upon a time"
    assert fake.requests[0].json["contents"] == [
        {"role": "user", "parts": [{"text": "Once upon a time"}]}
    ]
    fake.script(GeminiReply(text="there was a fox", thoughts=(Thought("hidden"),)))
    events, error = await collect(
        gemini.StreamComplete(completion_pb2.StreamCompleteRequest(model="gemini-test", prompt="x"))
    )
    assert error is None
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == (
        "there was a fox"
    )
    assert events[-1].end.finish_reason == generation_pb2.FINISH_REASON_STOP


async def test_complete_with_suffix_is_rejected(gemini: Stub, fake: FakeGemini) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Complete(
            completion_pb2.CompleteRequest(model="gemini-test", prompt="def f(", suffix="):")
        )
    assert [f for f, _ in decode(caught.value).violations] == ["suffix"]
    assert fake.requests == []
