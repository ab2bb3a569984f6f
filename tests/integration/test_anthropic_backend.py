"""The Anthropic backend end to end: a real gateway, a real channel, a wire-faithful fake.

Each test asserts both sides: what the caller got over gRPC and what the fake
Anthropic API received (body and headers), so a mapping bug shows up on
whichever side it lives.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2

from modelgate.app import Gateway
from modelgate.config import ModelConfig, PricingConfig, RoutingConfig, RuntimeConfig, Settings
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    gateway_pb2_grpc,
    generation_pb2,
    tokens_pb2,
)
from tests.fakes.anthropic_fake import FakeAnthropic
from tests.fakes.scenario import Fault, Reply, ToolCall
from tests.rpc_helpers import chat_request, decode, system, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

KEY = "test-key-anthropic-123456"
WRONG_KEY = "wrong-key-anthropic-987654"
UPSTREAM = "claude-sonnet-4-5-20250929"
PNG = b"\x89PNG\r\n\x1a\n" + b"not-really-an-image"
WEATHER_PARAMS = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city"],
}
ALL_BUT_EMBEDDING: Any = ["chat", "completion", "streaming", "tools", "vision", "json_schema"]


def _settings(url: str, routing: RoutingConfig) -> Settings:
    runtimes = {
        "anthropic": RuntimeConfig(kind="anthropic", base_url=url, api_key=KEY),
        "anthropic-badkey": RuntimeConfig(kind="anthropic", base_url=url, api_key=WRONG_KEY),
    }
    models = [
        ModelConfig(
            id="claude-test",
            runtime="anthropic",
            provider="anthropic",
            upstream_name=UPSTREAM,
            capabilities=ALL_BUT_EMBEDDING,
            context_window=200_000,
            max_output_tokens=8192,
            pricing=PricingConfig(input=3.0, output=15.0, cached_input=0.3),
        ),
        ModelConfig(
            id="claude-defaults",
            runtime="anthropic",
            provider="anthropic",
            capabilities=ALL_BUT_EMBEDDING,
            defaults={"max_tokens": 1234},
            extra={"service_tier": "standard_only"},
        ),
        ModelConfig(id="claude-bare", runtime="anthropic", provider="anthropic"),
        ModelConfig(id="claude-badkey", runtime="anthropic-badkey", provider="anthropic"),
    ]
    return Settings(  # type: ignore[call-arg]
        runtimes=runtimes, models=models, routing=routing, _env_file=None
    )


NO_RETRIES = RoutingConfig(max_attempts_per_deployment=1, max_attempts=1, breaker_min_requests=1000)


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeAnthropic]:
    """The fake Anthropic API, demanding our key like the real one."""
    server = FakeAnthropic(required_api_key=KEY)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(autouse=True)
def fresh_fake(fake: FakeAnthropic) -> None:
    """Every test starts with no scripts and no recorded requests."""
    fake.reset()


@pytest.fixture(scope="module")
async def claude(fake: FakeAnthropic) -> AsyncIterator[Stub]:
    """A stub to a gateway whose router does not retry, so each upstream answer shows as is."""
    gateway = Gateway(_settings(fake.url, NO_RETRIES))
    await gateway.start(host="127.0.0.1", port=0)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
        yield gateway_pb2_grpc.ModelGatewayStub(channel)
    await gateway.stop(grace=1)


def _only_request(fake: FakeAnthropic, path: str = "/v1/messages") -> dict[str, Any]:
    assert [r.path for r in fake.requests] == [path]
    return fake.requests[0].json


def _message(role: content_pb2.Role.ValueType, *parts: content_pb2.ContentPart) -> Any:
    return content_pb2.Message(role=role, parts=list(parts))


def _text(text: str) -> content_pb2.ContentPart:
    return content_pb2.ContentPart(text=text)


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _weather_tools() -> list[content_pb2.Tool]:
    return [
        content_pb2.Tool(
            name="get_weather", description="Weather by city", parameters=_struct(WEATHER_PARAMS)
        ),
        content_pb2.Tool(name="get_time"),
    ]


async def _collect(call: Any) -> tuple[list[Any], grpc.aio.AioRpcError | None]:
    """Every event of a stream, and the error that ended it (None when it ended OK)."""
    events: list[Any] = []
    try:
        async for event in call:
            events.append(event)
    except grpc.aio.AioRpcError as error:
        return events, error
    return events, None


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
    events, error = await _collect(claude.StreamChat(request))
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
    events, error = await _collect(claude.StreamChat(request))
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


# ------------------------------------------------------------------- streaming


async def test_stream_chat_text_with_exact_usage_from_message_delta(
    claude: Stub, fake: FakeAnthropic
) -> None:
    # message_start reports output_tokens=1; only message_delta's 7 is final.
    fake.script(Reply(text="alpha beta gamma", input_tokens=11, output_tokens=7, cached_tokens=5))
    request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("go")])
    events, error = await _collect(claude.StreamChat(request))
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
    events, error = await _collect(claude.StreamChat(request))
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
    events, error = await _collect(claude.StreamChat(request))
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


# ------------------------------------------------------- completion, embed, count


async def test_complete_sends_the_prompt_as_one_user_turn(
    claude: Stub, fake: FakeAnthropic
) -> None:
    response = await claude.Complete(
        completion_pb2.CompleteRequest(model="claude-test", prompt="Once upon a time")
    )
    sent = _only_request(fake)
    assert sent["messages"] == [
        {"role": "user", "content": [{"type": "text", "text": "Once upon a time"}]}
    ]
    assert "system" not in sent
    assert response.text == "Once upon a time"
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    assert (response.usage.input_tokens, response.usage.output_tokens) == (4, 4)
    assert response.id.startswith("resp_")


async def test_stream_complete_streams_text_then_end(claude: Stub, fake: FakeAnthropic) -> None:
    fake.script(Reply(text="there was a fox", output_tokens=9))
    events, error = await _collect(
        claude.StreamComplete(
            completion_pb2.StreamCompleteRequest(model="claude-test", prompt="Once")
        )
    )
    assert error is None
    assert events[0].WhichOneof("event") == "attempt"
    texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
    assert "".join(texts) == "there was a fox"
    assert events[-1].end.usage.output_tokens == 9
    assert _only_request(fake)["stream"] is True


async def test_complete_with_suffix_is_rejected(claude: Stub, fake: FakeAnthropic) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Complete(
            completion_pb2.CompleteRequest(model="claude-test", prompt="def f(", suffix="):")
        )
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [field for field, _ in status.violations] == ["suffix"]
    assert fake.requests == []


async def test_embed_is_unimplemented_naming_models_that_embed(
    claude: Stub, fake: FakeAnthropic
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Embed(embedding_pb2.EmbedRequest(model="claude-test", inputs=["a"]))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.UNIMPLEMENTED
    assert status.reason == "OPERATION_NOT_SUPPORTED"
    assert "models that do: echo" in status.message
    assert fake.requests == []


async def test_count_tokens_of_text_uses_the_provider_api(
    claude: Stub, fake: FakeAnthropic
) -> None:
    response = await claude.CountTokens(
        tokens_pb2.CountTokensRequest(model="claude-test", text="count these four words")
    )
    assert response.method == tokens_pb2.COUNT_METHOD_PROVIDER_API
    assert response.tokenizer == "anthropic"
    assert response.input_tokens == 4
    assert response.context_window == 200_000
    sent = _only_request(fake, "/v1/messages/count_tokens")
    assert sent == {
        "model": UPSTREAM,
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "count these four words"}]}
        ],
    }
    headers = fake.requests[0].headers
    # The SDK presents the key as a bearer token; the fake accepts it like the real API.
    assert KEY in (
        headers.get("x-api-key"),
        headers.get("authorization", "").removeprefix("Bearer "),
    )
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["x-stainless-retry-count"] == "0"


async def test_count_tokens_of_messages_sends_system_and_tools(
    claude: Stub, fake: FakeAnthropic
) -> None:
    response = await claude.CountTokens(
        tokens_pb2.CountTokensRequest(
            model="claude-test",
            messages=[system("Be brief."), user("How warm is Paris?")],
            tools=_weather_tools(),
        )
    )
    assert response.input_tokens == 6
    sent = _only_request(fake, "/v1/messages/count_tokens")
    assert sent["system"] == "Be brief."
    assert [m["role"] for m in sent["messages"]] == ["user"]
    assert [t["name"] for t in sent["tools"]] == ["get_weather", "get_time"]


async def test_count_tokens_upstream_error_is_classified(claude: Stub, fake: FakeAnthropic) -> None:
    fake.script(Fault.rate_limited(retry_after=3), path="/v1/messages/count_tokens")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.CountTokens(tokens_pb2.CountTokensRequest(model="claude-test", text="x"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert (status.reason, status.domain) == ("RATE_LIMITED", "anthropic")
    assert status.retry_after == pytest.approx(3)
    assert [r.path for r in fake.requests] == ["/v1/messages/count_tokens"]  # SDK did not retry


# ----------------------------------------------------------------------- errors


async def test_rate_limit_is_resource_exhausted_with_retry_info(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.script(Fault.rate_limited(retry_after=7))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert status.reason == "RATE_LIMITED"
    assert status.domain == "anthropic"
    assert status.retry_after == pytest.approx(7)
    assert status.metadata["http_status"] == "429"
    assert status.metadata["request_id"] == fake.requests[0].request_id
    assert status.metadata["upstream_type"] == "rate_limit_error"


@pytest.mark.parametrize("streaming", [False, True])
async def test_overloaded_529_is_unavailable(
    claude: Stub, fake: FakeAnthropic, streaming: bool
) -> None:
    fake.script(Fault.overloaded())
    if streaming:
        request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("hi")])
        events, error = await _collect(claude.StreamChat(request))
        assert error is not None
        assert not [e for e in events if e.HasField("text_delta")]
    else:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await claude.Chat(chat_request("claude-test", "hi"))
        error = caught.value
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == "UPSTREAM_OVERLOADED"
    assert status.metadata["http_status"] == "529"


async def test_upstream_auth_failure_is_failed_precondition_and_never_shows_the_key(
    claude: Stub, fake: FakeAnthropic
) -> None:
    fake.script(Fault.http(401, f"invalid x-api-key: {KEY}", type="authentication_error"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    assert status.reason == "UPSTREAM_AUTH_FAILED"
    assert KEY not in status.message
    assert "[redacted]" in status.message
    assert KEY not in str(caught.value.trailing_metadata())


async def test_wrong_key_is_refused_by_the_upstream_as_auth_failure(
    claude: Stub, fake: FakeAnthropic
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-badkey", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    assert status.reason == "UPSTREAM_AUTH_FAILED"
    assert WRONG_KEY not in status.message
    assert fake.requests[0].headers["x-api-key"] == WRONG_KEY


async def test_bad_request_400_is_invalid_argument(claude: Stub, fake: FakeAnthropic) -> None:
    fake.script(Fault.http(400, "messages: roles must alternate"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await claude.Chat(chat_request("claude-test", "hi"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    assert status.reason == "UPSTREAM_BAD_REQUEST"
    assert "roles must alternate" in status.message


@pytest.mark.parametrize(
    ("error_type", "reason"),
    [("overloaded_error", "UPSTREAM_OVERLOADED"), ("api_error", "UPSTREAM_UNAVAILABLE")],
)
async def test_error_event_mid_stream_ends_the_stream_unavailable_after_deltas(
    claude: Stub, fake: FakeAnthropic, error_type: str, reason: str
) -> None:
    fake.script(Fault.stream_error(after_chunks=2, type=error_type))  # echoes the prompt
    request = chat_pb2.StreamChatRequest(
        model="claude-test", messages=[user("one two three four five")]
    )
    events, error = await _collect(claude.StreamChat(request))
    assert error is not None
    texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
    assert "".join(texts) == "one two"
    assert not [e for e in events if e.HasField("end")]
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == reason
    assert status.domain == "anthropic"
    assert status.metadata["upstream_type"] == error_type  # classified by the event's body
    assert status.metadata["request_id"] == fake.requests[0].request_id


@pytest.mark.parametrize(
    ("fault", "words", "reason"),
    [
        (Fault.truncate(), "message_stop", "UPSTREAM_UNAVAILABLE"),
        (Fault.truncate(after_chunks=1), "message_stop", "UPSTREAM_UNAVAILABLE"),
        (Fault.malformed(after_chunks=1), "malformed", "UPSTREAM_INVALID_RESPONSE"),
        (Fault.reset_mid_stream(after_chunks=1), "broke off", "UPSTREAM_UNAVAILABLE"),
    ],
    ids=["no-terminator", "cut-after-one-delta", "malformed-json", "reset-mid-stream"],
)
async def test_broken_streams_end_unavailable_never_ok(
    claude: Stub, fake: FakeAnthropic, fault: Fault, words: str, reason: str
) -> None:
    fake.script(fault)
    request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("a b c d")])
    events, error = await _collect(claude.StreamChat(request))
    assert error is not None
    assert not [e for e in events if e.HasField("end")]
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == reason
    assert words in status.message


@pytest.mark.parametrize("streaming", [False, True])
async def test_connection_reset_is_unavailable(
    claude: Stub, fake: FakeAnthropic, streaming: bool
) -> None:
    fake.script(Fault.reset())
    if streaming:
        request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("hi")])
        _, error = await _collect(claude.StreamChat(request))
        assert error is not None
    else:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await claude.Chat(chat_request("claude-test", "hi"))
        error = caught.value
    status = decode(error)
    assert status.code == grpc.StatusCode.UNAVAILABLE
    assert status.reason == "UPSTREAM_UNAVAILABLE"
    assert status.domain == "anthropic"


# ------------------------------------------------------- with the router's retries


async def test_router_retries_retryable_failures_but_never_after_the_first_delta(
    fake: FakeAnthropic,
) -> None:
    """The backend marks 529 retryable; a stream broken after output is not replayed."""
    routing = RoutingConfig(
        max_attempts_per_deployment=3,
        backoff_initial_seconds=0.01,
        backoff_max_seconds=0.02,
        breaker_min_requests=1000,
    )
    gateway = Gateway(_settings(fake.url, routing))
    await gateway.start(host="127.0.0.1", port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            stub: Stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            fake.script(Fault.overloaded(), Reply(text="recovered"))
            response = await stub.Chat(chat_request("claude-test", "hi"))
            assert text_of(response) == "recovered"
            assert len(fake.requests) == 2

            fake.reset()
            fake.script(Fault.stream_error(after_chunks=1), Reply(text="must not be sent"))
            request = chat_pb2.StreamChatRequest(model="claude-test", messages=[user("a b c")])
            events, error = await _collect(stub.StreamChat(request))
            assert error is not None and error.code() == grpc.StatusCode.UNAVAILABLE
            texts = [e.text_delta.text for e in events if e.HasField("text_delta")]
            assert "".join(texts) == "a"
            assert len(fake.requests) == 1
    finally:
        await gateway.stop(grace=1)
