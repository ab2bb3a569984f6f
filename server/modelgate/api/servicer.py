"""The `modelgate.v1.ModelGateway` servicer: validate, route, map errors to status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
from typing_extensions import override

from modelgate.api.decoding import ensure_decoded
from modelgate.api.live import Routing
from modelgate.api.status import abort, call_context
from modelgate.api.stream_cap import capped_stream
from modelgate.api.validation import (
    validate_chat,
    validate_complete,
    validate_count_tokens,
    validate_embed,
    validate_list_models,
)
from modelgate.errors import invalid_argument
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    gateway_pb2_grpc,
    model_pb2,
    tokens_pb2,
)

Context: TypeAlias = grpc.aio.ServicerContext[Any, Any]


class ModelGatewayServicer(gateway_pb2_grpc.ModelGatewayServicer):
    """Thin by design: every decision lives in validation, the router or a backend.

    Each RPC reads `routing` once and uses that snapshot to its end (a reload swaps it).
    """

    def __init__(self, routing: Routing) -> None:
        self.routing = routing

    @override
    async def Chat(self, request: chat_pb2.ChatRequest, context: Context) -> chat_pb2.ChatResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            validate_chat(request, live.limits)
            return await live.pipeline.chat(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def StreamChat(
        self, request: chat_pb2.StreamChatRequest, context: Context
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        live = self.routing
        try:
            ensure_decoded(request)
            validate_chat(request, live.limits)
            events = live.pipeline.stream_chat(request, call_context(context, live.limits))
            async for event in capped_stream(events, live.limits.stream_max_seconds):
                yield event
        except Exception as exc:
            await abort(context, exc)

    @override
    async def Complete(
        self, request: completion_pb2.CompleteRequest, context: Context
    ) -> completion_pb2.CompleteResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            validate_complete(request, live.limits)
            return await live.pipeline.complete(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def StreamComplete(
        self, request: completion_pb2.StreamCompleteRequest, context: Context
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        live = self.routing
        try:
            ensure_decoded(request)
            validate_complete(request, live.limits)
            events = live.pipeline.stream_complete(request, call_context(context, live.limits))
            async for event in capped_stream(events, live.limits.stream_max_seconds):
                yield event
        except Exception as exc:
            await abort(context, exc)

    @override
    async def Embed(
        self, request: embedding_pb2.EmbedRequest, context: Context
    ) -> embedding_pb2.EmbedResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            validate_embed(request, live.limits)
            return await live.pipeline.embed(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def ListModels(
        self, request: model_pb2.ListModelsRequest, context: Context
    ) -> model_pb2.ListModelsResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            validate_list_models(request)
            return live.router.catalog.list_page(request)
        except Exception as exc:
            await abort(context, exc)

    @override
    async def GetModel(
        self, request: model_pb2.GetModelRequest, context: Context
    ) -> model_pb2.GetModelResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            if not request.id:
                raise invalid_argument([("id", "is required")])
            return await live.local_models.get_model(request.id, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def CountTokens(
        self, request: tokens_pb2.CountTokensRequest, context: Context
    ) -> tokens_pb2.CountTokensResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            validate_count_tokens(request, live.limits)
            return await live.router.count_tokens(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def PullModel(
        self, request: model_pb2.PullModelRequest, context: Context
    ) -> AsyncIterator[model_pb2.PullModelResponse]:
        live = self.routing
        try:
            ensure_decoded(request)
            async for progress in live.local_models.pull(
                request, call_context(context, live.limits)
            ):
                yield progress
        except Exception as exc:
            await abort(context, exc)

    @override
    async def DeleteModel(
        self, request: model_pb2.DeleteModelRequest, context: Context
    ) -> model_pb2.DeleteModelResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            return await live.local_models.delete(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def ListRunningModels(
        self, request: model_pb2.ListRunningModelsRequest, context: Context
    ) -> model_pb2.ListRunningModelsResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            return await live.local_models.running(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def LoadModel(
        self, request: model_pb2.LoadModelRequest, context: Context
    ) -> model_pb2.LoadModelResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            return await live.local_models.load(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def UnloadModel(
        self, request: model_pb2.UnloadModelRequest, context: Context
    ) -> model_pb2.UnloadModelResponse:
        live = self.routing
        try:
            ensure_decoded(request)
            return await live.local_models.unload(request, call_context(context, live.limits))
        except Exception as exc:
            await abort(context, exc)
