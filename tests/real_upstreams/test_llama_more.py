"""Embeddings, sampling parameters, upstream rejections, cancellation and discovery against
llama-server, compared with the official SDKs where they apply."""

from __future__ import annotations

import asyncio
import json
import time
from array import array
from typing import Any

import aiohttp
import anthropic
import grpc
import openai
import pytest
from google.protobuf import json_format

from modelgate.v1 import embedding_pb2, model_pb2
from tests.gateways import Served
from tests.real_upstreams.catalog import (
    CHAT_COMPLETIONS_KINDS,
    EMBEDDING_KINDS,
    KINDS,
    TINY_EMBEDDING_DIMENSION,
    Upstreams,
    llama_embedding_model,
    llama_model,
    skip_unless_running,
)
from tests.real_upstreams.conversation import Say, Turn
from tests.real_upstreams.direct import Ask, Direct, chat_request, gateway_answer, stream_request
from tests.rpc_helpers import decode

skip_unless_running()

QUESTION: list[Turn] = [Say("user", "Name three colours.")]
CANCEL_MAX_TOKENS = 4000
"""Far more than are generated before a cancel arrives; the slot holds 4096 tokens."""
SETTLE_SECONDS = 30.0
"""Bound on waiting for llama-server to show the cancelled request's slot idle (well inside
pytest's 60 s per test, so a failure is reported as this assertion)."""
PREDICTED_METRIC = "llamacpp:tokens_predicted_total"


@pytest.mark.parametrize("kind", EMBEDDING_KINDS)
async def test_embed_returns_the_vectors_the_sdk_gets(
    served: Served, llama_embeddings: Direct, kind: str
) -> None:
    inputs = ["the quick brown fox", "jumps over the lazy dog"]
    request = embedding_pb2.EmbedRequest(model=llama_embedding_model(kind), inputs=inputs)
    response = await served.stub.Embed(request, timeout=60)
    direct = await llama_embeddings.embed(inputs)
    assert [array("f", item.values) for item in response.embeddings] == [
        array("f", vector) for vector in direct
    ]
    assert [len(vector) for vector in direct] == [TINY_EMBEDDING_DIMENSION] * 2
    assert direct[0] != direct[1]


@pytest.mark.parametrize(
    "kind",
    [
        "openai_compatible",  # issue 14: top_k was dropped
        "responses",  # issue 14: a generation.extra key the SDK did not name was INTERNAL
        "anthropic",
    ],
)
async def test_top_k_one_samples_the_greedy_answer(
    served: Served, llama: Direct, kind: str
) -> None:
    """top_k=1 leaves one candidate per step: sampling at temperature 1 turns greedy."""
    greedy = await llama.chat(kind, Ask(QUESTION))
    sampled = await llama.chat(kind, Ask(QUESTION, temperature=1.0))
    assert sampled.text != greedy.text, "the prompt must tell sampling from greedy apart"
    request = chat_request(llama_model(kind), Ask(QUESTION, temperature=1.0))
    if kind == "responses":  # the Responses API has no top_k: a llama.cpp extension
        request.generation.extra.update({"top_k": 1})
    else:
        request.generation.top_k = 1
    through_gateway = gateway_answer(await served.stub.Chat(request, timeout=60))
    assert through_gateway == greedy


@pytest.mark.parametrize("kind", [*CHAT_COMPLETIONS_KINDS, "responses"])
async def test_bad_parameter_is_invalid_argument_where_the_sdk_gets_400(
    served: Served, llama: Direct, kind: str
) -> None:
    """llama-server refuses `top_logprobs` without `logprobs` with a 400. (Its Messages route
    drops unknown fields, so there is no anthropic case.)"""
    with pytest.raises(openai.BadRequestError) as direct:
        if kind == "responses":
            await llama.openai.responses.create(model=llama.model, input="Hi", top_logprobs=2)
        else:
            await llama.openai.chat.completions.create(
                model=llama.model, messages=[{"role": "user", "content": "Hi"}], top_logprobs=2
            )
    request = chat_request(llama_model(kind), Ask([Say("user", "Hi")]))
    request.generation.extra.update({"top_logprobs": 2})
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(request, timeout=60)
    error = decode(caught.value)
    assert direct.value.status_code == 400
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST")
    assert "top_logprobs" in error.message, "the upstream's explanation reaches the caller"


