"""JSON the gateway has no schema for arrives as written: key order and integer types.

Tool parameters, response schemas, `generation.extra_json`, replayed tool-call
arguments and JSON tool results reach every backend's upstream body as the
caller wrote them; structured output and tool-call arguments come back as the
model's JSON text, integers as ints (36, not 36.0; 2**60 to the last digit),
also through the Python client. The deprecated Struct fields still work, and
are sent with sorted keys.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from google.protobuf import struct_pb2

from modelgate.client import AsyncModelGate, arguments_of, assistant, structured_output_of, tool
from modelgate.config import ModelConfig, RuntimeConfig
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2
from tests.fakes import FakeAnthropic, FakeOllama, FakeOpenAI, FakeServer, Reply, ToolCall
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import user

BIG = 2**60  # beyond 2^53: a double cannot hold it
PARAMS = '{"type": "object", "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "default": 36}, "after_id": {"type": "integer"}}, "required": ["query"]}'  # noqa: E501
SCHEMA = '{"type": "object", "properties": {"zeta": {"type": "integer"}, "alpha": {"type": "string"}, "mid": {"type": "integer"}}, "required": ["zeta", "alpha", "mid"]}'  # noqa: E501
ANSWER = {"zeta": 36, "alpha": "a", "mid": BIG}
ARGUMENTS = {"query": "q", "limit": 36, "after_id": BIG}
ARGUMENTS_TEXT = '{"query": "q", "limit": 36, "after_id": 1152921504606846976}'
RESULT_TEXT = '{"rows": [36, 1152921504606846976], "next": null}'
EXTRA = '{"zz_first": 36, "aa_second": {"y": 1, "b": 1152921504606846976}}'

# model id -> (fake, upstream chat path)
MODELS = {"gpt": ("openai", "/v1/chat/completions"), "claude": ("anthropic", "/v1/messages")}
MODELS["llama"] = ("ollama", "/api/chat")
VERBATIM = ["gpt", "claude", "llama"]  # bodies built by the gateway itself, not an SDK


@pytest.fixture(scope="module")
async def fakes() -> AsyncIterator[dict[str, FakeServer]]:
    servers: dict[str, FakeServer] = {
        "openai": FakeOpenAI(),
        "anthropic": FakeAnthropic(),
        "ollama": FakeOllama(models=["llama3.2:latest"]),
    }
    for server in servers.values():
        await server.start()
    yield servers
    for server in servers.values():
        await server.stop()


@pytest.fixture(scope="module")
async def served(fakes: dict[str, FakeServer]) -> AsyncIterator[Served]:
    caps: Any = ["chat", "streaming", "tools", "json_schema"]
    runtimes = {
        "openai": RuntimeConfig(
            kind="openai", base_url=fakes["openai"].url + "/v1", api_key="sk-test-key-0123"
        ),
        "anthropic": RuntimeConfig(
            kind="anthropic", base_url=fakes["anthropic"].url, api_key="sk-test-key-0123"
        ),
        "ollama": RuntimeConfig(kind="ollama", base_url=fakes["ollama"].url),
    }
    models = [
        ModelConfig(id="gpt", runtime="openai", upstream_name="gpt-4o", capabilities=caps),
        ModelConfig(id="gpt-responses", runtime="openai", upstream_name="gpt-4o", api="responses"),
        ModelConfig(id="claude", runtime="anthropic", capabilities=caps, max_output_tokens=100),
        ModelConfig(
            id="llama", runtime="ollama", upstream_name="llama3.2:latest", capabilities=caps
        ),
    ]
    async with serve(settings(runtimes=runtimes, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fakes: dict[str, FakeServer]) -> None:
    for server in fakes.values():
        server.reset()


def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    result = struct_pb2.Struct()
    result.update(value)
    return result


def _schema_format(**fields: Any) -> generation_pb2.ResponseFormat:
    fields.setdefault("schema_json", SCHEMA)
    return generation_pb2.ResponseFormat(
        type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA, schema_name="answer", **fields
    )


def _history() -> list[content_pb2.Message]:
    """A turn that called a tool with big-integer arguments, and the tool's JSON result."""
    call = content_pb2.ToolCall(id="call_1", name="search", arguments_json=ARGUMENTS_TEXT)
    result = content_pb2.ToolResult(tool_call_id="call_1", name="search", json_text=RESULT_TEXT)
    return [
        user("find it"),
        content_pb2.Message(
            role=content_pb2.ROLE_ASSISTANT, parts=[content_pb2.ContentPart(tool_call=call)]
        ),
        content_pb2.Message(
            role=content_pb2.ROLE_TOOL, parts=[content_pb2.ContentPart(tool_result=result)]
        ),
    ]


