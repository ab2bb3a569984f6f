"""The `modelgate.v1.ModelGateway` servicer: what each RPC calls, and nothing else.

Decoding, validation, the call context, the stream cap and mapping errors to a
status are the shared wrappers of `modelgate.api.handling`; each method names its
validator and the one call that serves it.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable

from typing_extensions import override

from modelgate.api.handling import bidi_streaming, client_streaming, server_streaming, unary
from modelgate.api.live import Routing
from modelgate.api.media_checks import validate_generate_image, validate_speak
from modelgate.api.media_upload import Upload
from modelgate.api.validation import (
    validate_chat,
    validate_complete,
    validate_count_tokens,
    validate_embed,
    validate_get_model,
    validate_get_prompt,
    validate_list_models,
)
from modelgate.providers.base import CallContext
from modelgate.v1 import (
    audio_pb2,
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    gateway_pb2_grpc,
    image_pb2,
    model_pb2,
    prompt_pb2,
    tokens_pb2,
)


class ModelGatewayServicer(gateway_pb2_grpc.ModelGatewayServicer):
    """Thin by design: every decision lives in validation, the router or a backend.

    Each RPC reads `routing` once and uses that snapshot to its end (a reload swaps it).
    """

    def __init__(self, routing: Routing) -> None:
        self.routing = routing

    @override
    @unary(validate_chat)
    def Chat(
        self, live: Routing, request: chat_pb2.ChatRequest, call: CallContext
    ) -> Awaitable[chat_pb2.ChatResponse]:
        return live.pipeline.chat(request, call)

    @override
    @server_streaming(validate_chat)
    def StreamChat(  # type: ignore[override]  # decoded as ChatRequest: api/decoding.py
        self, live: Routing, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncGenerator[chat_pb2.StreamChatResponse, None]:
        return live.pipeline.stream_chat(request, call)

    @override
    @unary(validate_complete)
    def Complete(
        self, live: Routing, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> Awaitable[completion_pb2.CompleteResponse]:
        return live.pipeline.complete(request, call)

    @override
    @server_streaming(validate_complete)
    def StreamComplete(  # type: ignore[override]  # decoded as CompleteRequest: api/decoding.py
        self, live: Routing, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncGenerator[completion_pb2.StreamCompleteResponse, None]:
        return live.pipeline.stream_complete(request, call)

    @override
    @unary(validate_embed)
    def Embed(
        self, live: Routing, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> Awaitable[embedding_pb2.EmbedResponse]:
        return live.pipeline.embed(request, call)

    @override
    @unary(validate_list_models)
    async def ListModels(
        self, live: Routing, request: model_pb2.ListModelsRequest, call: CallContext
    ) -> model_pb2.ListModelsResponse:
        return live.router.catalog.list_page(request)

    @override
    @unary(validate_get_model)
    def GetModel(
        self, live: Routing, request: model_pb2.GetModelRequest, call: CallContext
    ) -> Awaitable[model_pb2.GetModelResponse]:
        return live.local_models.get_model(request.id, call)

    @override
    @unary()
    async def ListPrompts(
        self, live: Routing, request: prompt_pb2.ListPromptsRequest, call: CallContext
    ) -> prompt_pb2.ListPromptsResponse:
        return live.prompts.list_page(request)

    @override
    @unary(validate_get_prompt)
    async def GetPrompt(
        self, live: Routing, request: prompt_pb2.GetPromptRequest, call: CallContext
    ) -> prompt_pb2.GetPromptResponse:
        return live.prompts.get_prompt(request)

    @override
    @unary(validate_count_tokens)
    def CountTokens(
        self, live: Routing, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> Awaitable[tokens_pb2.CountTokensResponse]:
        return live.router.count_tokens(request, call)

    @override
    @server_streaming(capped=False)
    def PullModel(
        self, live: Routing, request: model_pb2.PullModelRequest, call: CallContext
    ) -> AsyncGenerator[model_pb2.PullModelResponse, None]:
        return live.local_models.pull(request, call)

    @override
    @unary()
    def DeleteModel(
        self, live: Routing, request: model_pb2.DeleteModelRequest, call: CallContext
    ) -> Awaitable[model_pb2.DeleteModelResponse]:
        return live.local_models.delete(request, call)

    @override
    @unary()
    def ListRunningModels(
        self, live: Routing, request: model_pb2.ListRunningModelsRequest, call: CallContext
    ) -> Awaitable[model_pb2.ListRunningModelsResponse]:
        return live.local_models.running(request, call)

    @override
    @unary()
    def LoadModel(
        self, live: Routing, request: model_pb2.LoadModelRequest, call: CallContext
    ) -> Awaitable[model_pb2.LoadModelResponse]:
        return live.local_models.load(request, call)

    @override
    @unary()
    def UnloadModel(
        self, live: Routing, request: model_pb2.UnloadModelRequest, call: CallContext
    ) -> Awaitable[model_pb2.UnloadModelResponse]:
        return live.local_models.unload(request, call)

    @override
    @server_streaming(validate_generate_image)
    def GenerateImage(
        self, live: Routing, request: image_pb2.GenerateImageRequest, call: CallContext
    ) -> AsyncGenerator[image_pb2.GenerateImageResponse, None]:
        return live.media.generate_image(request, call)

    @override
    @client_streaming
    def Transcribe(
        self, live: Routing, upload: Upload, call: CallContext
    ) -> Awaitable[audio_pb2.TranscribeResponse]:
        return live.media.transcribe(upload, call)

    @override
    @bidi_streaming
    def StreamTranscribe(
        self, live: Routing, upload: Upload, call: CallContext
    ) -> AsyncGenerator[audio_pb2.StreamTranscribeResponse, None]:
        return live.media.stream_transcribe(upload, call)

    @override
    @server_streaming(validate_speak)
    def Speak(
        self, live: Routing, request: audio_pb2.SpeakRequest, call: CallContext
    ) -> AsyncGenerator[audio_pb2.SpeakResponse, None]:
        return live.media.speak(request, call)
