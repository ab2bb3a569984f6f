"""The call path as layers: each wraps the next with the same unary and stream interface.

    servicer -> PromptTemplates -> BeforeHooks -> Continuity -> ResponseCache -> UsageTotals
             -> AnswerHooks -> StructuredOutput -> Router -> backend

`Calls` is that interface; the `Router` (planning and the one attempts loop) is
the innermost `Calls`, and every layer is a `Layer` holding the next one. The
pipeline is assembled once per configuration (`routing.assembly.assemble`) with
only the layers that are configured, each given its dependencies (the opened
state, the hook chain) when it is built: a feature that is off costs nothing,
not even a forwarding call, and a layer whose work depends on the request
(structured output, a cache mode) hands the call straight to the next layer
when it has nothing to do.

Every method takes an optional `plan`: the deployments to try, in order, fitted
to the request. The first layer that needs it makes it with `Router.route` (the
continuity layer plans before the history is added and fits after) and passes it
on, so a call is planned once (an alias's weighted pick included) and the router
uses the plan it is given. A layer may pass on a different request (a copy with
the stored history) but never rewrites the caller's in place.

A layer that iterates the next layer's stream closes it in a `finally`
(`aclose`), so a caller who leaves closes every layer and the upstream request
at once; a layer with nothing to do per event returns the inner stream itself
(every generator hop costs each event ~0.3 us).

Adding a cross-cutting feature (budgets, ...) means writing a
`Layer` subclass that overrides the methods it cares about (the rest forward at
no cost) and placing it in `assemble`; the router does not change.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable
from typing import Protocol, TypeAlias, TypeVar

from modelgate.providers.base import CallContext
from modelgate.routing.catalog import Deployment
from modelgate.v1 import chat_pb2, completion_pb2, embedding_pb2

Plan: TypeAlias = list[Deployment]
"""Deployments to try for one call, in order (primary, then fallbacks)."""
E = TypeVar("E")
Stream: TypeAlias = AsyncGenerator[E, None]
"""A stream of events; closing it (`aclose`) closes every layer's and the upstream's."""


class Calls(Protocol):
    """What the servicer calls: the router, or a layer in front of it."""

    def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[chat_pb2.ChatResponse]:
        """One chat answer."""
        ...

    def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        """Attempt markers, deltas, then the end."""
        ...

    def complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[completion_pb2.CompleteResponse]:
        """One completion."""
        ...

    def stream_complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[completion_pb2.StreamCompleteResponse]:
        """Attempt markers, text deltas, then the end."""
        ...

    def embed(
        self, request: embedding_pb2.EmbedRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[embedding_pb2.EmbedResponse]:
        """Embeddings."""
        ...


class Layer:
    """A `Calls` in front of `inner`; what a subclass does not override goes straight through
    (the inner call's awaitable or iterator is returned as is: no extra frame)."""

    def __init__(self, inner: Calls) -> None:
        self.inner = inner

    def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[chat_pb2.ChatResponse]:
        """Forwarded."""
        return self.inner.chat(request, call, plan)

    def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        """Forwarded."""
        return self.inner.stream_chat(request, call, plan)

    def complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[completion_pb2.CompleteResponse]:
        """Forwarded."""
        return self.inner.complete(request, call, plan)

    def stream_complete(
        self, request: completion_pb2.CompleteRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[completion_pb2.StreamCompleteResponse]:
        """Forwarded."""
        return self.inner.stream_complete(request, call, plan)

    def embed(
        self, request: embedding_pb2.EmbedRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[embedding_pb2.EmbedResponse]:
        """Forwarded."""
        return self.inner.embed(request, call, plan)
