"""Chat through every backend kind against llama.cpp's llama-server, compared with the SDKs.

The model is tiny and random: its answers are gibberish, but at temperature 0 the same request
always gets the same answer, so "the gateway's answer equals the official SDK's answer to the
same request" checks the whole path (request mapping, the server's real parser and chat
template, response mapping) byte for byte. Special tokens can never win (scripts/tiny_gguf.py),
so every free-text answer runs to max_tokens: a non-empty answer of exactly that many tokens.
"""

from __future__ import annotations

import grpc
import openai
import pytest

from modelgate.v1 import completion_pb2, generation_pb2
from tests.gateways import Served
from tests.real_upstreams.catalog import (
    CHAT_COMPLETIONS_KINDS,
    KINDS,
    LLAMA_STATELESS_RESPONSES,
    llama_model,
    skip_unless_running,
)
from tests.real_upstreams.conversation import WEATHER, WEATHER_IN_ONE_ORDER, Call, Result, Say, Turn
from tests.real_upstreams.direct import (
    Answer,
    Ask,
    Direct,
    chat_request,
    gateway_answer,
    gateway_stream,
    json_answer,
    structured,
)
from tests.rpc_helpers import decode

skip_unless_running()

QUESTION: list[Turn] = [
    Say("system", "You answer in one short sentence."),
    Say("user", "What is the capital of France?"),
]
SECOND_TURN: list[Turn] = [
    *QUESTION,
    Say("assistant", "Paris."),
    Say("user", "And of Italy?"),
]
ANSWER_SCHEMA = (
    "verdict",
    {
        "type": "object",
        "properties": {"answer": {"enum": ["yes"]}},
        "required": ["answer"],
        "additionalProperties": False,
    },
)
"""One possible value: the grammar decides the JSON, whatever order the keys travel in."""


async def chat(served: Served, kind: str, ask: Ask) -> Answer:
    """`ask` through the gateway's unary Chat on the tiny model via `kind`."""
    return gateway_answer(await served.stub.Chat(chat_request(llama_model(kind), ask), timeout=60))


def runs_to_max_tokens(answer: Answer, ask: Ask) -> bool:
    """A real free-text answer of the tiny model (not an empty one that equals anything)."""
    return bool(answer.text) and answer.output_tokens == ask.max_tokens


@pytest.mark.parametrize("kind", KINDS)
async def test_chat_answers_what_the_sdk_gets(served: Served, llama: Direct, kind: str) -> None:
    ask = Ask(QUESTION)
    through_gateway = await chat(served, kind, ask)
    assert through_gateway == await llama.chat(kind, ask)
    assert runs_to_max_tokens(through_gateway, ask)


@pytest.mark.parametrize("kind", KINDS)
async def test_stream_chat_streams_what_the_sdk_streams(
    served: Served, llama: Direct, kind: str
) -> None:
    ask = Ask(QUESTION)
    streamed = await gateway_stream(served.stub, llama_model(kind), ask)
    assert streamed == await llama.chat(kind, ask, stream=True)
    assert streamed == await chat(served, kind, ask), "a stream adds up to the unary answer"


@pytest.mark.parametrize("kind", KINDS)
async def test_complete_answers_what_the_sdk_gets(served: Served, llama: Direct, kind: str) -> None:
    request = completion_pb2.CompleteRequest(
        model=llama_model(kind),
        prompt="Once upon a time",
        generation=generation_pb2.GenerationConfig(temperature=0.0, max_output_tokens=12),
    )
    response = await served.stub.Complete(request, timeout=60)
    assert response.text == await llama.complete(kind, "Once upon a time", 12)
    assert response.text and response.usage.output_tokens == 12


@pytest.mark.parametrize("kind", KINDS)
async def test_multi_turn_chat_answers_what_the_sdk_gets(
    served: Served, llama: Direct, kind: str
) -> None:
    ask = Ask(SECOND_TURN)
    through_gateway = await chat(served, kind, ask)
    assert through_gateway == await llama.chat(kind, ask)
    assert runs_to_max_tokens(through_gateway, ask)


async def test_responses_previous_response_id_is_refused_by_llama_as_by_the_sdk(
    served: Served, llama: Direct
) -> None:
    """With `conversation: upstream` the id goes to llama-server, which keeps no responses."""
    first = await served.stub.Chat(chat_request(llama_model("responses"), Ask(QUESTION)))
    follow_up = chat_request(llama_model("responses"), Ask([Say("user", "And of Italy?")]))
    follow_up.previous_response_id = first.id
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(follow_up, timeout=60)
    with pytest.raises(openai.BadRequestError) as direct:
        await llama.openai.responses.create(
            model=llama.model, input="And of Italy?", previous_response_id=first.id
        )
    assert direct.value.status_code == 400
    assert decode(caught.value).code == grpc.StatusCode.INVALID_ARGUMENT
    assert decode(caught.value).reason == "UPSTREAM_BAD_REQUEST"


