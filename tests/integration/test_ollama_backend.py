"""The Ollama backend end to end: a real gateway in front of the wire-faithful fake Ollama.

Every test checks both sides: what the caller got over gRPC and what the fake
Ollama received, so a wrong body is caught even when the answer looks right.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import grpc
import pytest
from google.protobuf import duration_pb2, json_format, struct_pb2

from modelgate.app import Gateway
from modelgate.config import ModelConfig, RuntimeConfig, Settings
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    gateway_pb2_grpc,
    generation_pb2,
    model_pb2,
    tokens_pb2,
)
from tests.fakes.base import ndjson
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import FakeModel, Fault, Reply, ToolCall, count_words, embed
from tests.rpc_helpers import decode, system, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00fake-png-pixels"
LLAMA = "llama3.2:latest@ollama"
CHAT = "/api/chat"
GENERATE = "/api/generate"


def served_models() -> list[FakeModel]:
    """What the fake Ollama serves at the start of every test (fresh objects: `loaded` mutates)."""
    return [
        FakeModel("llama3.2:latest", family="llama", parameter_size="3.2B", size=2_019_393_189),
        FakeModel("qwen2.5:7b", family="qwen2", parameter_size="7.6B", size=4_683_087_332),
        FakeModel(
            "nomic-embed-text:latest",
            kind="embeddings",
            family="nomic-bert",
            parameter_size="137M",
            quantization="F16",
            loaded=False,
        ),
        FakeModel("llava:7b", kind="vlm", family="llama", loaded=False),
    ]


def ollama_settings(url: str) -> Settings:
    """One discovering Ollama runtime called "ollama", no configured models.

    Tests refresh the catalog themselves; the background refresh is put off for a day, or
    on a machine slow enough for this module to outlive the 30 s default it would fire
    mid-test (an extra /api/tags call, a scripted /api/show fault consumed, a removed
    model dropped from the catalog before the test expects it).
    """
    runtime = RuntimeConfig(kind="ollama", base_url=url, discover=True)
    return Settings(  # type: ignore[call-arg]
        runtimes={"ollama": runtime},
        models=[],
        discovery_interval_seconds=24 * 3600,
        _env_file=None,
    )


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeOllama]:
    """The fake Ollama daemon on a free port."""
    server = FakeOllama(models=served_models())
    await server.start()
    yield server
    await server.stop()


@pytest.fixture(scope="module")
async def gw(fake: FakeOllama) -> AsyncIterator[Gateway]:
    """A gateway whose start-up discovery found the fake's models."""
    gateway = Gateway(ollama_settings(fake.url))
    await gateway.start(host="127.0.0.1", port=0)
    yield gateway
    await gateway.stop(grace=1)


@pytest.fixture(scope="module")
async def stub(gw: Gateway) -> AsyncIterator[Stub]:
    """A real channel to the Ollama gateway (overrides the echo gateway's stub)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{gw.port}") as channel:
        yield gateway_pb2_grpc.ModelGatewayStub(channel)


@pytest.fixture(autouse=True)
async def clean_fake(fake: FakeOllama, gw: Gateway) -> AsyncIterator[None]:
    """Each test starts from the same served models, no scripts and no recordings."""
    fake.reset()
    yield
    fake.reset()
    fake.set_models(served_models())
    await gw.catalog.refresh()
    fake.reset()


async def ids(stub: Stub) -> set[str]:
    """Ids of the Ollama runtime's models in ListModels."""
    listed = await stub.ListModels(model_pb2.ListModelsRequest(runtime="ollama"))
    return {m.id for m in listed.models}


def only_body(fake: FakeOllama, path: str) -> dict[str, Any]:
    """The JSON body of the single request the fake got on `path`."""
    sent = fake.requests_to(path)
    assert len(sent) == 1, f"expected one request to {path}, got {len(sent)}"
    return sent[0].json


def struct(value: dict[str, Any]) -> struct_pb2.Struct:
    """A Struct holding `value`."""
    result = struct_pb2.Struct()
    result.update(value)
    return result


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- discovery and listing -------------------------------------------------------------------


