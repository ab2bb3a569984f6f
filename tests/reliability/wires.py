"""Every upstream wire format the gateway reads, as raw bytes, and one gateway behind them all.

The protocol-fault tests serve these bytes verbatim (`Fault.raw`) from the fakes, so each
format's parser meets exactly what a broken upstream could send: each `Wire` knows its
fake, the RPC that reaches it, its content type, and valid frames to build streams from.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import grpc
import orjson

from modelgate.config import (
    UPSTREAM_MAX_ANSWER_BYTES,
    LimitsConfig,
    ModelConfig,
    RoutingConfig,
    RuntimeConfig,
)
from modelgate.v1 import chat_pb2, embedding_pb2
from tests.fakes import FakeAnthropic, FakeOllama, FakeOpenAI, FakeServer
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import Decoded, decode, user

Upstream = Literal["openai", "anthropic", "ollama"]
Rpc = Literal["chat", "stream", "embed"]


def sse(value: Any, event: str | None = None) -> bytes:
    """One server-sent event carrying `value` as compact JSON."""
    head = f"event: {event}\n".encode() if event else b""
    return head + b"data: " + orjson.dumps(value) + b"\n\n"


def ndjson(value: Any) -> bytes:
    """One NDJSON line."""
    return orjson.dumps(value) + b"\n"


def whole(value: Any) -> bytes:
    """A unary JSON body."""
    return orjson.dumps(value)


@dataclass(frozen=True)
class Wire:
    """One format: valid `objects` framed by `frame` make a good answer (in this order)."""

    name: str
    upstream: Upstream
    path: str
    model: str
    rpc: Rpc
    content_type: str
    frame: Callable[[Any], bytes]
    objects: tuple[Any, ...]
    tail: bytes = b""
    """Bytes after the objects that end a good answer (`data: [DONE]`)."""
    ours: bool = True
    """Read by the gateway's own code (every format is now, the Responses API included);
    False for a format read by an SDK, whose errors name the fault less precisely and
    whose lines are not capped."""

    def good(self) -> bytes:
        """A complete, valid answer in this format."""
        return b"".join(self.frame(o) for o in self.objects) + self.tail


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice]}


_CALL = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}
_USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
OPENAI_CHUNKS = (
    _chunk({"role": "assistant", "content": "hello"}),
    _chunk({"tool_calls": [_CALL]}),
    _chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"a":1}'}}]}),
    _chunk({}, "stop"),
    {"id": "chatcmpl-1", "choices": [], "usage": _USAGE},
)
OPENAI_ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hello", "tool_calls": [_CALL]},
            "finish_reason": "stop",
        }
    ],
    "usage": _USAGE,
}
_RESPONSE = {
    "id": "resp_1",
    "object": "response",
    "status": "completed",
    "output": [
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "hello", "annotations": []}],
        },
        {
            "id": "fc_1",
            "type": "function_call",
            "call_id": "call_1",
            "name": "f",
            "arguments": "{}",
        },
    ],
    "usage": {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5},
}
RESPONSES_EVENTS = (
    {"type": "response.created", "response": {**_RESPONSE, "status": "in_progress", "output": []}},
    {"type": "response.output_text.delta", "item_id": "msg_1", "delta": "hello"},
    {
        "type": "response.output_item.added",
        "item": {"id": "fc_1", "type": "function_call", "call_id": "call_1", "name": "f"},
    },
    {"type": "response.function_call_arguments.delta", "item_id": "fc_1", "delta": "{}"},
    {"type": "response.completed", "response": _RESPONSE},
)
_MESSAGE = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude"}
_ANTHROPIC_USAGE = {"input_tokens": 3, "output_tokens": 2}
ANTHROPIC_EVENTS = (
    {"type": "message_start", "message": {**_MESSAGE, "content": [], "usage": _ANTHROPIC_USAGE}},
    {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
    {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "hello"}},
    {"type": "content_block_stop", "index": 0},
    {
        "type": "content_block_start",
        "index": 1,
        "content_block": {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
    },
    {
        "type": "content_block_delta",
        "index": 1,
        "delta": {"type": "input_json_delta", "partial_json": '{"a":1}'},
    },
    {"type": "content_block_stop", "index": 1},
    {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}},
    {"type": "message_stop"},
)
ANTHROPIC_ANSWER = {
    **_MESSAGE,
    "content": [
        {"type": "text", "text": "hello"},
        {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}},
    ],
    "stop_reason": "end_turn",
    "usage": _ANTHROPIC_USAGE,
}
_OLLAMA_CALL = {"function": {"name": "f", "arguments": {"a": 1}}}
OLLAMA_LINES = (
    {"model": "llama3.2", "message": {"role": "assistant", "content": "hello"}, "done": False},
    {"message": {"role": "assistant", "content": "", "tool_calls": [_OLLAMA_CALL]}, "done": False},
    {
        "message": {"role": "assistant", "content": ""},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 3,
        "eval_count": 2,
    },
)
OLLAMA_ANSWER = {
    "model": "llama3.2",
    "message": {"role": "assistant", "content": "hello", "tool_calls": [_OLLAMA_CALL]},
    "done": True,
    "done_reason": "stop",
    "prompt_eval_count": 3,
    "eval_count": 2,
}

SSE = "text/event-stream"
JSON = "application/json"
WIRES = (
    Wire("openai chat stream", "openai", "/v1/chat/completions", "gpt-4o", "stream", SSE,
         sse, OPENAI_CHUNKS, b"data: [DONE]\n\n"),
    Wire("openai chat", "openai", "/v1/chat/completions", "gpt-4o", "chat", JSON,
         whole, (OPENAI_ANSWER,)),
    Wire("openai responses stream", "openai", "/v1/responses", "gpt-4o-responses", "stream",
         SSE, lambda o: sse(o, o.get("type") if isinstance(o, dict) else None), RESPONSES_EVENTS),
    Wire("openai responses", "openai", "/v1/responses", "gpt-4o-responses", "chat", JSON,
         whole, (_RESPONSE,)),
    Wire("openai embeddings", "openai", "/v1/embeddings", "text-embedding-3-small", "embed",
         JSON, whole, ({"data": [{"index": 0, "embedding": [0.5, 0.25]}], "usage": _USAGE},)),
    Wire("anthropic stream", "anthropic", "/v1/messages", "claude", "stream", SSE,
         lambda o: sse(o, o.get("type") if isinstance(o, dict) else None), ANTHROPIC_EVENTS),
    Wire("anthropic", "anthropic", "/v1/messages", "claude", "chat", JSON,
         whole, (ANTHROPIC_ANSWER,)),
    Wire("ollama chat stream", "ollama", "/api/chat", "llama", "stream", "application/x-ndjson",
         ndjson, OLLAMA_LINES),
    Wire("ollama chat", "ollama", "/api/chat", "llama", "chat", JSON, whole, (OLLAMA_ANSWER,)),
    Wire("ollama embed", "ollama", "/api/embed", "llama-embed", "embed", JSON,
         whole, ({"embeddings": [[0.5, 0.25]], "prompt_eval_count": 1},)),
)  # fmt: skip
STREAMS = tuple(w for w in WIRES if w.rpc == "stream")
CALLER_DEADLINE_SECONDS = 20.0


@dataclass
class Upstreams:
    """The three fakes and a gateway with a model on each wire format."""

    served: Served
    fakes: dict[Upstream, FakeServer]

    def fake(self, wire: Wire) -> FakeServer:
        """The fake that plays `wire`'s upstream (scripts are consumed by its path)."""
        return self.fakes[wire.upstream]

    async def call(self, wire: Wire) -> tuple[Decoded, list[Any]]:
        """One RPC through `wire`: its status (OK when it succeeded) and what arrived.

        The caller's deadline is far above the work: a hang shows as DEADLINE_EXCEEDED."""
        stub = self.served.stub
        timeout = CALLER_DEADLINE_SECONDS
        received: list[Any] = []
        try:
            if wire.rpc == "embed":
                request = embedding_pb2.EmbedRequest(model=wire.model, inputs=["x"])
                received.append(await stub.Embed(request, timeout=timeout))
            elif wire.rpc == "chat":
                chat = chat_pb2.ChatRequest(model=wire.model, messages=[user("x")])
                received.append(await stub.Chat(chat, timeout=timeout))
            else:
                stream = chat_pb2.StreamChatRequest(model=wire.model, messages=[user("x")])
                async for event in stub.StreamChat(stream, timeout=timeout):
                    received.append(event)
        except grpc.aio.AioRpcError as error:
            return decode(error), received
        return Decoded(grpc.StatusCode.OK, ""), received


