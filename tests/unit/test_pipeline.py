"""The call path as layers: only configured layers are assembled, the router stamps who
served, and continuation passes on a copy, per the caller named in the call context."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest

from modelgate.api.live import Routing, build_routing
from modelgate.errors import GatewayError
from modelgate.hooks.base import HookChain
from modelgate.providers.base import CallContext
from modelgate.routing.assembly import assemble
from modelgate.routing.continuity import Continuity
from modelgate.routing.hook_layers import AnswerHooks, BeforeHooks
from modelgate.routing.layers import Calls, Layer, Plan
from modelgate.routing.memory import Memory
from modelgate.routing.response_cache import ResponseCache
from modelgate.routing.router import STREAM_CHAT, Router
from modelgate.routing.structured import StructuredOutput
from modelgate.routing.usage import UsageTotals
from modelgate.state.factory import State, build_state
from modelgate.v1 import chat_pb2, content_pb2, model_pb2, stream_pb2
from tests.gateways import settings


def _chain(calls: Calls) -> list[type]:
    """The pipeline's classes, outermost first."""
    chain: list[type] = []
    while isinstance(calls, Layer):
        chain.append(type(calls))
        calls = calls.inner
    return [*chain, type(calls)]


def _user(text: str) -> content_pb2.Message:
    return content_pb2.Message(
        role=content_pb2.ROLE_USER, parts=[content_pb2.ContentPart(text=text)]
    )


class _BeforeOnly:
    async def before(self, request: Any) -> None:
        """Sees requests only."""


class _ChunksOnly:
    def on_chunk(self, request: Any, event: Any) -> None:
        """Sees stream events only."""


@pytest.fixture
async def state() -> AsyncIterator[State]:
    opened = await build_state()
    yield opened
    await opened.aclose()


@pytest.fixture
async def routing(state: State) -> AsyncIterator[Routing]:
    built = build_routing(settings(echo=True), None, auth=False, state=state)
    yield built
    await built.catalog.aclose()


async def test_only_configured_layers_are_assembled(routing: Routing) -> None:
    router = routing.router
    assert _chain(assemble(router, None, None)) == [StructuredOutput, Router]
    before_only = HookChain([_BeforeOnly()])
    assert _chain(assemble(router, before_only, None)) == [BeforeHooks, StructuredOutput, Router]
    assert _chain(routing.pipeline) == [
        Continuity,
        ResponseCache,
        UsageTotals,
        StructuredOutput,
        Router,
    ]
    every_side = HookChain([_BeforeOnly(), _ChunksOnly()])
    assert _chain(assemble(router, every_side, None)) == [
        BeforeHooks,
        AnswerHooks,
        StructuredOutput,
        Router,
    ]


async def test_continuation_leaves_the_callers_request_and_is_per_caller(
    routing: Routing, state: State
) -> None:
    first = await routing.pipeline.chat(
        chat_pb2.ChatRequest(model="echo", messages=[_user("one")]), CallContext(caller="k1")
    )
    assert (first.model, first.provider, first.runtime) == ("echo", "modelgate", "echo")
    follow = chat_pb2.ChatRequest(
        model="echo", messages=[_user("two")], previous_response_id=first.id
    )
    as_sent = follow.SerializeToString()
    answer = await routing.pipeline.chat(follow, CallContext(caller="k1"))
    assert follow.SerializeToString() == as_sent, "the caller's request is not rewritten"
    history = await state.conversations.load(answer.id, "k1")
    assert history is not None
    assert [m.parts[0].text for m in history.messages] == ["one", "one", "two", "two"]
    assert history.conversation_id == first.id, "stored as part of the first turn's conversation"
    streamed = chat_pb2.ChatRequest(
        model="echo", messages=[_user("three")], previous_response_id=answer.id
    )
    call = CallContext(caller="k1")
    ends = [e.end async for e in routing.pipeline.stream_chat(streamed, call) if e.HasField("end")]
    assert call.conversation_id == first.id, "the spans of a later turn name the first answer"
    third = await state.conversations.load(ends[0].id, "k1")
    assert third is not None
    assert third.conversation_id == first.id, "a streamed turn keeps the conversation too"
    stranger = chat_pb2.ChatRequest(
        model="echo", messages=[_user("three")], previous_response_id=first.id
    )
    with pytest.raises(GatewayError) as refused:
        await routing.pipeline.chat(stranger, CallContext(caller="k2"))
    assert refused.value.reason_name == "RESPONSE_NOT_FOUND"


class _FellBack:
    """A stream that the plan's second deployment served (its end names it)."""

    def __init__(self, model: str) -> None:
        self.model = model

    async def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        yield chat_pb2.StreamChatResponse(text_delta=stream_pb2.TextDelta(text="hi"))
        end = stream_pb2.StreamEnd(id="resp_fell_back", model=self.model)
        yield chat_pb2.StreamChatResponse(end=end)


async def test_a_streamed_answer_is_stored_for_the_deployment_that_served_it(
    routing: Routing, state: State
) -> None:
    """As a Chat answer is: a fallback's answer is kept as that deployment's, not as the
    plan's first (whose upstream keeps its conversations itself, here: nothing stored)."""
    (echo,) = routing.router.plan("echo", *STREAM_CHAT)
    record = model_pb2.Model(id="held-upstream")
    first = dataclasses.replace(
        echo, target=dataclasses.replace(echo.target, record=record, conversation="upstream")
    )
    memory = Memory(state, routing.settings.state)
    layer = Continuity(cast("Calls", _FellBack("echo")), memory, routing.router)
    request = chat_pb2.ChatRequest(model="echo", messages=[_user("one")])
    events = layer.stream_chat(request, CallContext(caller="k1"), [first, echo])
    assert [event.WhichOneof("event") async for event in events] == ["text_delta", "end"]
    history = await state.conversations.load("resp_fell_back", "k1")
    assert history is not None, "stored: the deployment that served keeps it in the gateway"
    assert [m.parts[0].text for m in history.messages] == ["one", "hi"]
