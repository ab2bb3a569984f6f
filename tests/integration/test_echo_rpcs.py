"""Every RPC answered by the zero-config echo provider over a real channel."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    generation_pb2,
    model_pb2,
    stream_pb2,
    tokens_pb2,
)
from tests.rpc_helpers import chat_request, decode, system, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


async def test_chat_echoes_the_last_user_message(stub: Stub) -> None:
    request = chat_pb2.ChatRequest(
        model="echo",
        messages=[system("be brief"), user("first question"), user("hello world")],
    )
    response = await stub.Chat(request)
    assert text_of(response) == "hello world"
    assert response.model == "echo"
    assert response.provider == "modelgate"
    assert response.runtime == "echo"
    assert response.id.startswith("resp_")
    assert response.finish_reason == generation_pb2.FINISH_REASON_STOP
    # echo tokenizer: words; the prompt is all message text.
    assert response.usage.input_tokens == 6
    assert response.usage.output_tokens == 2
    assert response.usage.total_tokens == 8
    assert response.latency.ToTimedelta().total_seconds() > 0


async def test_stop_sequences_cut_the_echo_before_the_first_one(stub: Stub) -> None:
    generation = generation_pb2.GenerationConfig(stop_sequences=["STOP", "three"])
    chat = await stub.Chat(chat_request("echo", "one two three STOP four", generation=generation))
    assert text_of(chat) == "one two "
    assert chat.finish_reason == generation_pb2.FINISH_REASON_STOP
    streamed = [
        e.text_delta.text
        async for e in stub.StreamComplete(
            completion_pb2.StreamCompleteRequest(
                model="echo", prompt="alpha STOP beta", generation=generation
            )
        )
        if e.HasField("text_delta")
    ]
    assert "".join(streamed) == "alpha "


async def test_chat_response_ids_are_unique(stub: Stub) -> None:
    ids = {(await stub.Chat(chat_request("echo", "x"))).id for _ in range(5)}
    assert len(ids) == 5


async def test_chat_max_output_tokens_truncates_with_length_reason(stub: Stub) -> None:
    request = chat_request(
        "echo",
        "one two three four",
        generation=generation_pb2.GenerationConfig(max_output_tokens=2),
    )
    response = await stub.Chat(request)
    assert text_of(response) == "one two "
    assert response.finish_reason == generation_pb2.FINISH_REASON_LENGTH
    assert response.usage.output_tokens == 2


async def test_chat_cost_comes_from_catalog_pricing(stub: Stub) -> None:
    response = await stub.Chat(chat_request("echo-priced", "a b c d"))
    assert response.usage.input_tokens == 4
    assert response.cost.input_usd == pytest.approx(4 * 2.0 / 1e6)
    assert response.cost.output_usd == pytest.approx(4 * 8.0 / 1e6)
    assert response.cost.total_usd == pytest.approx(
        response.cost.input_usd + response.cost.output_usd
    )


async def test_stream_chat_sends_attempt_then_words_then_end(stub: Stub) -> None:
    request = chat_pb2.StreamChatRequest(model="echo", messages=[user("hello streaming world")])
    events = [event async for event in stub.StreamChat(request)]
    kinds = [event.WhichOneof("event") for event in events]
    assert kinds == ["attempt", "text_delta", "text_delta", "text_delta", "end"]
    assert events[0].attempt.attempt == 1
    assert events[0].attempt.kind == stream_pb2.ATTEMPT_KIND_FIRST
    assert events[0].attempt.model == "echo"
    assert "".join(e.text_delta.text for e in events[1:-1]) == "hello streaming world"
    end = events[-1].end
    assert end.id.startswith("resp_")
    assert end.usage.output_tokens == 3
    assert end.usage.input_tokens == 3
    assert end.finish_reason == generation_pb2.FINISH_REASON_STOP


async def test_json_response_format_yields_json(stub: Stub) -> None:
    fmt = generation_pb2.ResponseFormat(type=generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT)
    response = await stub.Chat(chat_request("echo", "not json", response_format=fmt))
    assert text_of(response) == '{"echo": "not json"}'


async def test_complete_and_stream_complete_echo_the_prompt(stub: Stub) -> None:
    response = await stub.Complete(completion_pb2.CompleteRequest(model="echo", prompt="once upon"))
    assert response.text == "once upon"
    assert response.id.startswith("resp_")
    events = [
        e
        async for e in stub.StreamComplete(
            completion_pb2.StreamCompleteRequest(model="echo", prompt="a time there")
        )
    ]
    assert events[0].WhichOneof("event") == "attempt"
    assert "".join(e.text_delta.text for e in events if e.HasField("text_delta")) == "a time there"
    assert events[-1].end.usage.output_tokens == 3


async def test_embed_returns_deterministic_unit_vectors(stub: Stub) -> None:
    request = embedding_pb2.EmbedRequest(model="echo", inputs=["alpha", "beta", "alpha"])
    response = await stub.Embed(request)
    vectors = [list(e.values) for e in response.embeddings]
    assert [e.index for e in response.embeddings] == [0, 1, 2]
    assert all(len(v) == 16 for v in vectors)
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-5) for v in vectors)
    assert vectors[0] == vectors[2] and vectors[0] != vectors[1]
    shorter = await stub.Embed(embedding_pb2.EmbedRequest(model="echo", inputs=["a"], dimensions=4))
    assert len(shorter.embeddings[0].values) == 4


async def test_embed_on_a_chat_only_model_is_unimplemented_naming_capable_models(
    stub: Stub,
) -> None:

    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Embed(embedding_pb2.EmbedRequest(model="echo-priced", inputs=["a"]))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.UNIMPLEMENTED
    assert status.reason == "OPERATION_NOT_SUPPORTED"
    assert "echo-embed" in status.message and "echo," in status.message + ","


async def test_list_models_shows_echo_with_capabilities(stub: Stub) -> None:
    response = await stub.ListModels(model_pb2.ListModelsRequest())
    by_id = {m.id: m for m in response.models}
    echo = by_id["echo"]
    assert echo.capabilities.chat and echo.capabilities.embedding and echo.capabilities.streaming
    assert echo.availability.available
    assert echo.embedding_dimension == 16
    assert response.total_size == len(response.models)
    assert [m.id for m in response.models] == sorted(by_id)


async def test_list_models_paginates_and_filters(stub: Stub) -> None:
    seen: list[str] = []
    token = ""
    while True:
        page = await stub.ListModels(model_pb2.ListModelsRequest(page_size=2, page_token=token))
        assert len(page.models) <= 2
        seen.extend(m.id for m in page.models)
        token = page.next_page_token
        if not token:
            break
    everything = await stub.ListModels(model_pb2.ListModelsRequest())
    assert seen == [m.id for m in everything.models]
    embedders = await stub.ListModels(
        model_pb2.ListModelsRequest(capability=model_pb2.CAPABILITY_EMBEDDING)
    )
    assert {m.id for m in embedders.models} == {"echo", "echo-embed"}


async def test_get_model_returns_the_record_and_not_found_for_unknown(stub: Stub) -> None:
    response = await stub.GetModel(model_pb2.GetModelRequest(id="echo-slow"))
    assert response.model.context_window == 100
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetModel(model_pb2.GetModelRequest(id="gpt-17"))
    status = decode(caught.value)
    assert status.code == grpc.StatusCode.NOT_FOUND
    assert status.reason == "MODEL_NOT_FOUND"
    assert "echo" in status.message


async def test_count_tokens_is_exact_for_the_echo_tokenizer(stub: Stub) -> None:
    by_text = await stub.CountTokens(
        tokens_pb2.CountTokensRequest(model="echo", text="one two  three")
    )
    assert by_text.input_tokens == 3
    assert by_text.method == tokens_pb2.COUNT_METHOD_TOKENIZER
    assert by_text.context_window == 32_768
    by_messages = await stub.CountTokens(
        tokens_pb2.CountTokensRequest(model="echo", messages=[system("a b"), user("c")])
    )
    assert by_messages.input_tokens == 3


async def test_model_management_on_echo_is_unimplemented(stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.DeleteModel(model_pb2.DeleteModelRequest(runtime="echo", name="x"))
    assert decode(caught.value).code == grpc.StatusCode.UNIMPLEMENTED
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.DeleteModel(model_pb2.DeleteModelRequest(runtime="nowhere", name="x"))
    assert decode(caught.value).code == grpc.StatusCode.NOT_FOUND


async def test_tool_result_parts_are_accepted_after_a_tool_call(stub: Stub) -> None:
    call = content_pb2.ContentPart(tool_call=content_pb2.ToolCall(id="c1", name="lookup"))
    result = content_pb2.ContentPart(
        tool_result=content_pb2.ToolResult(tool_call_id="c1", text="42")
    )
    request = chat_pb2.ChatRequest(
        model="echo",
        messages=[
            user("what is it"),
            content_pb2.Message(role=content_pb2.ROLE_ASSISTANT, parts=[call]),
            content_pb2.Message(role=content_pb2.ROLE_TOOL, parts=[result]),
        ],
    )
    response = await stub.Chat(request)
    assert text_of(response) == "what is it"


async def test_input_plus_max_output_beyond_context_window_fails_fast(stub: Stub) -> None:
    words = " ".join(["w"] * 40)
    fits = chat_request(
        "echo-small", words, generation=generation_pb2.GenerationConfig(max_output_tokens=10)
    )
    assert (await stub.Chat(fits)).usage.input_tokens == 40
    too_long = chat_request(
        "echo-small", words, generation=generation_pb2.GenerationConfig(max_output_tokens=11)
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(too_long)
    status = decode(caught.value)
    assert (status.code, status.reason) == (grpc.StatusCode.OUT_OF_RANGE, "CONTEXT_LENGTH_EXCEEDED")
    assert status.metadata == {
        "model": "echo-small",
        "input_tokens": "40",
        "max_output_tokens": "11",
        "context_window": "50",
    }
    assert "40" in status.message and "50" in status.message
