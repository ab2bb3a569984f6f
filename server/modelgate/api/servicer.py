"""The `modelgate.v1.ModelGateway` servicer: validate, route, map errors to status."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, TypeAlias

import grpc
from typing_extensions import override

from modelgate.api.decoding import ensure_decoded
from modelgate.api.local_models import LocalModels
from modelgate.api.status import abort, call_context
from modelgate.api.stream_cap import capped_stream
from modelgate.api.validation import (
    validate_chat,
    validate_complete,
    validate_count_tokens,
    validate_embed,
    validate_list_models,
)
from modelgate.config import LimitsConfig
from modelgate.errors import invalid_argument
from modelgate.providers.base import CallContext
from modelgate.routing.router import Router
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
    """Thin by design: every decision lives in validation, the router or a backend."""

    def __init__(self, router: Router, limits: LimitsConfig) -> None:
        self.router = router
        self.limits = limits
        self.local_models = LocalModels(router.catalog)

    def _call(self, context: Context) -> CallContext:
        return call_context(context, self.limits)

    @override
    async def Chat(self, request: chat_pb2.ChatRequest, context: Context) -> chat_pb2.ChatResponse:
        try:
            ensure_decoded(request)
            validate_chat(request, self.limits)
            return await self.router.chat(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def StreamChat(
        self, request: chat_pb2.StreamChatRequest, context: Context
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        try:
            ensure_decoded(request)
            validate_chat(request, self.limits)
            events = self.router.stream_chat(request, self._call(context))
            async for event in capped_stream(events, self.limits.stream_max_seconds):
                yield event
        except Exception as exc:
            await abort(context, exc)

    @override
    async def Complete(
        self, request: completion_pb2.CompleteRequest, context: Context
    ) -> completion_pb2.CompleteResponse:
        try:
            ensure_decoded(request)
            validate_complete(request, self.limits)
            return await self.router.complete(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def StreamComplete(
        self, request: completion_pb2.StreamCompleteRequest, context: Context
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        try:
            ensure_decoded(request)
            validate_complete(request, self.limits)
            events = self.router.stream_complete(request, self._call(context))
            async for event in capped_stream(events, self.limits.stream_max_seconds):
                yield event
        except Exception as exc:
            await abort(context, exc)

    @override
    async def Embed(
        self, request: embedding_pb2.EmbedRequest, context: Context
    ) -> embedding_pb2.EmbedResponse:
        try:
            ensure_decoded(request)
            validate_embed(request, self.limits)
            return await self.router.embed(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def ListModels(
        self, request: model_pb2.ListModelsRequest, context: Context
    ) -> model_pb2.ListModelsResponse:
        try:
            ensure_decoded(request)
            validate_list_models(request)
            return self.router.catalog.list_page(request)
        except Exception as exc:
            await abort(context, exc)

    @override
    async def GetModel(
        self, request: model_pb2.GetModelRequest, context: Context
    ) -> model_pb2.GetModelResponse:
        try:
            ensure_decoded(request)
            if not request.id:
                raise invalid_argument([("id", "is required")])
            return await self.local_models.get_model(request.id, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def CountTokens(
        self, request: tokens_pb2.CountTokensRequest, context: Context
    ) -> tokens_pb2.CountTokensResponse:
        try:
            ensure_decoded(request)
            validate_count_tokens(request, self.limits)
            return await self.router.count_tokens(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def PullModel(
        self, request: model_pb2.PullModelRequest, context: Context
    ) -> AsyncIterator[model_pb2.PullModelResponse]:
        try:
            ensure_decoded(request)
            async for progress in self.local_models.pull(request, self._call(context)):
                yield progress
        except Exception as exc:
            await abort(context, exc)

    @override
    async def DeleteModel(
        self, request: model_pb2.DeleteModelRequest, context: Context
    ) -> model_pb2.DeleteModelResponse:
        try:
            ensure_decoded(request)
            return await self.local_models.delete(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def ListRunningModels(
        self, request: model_pb2.ListRunningModelsRequest, context: Context
    ) -> model_pb2.ListRunningModelsResponse:
        try:
            ensure_decoded(request)
            return await self.local_models.running(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def LoadModel(
        self, request: model_pb2.LoadModelRequest, context: Context
    ) -> model_pb2.LoadModelResponse:
        try:
            ensure_decoded(request)
            return await self.local_models.load(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)

    @override
    async def UnloadModel(
        self, request: model_pb2.UnloadModelRequest, context: Context
    ) -> model_pb2.UnloadModelResponse:
        try:
            ensure_decoded(request)
            return await self.local_models.unload(request, self._call(context))
        except Exception as exc:
            await abort(context, exc)