def _settings(fakes: dict[Upstream, FakeServer], max_line_bytes: int, max_answer_bytes: int) -> Any:
    runtimes = {
        "openai": RuntimeConfig(
            kind="openai", base_url=fakes["openai"].url + "/v1", api_key="sk-test-key-0123"
        ),
        "anthropic": RuntimeConfig(
            kind="anthropic", base_url=fakes["anthropic"].url, api_key="sk-test-key-0123"
        ),
        "ollama": RuntimeConfig(kind="ollama", base_url=fakes["ollama"].url),
    }
    chat: Any = ["chat", "streaming", "tools"]
    models = [
        ModelConfig(id="gpt-4o", runtime="openai", capabilities=chat),
        ModelConfig(
            id="gpt-4o-responses",
            runtime="openai",
            upstream_name="gpt-4o",
            api="responses",
            capabilities=chat,
        ),
        ModelConfig(id="text-embedding-3-small", runtime="openai", capabilities=["embedding"]),
        ModelConfig(id="claude", runtime="anthropic", capabilities=chat),
        ModelConfig(id="llama", runtime="ollama", upstream_name="llama3.2", capabilities=chat),
        ModelConfig(
            id="llama-embed",
            runtime="ollama",
            upstream_name="nomic-embed-text:latest",
            capabilities=["embedding"],
        ),
    ]
    # One attempt per call: each served answer is judged on its own, never retried away.
    routing = RoutingConfig(
        max_attempts=1, max_attempts_per_deployment=1, breaker_min_requests=10**6
    )
    limits = LimitsConfig(
        upstream_max_line_bytes=max_line_bytes, upstream_max_answer_bytes=max_answer_bytes
    )
    return settings(runtimes=runtimes, models=models, routing=routing, limits=limits)


@contextlib.asynccontextmanager
async def upstreams(
    max_line_bytes: int, max_answer_bytes: int = UPSTREAM_MAX_ANSWER_BYTES
) -> AsyncIterator[Upstreams]:
    """Fakes on loopback ports and a gateway in front of them with these caps."""
    async with contextlib.AsyncExitStack() as stack:
        fakes: dict[Upstream, FakeServer] = {
            "openai": await stack.enter_async_context(FakeOpenAI()),
            "anthropic": await stack.enter_async_context(FakeAnthropic()),
            "ollama": await stack.enter_async_context(FakeOllama()),
        }
        config = _settings(fakes, max_line_bytes, max_answer_bytes)
        served = await stack.enter_async_context(serve(config))
        yield Upstreams(served, fakes)
