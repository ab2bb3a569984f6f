"""Gemini Embed, CountTokens and model discovery end to end over FakeGemini."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.config import RuntimeConfig
from modelgate.v1 import content_pb2, embedding_pb2, model_pb2, tokens_pb2
from tests.fakes import FakeGemini, FakeModel, Fault
from tests.fakes.text import embed
from tests.gateways import serve, settings
from tests.integration.gemini_setup import KEY, WEATHER, gemini_fixtures, path
from tests.rpc_helpers import decode, system, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub

EMBEDDER = "gemini-embedding-001"


fake, fresh_fake, gemini = gemini_fixtures(embedding_dim=6)


async def test_one_input_uses_embed_content(gemini: Stub, fake: FakeGemini) -> None:
    response = await gemini.Embed(
        embedding_pb2.EmbedRequest(model="gemini-embed", inputs=["hello"], dimensions=4)
    )
    assert [r.path for r in fake.requests] == [path("embedContent", EMBEDDER)]
    assert fake.requests[0].json == {
        "model": f"models/{EMBEDDER}",
        "content": {"parts": [{"text": "hello"}]},
        "outputDimensionality": 4,
    }
    assert list(response.embeddings[0].values) == pytest.approx(embed("hello", 4))
    assert (response.model, response.provider, response.runtime) == (
        "gemini-embed",
        "gemini",
        "gemini",
    )


async def test_many_inputs_use_batch_embed_contents_in_order(
    gemini: Stub, fake: FakeGemini
) -> None:
    response = await gemini.Embed(
        embedding_pb2.EmbedRequest(model="gemini-embed", inputs=["a", "b", "a"])
    )
    assert [r.path for r in fake.requests] == [path("batchEmbedContents", EMBEDDER)]
    requests = fake.requests[0].json["requests"]
    assert [r["content"]["parts"][0]["text"] for r in requests] == ["a", "b", "a"]
    assert [e.index for e in response.embeddings] == [0, 1, 2]
    assert list(response.embeddings[1].values) == pytest.approx(embed("b", 6))
    assert response.embeddings[0].values == response.embeddings[2].values


async def test_fewer_embeddings_than_inputs_is_an_invalid_response(
    gemini: Stub, fake: FakeGemini
) -> None:
    fake.script(Fault.fewer_items())
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await gemini.Embed(embedding_pb2.EmbedRequest(model="gemini-embed", inputs=["a", "b"]))
    status = decode(caught.value)
    assert (status.code, status.reason) == (
        grpc.StatusCode.UNAVAILABLE,
        "UPSTREAM_INVALID_RESPONSE",
    )
    assert "1 embeddings for 2 inputs" in status.message


async def test_count_tokens_of_text_sends_bare_contents(gemini: Stub, fake: FakeGemini) -> None:
    response = await gemini.CountTokens(
        tokens_pb2.CountTokensRequest(model="gemini-test", text="count these four words")
    )
    assert (response.input_tokens, response.method, response.tokenizer) == (
        4,
        tokens_pb2.COUNT_METHOD_PROVIDER_API,
        "gemini",
    )
    assert response.context_window == 1_048_576
    assert fake.requests[0].json == {
        "contents": [{"role": "user", "parts": [{"text": "count these four words"}]}]
    }


async def test_count_tokens_with_system_and_tools_sends_a_generate_content_request(
    gemini: Stub, fake: FakeGemini
) -> None:
    response = await gemini.CountTokens(
        tokens_pb2.CountTokensRequest(
            model="gemini-test",
            messages=[system("Be brief."), user("How warm is Paris?")],
            tools=[content_pb2.Tool(name="get_weather", parameters_json=WEATHER)],
        )
    )
    assert response.input_tokens == 2 + 4 + 1  # system, user, one declared function
    inner = fake.requests[0].json["generateContentRequest"]
    assert inner["model"] == "models/gemini-2.5-flash"
    assert inner["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert inner["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"


async def test_discovery_reads_every_page_and_maps_limits_and_methods(fake: FakeGemini) -> None:
    fake.set_models(
        [
            *[FakeModel(f"gemini-x-{i}", context_length=1000 + i) for i in range(1002)],
            FakeModel(EMBEDDER, kind="embeddings", context_length=2048),
        ]
    )
    runtime = RuntimeConfig(kind="gemini", base_url=fake.url, api_key=KEY, discover=True)
    config = settings(runtimes={"google": runtime}, models=[], discovery_interval_seconds=24 * 3600)
    try:
        async with serve(config) as served:
            listed: list[model_pb2.Model] = []
            token = ""
            while True:
                page = await served.stub.ListModels(
                    model_pb2.ListModelsRequest(runtime="google", page_token=token)
                )
                listed += page.models
                token = page.next_page_token
                if not token:
                    break
    finally:
        fake.set_models(FakeGemini().models)
    models = {m.id: m for m in listed}
    assert len(models) == 1003
    assert [r.query.get("pageToken") for r in fake.requests_to("/v1beta/models")] == [
        None,
        "page-1000",
    ]
    chat = models["gemini-x-7@google"]
    assert chat.provider == "gemini" and chat.discovered
    assert (chat.context_window, chat.max_output_tokens) == (1007, 65_536)
    caps = chat.capabilities
    assert (caps.chat, caps.streaming, caps.tools, caps.reasoning, caps.embedding) == (
        True,
        True,
        True,
        True,
        False,
    )
    embedder = models[f"{EMBEDDER}@google"].capabilities
    assert (embedder.embedding, embedder.chat) == (True, False)
    for recorded in fake.requests:
        assert recorded.headers["x-goog-api-key"] == KEY and "key" not in recorded.query