async def test_list_models_shows_discovered_models_as_tag_at_runtime(
    stub: Stub, fake: FakeOllama
) -> None:
    listed = await stub.ListModels(model_pb2.ListModelsRequest(runtime="ollama"))
    by_id = {m.id: m for m in listed.models}
    assert set(by_id) == {
        "llama3.2:latest@ollama",
        "qwen2.5:7b@ollama",
        "nomic-embed-text:latest@ollama",
        "llava:7b@ollama",
    }
    llama = by_id[LLAMA]
    assert llama.label == "llama3.2:latest"
    assert llama.provider == "llama"
    assert llama.runtime == "ollama"
    assert llama.endpoint == fake.url
    assert llama.discovered and llama.availability.available
    assert llama.context_window == 8192  # model_info from /api/show
    assert llama.details.digest == fake.find_model("llama3.2:latest").digest  # type: ignore[union-attr]
    assert llama.details.parameter_size == "3.2B"
    caps = llama.capabilities
    assert (caps.chat, caps.completion, caps.streaming, caps.tools) == (True, True, True, True)
    assert not caps.embedding and not caps.vision
    embedder = by_id["nomic-embed-text:latest@ollama"].capabilities
    assert embedder.embedding and not embedder.chat and not embedder.completion
    assert by_id["nomic-embed-text:latest@ollama"].embedding_dimension == fake.embedding_dim
    assert by_id["llava:7b@ollama"].capabilities.vision


async def test_discovery_lists_tags_and_shows_only_models_it_has_not_seen(
    gw: Gateway, fake: FakeOllama
) -> None:
    await gw.catalog.refresh()
    assert [r.method for r in fake.requests_to("/api/tags")] == ["GET"]
    assert fake.requests_to("/api/show") == []  # every digest already known
    fake.add_model(FakeModel("phi4:14b", family="phi3"))
    await gw.catalog.refresh()
    assert [r.json for r in fake.requests_to("/api/show")] == [{"model": "phi4:14b"}]


async def test_discovery_follows_models_appearing_and_vanishing(
    stub: Stub, gw: Gateway, fake: FakeOllama
) -> None:
    fake.add_model(FakeModel("gemma3:4b", family="gemma3"))
    await gw.catalog.refresh()
    assert "gemma3:4b@ollama" in await ids(stub)
    fake.remove_model("gemma3:4b")
    fake.remove_model("qwen2.5:7b")
    await gw.catalog.refresh()
    listed = await ids(stub)
    assert "gemma3:4b@ollama" not in listed
    assert "qwen2.5:7b@ollama" not in listed
    assert LLAMA in listed


async def test_discovery_falls_back_to_the_name_heuristic_when_show_fails(
    stub: Stub, gw: Gateway, fake: FakeOllama
) -> None:
    async def capabilities() -> model_pb2.Capabilities:
        listed = await stub.ListModels(model_pb2.ListModelsRequest(runtime="ollama"))
        return next(
            m for m in listed.models if m.id == "mxbai-embed-large:latest@ollama"
        ).capabilities

    fake.add_model(
        FakeModel("mxbai-embed-large:latest", family="bert")
    )  # its show says "completion"
    fake.script(Fault.server_error(), path="/api/show")
    await gw.catalog.refresh()
    guessed = await capabilities()
    assert guessed.embedding and not guessed.chat  # "embed" in the name
    await gw.catalog.refresh()  # a failed show is not cached: asked again, and it wins
    assert len(fake.requests_to("/api/show")) == 2
    shown = await capabilities()
    assert shown.chat and shown.tools and not shown.embedding


async def test_short_name_resolves_to_the_only_runtime_serving_it(
    stub: Stub, fake: FakeOllama
) -> None:
    response = await stub.Chat(
        chat_pb2.ChatRequest(model="llama3.2:latest", messages=[user("hi there")])
    )
    assert response.model == LLAMA
    assert response.runtime == "ollama"
    assert only_body(fake, CHAT)["model"] == "llama3.2:latest"


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
    # a 200 "fault" with a verbatim body plays an older daemon's exact answer
    fake.script(Fault.http(200, body=unary), Fault.http(200, body=lines), path=CHAT)

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


async def test_unknown_upstream_model_is_failed_precondition(stub: Stub, fake: FakeOllama) -> None:
    fake.remove_model("qwen2.5:7b")  # gone from Ollama, catalog not refreshed yet
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_pb2.ChatRequest(model="qwen2.5:7b@ollama", messages=[user("hi")]))
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.FAILED_PRECONDITION
    assert error.reason == "UPSTREAM_MODEL_NOT_FOUND"
    assert only_body(fake, CHAT)["model"] == "qwen2.5:7b"


