"""A templated conversation continued with `previous_response_id`, through a real gateway.

The first turn's rendered messages are stored with the conversation, so a continued
turn must not render them again: naming `prompt_template` there is INVALID_ARGUMENT on
`prompt_template`, and continuing without it sends each message once. Echo counts
input tokens as the words of every message it was sent, so a duplicate shows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import grpc
import pytest

from modelgate.config import PromptConfig
from modelgate.v1 import chat_pb2, prompt_pb2
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import decode, text_of, user

if TYPE_CHECKING:
    from modelgate.v1.gateway_pb2_grpc import ModelGatewayAsyncStub

GREET = PromptConfig.model_validate(
    {
        "id": "greet",
        "version": 1,
        "messages": [
            {"role": "system", "content": "You greet people."},
            {"role": "user", "content": "Hello {{ name }}"},
        ],
        "model": "echo",
    }
)
REF = prompt_pb2.PromptRef(id="greet", variables_json=json.dumps({"name": "Ada"}))
FIRST_TURN_WORDS = 3 + 2  # "You greet people." + "Hello Ada"


@pytest.fixture(scope="module")
async def stub() -> AsyncIterator[ModelGatewayAsyncStub]:
    running: Served
    async with serve(settings(echo=True, prompts=[GREET])) as running:
        yield running.stub


async def test_a_continued_turn_naming_the_template_is_invalid_argument(
    stub: ModelGatewayAsyncStub,
) -> None:
    first = await stub.Chat(chat_pb2.ChatRequest(prompt_template=REF), timeout=10)
    assert first.usage.input_tokens == FIRST_TURN_WORDS
    again = chat_pb2.ChatRequest(prompt_template=REF, previous_response_id=first.id)
    again.messages.append(user("and then?"))
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.Chat(again, timeout=10)
    error = decode(caught.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [path for path, _ in error.violations] == ["prompt_template"]
    assert "previous_response_id" in error.violations[0][1]
    streamed = chat_pb2.StreamChatRequest.FromString(again.SerializeToString())  # wire twin
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.StreamChat(streamed, timeout=10).read()
    assert [path for path, _ in decode(caught.value).violations] == ["prompt_template"]


async def test_a_templated_conversation_continues_with_each_message_once(
    stub: ModelGatewayAsyncStub,
) -> None:
    first = await stub.Chat(chat_pb2.ChatRequest(prompt_template=REF), timeout=10)
    assert text_of(first) == "Hello Ada"
    second = chat_pb2.ChatRequest(model=first.model, previous_response_id=first.id)
    second.messages.append(user("and then?"))
    reply = await stub.Chat(second, timeout=10)
    assert text_of(reply) == "and then?"
    # history (template's 5 words + the 2-word answer) + the new 2 words, nothing twice
    assert reply.usage.input_tokens == FIRST_TURN_WORDS + 2 + 2
