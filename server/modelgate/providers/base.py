"""The contract every backend implements, and the per-call facts it receives.

Backends speak the proto directly (the proto is the domain model): they take
the request message and return response messages, so no parallel class
hierarchy sits between the wire and the upstream. Unary and streaming are
separate methods because their failure rules differ (see RELIABILITY.md).

Optional abilities (model management, model details, a local tokenizer) are
declared by accessor methods, never inferred with isinstance or getattr: a
wrapper such as the tracing one forwards them explicitly, and from Python 3.12
on a runtime-checkable Protocol looks attributes up statically, so it would not
see through a `__getattr__` forwarder.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from modelgate.config import UPSTREAM_MAX_ANSWER_BYTES, UPSTREAM_MAX_LINE_BYTES
from modelgate.errors import GatewayError, not_supported
from modelgate.v1 import (
    audio_pb2,
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    image_pb2,
    model_pb2,
    tokens_pb2,
)

if TYPE_CHECKING:
    from modelgate.providers.params import Operation, UpstreamParams


DISCOVERY_TIMEOUT_SECONDS = 5.0
"""Bound on one model-listing call (`/models`) when a runtime discovers its models."""


@dataclass(frozen=True, slots=True)
class Target:
    """One deployment: a catalog model as a runtime knows it."""

    record: model_pb2.Model
    upstream_name: str
    defaults: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    api: str = "chat_completions"
    conversation: str = "gateway"
    """Who keeps `previous_response_id` histories: "upstream" (passed through) or "gateway"."""
    cache: bool = False
    """Cache unary answers by default (catalog `cache: true`)."""
    allow_private_urls: bool = False
    """`limits.allow_private_image_urls`: image URLs a backend fetches may name internal hosts."""
    auto_cache_breakpoints: bool = False
    """Catalog `auto_cache_breakpoints`: place prompt-cache breakpoints for long prompts."""

    @property
    def id(self) -> str:
        """The gateway-wide model id."""
        return self.record.id


@dataclass(slots=True)
class CallContext:
    """What a backend needs to know about the caller: chiefly the deadline."""

    deadline: float | None = None
    """Absolute `time.monotonic()` by which the caller gives up, or None."""
    trace_headers: dict[str, str] = field(default_factory=dict)
    """Headers (W3C trace context) to put on the upstream HTTP request."""
    max_line_bytes: int = UPSTREAM_MAX_LINE_BYTES
    """`limits.upstream_max_line_bytes`: the longest streamed line the upstream may send."""
    max_answer_bytes: int = UPSTREAM_MAX_ANSWER_BYTES
    """`limits.upstream_max_answer_bytes`: the largest whole answer the upstream may send."""
    caller: str = ""
    """The authenticated caller's key id ("" without auth): whose conversations and totals."""
    conversation_id: str = ""
    """The conversation the call continues ("" for a first turn): the `previous_response_id`
    it names, replaced by the stored conversation's own id (its first answer's) when the
    gateway holds it (the continuity layer), so every turn's spans name one conversation."""
    response_id: str = ""
    """The gateway id the answer will carry, chosen by the router before its attempts so
    each attempt's span can name the conversation of a first turn."""
    attempt: int = 0
    """The router's current upstream attempt of this call (1-based; 0 outside the router)."""
    attempt_reason: str = ""
    """The error reason that led to the current attempt ("" for a first attempt)."""

    def remaining(self) -> float | None:
        """Seconds left before the caller's deadline (None: no deadline)."""
        if self.deadline is None:
            return None
        return self.deadline - time.monotonic()


class BackendAbilities(Protocol):
    """The optional abilities of a backend, each declared by an accessor that answers None
    when the backend lacks it. A wrapper forwards every one explicitly."""

    def model_manager(self) -> ModelManager | None:
        """This runtime's model management (pull, delete, ...), or None when it has none."""
        ...

    def model_describer(self) -> ModelDescriber | None:
        """Who reports model details for GetModel, or None."""
        ...

    def token_counter(self) -> TokenCounter | None:
        """An exact local tokenizer for the context-window check, or None."""
        ...

    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams | None:
        """The GenerationConfig fields this backend sends for `target` (providers/params.py),
        or None when it takes the whole request and owns every field (plugins)."""
        ...

    def media(self) -> MediaBackend | None:
        """Image generation, transcription and speech (`MediaBackend`), or None."""
        ...