def _answer_reply(model: str) -> Reply:
    """The model answers ANSWER: as text, or (Anthropic) as the forced tool's input."""
    if model == "claude":
        return Reply(tool_calls=[ToolCall("answer", ANSWER)])
    return Reply(text=json.dumps(ANSWER))


@pytest.mark.parametrize("model", VERBATIM)
async def test_json_fields_reach_the_upstream_byte_for_byte(
    served: Served, fakes: dict[str, FakeServer], model: str
) -> None:
    fake, path = MODELS[model]
    fakes[fake].script(_answer_reply(model))
    request = chat_pb2.ChatRequest(
        model=model,
        messages=_history(),
        tools=[content_pb2.Tool(name="search", parameters_json=PARAMS)],
        response_format=_schema_format(),
        generation=generation_pb2.GenerationConfig(extra_json=EXTRA),
    )
    await served.stub.Chat(request)
    raw = fakes[fake].requests_to(path)[0].raw.decode()
    for written in (PARAMS, SCHEMA, '"zz_first":36,"aa_second":{"y":1,"b":1152921504606846976}'):
        assert written in raw
    assert ARGUMENTS_TEXT in raw or json.dumps(ARGUMENTS_TEXT) in raw  # object, or OpenAI's string
    assert RESULT_TEXT in raw or json.dumps(RESULT_TEXT) in raw  # tool results travel as text
    body = json.loads(raw)
    assert list(body).index("zz_first") < list(body).index("aa_second")


async def test_responses_api_keeps_order_and_integers_through_the_sdk(
    served: Served, fakes: dict[str, FakeServer]
) -> None:
    request = chat_pb2.ChatRequest(
        model="gpt-responses",
        messages=_history(),
        tools=[content_pb2.Tool(name="search", parameters_json=PARAMS)],
        generation=generation_pb2.GenerationConfig(extra_json='{"zz_first": 36}'),
    )
    await served.stub.Chat(request)
    body = fakes["openai"].requests_to("/v1/responses")[0].json
    assert body["tools"][0]["parameters"] == json.loads(PARAMS)
    assert list(body["tools"][0]["parameters"]["properties"]) == ["query", "limit", "after_id"]
    assert body["input"][1]["arguments"] == ARGUMENTS_TEXT
    assert body["input"][2]["output"] == RESULT_TEXT
    assert body["zz_first"] == 36


@pytest.mark.parametrize("model", VERBATIM)
async def test_structured_output_comes_back_as_written_with_integers(
    served: Served, fakes: dict[str, FakeServer], model: str
) -> None:
    fakes[MODELS[model][0]].script(_answer_reply(model))
    request = chat_pb2.ChatRequest(
        model=model, messages=[user("answer")], response_format=_schema_format()
    )
    response = await served.stub.Chat(request)
    value = json.loads(response.structured_output_json)
    assert value == ANSWER and list(value) == ["zeta", "alpha", "mid"]
    assert type(value["zeta"]) is int and value["mid"] == BIG
    if model != "claude":  # Anthropic sends an object; its text is re-serialized in order
        assert response.structured_output_json == json.dumps(ANSWER)
    assert response.structured_output.struct_value["zeta"] == 36.0  # the deprecated copy


@pytest.mark.parametrize("model", [*VERBATIM, "gpt-responses"])
async def test_tool_call_arguments_come_back_as_json_text_with_integers(
    served: Served, fakes: dict[str, FakeServer], model: str
) -> None:
    fake = "openai" if model == "gpt-responses" else MODELS[model][0]
    fakes[fake].script(Reply(tool_calls=[ToolCall("search", ARGUMENTS, id="call_9")]))
    request = chat_pb2.ChatRequest(
        model=model,
        messages=[user("find it")],
        tools=[content_pb2.Tool(name="search", parameters_json=PARAMS)],
    )
    response = await served.stub.Chat(request)
    call = next(p.tool_call for p in response.content if p.HasField("tool_call"))
    arguments = json.loads(call.arguments_json)
    assert arguments == ARGUMENTS and list(arguments) == ["query", "limit", "after_id"]
    assert type(arguments["limit"]) is int and arguments["after_id"] == BIG
    assert call.arguments["limit"] == 36.0  # the deprecated copy, for older callers