# -- stream failures ---------------------------------------------------------------------------


async def stream_error(stub: Stub) -> tuple[list[str], grpc.aio.AioRpcError]:
    """Event kinds received before a StreamChat failed, and the failure."""
    kinds: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        request = chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("one two three four")])
        async for event in stub.StreamChat(request):
            kinds.append(str(event.WhichOneof("event")))
    return kinds, caught.value


async def test_error_line_mid_stream_is_unavailable(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.stream_error(after_chunks=2, message="model runner crashed"), path=CHAT)
    kinds, raised = await stream_error(stub)
    error = decode(raised)
    assert kinds == ["attempt", "text_delta", "text_delta"]
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert error.reason == "UPSTREAM_UNAVAILABLE"
    assert "model runner crashed" in error.message


async def test_stream_ending_without_done_is_unavailable(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.truncate(), path=CHAT)
    kinds, raised = await stream_error(stub)
    error = decode(raised)
    assert kinds == ["attempt"] + ["text_delta"] * 4  # all text arrived, the `done` line did not
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "stream ended without done" in error.message


async def test_malformed_stream_line_is_unavailable(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.malformed(after_chunks=1), path=CHAT)
    kinds, raised = await stream_error(stub)
    error = decode(raised)
    assert kinds == ["attempt", "text_delta"]
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "malformed" in error.message


async def test_cancelling_a_stream_closes_the_upstream_request(
    stub: Stub, fake: FakeOllama
) -> None:
    # The first token comes at once, the next one 60 s later (past pytest's timeout): the
    # upstream stream is surely open at the cancel, and only the gateway can close it.
    fake.script(Reply(text="one two three", tokens_per_s=1 / 60), path=CHAT)
    call = stub.StreamChat(chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("go")]))
    async for event in call:
        if event.HasField("text_delta"):
            break
    call.cancel()
    await fake.wait_for_disconnect()  # recorded only for a response cut short
    assert fake.streams_started == 1


async def test_caller_deadline_closes_a_hung_upstream_request(stub: Stub, fake: FakeOllama) -> None:
    fake.script(Fault.hang(), path=CHAT)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(chat_pb2.ChatRequest(model=LLAMA, messages=[user("hi")]), timeout=0.5)
    assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    await fake.wait_for_disconnect()


# -- completion, embeddings, tokens ------------------------------------------------------------


async def test_complete_and_stream_complete_use_api_generate(stub: Stub, fake: FakeOllama) -> None:
    generation = generation_pb2.GenerationConfig(max_output_tokens=32)
    response = await stub.Complete(
        completion_pb2.CompleteRequest(
            model=LLAMA, prompt="def add(a, b):", suffix="return c", generation=generation
        )
    )
    assert response.text == "def add(a, b):"
    assert response.usage.output_tokens == 3
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    fake.script(Reply(text="once upon a time", input_tokens=4, output_tokens=4), path=GENERATE)
    events = [
        e
        async for e in stub.StreamComplete(
            completion_pb2.StreamCompleteRequest(model=LLAMA, prompt="tell a story")
        )
    ]
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == (
        "once upon a time"
    )
    assert events[-1].end.usage.input_tokens == 4
    assert events[-1].end.usage.output_tokens == 4
    assert [r.json for r in fake.requests_to(GENERATE)] == [
        {
            "model": "llama3.2:latest",
            "prompt": "def add(a, b):",
            "suffix": "return c",
            "stream": False,
            "options": {"num_predict": 32},
        },
        {"model": "llama3.2:latest", "prompt": "tell a story", "stream": True},
    ]


async def test_embed_sends_all_inputs_to_api_embed_and_keeps_order(
    stub: Stub, fake: FakeOllama
) -> None:
    inputs = ["alpha", "beta gamma", "alpha"]
    response = await stub.Embed(
        embedding_pb2.EmbedRequest(
            model="nomic-embed-text:latest@ollama", inputs=inputs, dimensions=4
        )
    )
    assert only_body(fake, "/api/embed") == {
        "model": "nomic-embed-text:latest",
        "input": inputs,
        "dimensions": 4,
    }
    assert [e.index for e in response.embeddings] == [0, 1, 2]
    for got, text in zip(response.embeddings, inputs, strict=True):
        assert list(got.values) == pytest.approx(embed(text, 4), rel=1e-6)
    assert response.usage.input_tokens == count_words(*inputs)


