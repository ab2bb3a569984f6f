"""Reasoning parts as the backends that take plain thought text send and receive them.

Plain reasoning (format UNSPECIFIED) is thought text with no opaque data: what
DeepSeek, vLLM, llama.cpp, OpenRouter and Ollama return and, where they accept
it, take back. Parts a backend does not send (another provider's signed or
encrypted reasoning, or plain text where the runtime strips it) are counted in
the answer's `metadata["reasoning_stripped"]`, so none vanishes unsaid.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping

from modelgate.v1 import content_pb2

STRIPPED_KEY = "reasoning_stripped"
"""Answer metadata key: how many reasoning parts of the request were not sent upstream."""
PLAIN = content_pb2.REASONING_FORMAT_UNSPECIFIED


def reasoning_part(thought: str) -> content_pb2.ContentPart:
    """A plain (format UNSPECIFIED) reasoning part."""
    return content_pb2.ContentPart(reasoning=content_pb2.Reasoning(text=thought))


def plain_reasoning(message: content_pb2.Message) -> str:
    """The text of a message's plain reasoning parts, the form OpenAI-compatible servers take."""
    return "".join(
        part.reasoning.text
        for part in message.parts
        if part.WhichOneof("data") == "reasoning" and part.reasoning.format == PLAIN
    )


def unsent_reasoning(
    messages: Iterable[content_pb2.Message], sent: content_pb2.ReasoningFormat.ValueType | None
) -> int:
    """How many reasoning parts are not sent when only format `sent` goes upstream (None: none)."""
    return sum(
        1
        for message in messages
        for part in message.parts
        if part.WhichOneof("data") == "reasoning" and part.reasoning.format != sent
    )


def note_unsent(metadata: MutableMapping[str, str], unsent: int) -> None:
    """Say in the answer's metadata that reasoning parts were not sent (when any were not)."""
    if unsent:
        metadata[STRIPPED_KEY] = str(unsent)
