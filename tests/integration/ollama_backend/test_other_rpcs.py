"""The Ollama backend end to end: Complete, Embed and CountTokens."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.v1 import completion_pb2, embedding_pb2, generation_pb2, tokens_pb2
from tests.fakes.ollama_fake import FakeOllama
from tests.fakes.scenario import Fault, Reply
from tests.fakes.text import count_words, embed
from tests.integration.ollama_backend.support import GENERATE, LLAMA, only_body
from tests.rpc_helpers import decode

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub as Stub


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
