"""The built-in echo backend: every RPC answers deterministically with no key.

It makes a fresh checkout useful and end-to-end tests exact. Behaviour:
chat echoes the last user text (word by word when streaming), completion
echoes the prompt, embeddings are unit vectors derived from the text, and
tokens are whitespace-delimited words (`\\S+\\s*`), so counts are exact for
its own tokenizer. It takes every GenerationConfig field: `max_output_tokens` and
`stop_sequences` cut the answer, the sampling fields cannot change a deterministic
answer. A chat request whose `reasoning` sets any field (admission lets it through
only to models listing capability `reasoning`) is answered with a plain Reasoning
part before the text, `thinking about: <last user text>`, cut to
`reasoning.budget_tokens` words when set (ReasoningDeltas, index 0, before the text
deltas when streamed); `usage.reasoning_tokens` counts its words, and `output_tokens`
includes them. Per-model `options` (catalog) slow it down for tests:
`latency_ms` before answering, `token_interval_ms` between stream deltas, and
`repeat_stream: true` streams the answer's words over and over and never ends (a stream that
outlives any cap by construction, however fast the machine). Images, transcripts and
speech are `providers.echo_media`'s.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import math
import re
import struct
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import TypeAlias

from typing_extensions import override

from modelgate.providers.base import (
    BackendDefaults,
    CallContext,
    Target,
)
from modelgate.providers.echo_media import EchoMedia
from modelgate.providers.params import FEATURES, FIELDS, Operation, UpstreamParams
from modelgate.providers.reasoning_parts import reasoning_part
from modelgate.providers.structs import message_text
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    generation_pb2,
    model_pb2,
    stream_pb2,
    tokens_pb2,
)

Finish: TypeAlias = generation_pb2.FinishReason.ValueType
_WORD = re.compile(r"\S+\s*")
_STOP = generation_pb2.FINISH_REASON_STOP
_LENGTH = generation_pb2.FINISH_REASON_LENGTH
_JSON_TYPES = (
    generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT,
    generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
)


def echo_tokens(text: str) -> list[str]:
    """The echo tokenizer: words with their trailing whitespace; joined they give the text back."""
    tokens = _WORD.findall(text)
    leading = len(text) - len(text.lstrip())
    if leading and tokens:
        tokens[0] = text[:leading] + tokens[0]
    return tokens


def last_user_text(messages: Iterable[content_pb2.Message]) -> str:
    """Text of the last user message: what echo answers."""
    answer = ""
    for message in messages:
        if message.role == content_pb2.ROLE_USER:
            answer = "".join(p.text for p in message.parts if p.WhichOneof("data") == "text")
    return answer


def _answer(request: chat_pb2.ChatRequest) -> str:
    text = last_user_text(request.messages)
    if request.response_format.type in _JSON_TYPES:
        try:
            json.loads(text)
        except ValueError:
            return json.dumps({"echo": text})
    return text


THOUGHT_PREFIX = "thinking about: "
"""Echo's thought is this prefix and the last user text (see `_thought`)."""
_THINKS = f"(a Reasoning part before the answer: `{THOUGHT_PREFIX}<last user text>`)"


def _thought(request: chat_pb2.ChatRequest) -> list[str]:
    """The thought's tokens when the request asks for reasoning, else none.

    Any field of `reasoning` set means think: admission passes them only to models
    listing capability `reasoning`, and clears those `unsupported_params: drop` drops.
    """
    reasoning = request.reasoning
    budget = reasoning.budget_tokens if reasoning.HasField("budget_tokens") else None
    if not (reasoning.effort or reasoning.include_thoughts or budget is not None):
        return []
    tokens = echo_tokens(THOUGHT_PREFIX + last_user_text(request.messages))
    return tokens if budget is None else tokens[:budget]


_NO_EFFECT = "(no effect: echo is deterministic)"
ECHO_PARAMS = UpstreamParams(
    "echo",
    {
        **{name: _NO_EFFECT for name in FIELDS},
        "max_output_tokens": "(truncates the answer)",
        "stop_sequences": "(cuts the answer before the first one)",
        "extra": "(no effect: echo has no upstream)",
        "extra_json": "(no effect: echo has no upstream)",
    },
    {
        **{name: "(no effect: echo does not cache)" for name in FEATURES},
        "reasoning.effort": _THINKS,
        "reasoning.include_thoughts": _THINKS,
        "reasoning.budget_tokens": "(a Reasoning part, cut to that many words)",
    },
)
"""Echo stands in for any provider, so it takes every field; see `_limit`."""


def _limit(text: str, generation: generation_pb2.GenerationConfig) -> tuple[list[str], Finish]:
    """The answer's tokens, cut at the first stop sequence and at max_output_tokens."""
    stops = [text.find(stop) for stop in generation.stop_sequences]
    cut = min((at for at in stops if at >= 0), default=-1)
    tokens = echo_tokens(text[:cut] if cut >= 0 else text)
    if generation.HasField("max_output_tokens") and len(tokens) > generation.max_output_tokens:
        return tokens[: generation.max_output_tokens], _LENGTH
    return tokens, _STOP


def _streamed(target: Target, tokens: list[str]) -> Iterator[str]:
    """The tokens a stream sends: once, or endlessly with the `repeat_stream` option."""
    if target.options.get("repeat_stream"):
        return itertools.cycle(tokens)
    return iter(tokens)


