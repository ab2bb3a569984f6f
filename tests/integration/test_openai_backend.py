"""OpenAI backend through the real gateway against the wire-faithful fake OpenAI."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from google.protobuf import struct_pb2

from modelgate.config import ModelConfig, PricingConfig, RuntimeConfig
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    generation_pb2,
    model_pb2,
)
from tests.fakes import FakeOpenAI, Fault, Reply, ToolCall
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode, system, text_of, user

API_KEY = "sk-test-openai-0123456789abcdef"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(required_api_key=API_KEY) as server:
        yield server


@pytest.fixture(scope="module")
async def served(fake: FakeOpenAI) -> AsyncIterator[Served]:
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key=API_KEY)
    models = [
        ModelConfig(
            id="gpt-4o",
            runtime="openai",
            provider="openai",
            capabilities=["chat", "completion", "streaming", "tools", "vision", "json_schema"],
            pricing=PricingConfig(input=2.5, output=10.0),
        ),
        ModelConfig(
            id="text-embedding-3-small",
            runtime="openai",
            provider="openai",
            capabilities=["embedding"],
            embedding_dimension=8,
        ),
        ModelConfig(
            id="gpt-4o-responses",
            runtime="openai",
            provider="openai",
            upstream_name="gpt-4o",
            api="responses",
            conversation="upstream",
            capabilities=["chat", "streaming", "tools"],
        ),
    ]
    async with serve(settings(runtimes={"openai": runtime}, models=models)) as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(fake: FakeOpenAI) -> None:
    fake.reset()


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


async def test_legacy_complete_and_stream_complete(served: Served, fake: FakeOpenAI) -> None:
    response = await served.stub.Complete(
        completion_pb2.CompleteRequest(model="gpt-4o", prompt="say hi")
    )
    assert response.text == "say hi"
    assert fake.last_request.path == "/v1/completions"
    events = [
        e
        async for e in served.stub.StreamComplete(
            completion_pb2.StreamCompleteRequest(model="gpt-4o", prompt="a b c")
        )
    ]
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "a b c"
    assert events[-1].end.usage.output_tokens == 3


async def test_embed_batches_inputs_with_dimensions(served: Served, fake: FakeOpenAI) -> None:
    request = embedding_pb2.EmbedRequest(
        model="text-embedding-3-small", inputs=["a", "b", "a"], dimensions=4
    )
    response = await served.stub.Embed(request)
    vectors = [list(e.values) for e in response.embeddings]
    assert len(vectors) == 3 and all(len(v) == 4 for v in vectors)
    assert vectors[0] == pytest.approx(vectors[2]) and vectors[0] != pytest.approx(vectors[1])
    sent = fake.last_request.json
    assert sent["input"] == ["a", "b", "a"] and sent["dimensions"] == 4
    assert sent["encoding_format"] == "base64"
    assert response.usage.input_tokens > 0


async def test_responses_api_passes_previous_response_id_through(
    served: Served, fake: FakeOpenAI
) -> None:
    first = await served.stub.Chat(chat_request("gpt-4o-responses", "remember 7"))
    assert first.id.startswith("resp")
    assert fake.last_request.path == "/v1/responses"
    second = await served.stub.Chat(
        chat_request("gpt-4o-responses", "what number?", previous_response_id=first.id)
    )
    assert fake.last_request.json["previous_response_id"] == first.id
    assert second.id != first.id
    events = [
        e
        async for e in served.stub.StreamChat(
            chat_pb2.StreamChatRequest(model="gpt-4o-responses", messages=[user("streamed words")])
        )
    ]
    assert (
        "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "streamed words"
    )
    assert events[-1].end.usage.output_tokens > 0


async def test_previous_response_id_on_a_chat_completions_model_is_not_found(
    served: Served,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", "x", previous_response_id="resp_unknown"))
    assert decode(caught.value).reason == "RESPONSE_NOT_FOUND"


AZURE_CONTENT_FILTER = {
    "error": {
        "code": "content_filter",
        "message": "The response was filtered due to the prompt triggering Azure OpenAI's "
        "content management policy.",
        "param": "prompt",
        "status": 400,
        "innererror": {
            "code": "ResponsibleAIPolicyViolation",
            "content_filter_result": {"hate": {"filtered": True, "severity": "medium"}},
        },
    }
}
"""Azure OpenAI's answer to a prompt its content filter blocks (a 400, not a finish reason)."""