async def test_fewer_embeddings_than_inputs_is_an_invalid_response_asked_once(
    stub: Stub, fake: FakeOllama
) -> None:
    fake.script(Fault.fewer_items(), path="/api/embed")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Embed(
            embedding_pb2.EmbedRequest(model="nomic-embed-text:latest@ollama", inputs=["a", "b"])
        )
    error = decode(caught.value)
    assert (error.code, error.reason) == (grpc.StatusCode.UNAVAILABLE, "UPSTREAM_INVALID_RESPONSE")
    assert len(fake.requests_to("/api/embed")) == 1


async def test_count_tokens_is_a_local_estimate(stub: Stub, fake: FakeOllama) -> None:
    response = await stub.CountTokens(tokens_pb2.CountTokensRequest(model=LLAMA, text="x" * 9))
    assert response.input_tokens == 3  # ceil(9 / 4)
    assert response.method == tokens_pb2.COUNT_METHOD_ESTIMATE
    assert response.context_window == 8192
    assert fake.requests == []  # Ollama has no tokenizer endpoint to ask


# -- model details and management --------------------------------------------------------------


async def test_get_model_adds_details_from_api_show(stub: Stub, fake: FakeOllama) -> None:
    response = await stub.GetModel(model_pb2.GetModelRequest(id="llama3.2:latest"))
    details = response.model.details
    assert only_body(fake, "/api/show") == {"model": "llama3.2:latest"}
    assert response.model.id == LLAMA
    assert (details.family, details.parameter_size, details.quantization_level) == (
        "llama",
        "3.2B",
        "Q4_K_M",
    )
    assert details.format == "gguf"
    assert details.template == "{{ .Prompt }}"
    assert details.parameters == 'stop "<|eot_id|>"'
    assert details.digest == fake.find_model("llama3.2:latest").digest  # type: ignore[union-attr]
    assert details.modified_time.ToDatetime(tzinfo=UTC) == datetime(
        2025, 5, 10, 15, 6, 48, 639712, tzinfo=UTC
    )


async def test_pull_streams_progress_then_the_model_is_listed(stub: Stub, fake: FakeOllama) -> None:
    progress = [
        p
        async for p in stub.PullModel(
            model_pb2.PullModelRequest(runtime="ollama", name="tinyllama")
        )
    ]
    assert progress[0].status == "pulling manifest"
    assert progress[-1].status == "success"
    sized = [p for p in progress if p.total_bytes]
    assert [p.completed_bytes for p in sized] == [
        p.total_bytes * i // 4 for i, p in enumerate(sized)
    ]
    assert sized[0].digest.startswith("sha256:")
    assert only_body(fake, "/api/pull") == {"model": "tinyllama", "insecure": False, "stream": True}
    assert "tinyllama:latest@ollama" in await ids(stub)


async def test_pull_error_line_is_unavailable_and_adds_nothing(
    stub: Stub, fake: FakeOllama
) -> None:
    fake.script(
        Fault.stream_error(after_chunks=1, message="pull model manifest: file does not exist"),
        path="/api/pull",
    )
    statuses: list[str] = []
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for p in stub.PullModel(model_pb2.PullModelRequest(runtime="ollama", name="nope")):
            statuses.append(p.status)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "file does not exist" in error.message
    assert "success" not in statuses
    assert "nope:latest@ollama" not in await ids(stub)


async def test_delete_model_removes_it_and_unknown_is_not_found(
    stub: Stub, fake: FakeOllama
) -> None:
    await stub.DeleteModel(model_pb2.DeleteModelRequest(runtime="ollama", name="qwen2.5:7b"))
    sent = fake.requests_to("/api/delete")
    assert [(r.method, r.json) for r in sent] == [("DELETE", {"model": "qwen2.5:7b"})]
    assert "qwen2.5:7b@ollama" not in await ids(stub)

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.DeleteModel(model_pb2.DeleteModelRequest(runtime="ollama", name="ghost:1b"))
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.NOT_FOUND
    assert error.reason == "MODEL_NOT_FOUND"
    assert error.metadata == {"model": "ghost:1b", "runtime": "ollama"}


