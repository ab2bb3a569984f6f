"""Provider-neutral scripting and recording for the fake upstream servers.

Tests describe *what* an upstream does (a reply, a timing profile, a fault);
each provider fake renders that in its own wire format. Keeping the vocabulary
here means one test idiom works against OpenAI, Anthropic and Ollama alike.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any, Literal

FaultKind = Literal[
    "http",
    "reset",
    "reset_mid_stream",
    "truncate",
    "malformed",
    "stream_error",
    "hang",
    "fewer_items",
    "raw",
]
RawEnding = Literal["eof", "close", "reset"]


@dataclass(frozen=True)
class Timing:
    """Latency profile: before headers, to the first token, then a token rate (0 = instant)."""

    latency_ms: float = 0.0
    ttft_ms: float = 0.0
    tokens_per_s: float = 0.0


@dataclass(frozen=True)
class ToolCall:
    """A tool/function call the fake model makes; `id` is generated when None."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Thought:
    """Reasoning the fake model shows before its answer, in each provider's form.

    Anthropic: a `thinking` block with `signature` (made up when None), or a
    `redacted_thinking` block when `redacted` is set; plain-text reasoning
    providers send `text` only. `after_calls` places it after that many of the
    reply's tool calls (interleaved thinking); None puts it before everything.
    """

    text: str = ""
    signature: str | None = None
    redacted: str | None = None
    after_calls: int | None = None


@dataclass(frozen=True)
class Reply:
    """A scripted successful answer.

    `text=None` and no tool calls means "echo the prompt". `finish_reason` takes a
    neutral name (stop, length, tool_calls, stop_sequence, content_filter) or a
    provider-native one (end_turn, max_tokens, tool_use); each fake maps it.
    Token counts default to deterministic word counts. Timing fields override the
    fake's defaults for this one request.
    """

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] | list[ToolCall] = ()
    finish_reason: str | None = None
    stop_sequence: str | None = None
    chunks: list[str] | None = None
    model: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_tokens: int = 0
    cache_creation_tokens: int = 0
    reasoning_tokens: int = 0
    thoughts: tuple[Thought, ...] = ()
    latency_ms: float | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None

    def timing(self, default: Timing) -> Timing:
        """This reply's timing, falling back field by field to the fake's."""
        return Timing(
            default.latency_ms if self.latency_ms is None else self.latency_ms,
            default.ttft_ms if self.ttft_ms is None else self.ttft_ms,
            default.tokens_per_s if self.tokens_per_s is None else self.tokens_per_s,
        )


