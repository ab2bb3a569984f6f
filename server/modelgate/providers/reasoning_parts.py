"""Reasoning parts as the backends that take plain thought text send and receive them.

Plain reasoning (format UNSPECIFIED) is thought text with no opaque data: what
DeepSeek, vLLM, llama.cpp, OpenRouter and Ollama return and, where they accept
it, take back. Parts a backend does not send (another provider's signed or
encrypted reasoning, or plain text where the runtime strips it) are counted in
the answer's `metadata["dropped_reasoning"]` by path, so none vanishes unsaid.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping

from modelgate.v1 import content_pb2

DROPPED_REASONING_KEY = "dropped_reasoning"
"""Answer metadata key: reasoning parts (`messages[1].parts[0]`) left out of the request."""
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
    messages: Iterable[content_pb2.Message], sent: Callable[[content_pb2.Reasoning], bool]
) -> list[str]:
    """Paths of the reasoning parts a backend leaves out (those `sent` says no to)."""
    return [
        f"messages[{i}].parts[{j}]"
        for i, message in enumerate(messages)
        for j, part in enumerate(message.parts)
        if part.WhichOneof("data") == "reasoning" and not sent(part.reasoning)
    ]


def is_plain(reasoning: content_pb2.Reasoning) -> bool:
    """Plain thought text (format UNSPECIFIED)."""
    return reasoning.format == PLAIN


def never(reasoning: content_pb2.Reasoning) -> bool:
    """For backends that send no reasoning back."""
    return False


def note_unsent(metadata: MutableMapping[str, str], unsent: list[str]) -> None:
    """Name the reasoning parts that were not sent in the answer's metadata (when any)."""
    if unsent:
        metadata[DROPPED_REASONING_KEY] = ",".join(unsent)
