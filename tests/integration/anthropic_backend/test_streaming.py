"""The Anthropic backend end to end: streams, their usage, cancellation and deadlines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import chat_pb2, generation_pb2
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.scenario import Fault, Reply, ToolCall
from tests.integration.anthropic_backend.support import _only_request, _weather_tools
from tests.rpc_helpers import chat_request, collect, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


# ------------------------------------------------------------------- streaming


async def test_stream_chat_text_with_exact_usage_from_message_delta(
    claude: Stub, fake: FakeAnthropic
) -> None:
    # message_start reports output_tokens=1; only message_delta's 7 is final.
    fake.script(Reply(text="alpha beta gamma", input_tokens=11, output_tokens=7, cached_tokens=5))
    request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("go")])
    events, error = await collect(claude.StreamChat(request))
    assert error is None
    assert [e.WhichOneof("event") for e in events] == [
        "attempt",
        "text_delta",
        "text_delta",
        "text_delta",
        "end",
    ]
    assert "".join(e.text_delta.text for e in events[1:-1]) == "alpha beta gamma"
    end = events[-1].end
    assert (end.model, end.provider, end.runtime) == ("claude-test", "anthropic", "anthropic")
    assert end.usage.output_tokens == 7
    assert end.usage.input_tokens == 16
    assert end.usage.cached_input_tokens == 5
    assert end.usage.total_tokens == 23
    assert end.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert end.raw_finish_reason == "end_turn"
    assert end.provider_response_id.startswith("msg_01")
    assert end.id.startswith("resp_")
    assert _only_request(fake)["stream"] is True


async def test_stream_chat_max_tokens_ends_with_length(claude: Stub, fake: FakeAnthropic) -> None:
    request = chat_pb2.StreamChatRequest(
        model="claude-test",
        messages=[user("one two three four five")],
        generation=generation_pb2.GenerationConfig(max_output_tokens=2),
    )
    events, error = await collect(claude.StreamChat(request))
    assert error is None
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "one two"
    assert events[-1].end.finish_reason == generation_pb2.FINISH_REASON_LENGTH
    assert events[-1].end.raw_finish_reason == "max_tokens"


async def test_streamed_tool_calls_have_stable_indexes_ids_and_whole_arguments(
    claude: Stub, fake: FakeAnthropic
) -> None:
    weather = {"city": "Paris", "days": 3, "units": "metric"}
    clock = {"zone": "Europe/Paris", "format": "24h"}
    fake.script(
        Reply(
            text="Checking.",
            tool_calls=[ToolCall("get_weather", weather), ToolCall("get_time", clock)],
        )
    )
    request = chat_pb2.StreamChatRequest(
        model="claude-test", messages=[user("weather and time?")], tools=_weather_tools()
    )
    events, error = await collect(claude.StreamChat(request))
    assert error is None
    deltas = [e.tool_call_delta for e in events if e.HasField("tool_call_delta")]
    # Anthropic numbers the blocks 1 and 2 (text is 0); our index counts tool calls.
    assert sorted({d.index for d in deltas}) == [0, 1]
    for index, name, arguments in ((0, "get_weather", weather), (1, "get_time", clock)):
        mine = [d for d in deltas if d.index == index]
        assert mine[0].name == name
        assert all(d.name == "" for d in mine[1:])
        assert mine[0].id.startswith("toolu_01")
        assert {d.id for d in mine} == {mine[0].id}
        assert len(mine) > 2  # fragments really were streamed
        assert json.loads("".join(d.arguments_json for d in mine)) == arguments
    texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
    assert "".join(texts) == "Checking."
    assert events[-1].end.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS


async def test_client_cancel_closes_the_upstream_stream(claude: Stub, fake: FakeAnthropic) -> None:
    # The first token comes at once, the next one 60 s later (past pytest's timeout): the
    # upstream stream is surely open at the cancel, and only the gateway can close it.
    fake.script(Reply(text="one two three", tokens_per_s=1 / 60))
    call = claude.StreamChat(chat_pb2.StreamChatRequest(model="claude-test", messages=[user("x")]))
    async for event in call:
        if event.HasField("text_delta"):
            break
    call.cancel()
    await fake.wait_for_disconnect()  # recorded only for a response cut short
    assert fake.active_streams == 0  # ended before the disconnect was recorded


async def test_deadline_while_upstream_hangs_is_deadline_exceeded(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.script(Fault.hang())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi"), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await fake.wait_for_disconnect()