@dataclass(frozen=True)
class Fault:
    """A scripted failure. Build with the classmethods; fields are read by the fakes.

    `after_chunks` counts content frames (text pieces / argument fragments / NDJSON
    lines) already sent when a mid-stream fault fires.
    """

    kind: FaultKind
    status: int = 500
    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None
    retry_after: float | None = None
    retry_after_ms: int | None = None
    should_retry: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    semantic: str | None = None
    after_chunks: int | None = None
    latency_ms: float = 0.0
    missing: int = 0
    chunks: tuple[bytes, ...] = ()
    ending: RawEnding = "eof"

    @classmethod
    def http(
        cls,
        status: int,
        message: str | None = None,
        *,
        type: str | None = None,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
        retry_after_ms: int | None = None,
        should_retry: bool | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        latency_ms: float = 0.0,
    ) -> Fault:
        """An HTTP error with the provider's real error body (`body` replaces it verbatim)."""
        return cls(
            "http",
            status,
            message,
            type,
            code,
            param,
            retry_after,
            retry_after_ms,
            should_retry,
            dict(headers or {}),
            body,
            latency_ms=latency_ms,
        )

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1, **kw: Any) -> Fault:
        """429 with the provider's rate-limit body and a retry-after header."""
        return cls._semantic("rate_limit", 429, retry_after=retry_after, **kw)

    @classmethod
    def overloaded(cls, **kw: Any) -> Fault:
        """Anthropic 529 overloaded_error; 503 on OpenAI and Ollama."""
        return cls._semantic("overloaded", 529, **kw)

    @classmethod
    def server_error(cls, **kw: Any) -> Fault:
        """500 with the provider's generic server error body."""
        return cls._semantic("server", 500, **kw)

    @classmethod
    def context_length_exceeded(cls, **kw: Any) -> Fault:
        """400 "prompt too long" in the provider's words (OpenAI code context_length_exceeded)."""
        return cls._semantic("context_length", 400, **kw)

    @classmethod
    def _semantic(cls, semantic: str, status: int, **kw: Any) -> Fault:
        return replace(cls.http(status, **kw), semantic=semantic)

    @classmethod
    def reset(cls, latency_ms: float = 0.0) -> Fault:
        """TCP reset before any response bytes (client sees a connection error)."""
        return cls("reset", latency_ms=latency_ms)

    @classmethod
    def reset_mid_stream(cls, after_chunks: int = 2) -> Fault:
        """TCP reset after `after_chunks` content frames."""
        return cls("reset_mid_stream", after_chunks=after_chunks)

    @classmethod
    def truncate(cls, after_chunks: int | None = None) -> Fault:
        """Clean end of body without the protocol terminator ([DONE]/message_stop/done:true).

        None: everything but the terminator; N: stop right after N content frames.
        """
        return cls("truncate", after_chunks=after_chunks)

    @classmethod
    def malformed(cls, after_chunks: int = 1) -> Fault:
        """Inject one frame of invalid JSON after N content frames, then carry on."""
        return cls("malformed", after_chunks=after_chunks)

    @classmethod
    def stream_error(
        cls,
        after_chunks: int = 1,
        message: str | None = None,
        *,
        type: str | None = None,
        code: str | None = None,
    ) -> Fault:
        """A provider error event mid-stream, then the body ends."""
        return cls(
            "stream_error",
            status=500,
            message=message,
            type=type,
            code=code,
            after_chunks=after_chunks,
        )

    @classmethod
    def fewer_items(cls, missing: int = 1) -> Fault:
        """A well-formed 200 with `missing` fewer items than asked for (embeddings: fewer
        vectors than inputs): an answer that breaks the provider's own API."""
        return cls("fewer_items", status=200, missing=missing)

    @classmethod
    def raw(
        cls,
        *chunks: bytes,
        content_type: str = "application/octet-stream",
        status: int = 200,
        length: int | None = None,
        ending: RawEnding = "eof",
    ) -> Fault:
        """Exactly `chunks` (one write each) after a valid status line and headers: any
        framing, encoding or content type, the protocol-fault injector. `length` declares
        a Content-Length (more than the chunks hold: a truncated body; the connection
        closes), else the body is chunked. `ending`: "eof" ends the body properly,
        "close" closes the connection without its end, "reset" sends a TCP RST."""
        headers = {"Content-Type": content_type}
        if length is not None:
            headers["Content-Length"] = str(length)
        return cls("raw", status, headers=headers, chunks=chunks, ending=ending)

    @classmethod
    def hang(cls, after_chunks: int | None = None) -> Fault:
        """Never answer until the client leaves (None: before headers; N: after N frames)."""
        return cls("hang", after_chunks=after_chunks)


Behaviour = Reply | Fault


class Scenario:
    """FIFO of scripted behaviours, optionally per path, plus a persistent default.

    Inference endpoints consume the path queue, then the shared queue, then the
    default; listing endpoints only consume their own path queue, so a gateway's
    model discovery never eats a script meant for a chat call.
    """

    def __init__(self) -> None:
        self._queues: dict[str | None, deque[Behaviour]] = {}
        self.default: Behaviour | None = None

    def push(self, *behaviours: Behaviour, path: str | None = None) -> None:
        """Queue behaviours, each consumed by exactly one request."""
        self._queues.setdefault(path, deque()).extend(behaviours)

    def next(self, path: str, *, inference: bool) -> Behaviour | None:
        """The behaviour for this request (None means the fake's echo default)."""
        own = self._queues.get(path)
        if own:
            return own.popleft()
        if not inference:
            return None
        shared = self._queues.get(None)
        if shared:
            return shared.popleft()
        return self.default

    def pending(self) -> int:
        """Scripted behaviours not yet consumed (handy for asserting a script was used up)."""
        return sum(len(q) for q in self._queues.values())

    def clear(self) -> None:
        """Forget every queue and the default."""
        self._queues.clear()
        self.default = None


@dataclass
class RecordedRequest:
    """What the gateway sent upstream; headers are lower-cased, `body` is JSON or raw bytes."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    raw: bytes
    at: float
    request_id: str = ""

    @property
    def json(self) -> dict[str, Any]:
        """The JSON body, asserting it was a JSON object."""
        assert isinstance(self.body, dict), f"body is not a JSON object: {self.body!r}"
        return self.body


@dataclass
class FakeModel:
    """One served model; the same record feeds every provider's listing format."""

    name: str
    kind: Literal["llm", "vlm", "embeddings"] = "llm"
    loaded: bool = True
    context_length: int = 8192
    family: str = "llama"
    parameter_size: str = "8B"
    quantization: str = "Q4_K_M"
    size: int = 4_920_753_328
    display_name: str | None = None

    @property
    def digest(self) -> str:
        """A stable sha256-looking digest derived from the name."""
        return hashlib.sha256(self.name.encode()).hexdigest()


def as_model(model: str | FakeModel) -> FakeModel:
    """Accept plain names wherever a model is expected."""
    return model if isinstance(model, FakeModel) else FakeModel(model)
