"""Every backend kind against LiteLLM proxy's mock models, compared with the SDKs.

LiteLLM answers mock models from its config (nothing leaves the machine) but through its real
routes: Chat Completions, Completions, Embeddings, Responses and Anthropic Messages, each with
its own serializer. So these tests check that the gateway reads what a real proxy writes, the
way the official SDKs read it. What LiteLLM 1.106.2 cannot mock is said where it matters.
"""

from __future__ import annotations

from array import array
from typing import Any

import anthropic
import grpc
import openai
import pytest

from modelgate.v1 import completion_pb2, embedding_pb2, generation_pb2
from tests.gateways import Served
from tests.real_upstreams.catalog import (
    CHAT_COMPLETIONS_KINDS,
    KINDS,
    litellm_model,
    skip_unless_running,
)
from tests.real_upstreams.conversation import WEATHER, Say, Turn
from tests.real_upstreams.direct import (
    Ask,
    Direct,
    chat_request,
    gateway_answer,
    gateway_stream,
    json_answer,
    stream_request,
    structured,
)
from tests.rpc_helpers import decode

skip_unless_running()

MOCK_TEXT = "The tiny tier says hello."
QUESTION: list[Turn] = [Say("system", "Be brief."), Say("user", "Say hello.")]
CITY_SCHEMA = (
    "city",
    {
        "type": "object",
        "properties": {"city": {"type": "string"}, "sunny": {"type": "boolean"}},
        "required": ["city", "sunny"],
    },
)


@pytest.mark.parametrize("kind", KINDS)
async def test_chat_answers_what_the_sdk_gets(served: Served, litellm: Direct, kind: str) -> None:
    ask = Ask(QUESTION)
    response = await served.stub.Chat(chat_request(litellm_model("chat", kind), ask))
    direct = await litellm.on("mock-chat").chat(kind, ask)
    assert gateway_answer(response) == direct
    assert direct.text == MOCK_TEXT


@pytest.mark.parametrize("kind", CHAT_COMPLETIONS_KINDS)
async def test_stream_chat_streams_what_the_sdk_streams(
    served: Served, litellm: Direct, kind: str
) -> None:
    ask = Ask(QUESTION)
    streamed = await gateway_stream(served.stub, litellm_model("chat", kind), ask)
    assert streamed == await litellm.on("mock-chat").chat(kind, ask, stream=True)
    assert streamed.text == MOCK_TEXT


@pytest.mark.parametrize("kind", ["responses", "anthropic"])
async def test_stream_chat_that_litellm_cannot_mock_is_unavailable_not_hung(
    served: Served, kind: str
) -> None:
    """LiteLLM's mocks cannot stream on these routes (an error event; a plain JSON body)."""
    request = stream_request(litellm_model("chat", kind), Ask(QUESTION))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in served.stub.StreamChat(request, timeout=30):
            pass
    assert caught.value.code() == grpc.StatusCode.UNAVAILABLE


@pytest.mark.parametrize("kind", KINDS)
async def test_multi_turn_chat_is_accepted_as_from_the_sdk(
    served: Served, litellm: Direct, kind: str
) -> None:
    turns: list[Turn] = [*QUESTION, Say("assistant", "Hello."), Say("user", "Again.")]
    response = await served.stub.Chat(chat_request(litellm_model("chat", kind), Ask(turns)))
    assert gateway_answer(response) == await litellm.on("mock-chat").chat(kind, Ask(turns))


@pytest.mark.parametrize("kind", CHAT_COMPLETIONS_KINDS)
async def test_tool_calls_are_the_calls_the_sdk_gets(
    served: Served, litellm: Direct, kind: str
) -> None:
    """Only Chat Completions mocks tool calls (`mock_tool_calls`); the other routes drop it."""
    ask = Ask([Say("user", "Weather in Paris?")], tools=(WEATHER,), tool_choice="required")
    direct = await litellm.on("mock-tools").chat(kind, ask)
    response = await served.stub.Chat(chat_request(litellm_model("tools", kind), ask))
    assert gateway_answer(response) == direct
    assert direct.calls == [("get_weather", {"city": "Paris"})]
    assert response.content[-1].tool_call.id == "call_mock_1"


@pytest.mark.parametrize("kind", ["openai", "openai_compatible", "responses"])
async def test_json_schema_answer_is_the_json_the_sdk_gets(
    served: Served, litellm: Direct, kind: str
) -> None:
    ask = Ask([Say("user", "Which city?")], schema=CITY_SCHEMA)
    response = await served.stub.Chat(chat_request(litellm_model("json", kind), ask))
    direct = await litellm.on("mock-json").chat(kind, ask)
    assert structured(response) == json_answer(kind, direct) == {"city": "Paris", "sunny": True}


async def test_anthropic_json_answered_as_text_instead_of_the_forced_tool_is_still_the_json(
    served: Served, litellm: Direct
) -> None:
    """LiteLLM's Messages route answers with the mock text, ignoring the forced tool."""
    ask = Ask([Say("user", "Which city?")], schema=CITY_SCHEMA)
    direct = await litellm.on("mock-json").chat("anthropic", ask)
    assert direct.calls == [] and direct.text, "LiteLLM answered the forced tool after all"
    response = await served.stub.Chat(chat_request(litellm_model("json", "anthropic"), ask))
    assert structured(response) == {"city": "Paris", "sunny": True}


@pytest.mark.parametrize("kind", KINDS)
async def test_complete_answers_what_the_sdk_gets(
    served: Served, litellm: Direct, kind: str
) -> None:
    request = completion_pb2.CompleteRequest(
        model=litellm_model("chat", kind),
        prompt="Say hello.",
        generation=generation_pb2.GenerationConfig(max_output_tokens=16),
    )
    response = await served.stub.Complete(request, timeout=30)
    assert response.text == await litellm.on("mock-chat").complete(kind, "Say hello.", 16)
    assert response.text == MOCK_TEXT


@pytest.mark.parametrize("kind", CHAT_COMPLETIONS_KINDS)
async def test_embed_returns_the_vectors_the_sdk_gets(
    served: Served, litellm: Direct, kind: str
) -> None:
    """One input: a LiteLLM mock answers a batch with a single vector."""
    request = embedding_pb2.EmbedRequest(model=litellm_model("embed", kind), inputs=["first"])
    response = await served.stub.Embed(request, timeout=30)
    direct = await litellm.on("mock-embed").embed(["first"])
    assert [array("f", item.values) for item in response.embeddings] == [
        array("f", vector) for vector in direct
    ]
    assert direct == [[0.5, -0.25, 0.125, 1.0]]


async def _sdk_status(litellm: Direct, kind: str) -> int:
    """The HTTP status the SDK gets asking LiteLLM for a model it does not have."""
    missing = litellm.on("no-such-model")
    error: Any
    try:
        await missing.chat(kind, Ask(QUESTION))
    except (openai.APIStatusError, anthropic.APIStatusError) as exc:
        error = exc
    else:
        pytest.fail("LiteLLM answered a model it does not have")
    status: int = error.status_code
    return status


@pytest.mark.parametrize("kind", KINDS)
async def test_unknown_upstream_model_is_invalid_argument_where_the_sdk_gets_400(
    served: Served, litellm: Direct, kind: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request(litellm_model("missing", kind), Ask(QUESTION)))
    assert await _sdk_status(litellm, kind) == 400
    error = decode(caught.value)
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "UPSTREAM_BAD_REQUEST")
    assert "no-such-model" in error.message, "the upstream's explanation reaches the caller"
