"""`api: responses` models against a strict, stateless server (llama.cpp) and a stateful one.

The strict fake refuses what llama-server refuses: untyped input items and any
`previous_response_id`. Everything a caller sends must still reach it: extra
parameters, multi-turn history with tool calls and results, structured-output
re-asks, and conversations continued from the gateway's own store.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2

from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeOpenAI, Fault, Reply, ToolCall
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, system, text_of, user

CAPABILITIES: Any = ["chat", "streaming", "tools", "json_schema"]
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.fixture(scope="module")
async def strict() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(responses="llama.cpp") as server:
        yield server


@pytest.fixture(scope="module")
async def stateful() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture(scope="module")
async def served(strict: FakeOpenAI, stateful: FakeOpenAI) -> AsyncIterator[Served]:
    runtimes = {
        # kind openai on another base URL is not OpenAI proper: histories stay in the gateway
        "llamacpp": RuntimeConfig(kind="openai", base_url=strict.url + "/v1", api="responses"),
        "hosted": RuntimeConfig(
            kind="openai", base_url=stateful.url + "/v1", api_key="sk-test-key-0123"
        ),
    }

    def model(id: str, runtime: str, **fields: Any) -> ModelConfig:
        return ModelConfig(
            id=id, runtime=runtime, upstream_name="m", capabilities=CAPABILITIES, **fields
        )

    models = [
        model("local", "llamacpp"),
        model("hosted", "hosted", api="responses", conversation="upstream", fallbacks=["local"]),
        model("hosted-gateway", "hosted", api="responses", conversation="gateway"),
    ]
    config = settings(
        runtimes=runtimes,
        models=models,
        routing=RoutingConfig(max_attempts_per_deployment=1),
    )
    async with serve(config) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(strict: FakeOpenAI, stateful: FakeOpenAI) -> None:
    strict.reset()
    stateful.reset()


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _message(role: content_pb2.Role.ValueType, *parts: content_pb2.ContentPart) -> Any:
    return content_pb2.Message(role=role, parts=parts)


def _says(role: str, text: str) -> dict[str, Any]:
    """The typed message item a strict server accepts."""
    kind = "output_text" if role == "assistant" else "input_text"
    return {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}


async def _stream(served: Served, request: chat_pb2.StreamChatRequest) -> list[Any]:
    return [event async for event in served.stub.StreamChat(request)]


async def test_generation_extra_keys_reach_the_upstream_body(
    served: Served, strict: FakeOpenAI
) -> None:
    extra = {"top_k": 40, "n": 1, "chat_template_kwargs": {"enable_thinking": False}}
    generation = generation_pb2.GenerationConfig(temperature=0.5, extra=_struct(extra))
    response = await served.stub.Chat(chat_request("local", "hi", generation=generation))
    assert text_of(response) == "hi"
    sent = strict.last_request.json
    assert {key: sent[key] for key in extra} == extra
    assert sent["temperature"] == 0.5
    events = await _stream(
        served,
        chat_pb2.StreamChatRequest(model="local", messages=[user("hi")], generation=generation),
    )
    assert events[-1].HasField("end")
    assert {key: strict.last_request.json[key] for key in extra} == extra


async def test_multi_turn_with_tool_calls_and_results_is_accepted_by_a_strict_server(
    served: Served, strict: FakeOpenAI
) -> None:
    strict.script(Reply(text="Checking.", tool_calls=[ToolCall("weather", {"city": "Paris"})]))
    tool = content_pb2.Tool(name="weather", parameters=_struct({"type": "object"}))
    question = [system("be brief"), user("weather in Paris?")]
    first = await served.stub.Chat(
        chat_pb2.ChatRequest(model="local", messages=question, tools=[tool])
    )
    assert first.finish_reason == generation_pb2.FINISH_REASON_TOOL_CALLS
    call = first.content[1].tool_call
    assert call.id.startswith("call_") and dict(call.arguments) == {"city": "Paris"}
    result = content_pb2.ContentPart(
        tool_result=content_pb2.ToolResult(tool_call_id=call.id, text="18 degrees")
    )
    history = [
        *question,
        _message(content_pb2.ROLE_ASSISTANT, *first.content),
        _message(content_pb2.ROLE_TOOL, result),
    ]
    second = await served.stub.Chat(
        chat_pb2.ChatRequest(model="local", messages=history, tools=[tool])
    )
    assert text_of(second) == "18 degrees"
    sent = strict.last_request.json
    assert sent["instructions"] == "be brief"
    assert sent["input"] == [
        _says("user", "weather in Paris?"),
        _says("assistant", "Checking."),
        {
            "type": "function_call",
            "call_id": call.id,
            "name": "weather",
            "arguments": '{"city":"Paris"}',
        },
        {"type": "function_call_output", "call_id": call.id, "output": "18 degrees"},
    ]
    history += [_message(content_pb2.ROLE_ASSISTANT, *second.content), user("and tomorrow?")]
    events = await _stream(
        served, chat_pb2.StreamChatRequest(model="local", messages=history, tools=[tool])
    )
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == (
        "and tomorrow?"
    )
    assert strict.last_request.json["input"][-2:] == [
        _says("assistant", "18 degrees"),
        _says("user", "and tomorrow?"),
    ]


async def test_streamed_tool_calls_keep_their_call_ids(served: Served, strict: FakeOpenAI) -> None:
    strict.script(Reply(tool_calls=[ToolCall("a", {"x": "long enough value"}, id="call_a")]))
    request = chat_pb2.StreamChatRequest(
        model="local", messages=[user("go")], tools=[content_pb2.Tool(name="a")]
    )
    deltas = [
        e.tool_call_delta for e in await _stream(served, request) if e.HasField("tool_call_delta")
    ]
    assert {d.id for d in deltas} == {"call_a"} and deltas[0].name == "a"
    assert json.loads("".join(d.arguments_json for d in deltas)) == {"x": "long enough value"}


async def test_reasoning_items_are_counted_but_not_returned(
    served: Served, strict: FakeOpenAI
) -> None:
    """A reasoning item with no text and no encrypted content is not a part (nothing to show
    or resume from): only its token count comes back."""
    strict.script(Reply(text="42", reasoning_tokens=7), Reply(text="42", reasoning_tokens=7))
    response = await served.stub.Chat(chat_request("local", "think"))
    assert [part.WhichOneof("data") for part in response.content] == ["text"]
    assert text_of(response) == "42" and response.usage.reasoning_tokens == 7
    events = await _stream(served, chat_pb2.StreamChatRequest(model="local", messages=[user("x")]))
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "42"
    assert events[-1].end.usage.reasoning_tokens == 7


def _json_request(max_reasks: int, model: str = "local", **fields: Any) -> chat_pb2.ChatRequest:
    fmt = generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
        schema_name="person",
        schema=_struct(SCHEMA),
        max_reasks=max_reasks,
    )
    return chat_request(model, "who?", response_format=fmt, **fields)


async def test_structured_output_reask_through_a_strict_server_fixes_the_answer(
    served: Served, strict: FakeOpenAI
) -> None:
    strict.script(Reply(text='{"name": "Ada"}'), Reply(text='{"name": "Ada", "age": 36}'))
    response = await served.stub.Chat(_json_request(max_reasks=2))
    assert response.metadata["structured_output_attempts"] == "2"
    assert json.loads(text_of(response)) == {"name": "Ada", "age": 36}
    reask = strict.requests[1].json["input"]
    assert reask[-2] == _says("assistant", '{"name": "Ada"}')
    assert reask[-1]["type"] == "message" and "age" in reask[-1]["content"][0]["text"]


async def test_structured_output_still_invalid_is_reported_as_such(
    served: Served, strict: FakeOpenAI
) -> None:
    strict.set_default(Reply(text='{"name": 7}'))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(_json_request(max_reasks=1))
    status = decode(caught.value)
    assert (status.code, status.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "STRUCTURED_OUTPUT_INVALID",
    )
    assert len(strict.requests) == 2


async def test_gateway_conversation_replays_history_instead_of_the_id(
    served: Served, strict: FakeOpenAI
) -> None:
    first = await served.stub.Chat(chat_request("local", "my name is Ada"))
    assert first.id.startswith("resp_") and first.id != first.provider_response_id
    second = await served.stub.Chat(
        chat_request("local", "what is my name", previous_response_id=first.id)
    )
    assert text_of(second) == "what is my name"
    sent = strict.last_request.json
    assert "previous_response_id" not in sent
    assert sent["input"] == [
        _says("user", "my name is Ada"),
        _says("assistant", "my name is Ada"),
        _says("user", "what is my name"),
    ]
    events = await _stream(
        served,
        chat_pb2.StreamChatRequest(
            model="local", messages=[user("again")], previous_response_id=second.id
        ),
    )
    end = events[-1].end
    await served.stub.Chat(chat_request("local", "last", previous_response_id=end.id))
    assert [item["content"][0]["text"] for item in strict.last_request.json["input"]] == [
        "my name is Ada",
        "my name is Ada",
        "what is my name",
        "what is my name",
        "again",
        "again",
        "last",
    ]


async def test_gateway_conversation_with_an_unknown_id_is_not_found_before_any_call(
    served: Served, strict: FakeOpenAI
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("local", "x", previous_response_id="resp_unknown"))
    assert decode(caught.value).reason == "RESPONSE_NOT_FOUND"
    assert strict.requests == []


async def test_gateway_conversation_on_a_stateful_server_is_chosen_by_config(
    served: Served, stateful: FakeOpenAI
) -> None:
    first = await served.stub.Chat(chat_request("hosted-gateway", "one"))
    await served.stub.Chat(chat_request("hosted-gateway", "two", previous_response_id=first.id))
    sent = stateful.last_request.json
    assert "previous_response_id" not in sent
    assert sent["input"] == [_says("user", "one"), _says("assistant", "one"), _says("user", "two")]


async def test_upstream_conversation_passes_the_providers_id_through(
    served: Served, stateful: FakeOpenAI
) -> None:
    first = await served.stub.Chat(chat_request("hosted", "remember 7"))
    assert first.id == first.provider_response_id and first.id in stateful.stored_responses
    await served.stub.Chat(chat_request("hosted", "which number?", previous_response_id=first.id))
    sent = stateful.last_request.json
    assert sent["previous_response_id"] == first.id
    assert sent["input"] == [_says("user", "which number?")]
    events = await _stream(
        served,
        chat_pb2.StreamChatRequest(
            model="hosted", messages=[user("more")], previous_response_id=first.id
        ),
    )
    assert events[-1].end.id == events[-1].end.provider_response_id
    assert stateful.last_request.json["previous_response_id"] == first.id


async def test_an_upstream_held_conversation_never_falls_back_to_another_runtime(
    served: Served, strict: FakeOpenAI, stateful: FakeOpenAI
) -> None:
    """Only the upstream that holds the history knows the id; elsewhere it would be lost."""
    stateful.script(Fault.server_error())
    fell_back = await served.stub.Chat(chat_request("hosted", "fresh"))
    assert fell_back.model == "local" and len(strict.requests) == 1
    first = await served.stub.Chat(chat_request("hosted", "one"))
    stateful.script(Fault.server_error())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("hosted", "two", previous_response_id=first.id))
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert len(strict.requests) == 1


async def test_a_reask_in_an_upstream_held_conversation_stays_on_its_runtime(
    served: Served, strict: FakeOpenAI, stateful: FakeOpenAI
) -> None:
    first = await served.stub.Chat(chat_request("hosted", "one"))
    stateful.script(Reply(text='{"name": "Ada"}'), Fault.server_error())
    request = _json_request(1, "hosted", previous_response_id=first.id)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(request)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert stateful.last_request.json["previous_response_id"] == first.id
    assert strict.requests == []


@pytest.mark.parametrize(
    ("fault", "code", "reason"),
    [
        (Fault.http(400, "bad param"), grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST"),
        (
            Fault.context_length_exceeded(),
            grpc.StatusCode.INVALID_ARGUMENT,
            "CONTEXT_LENGTH_EXCEEDED",
        ),
        (Fault.rate_limited(), grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED"),
        (Fault.server_error(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
        (Fault.reset(), grpc.StatusCode.UNAVAILABLE, "UPSTREAM_UNAVAILABLE"),
    ],
)
async def test_upstream_failures_keep_their_statuses(
    served: Served, strict: FakeOpenAI, fault: Fault, code: grpc.StatusCode, reason: str
) -> None:
    strict.script(fault)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("local", "x"))
    assert (decode(caught.value).code, decode(caught.value).reason) == (code, reason)


@pytest.mark.parametrize(
    "fault",
    [
        Fault.truncate(),
        Fault.malformed(after_chunks=1),
        Fault.stream_error(after_chunks=1, message="boom"),
        Fault.reset_mid_stream(after_chunks=1),
    ],
)
async def test_broken_streams_end_with_unavailable_after_their_deltas(
    served: Served, strict: FakeOpenAI, fault: Fault
) -> None:
    strict.script(fault)
    request = chat_pb2.StreamChatRequest(model="local", messages=[user("one two three")])
    texts: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for event in served.stub.StreamChat(request):
            texts.append(event.text_delta.text)
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "".join(texts).startswith("one")
