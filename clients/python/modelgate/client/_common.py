"""Typed views of the generated stubs and per-call metadata handling.

grpcio ships no type information, so the generated stub's attributes are
`Any` to mypy. These Protocols describe exactly what the clients use, which
keeps request/response types checked end to end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator, Mapping, Sequence
from typing import Protocol, TypeAlias, TypeVar

from modelgate.v1 import (
    audio_pb2,
    chat_pb2,
    completion_pb2,
    embedding_pb2,
    image_pb2,
    model_pb2,
    prompt_pb2,
    tokens_pb2,
)

MetadataLike: TypeAlias = Mapping[str, str] | Sequence[tuple[str, str | bytes]]
"""gRPC metadata: a mapping or (key, value) pairs; keys lower-case, `-bin` keys take bytes."""

Metadata: TypeAlias = tuple[tuple[str, str | bytes], ...]

Req_contra = TypeVar("Req_contra", contravariant=True)
Resp_co = TypeVar("Resp_co", covariant=True)
Item_co = TypeVar("Item_co", covariant=True)


class AsyncUnary(Protocol[Req_contra, Resp_co]):
    def __call__(
        self, request: Req_contra, *, timeout: float | None = ..., metadata: Metadata | None = ...
    ) -> Awaitable[Resp_co]: ...


class AsyncStreamCall(Protocol[Item_co]):
    def __aiter__(self) -> AsyncIterator[Item_co]: ...
    def cancel(self) -> bool: ...
    def done(self) -> bool: ...


class AsyncServerStream(Protocol[Req_contra, Item_co]):
    def __call__(
        self, request: Req_contra, *, timeout: float | None = ..., metadata: Metadata | None = ...
    ) -> AsyncStreamCall[Item_co]: ...


class AsyncUpload(Protocol[Req_contra, Resp_co]):
    def __call__(
        self,
        requests: AsyncIterator[Req_contra],
        *,
        timeout: float | None = ...,
        metadata: Metadata | None = ...,
    ) -> Awaitable[Resp_co]: ...


class AsyncUploadStream(Protocol[Req_contra, Item_co]):
    def __call__(
        self,
        requests: AsyncIterator[Req_contra],
        *,
        timeout: float | None = ...,
        metadata: Metadata | None = ...,
    ) -> AsyncStreamCall[Item_co]: ...


class AsyncGatewayStub(Protocol):
    """The grpc.aio ModelGatewayStub, as used by AsyncModelGate."""

    Chat: AsyncUnary[chat_pb2.ChatRequest, chat_pb2.ChatResponse]
    StreamChat: AsyncServerStream[chat_pb2.StreamChatRequest, chat_pb2.StreamChatResponse]
    Complete: AsyncUnary[completion_pb2.CompleteRequest, completion_pb2.CompleteResponse]
    StreamComplete: AsyncServerStream[
        completion_pb2.StreamCompleteRequest, completion_pb2.StreamCompleteResponse
    ]
    Embed: AsyncUnary[embedding_pb2.EmbedRequest, embedding_pb2.EmbedResponse]
    ListModels: AsyncUnary[model_pb2.ListModelsRequest, model_pb2.ListModelsResponse]
    GetModel: AsyncUnary[model_pb2.GetModelRequest, model_pb2.GetModelResponse]
    CountTokens: AsyncUnary[tokens_pb2.CountTokensRequest, tokens_pb2.CountTokensResponse]
    PullModel: AsyncServerStream[model_pb2.PullModelRequest, model_pb2.PullModelResponse]
    DeleteModel: AsyncUnary[model_pb2.DeleteModelRequest, model_pb2.DeleteModelResponse]
    ListRunningModels: AsyncUnary[
        model_pb2.ListRunningModelsRequest, model_pb2.ListRunningModelsResponse
    ]
    LoadModel: AsyncUnary[model_pb2.LoadModelRequest, model_pb2.LoadModelResponse]
    UnloadModel: AsyncUnary[model_pb2.UnloadModelRequest, model_pb2.UnloadModelResponse]
    ListPrompts: AsyncUnary[prompt_pb2.ListPromptsRequest, prompt_pb2.ListPromptsResponse]
    GetPrompt: AsyncUnary[prompt_pb2.GetPromptRequest, prompt_pb2.GetPromptResponse]
    GenerateImage: AsyncServerStream[
        image_pb2.GenerateImageRequest, image_pb2.GenerateImageResponse
    ]
    Transcribe: AsyncUpload[audio_pb2.TranscribeRequest, audio_pb2.TranscribeResponse]
    StreamTranscribe: AsyncUploadStream[
        audio_pb2.StreamTranscribeRequest, audio_pb2.StreamTranscribeResponse
    ]
    Speak: AsyncServerStream[audio_pb2.SpeakRequest, audio_pb2.SpeakResponse]


class SyncUnary(Protocol[Req_contra, Resp_co]):
    def __call__(
        self, request: Req_contra, *, timeout: float | None = ..., metadata: Metadata | None = ...
    ) -> Resp_co: ...


class SyncStreamCall(Protocol[Item_co]):
    def __iter__(self) -> SyncStreamCall[Item_co]: ...
    def __next__(self) -> Item_co: ...
    def cancel(self) -> bool: ...
    def done(self) -> bool: ...


class SyncServerStream(Protocol[Req_contra, Item_co]):
    def __call__(
        self, request: Req_contra, *, timeout: float | None = ..., metadata: Metadata | None = ...
    ) -> SyncStreamCall[Item_co]: ...


class SyncUpload(Protocol[Req_contra, Resp_co]):
    def __call__(
        self,
        requests: Iterator[Req_contra],
        *,
        timeout: float | None = ...,
        metadata: Metadata | None = ...,
    ) -> Resp_co: ...


class SyncUploadStream(Protocol[Req_contra, Item_co]):
    def __call__(
        self,
        requests: Iterator[Req_contra],
        *,
        timeout: float | None = ...,
        metadata: Metadata | None = ...,
    ) -> SyncStreamCall[Item_co]: ...


class SyncGatewayStub(Protocol):
    """The sync ModelGatewayStub, as used by ModelGate."""

    Chat: SyncUnary[chat_pb2.ChatRequest, chat_pb2.ChatResponse]
    StreamChat: SyncServerStream[chat_pb2.StreamChatRequest, chat_pb2.StreamChatResponse]
    Complete: SyncUnary[completion_pb2.CompleteRequest, completion_pb2.CompleteResponse]
    StreamComplete: SyncServerStream[
        completion_pb2.StreamCompleteRequest, completion_pb2.StreamCompleteResponse
    ]
    Embed: SyncUnary[embedding_pb2.EmbedRequest, embedding_pb2.EmbedResponse]
    ListModels: SyncUnary[model_pb2.ListModelsRequest, model_pb2.ListModelsResponse]
    GetModel: SyncUnary[model_pb2.GetModelRequest, model_pb2.GetModelResponse]
    CountTokens: SyncUnary[tokens_pb2.CountTokensRequest, tokens_pb2.CountTokensResponse]
    PullModel: SyncServerStream[model_pb2.PullModelRequest, model_pb2.PullModelResponse]
    DeleteModel: SyncUnary[model_pb2.DeleteModelRequest, model_pb2.DeleteModelResponse]
    ListRunningModels: SyncUnary[
        model_pb2.ListRunningModelsRequest, model_pb2.ListRunningModelsResponse
    ]
    LoadModel: SyncUnary[model_pb2.LoadModelRequest, model_pb2.LoadModelResponse]
    UnloadModel: SyncUnary[model_pb2.UnloadModelRequest, model_pb2.UnloadModelResponse]
    ListPrompts: SyncUnary[prompt_pb2.ListPromptsRequest, prompt_pb2.ListPromptsResponse]
    GetPrompt: SyncUnary[prompt_pb2.GetPromptRequest, prompt_pb2.GetPromptResponse]
    GenerateImage: SyncServerStream[image_pb2.GenerateImageRequest, image_pb2.GenerateImageResponse]
    Transcribe: SyncUpload[audio_pb2.TranscribeRequest, audio_pb2.TranscribeResponse]
    StreamTranscribe: SyncUploadStream[
        audio_pb2.StreamTranscribeRequest, audio_pb2.StreamTranscribeResponse
    ]
    Speak: SyncServerStream[audio_pb2.SpeakRequest, audio_pb2.SpeakResponse]


def _pairs(metadata: MetadataLike | None) -> list[tuple[str, str | bytes]]:
    if not metadata:
        return []
    if isinstance(metadata, Mapping):
        return [(str(k), v) for k, v in metadata.items()]
    return [(k, v) for k, v in metadata]


def base_metadata(metadata: MetadataLike | None, api_key: str | None) -> Metadata:
    """The client-wide metadata: the caller's pairs plus the API key as a bearer token."""
    pairs = [(k.lower(), v) for k, v in _pairs(metadata)]
    if api_key:
        pairs = [(k, v) for k, v in pairs if k != "authorization"]
        pairs.append(("authorization", f"Bearer {api_key}"))
    return tuple(pairs)


def call_metadata(base: Metadata, extra: MetadataLike | None) -> Metadata | None:
    """Per-call metadata: keys given for this call replace the client-wide ones."""
    pairs = [(k.lower(), v) for k, v in _pairs(extra)]
    if not pairs:
        return base or None
    overridden = {k for k, _ in pairs}
    return tuple([(k, v) for k, v in base if k not in overridden] + pairs) or None