async def test_list_running_models_reads_api_ps(stub: Stub, fake: FakeOllama) -> None:
    response = await stub.ListRunningModels(model_pb2.ListRunningModelsRequest(runtime="ollama"))
    assert [r.method for r in fake.requests_to("/api/ps")] == ["GET"]
    by_id = {m.id: m for m in response.models}
    assert set(by_id) == {LLAMA, "qwen2.5:7b@ollama"}  # the fake's loaded models
    llama = by_id[LLAMA]
    assert llama.name == "llama3.2:latest" and llama.runtime == "ollama"
    assert llama.size_vram_bytes == llama.size_bytes == 2_019_393_189
    assert llama.digest == fake.find_model("llama3.2:latest").digest  # type: ignore[union-attr]
    expires = llama.expire_time.ToDatetime(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(minutes=4) < expires <= timedelta(minutes=5)


async def test_load_and_unload_send_keep_alive(stub: Stub, fake: FakeOllama) -> None:
    name = "llava:7b"
    await stub.LoadModel(
        model_pb2.LoadModelRequest(
            runtime="ollama", name=name, keep_alive=duration_pb2.Duration(seconds=600)
        )
    )
    await stub.LoadModel(model_pb2.LoadModelRequest(runtime="ollama", name=name))
    await stub.LoadModel(
        model_pb2.LoadModelRequest(
            runtime="ollama", name=name, keep_alive=duration_pb2.Duration(seconds=-30)
        )
    )  # any negative duration means "keep forever": Ollama's -1
    await stub.UnloadModel(model_pb2.UnloadModelRequest(runtime="ollama", name=name))
    assert [r.json for r in fake.requests_to(GENERATE)] == [
        {"model": name, "keep_alive": 600},
        {"model": name},
        {"model": name, "keep_alive": -1},
        {"model": name, "keep_alive": 0},
    ]
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.LoadModel(model_pb2.LoadModelRequest(runtime="ollama", name="ghost:1b"))
    assert decode(caught.value).code == grpc.StatusCode.NOT_FOUND


# -- runtime down ------------------------------------------------------------------------------


async def test_runtime_going_down_keeps_listing_and_calls_are_unavailable() -> None:
    fake = FakeOllama(models=served_models())
    await fake.start()
    gateway = Gateway(ollama_settings(fake.url))
    await gateway.start(host="127.0.0.1", port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            await fake.stop()
            await gateway.catalog.refresh()
            assert LLAMA in await ids(stub)  # last known models stay listed
            with pytest.raises(grpc.aio.AioRpcError) as chat_error:
                await stub.Chat(chat_pb2.ChatRequest(model=LLAMA, messages=[user("hi")]))
            with pytest.raises(grpc.aio.AioRpcError) as ps_error:
                await stub.ListRunningModels(model_pb2.ListRunningModelsRequest(runtime="ollama"))
    finally:
        await gateway.stop(grace=1)
        await fake.stop()
    for raised in (chat_error.value, ps_error.value):
        error = decode(raised)
        assert error.code == grpc.StatusCode.UNAVAILABLE
        assert error.reason == "UPSTREAM_UNAVAILABLE"
    assert gateway.catalog.runtimes["ollama"].error.startswith("discovery failed")


async def test_runtime_down_from_the_start_still_lists_and_calls_are_unavailable() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    configured = ModelConfig(
        id="llama3.2:latest@ollama", runtime="ollama", capabilities=["chat", "streaming"]
    )
    settings = ollama_settings(url)
    settings.models = [configured]
    gateway = Gateway(settings)
    await gateway.start(host="127.0.0.1", port=0)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.port}") as channel:
            stub = gateway_pb2_grpc.ModelGatewayStub(channel)
            assert await ids(stub) == {LLAMA}  # configured, nothing discovered
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                request = chat_pb2.StreamChatRequest(model=LLAMA, messages=[user("hi")])
                _ = [e async for e in stub.StreamChat(request)]
    finally:
        await gateway.stop(grace=1)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.UNAVAILABLE
    assert "connection refused" in error.message