class Backend(BackendAbilities, Protocol):
    """One runtime instance (an API account, an Ollama host, ...): the RPCs, and the
    optional abilities of `BackendAbilities`.

    Answers carry what only the upstream knows (content, usage, finish reasons, the
    provider's response id); the router stamps the rest once for every backend: who
    served (model, provider, runtime), the gateway id, cost, latency and attempts.
    """

    runtime: str
    """The runtime name used in model records, e.g. "openai" or "ollama/127.0.0.1:11434"."""

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        """One assistant message."""
        ...

    def stream_chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        """Deltas, then exactly one `end` event; raises GatewayError on failure."""
        ...

    async def complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        """A plain-text continuation."""
        ...

    def stream_complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        """Text deltas, then exactly one `end` event."""
        ...

    async def embed(
        self, target: Target, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        """One vector per input, in input order."""
        ...

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        """Input tokens of text or messages."""
        ...

    async def discover(self) -> list[model_pb2.Model] | None:
        """Models the runtime serves now, or None when it does not discover."""
        ...

    async def aclose(self) -> None:
        """Release connections."""
        ...


def ability_accessors() -> tuple[str, ...]:
    """The accessor names `BackendAbilities` declares, in declaration order."""
    return tuple(name for name in vars(BackendAbilities) if not name.startswith("_"))


class BackendDefaults:
    """Defaults for the optional parts of `Backend`: subclass and override what you serve.

    The router checks capabilities before dispatching, so these only fire when a
    catalog entry claims a capability its backend lacks (a configuration bug).
    The ability accessors answer None: override one (returning self) to declare it.
    """

    runtime: str = ""

    def _unsupported(self, target: Target, operation: str) -> GatewayError:
        return not_supported(target.id, operation, [])

    async def complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        raise self._unsupported(target, "Complete")

    def stream_complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        raise self._unsupported(target, "StreamComplete")

    async def embed(
        self, target: Target, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        raise self._unsupported(target, "Embed")

    async def discover(self) -> list[model_pb2.Model] | None:
        return None

    async def aclose(self) -> None:
        return None

    def model_manager(self) -> ModelManager | None:
        return None

    def model_describer(self) -> ModelDescriber | None:
        return None

    def token_counter(self) -> TokenCounter | None:
        return None

    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams | None:
        return None

    def media(self) -> MediaBackend | None:
        return None


class ModelManager(Protocol):
    """A runtime that manages its own models (Ollama): pull, delete, load, unload."""

    runtime: str

    def pull(
        self, name: str, insecure: bool, call: CallContext
    ) -> AsyncIterator[model_pb2.PullModelResponse]:
        """Progress events until the model is on the runtime."""
        ...

    async def delete(self, name: str, call: CallContext) -> None:
        """Remove the model; GatewayError NOT_FOUND when it is not there."""
        ...

    async def running(self, call: CallContext) -> list[model_pb2.RunningModel]:
        """Models loaded in memory."""
        ...

    async def load(self, name: str, keep_alive: float | None, call: CallContext) -> None:
        """Load into memory for `keep_alive` seconds (None: default, < 0: forever)."""
        ...

    async def unload(self, name: str, call: CallContext) -> None:
        """Unload from memory now."""
        ...


class ModelDescriber(Protocol):
    """A runtime that reports details of a model (Ollama /api/show)."""

    async def describe(self, target: Target, call: CallContext) -> model_pb2.ModelDetails:
        """Details of the model as the runtime knows it."""
        ...


class TokenCounter(Protocol):
    """A backend that counts input tokens exactly, locally (same tokenizer as upstream)."""

    def local_token_count(
        self, target: Target, messages: Iterable[content_pb2.Message]
    ) -> int | None:
        """Exact input tokens of `messages`, or None when this model's tokenizer is unknown."""
        ...


# The media ability: images, transcription and speech. Every method speaks the proto
# and streams where the payload can be large, so no answer or upload is held whole in
# the gateway: image bytes and speech audio go out as chunks as they arrive, and an
# upload is an async iterator of the caller's chunks. What only the upstream knows is
# in the events a backend yields (bytes, revised prompts, transcript text, timings,
# usage); the media layer stamps the rest once (id, model, provider, runtime, cost,
# latency).

MEDIA_CHUNK_BYTES = 1 << 20
"""Largest `bytes` piece in one streamed media message (1 MiB), well under gRPC's
default 4 MiB message cap."""


class MediaBackend(Protocol):
    """Image generation, transcription and speech of one runtime."""

    def generate_image(
        self, target: Target, request: image_pb2.GenerateImageRequest, call: CallContext
    ) -> AsyncIterator[image_pb2.GenerateImageResponse]:
        """For each image: an `image` event, then its bytes as `chunk`s of at most
        MEDIA_CHUNK_BYTES; last an `end` with the usage (other end fields are stamped)."""
        ...

    async def transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> audio_pb2.TranscribeResponse:
        """The transcript of `audio`, read chunk by chunk and relayed as it is read."""
        ...

    def stream_transcribe(
        self,
        target: Target,
        config: audio_pb2.TranscriptionConfig,
        audio: AsyncIterator[bytes],
        call: CallContext,
    ) -> AsyncIterator[audio_pb2.StreamTranscribeResponse]:
        """Transcript `delta`s as the model produces them, then the whole transcript
        as `end`."""
        ...

    def speak(
        self, target: Target, request: audio_pb2.SpeakRequest, call: CallContext
    ) -> AsyncIterator[audio_pb2.SpeakResponse]:
        """`started`, then audio `chunk`s of at most MEDIA_CHUNK_BYTES as the upstream
        sends them, then `end` with the usage."""
        ...