async def test_streamed_structured_output_and_arguments_keep_integers(
    served: Served, fakes: dict[str, FakeServer]
) -> None:
    fakes["openai"].script(Reply(text=json.dumps(ANSWER)))
    request = chat_pb2.StreamChatRequest(
        model="gpt", messages=[user("answer")], response_format=_schema_format()
    )
    events = [event async for event in served.stub.StreamChat(request)]
    assert events[-1].end.structured_output_json == json.dumps(ANSWER)
    fakes["openai"].script(Reply(tool_calls=[ToolCall("search", ARGUMENTS)]))
    request = chat_pb2.StreamChatRequest(model="gpt", messages=[user("find it")])
    events = [event async for event in served.stub.StreamChat(request)]
    fragments = "".join(e.tool_call_delta.arguments_json for e in events if e.tool_call_delta.id)
    assert json.loads(fragments)["after_id"] == BIG


async def test_a_continued_conversation_replays_tool_arguments_exactly(
    served: Served, fakes: dict[str, FakeServer]
) -> None:
    fake = fakes["openai"]
    fake.script(Reply(tool_calls=[ToolCall("search", ARGUMENTS, id="call_7")]), Reply(text="ok"))
    first = await served.stub.Chat(chat_pb2.ChatRequest(model="gpt", messages=[user("find")]))
    result = content_pb2.ToolResult(tool_call_id="call_7", json_text=RESULT_TEXT)
    await served.stub.Chat(
        chat_pb2.ChatRequest(
            model="gpt",
            previous_response_id=first.id,
            messages=[
                content_pb2.Message(
                    role=content_pb2.ROLE_TOOL, parts=[content_pb2.ContentPart(tool_result=result)]
                )
            ],
        )
    )
    replayed = fake.requests[1].json["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert replayed == json.dumps(ARGUMENTS, separators=(",", ":"))  # as the model wrote it


async def test_a_replayed_answer_carrying_both_argument_fields_is_accepted(
    served: Served, fakes: dict[str, FakeServer]
) -> None:
    fake = fakes["openai"]
    fake.script(Reply(tool_calls=[ToolCall("search", ARGUMENTS, id="call_3")]), Reply(text="ok"))
    first = await served.stub.Chat(chat_pb2.ChatRequest(model="gpt", messages=[user("find")]))
    call = first.content[-1].tool_call
    assert call.HasField("arguments") and call.arguments_json  # the gateway fills both
    result = content_pb2.ToolResult(tool_call_id="call_3", text="done")
    replay = [
        user("find"),
        content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=first.content),
        content_pb2.Message(
            role=content_pb2.ROLE_TOOL, parts=[content_pb2.ContentPart(tool_result=result)]
        ),
    ]
    await served.stub.Chat(chat_pb2.ChatRequest(model="gpt", messages=replay))
    sent = fake.requests[1].json["messages"][1]["tool_calls"][0]["function"]["arguments"]
    assert sent == call.arguments_json


async def test_deprecated_struct_fields_are_sent_with_sorted_keys(
    served: Served, fakes: dict[str, FakeServer]
) -> None:
    schema = json.loads(SCHEMA)
    request = chat_pb2.ChatRequest(
        model="gpt",
        messages=[user(json.dumps(ANSWER))],
        tools=[content_pb2.Tool(name="search", parameters=_struct(json.loads(PARAMS)))],
        response_format=_schema_format(schema_json="", schema=_struct(schema)),
    )
    fakes["openai"].script(Reply(text=json.dumps(ANSWER)))
    await served.stub.Chat(request)
    body = fakes["openai"].requests_to("/v1/chat/completions")[0].json
    sent_schema = body["response_format"]["json_schema"]["schema"]
    assert sent_schema == schema and list(sent_schema["properties"]) == ["alpha", "mid", "zeta"]
    parameters = body["tools"][0]["function"]["parameters"]
    assert list(parameters) == sorted(parameters) and parameters["properties"]["limit"] == {
        "default": 36,
        "type": "integer",
    }


async def test_python_client_sends_dicts_in_order_and_returns_ints(
    served: Served, fakes: dict[str, FakeServer]
) -> None:
    fake = fakes["openai"]
    fake.script(Reply(tool_calls=[ToolCall("search", ARGUMENTS)]), Reply(text=json.dumps(ANSWER)))
    async with AsyncModelGate(served.target, timeout=10) as client:
        first = await client.chat(
            "gpt", "find it", tools=[tool("search", parameters=json.loads(PARAMS))]
        )
        call = first.content[-1].tool_call
        assert arguments_of(call) == ARGUMENTS and type(arguments_of(call)["limit"]) is int
        answer = await client.chat(
            "gpt", ["find it", assistant(*first.content)], response_format=json.loads(SCHEMA)
        )
    assert structured_output_of(answer) == ANSWER
    assert structured_output_of(answer)["mid"] == BIG
    first_body = fake.requests[0].raw.decode()
    assert json.dumps(json.loads(PARAMS), separators=(",", ":")) in first_body
