"""OpenAI backend through the real gateway against the wire-faithful fake OpenAI: completions,
embeddings, the Responses API, upstream errors, keys, discovery and token counts.
"""

from __future__ import annotations

import grpc
import pytest

from modelgate.config import ModelConfig, RuntimeConfig
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    model_pb2,
)
from tests.fakes import FakeOpenAI, Fault, Reply
from tests.gateways import Served, serve, settings
from tests.integration.openai_backend.support import API_KEY
from tests.rpc_helpers import chat_request, decode, text_of, user


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