async def test_responses_conversation_kept_by_the_gateway_continues_like_the_full_history(
    served: Served, llama: Direct
) -> None:
    first = await served.stub.Chat(
        chat_request(LLAMA_STATELESS_RESPONSES, Ask(QUESTION)), timeout=60
    )
    follow_up = chat_request(LLAMA_STATELESS_RESPONSES, Ask([Say("user", "And of Italy?")]))
    follow_up.previous_response_id = first.id
    second = gateway_answer(await served.stub.Chat(follow_up, timeout=60))
    history = [
        *QUESTION,
        Say("assistant", gateway_answer(first).text),
        Say("user", "And of Italy?"),
    ]
    assert second == await llama.chat("responses", Ask(history))


@pytest.mark.parametrize("kind", KINDS)
async def test_required_tool_call_is_the_call_the_sdk_gets(
    served: Served, llama: Direct, kind: str
) -> None:
    """The tiny model calls a tool when offered one (scripts/tiny_gguf.py); the server's grammar
    writes the call. Only the parsed calls are compared: the offered schema is in the prompt."""
    ask = Ask(
        [Say("user", "What is the weather in Paris?")], 100, (WEATHER,), tool_choice="required"
    )
    through_gateway = await chat(served, kind, ask)
    direct = await llama.chat(kind, ask)
    assert through_gateway.calls == direct.calls == [("get_weather", {"city": "Paris"})]
    streamed = await gateway_stream(served.stub, llama_model(kind), ask)
    assert streamed.calls == (await llama.chat(kind, ask, stream=True)).calls == direct.calls


@pytest.mark.parametrize(
    "kind",
    [
        *CHAT_COMPLETIONS_KINDS,
        "responses",  # this tier found the Responses backend dropped tool_choice
    ],
)
async def test_tool_choice_none_answers_in_text_as_the_sdk_gets(
    served: Served, llama: Direct, kind: str
) -> None:
    """With tools offered the tiny model starts a call; `none` leaves its "<tool_call>" as text.
    (llama-server's Messages route ignores Anthropic's {"type": "none"}, so no anthropic case.)"""
    ask = Ask(
        [Say("user", "What is the weather in Paris?")],
        tools=(WEATHER_IN_ONE_ORDER,),
        tool_choice="none",
    )
    through_gateway = await chat(served, kind, ask)
    assert through_gateway == await llama.chat(kind, ask)
    assert through_gateway.calls == [] and through_gateway.text.startswith("<tool_call>")


@pytest.mark.parametrize("kind", KINDS)
async def test_tool_result_round_trip_answers_what_the_sdk_gets(
    served: Served, llama: Direct, kind: str
) -> None:
    ask = Ask(
        [
            Say("user", "What is the weather in Paris?"),
            Call("call_1", WEATHER.name, {"city": "Paris"}),
            Result("call_1", WEATHER.name, "Sunny, 21 C."),
        ],
        tools=(WEATHER_IN_ONE_ORDER,),
    )
    through_gateway = await chat(served, kind, ask)
    assert through_gateway == await llama.chat(kind, ask)
    assert runs_to_max_tokens(through_gateway, ask)


@pytest.mark.parametrize("kind", ["openai", "openai_compatible", "anthropic"])
async def test_json_schema_answer_is_the_json_the_sdk_gets(
    served: Served, llama: Direct, kind: str
) -> None:
    ask = Ask([Say("user", "Is Paris in France?")], 100, schema=ANSWER_SCHEMA)
    response = await served.stub.Chat(chat_request(llama_model(kind), ask), timeout=60)
    direct = await llama.chat(kind, ask)
    assert structured(response) == json_answer(kind, direct) == {"answer": "yes"}
    if kind != "anthropic":  # the grammar's whitespace too: the prompt is the same
        assert gateway_answer(response).text == direct.text


async def test_responses_json_schema_is_not_enforced_by_llama_and_the_gateway_says_so(
    served: Served, llama: Direct
) -> None:
    """llama-server's /v1/responses ignores `text.format`: the gateway's validation catches it."""
    ask = Ask([Say("user", "Is Paris in France?")], 12, schema=ANSWER_SCHEMA)
    direct = await llama.chat("responses", ask)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await served.stub.Chat(chat_request(llama_model("responses"), ask), timeout=60)
    error = decode(caught.value)
    assert (error.code, error.reason) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "STRUCTURED_OUTPUT_INVALID",
    )
    assert error.metadata["last_output"] == direct.text != ""