@pytest.mark.parametrize("kind", KINDS)
async def test_prompt_beyond_the_context_is_invalid_argument_where_the_sdk_gets_400(
    served: Served, llama: Direct, kind: str
) -> None:
    ask = Ask([Say("user", " word" * 5000)])
    with pytest.raises((openai.BadRequestError, anthropic.BadRequestError)) as direct:
        await llama.chat(kind, ask)
    assert isinstance(direct.value, openai.APIStatusError | anthropic.APIStatusError)
    assert direct.value.status_code == 400
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request(llama_model(kind), ask), timeout=60)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert error.reason in ("UPSTREAM_BAD_REQUEST", "CONTEXT_LENGTH_EXCEEDED")


async def _generating(http: aiohttp.ClientSession, url: str) -> bool:
    """Whether any llama-server slot is still working on a request."""
    async with http.get(f"{url}/slots") as answer:
        slots: list[dict[str, Any]] = await answer.json()
    return any(slot["is_processing"] for slot in slots)


async def _tokens_generated(http: aiohttp.ClientSession, url: str) -> float:
    """llama-server's count of generated tokens, updated when a request's slot is released."""
    async with http.get(f"{url}/metrics") as answer:
        text = await answer.text()
    line = next(line for line in text.splitlines() if line.startswith(PREDICTED_METRIC + " "))
    return float(line.split()[1])


@pytest.mark.parametrize("kind", KINDS)
async def test_cancelled_stream_stops_the_generation_upstream(
    served: Served, upstreams: Upstreams, kind: str
) -> None:
    """Had the request not been closed, the slot would have run to CANCEL_MAX_TOKENS."""
    ask = Ask([Say("user", "Write a long story.")], max_tokens=CANCEL_MAX_TOKENS)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        assert not await _generating(http, upstreams.llama), "an earlier request is still running"
        before = await _tokens_generated(http, upstreams.llama)
        call = served.stub.StreamChat(stream_request(llama_model(kind), ask), timeout=120)
        async for event in call:
            if event.HasField("text_delta"):
                break  # generation has started upstream
        call.cancel()
        deadline = time.monotonic() + SETTLE_SECONDS
        while await _generating(http, upstreams.llama):
            assert time.monotonic() < deadline, f"still generating {SETTLE_SECONDS:.0f} s later"
            await asyncio.sleep(0.1)
        generated = await _tokens_generated(http, upstreams.llama) - before
    assert 0 < generated < CANCEL_MAX_TOKENS


async def test_discovered_model_reports_the_context_window_llama_server_reports(
    served: Served, llama: Direct
) -> None:
    listed = (await llama.openai.models.list()).data[0]
    context = (listed.model_extra or {})["meta"]["n_ctx_train"]
    answer = await served.stub.GetModel(
        model_pb2.GetModelRequest(id=f"{listed.id}@llama-compat"), timeout=30
    )
    assert answer.model.context_window == context == 4096


async def test_json_schema_property_order_reaches_llama_as_written(
    served: Served, llama: Direct
) -> None:
    """llama-server's grammar writes properties in the schema's order: it must be ours."""
    schema = {
        "type": "object",
        "properties": {"zeta": {"enum": ["z"]}, "alpha": {"enum": ["a"]}},
        "required": ["zeta", "alpha"],
        "additionalProperties": False,
    }
    ask = Ask([Say("user", "Answer in JSON.")], 100, schema=("ordered", schema))
    direct = await llama.chat("openai", ask)
    assert list(json.loads(direct.text)) == ["zeta", "alpha"]
    request = chat_request(llama_model("openai"), Ask(ask.turns, 100))
    json_format.ParseDict(
        {
            "type": "RESPONSE_FORMAT_TYPE_JSON_SCHEMA",
            "schemaName": "ordered",
            "schemaJson": json.dumps(schema),
            "maxReasks": 0,
        },
        request.response_format,
    )
    response = await served.stub.Chat(request, timeout=60)
    assert gateway_answer(response).text == direct.text
