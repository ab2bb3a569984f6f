"""The call path as layers: only configured layers are assembled, the router stamps who
served, and continuation passes on a copy, per the caller named in the call context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from modelgate.api.live import Routing, build_routing
from modelgate.errors import GatewayError
from modelgate.hooks.base import HookChain
from modelgate.providers.base import CallContext
from modelgate.routing.assembly import assemble
from modelgate.routing.continuity import Continuity
from modelgate.routing.hook_layers import AnswerHooks, BeforeHooks
from modelgate.routing.layers import Calls, Layer
from modelgate.routing.response_cache import ResponseCache
from modelgate.routing.router import Router
from modelgate.routing.structured import StructuredOutput
from modelgate.routing.usage import UsageTotals
from modelgate.state.factory import State, build_state
from modelgate.v1 import chat_pb2, content_pb2
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
    assert [m.parts[0].text for m in history] == ["one", "one", "two", "two"]
    stranger = chat_pb2.ChatRequest(
        model="echo", messages=[_user("three")], previous_response_id=first.id
    )
    with pytest.raises(GatewayError) as refused:
        await routing.pipeline.chat(stranger, CallContext(caller="k2"))
    assert refused.value.reason_name == "RESPONSE_NOT_FOUND"
