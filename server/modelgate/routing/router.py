"""The call path from a validated request to a backend and back.

Resolves the model, checks it can serve the operation, calls the backend
and stamps what every response carries (gateway id, latency, cost). Retries,
fallbacks and breakers wrap the single attempt here, so backends stay free
of cross-cutting behaviour.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator

import grpc
from modelgate.errors import GatewayError, not_supported
from modelgate.providers.base import AnyChatRequest, AnyCompleteRequest, CallContext
from modelgate.routing.catalog import Catalog, Deployment
from modelgate.routing.cost import fill_cost
from modelgate.routing.records import has_capability
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    model_pb2,
    stream_pb2,
    tokens_pb2,
)

_OPERATION_NAMES: dict[int, str] = {
    model_pb2.CAPABILITY_CHAT: "Chat",
    model_pb2.CAPABILITY_COMPLETION: "Complete",
    model_pb2.CAPABILITY_EMBEDDING: "Embed",
    model_pb2.CAPABILITY_STREAMING: "streaming",
}


def new_response_id() -> str:
    """A gateway response id: unguessable, so ids cannot be enumerated across callers."""
    return "resp_" + secrets.token_hex(12)


def _set_latency(started: float, latency: object) -> None:
    elapsed = time.perf_counter() - started
    seconds = int(elapsed)
    latency.seconds = seconds  # type: ignore[attr-defined]
    latency.nanos = int((elapsed - seconds) * 1e9)  # type: ignore[attr-defined]


class Router:
    """Routes calls to deployments of the catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def _pick(self, model: str, *capabilities: model_pb2.Capability.ValueType) -> Deployment:
        deployment = self.catalog.resolve(model)
        for capability in capabilities:
            if not has_capability(deployment.record, capability):
                raise not_supported(
                    deployment.record.id,
                    _OPERATION_NAMES.get(capability, "this operation"),
                    self.catalog.ids_with(capability),
                )
        if deployment.unavailable_reason:
            raise GatewayError(
                grpc.StatusCode.FAILED_PRECONDITION,
                "PROVIDER_UNAVAILABLE",
                f"model {deployment.record.id!r} is not available: {deployment.unavailable_reason}",
                metadata={"model": deployment.record.id, "runtime": deployment.record.runtime},
            )
        return deployment

    async def chat(self, request: AnyChatRequest, call: CallContext) -> chat_pb2.ChatResponse:
        """One chat answer from the resolved deployment."""
        started = time.perf_counter()
        deployment = self._pick(request.model, model_pb2.CAPABILITY_CHAT)
        _check_continuation(request, deployment)
        response = await deployment.backend.chat(deployment.target, request, call)
        if not response.id:
            response.id = new_response_id()
        fill_cost(deployment.record.pricing, response.usage, response.cost)
        _set_latency(started, response.latency)
        return response

    async def stream_chat(
        self, request: AnyChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        """An attempt marker, the backend's deltas, and the stamped end event."""
        started = time.perf_counter()
        deployment = self._pick(
            request.model, model_pb2.CAPABILITY_CHAT, model_pb2.CAPABILITY_STREAMING
        )
        _check_continuation(request, deployment)
        yield chat_pb2.StreamChatResponse(attempt=_attempt(deployment, 1))
        async for event in deployment.backend.stream_chat(deployment.target, request, call):
            if event.HasField("end"):
                _stamp_end(event.end, deployment, started)
            yield event

    async def complete(
        self, request: AnyCompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        """One completion from the resolved deployment."""
        started = time.perf_counter()
        deployment = self._pick(request.model, model_pb2.CAPABILITY_COMPLETION)
        response = await deployment.backend.complete(deployment.target, request, call)
        response.id = new_response_id()
        fill_cost(deployment.record.pricing, response.usage, response.cost)
        _set_latency(started, response.latency)
        return response

    async def stream_complete(
        self, request: AnyCompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        """An attempt marker, text deltas and the stamped end event."""
        started = time.perf_counter()
        deployment = self._pick(
            request.model, model_pb2.CAPABILITY_COMPLETION, model_pb2.CAPABILITY_STREAMING
        )
        yield completion_pb2.StreamCompleteResponse(attempt=_attempt(deployment, 1))
        async for event in deployment.backend.stream_complete(deployment.target, request, call):
            if event.HasField("end"):
                _stamp_end(event.end, deployment, started)
            yield event

    async def embed(
        self, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        """Embeddings from the resolved deployment."""
        started = time.perf_counter()
        deployment = self._pick(request.model, model_pb2.CAPABILITY_EMBEDDING)
        response = await deployment.backend.embed(deployment.target, request, call)
        fill_cost(deployment.record.pricing, response.usage, response.cost)
        _set_latency(started, response.latency)
        return response

    async def count_tokens(
        self, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        """Token count from the backend that knows the model's tokenizer."""
        deployment = self._pick(request.model)
        response = await deployment.backend.count_tokens(deployment.target, request, call)
        if not response.context_window:
            response.context_window = deployment.record.context_window
        return response


def _attempt(deployment: Deployment, number: int) -> stream_pb2.AttemptStarted:
    record = deployment.record
    return stream_pb2.AttemptStarted(
        attempt=number,
        kind=stream_pb2.ATTEMPT_KIND_FIRST if number == 1 else stream_pb2.ATTEMPT_KIND_RETRY,
        model=record.id,
        provider=record.provider,
        runtime=record.runtime,
    )


def _check_continuation(request: AnyChatRequest, deployment: Deployment) -> None:
    """Continuation is native on Responses API models; the gateway's store serves the rest."""
    if request.previous_response_id and deployment.target.api != "responses":
        raise GatewayError(
            grpc.StatusCode.NOT_FOUND,
            "RESPONSE_NOT_FOUND",
            f"previous_response_id {request.previous_response_id!r} is unknown or expired",
            metadata={"previous_response_id": request.previous_response_id[:64]},
        )


def _stamp_end(end: stream_pb2.StreamEnd, deployment: Deployment, started: float) -> None:
    if not end.id:
        end.id = new_response_id()
    fill_cost(deployment.record.pricing, end.usage, end.cost)
    _set_latency(started, end.latency)