@pytest.mark.parametrize(
    ("fault", "code", "reason"),
    [
        (
            Fault.http(400, "bad param", param="temperature"),
            grpc.StatusCode.INVALID_ARGUMENT,
            "UPSTREAM_BAD_REQUEST",
        ),
        (
            Fault.context_length_exceeded(),
            grpc.StatusCode.INVALID_ARGUMENT,
            "CONTEXT_LENGTH_EXCEEDED",
        ),
        (
            Fault.http(400, body=AZURE_CONTENT_FILTER),
            grpc.StatusCode.INVALID_ARGUMENT,
            "CONTENT_FILTERED",
        ),
        (Fault.http(401), grpc.StatusCode.FAILED_PRECONDITION, "UPSTREAM_AUTH_FAILED"),
        (
            Fault.http(404, "The model does not exist"),
            grpc.StatusCode.FAILED_PRECONDITION,
            "UPSTREAM_MODEL_NOT_FOUND",
        ),
    ],
)
async def test_non_retryable_upstream_errors_map_to_status(
    served: Served, fake: FakeOpenAI, fault: Fault, code: grpc.StatusCode, reason: str
) -> None:
    fake.script(fault, Reply(text="must not be used"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", "x"))
    status = decode(caught.value)
    assert (status.code, status.reason, status.domain) == (code, reason, "openai")
    assert status.metadata["http_status"] == str(fault.status)
    assert status.metadata["request_id"].startswith("req_")
    assert len(fake.requests_to("/v1/chat/completions")) == 1, (
        "non-retryable errors are not retried"
    )
    assert API_KEY not in status.message


async def test_rate_limit_exhausting_attempts_carries_retry_info(
    served: Served, fake: FakeOpenAI
) -> None:
    fake.set_default(Fault.rate_limited(retry_after=0.05))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request("gpt-4o", "x"), timeout=20)
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert status.reason == "RATE_LIMITED"
    assert status.retry_after is not None and status.retry_after >= 0.05
    assert len(fake.requests_to("/v1/chat/completions")) == 3, (
        "bounded: max attempts per deployment"
    )


async def test_invalid_key_message_never_leaks_the_key(fake: FakeOpenAI) -> None:
    wrong = "sk-wrong-key-should-never-leak-999"
    runtime = RuntimeConfig(kind="openai", base_url=fake.url + "/v1", api_key=wrong)
    model = ModelConfig(id="gpt-4o", runtime="openai", provider="openai")
    async with serve(settings(runtimes={"openai": runtime}, models=[model])) as running:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.Chat(chat_request("gpt-4o", "x"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.FAILED_PRECONDITION
    assert wrong not in status.message and wrong[-8:] not in str(status.metadata)


async def test_missing_key_lists_model_unavailable_and_calls_fail_precondition(
    fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MG_TEST_MISSING_KEY", raising=False)
    runtime = RuntimeConfig(
        kind="openai", base_url=fake.url + "/v1", api_key_env="MG_TEST_MISSING_KEY"
    )
    model = ModelConfig(id="gpt-4o", runtime="openai", provider="openai")
    async with serve(settings(runtimes={"openai": runtime}, models=[model])) as running:
        listed = await running.stub.ListModels(model_pb2.ListModelsRequest())
        assert not listed.models[0].availability.available
        assert "MG_TEST_MISSING_KEY is not set" in listed.models[0].availability.reason
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await running.stub.Chat(chat_request("gpt-4o", "x"))
    assert decode(caught.value).reason == "PROVIDER_UNAVAILABLE"


async def test_discovery_of_an_openai_compatible_server(fake: FakeOpenAI) -> None:
    runtime = RuntimeConfig(
        kind="openai_compatible", base_url=fake.url + "/v1", api_key=API_KEY, discover=True
    )
    async with serve(settings(runtimes={"vllm": runtime})) as running:
        listed = await running.stub.ListModels(model_pb2.ListModelsRequest(runtime="vllm"))
        ids = {m.id for m in listed.models}
        assert {"gpt-4o@vllm", "text-embedding-3-small@vllm"} <= ids
        response = await running.stub.Chat(chat_request("gpt-4o", "short name works"))
        assert text_of(response) == "short name works"
        assert response.model == "gpt-4o@vllm"
        # Labelled like a configured model on the runtime that names no provider: its kind.
        assert {m.provider for m in listed.models} == {"openai_compatible"}


async def test_count_tokens_is_exact_with_shipped_tiktoken(
    served: Served, fake: FakeOpenAI
) -> None:
    from modelgate.v1 import tokens_pb2

    counted = await served.stub.CountTokens(
        tokens_pb2.CountTokensRequest(model="gpt-4o", text="hello world")
    )
    assert counted.input_tokens == 2
    assert counted.method == tokens_pb2.COUNT_METHOD_TOKENIZER
    assert counted.tokenizer == "o200k_base"
    chat = await served.stub.CountTokens(
        tokens_pb2.CountTokensRequest(model="gpt-4o", messages=[user("hello world")])
    )
    assert chat.input_tokens == 2 + 3 + 3
    assert fake.requests == [], "counting never calls the upstream"


async def test_lmstudio_discovers_models_with_types_and_context() -> None:
    from tests.fakes import FakeModel

    models = [
        FakeModel("qwen2.5-7b-instruct", context_length=32768),
        FakeModel("nomic-embed-text-v1.5", kind="embeddings"),
    ]
    async with FakeOpenAI(models=models, lmstudio=True) as lmstudio:
        runtime = RuntimeConfig(kind="lmstudio", base_url=lmstudio.url + "/v1", discover=True)
        async with serve(settings(runtimes={"lmstudio": runtime})) as running:
            listed = await running.stub.ListModels(model_pb2.ListModelsRequest())
            by_id = {m.id: m for m in listed.models}
            chat_model = by_id["qwen2.5-7b-instruct@lmstudio"]
            assert chat_model.capabilities.chat and chat_model.context_window == 32768
            embedder = by_id["nomic-embed-text-v1.5@lmstudio"]
            assert embedder.capabilities.embedding and not embedder.capabilities.chat
            reply = await running.stub.Chat(chat_request("qwen2.5-7b-instruct", "hi studio"))
            assert text_of(reply) == "hi studio"
            vectors = await running.stub.Embed(
                embedding_pb2.EmbedRequest(model="nomic-embed-text-v1.5", inputs=["a"])
            )
            assert len(vectors.embeddings) == 1
            assert lmstudio.last_request.json["encoding_format"] == "float"
        assert lmstudio.requests_to("/api/v0/models"), "LM Studio's typed listing was used"