class EchoBackend(BackendDefaults):
    """A development and test runtime; see the module docstring."""

    def __init__(self, runtime: str = "echo", dimension: int = 16) -> None:
        self.runtime = runtime
        self.dimension = dimension
        self.media_ability = EchoMedia()

    @override
    def media(self) -> EchoMedia:
        """Images, transcripts and speech (providers/echo_media.py)."""
        return self.media_ability

    @override
    def generation_params(self, target: Target, operation: Operation) -> UpstreamParams:
        """Every field, for every RPC (see ECHO_PARAMS)."""
        return ECHO_PARAMS

    async def _pause(self, milliseconds: float) -> None:
        """Sleep for an option's `*_ms` value (read by literal name: config_options.py)."""
        delay = float(milliseconds) / 1000
        if delay > 0:
            await asyncio.sleep(delay)

    def _usage(
        self, prompt: str, output_tokens: int, reasoning_tokens: int = 0
    ) -> generation_pb2.Usage:
        """Word counts; `output_tokens` includes the thought's words, as providers count them."""
        input_tokens = len(echo_tokens(prompt))
        output_tokens += reasoning_tokens
        return generation_pb2.Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
            reasoning_tokens=reasoning_tokens,
        )

    async def chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> chat_pb2.ChatResponse:
        await self._pause(target.options.get("latency_ms", 0))
        tokens, finish = _limit(_answer(request), request.generation)
        thought = _thought(request)
        content = [reasoning_part("".join(thought))] if thought else []
        content.append(content_pb2.ContentPart(text="".join(tokens)))
        return chat_pb2.ChatResponse(
            content=content,
            finish_reason=finish,
            raw_finish_reason="stop" if finish == _STOP else "length",
            usage=self._usage(message_text(request.messages), len(tokens), len(thought)),
        )

    async def stream_chat(
        self, target: Target, request: chat_pb2.ChatRequest, call: CallContext
    ) -> AsyncIterator[chat_pb2.StreamChatResponse]:
        await self._pause(target.options.get("latency_ms", 0))
        tokens, finish = _limit(_answer(request), request.generation)
        thought = _thought(request)
        events = itertools.chain(
            (
                chat_pb2.StreamChatResponse(reasoning_delta=stream_pb2.ReasoningDelta(text=token))
                for token in thought
            ),
            (
                chat_pb2.StreamChatResponse(text_delta=stream_pb2.TextDelta(text=token))
                for token in _streamed(target, tokens)
            ),
        )
        for index, event in enumerate(events):
            if index:
                await self._pause(target.options.get("token_interval_ms", 0))
            yield event
        prompt = message_text(request.messages)
        yield chat_pb2.StreamChatResponse(
            end=self._end(target, finish, prompt, len(tokens), len(thought))
        )

    def _end(
        self, target: Target, finish: Finish, prompt: str, produced: int, reasoned: int = 0
    ) -> stream_pb2.StreamEnd:
        return stream_pb2.StreamEnd(
            finish_reason=finish,
            raw_finish_reason="stop" if finish == _STOP else "length",
            usage=self._usage(prompt, produced, reasoned),
        )

    @override
    async def complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> completion_pb2.CompleteResponse:
        await self._pause(target.options.get("latency_ms", 0))
        tokens, finish = _limit(request.prompt, request.generation)
        return completion_pb2.CompleteResponse(
            text="".join(tokens),
            finish_reason=finish,
            raw_finish_reason="stop" if finish == _STOP else "length",
            usage=self._usage(request.prompt, len(tokens)),
        )

    @override
    async def stream_complete(
        self, target: Target, request: completion_pb2.CompleteRequest, call: CallContext
    ) -> AsyncIterator[completion_pb2.StreamCompleteResponse]:
        await self._pause(target.options.get("latency_ms", 0))
        tokens, finish = _limit(request.prompt, request.generation)
        for index, token in enumerate(_streamed(target, tokens)):
            if index:
                await self._pause(target.options.get("token_interval_ms", 0))
            yield completion_pb2.StreamCompleteResponse(text_delta=stream_pb2.TextDelta(text=token))
        yield completion_pb2.StreamCompleteResponse(
            end=self._end(target, finish, request.prompt, len(tokens))
        )

    @override
    async def embed(
        self, target: Target, request: embedding_pb2.EmbedRequest, call: CallContext
    ) -> embedding_pb2.EmbedResponse:
        await self._pause(target.options.get("latency_ms", 0))
        dimension = request.dimensions if request.HasField("dimensions") else self.dimension
        embeddings = [
            embedding_pb2.Embedding(index=i, values=unit_vector(text, dimension))
            for i, text in enumerate(request.inputs)
        ]
        input_tokens = sum(len(echo_tokens(text)) for text in request.inputs)
        return embedding_pb2.EmbedResponse(
            embeddings=embeddings,
            usage=generation_pb2.Usage(input_tokens=input_tokens, total_tokens=input_tokens),
        )

    @override
    def token_counter(self) -> EchoBackend:
        return self

    def local_token_count(self, target: Target, messages: Iterable[content_pb2.Message]) -> int:
        """Exact input tokens with the echo tokenizer (used for the context-window check)."""
        return len(echo_tokens(message_text(messages)))

    async def count_tokens(
        self, target: Target, request: tokens_pb2.CountTokensRequest, call: CallContext
    ) -> tokens_pb2.CountTokensResponse:
        text = request.text if request.text else message_text(request.messages)
        return tokens_pb2.CountTokensResponse(
            input_tokens=len(echo_tokens(text)),
            method=tokens_pb2.COUNT_METHOD_TOKENIZER,
            tokenizer="echo-words",
            context_window=target.record.context_window,
        )

    @override
    async def discover(self) -> list[model_pb2.Model] | None:
        return None


def unit_vector(text: str, dimension: int) -> list[float]:
    """A deterministic unit vector for `text`: SHA-256 stretched to `dimension` floats."""
    values: list[float] = []
    counter = 0
    while len(values) < dimension:
        block = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        values.extend(v / 2**31 - 1.0 for v in struct.unpack("<8I", block))
        counter += 1
    values = values[:dimension]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]
