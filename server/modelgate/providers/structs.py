"""Shared content helpers: the text of messages and answers, the image types accepted.

The free-form JSON fields (tool parameters, schemas, arguments) are read and
written by `modelgate.providers.json_fields`.
"""

from __future__ import annotations

from collections.abc import Iterable

from modelgate.v1 import content_pb2

IMAGE_MAGIC: dict[str, tuple[bytes, ...]] = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
"""The image types the gateway accepts, by the bytes they start with (checked on request
bytes by the api layer and on fetched images by the providers)."""


def content_text(parts: Iterable[content_pb2.ContentPart]) -> str:
    """The concatenated text parts of a message or answer."""
    return "".join(part.text for part in parts if part.WhichOneof("data") == "text")


def message_text(messages: Iterable[content_pb2.Message]) -> str:
    """All text of messages (text tool results and reasoning text included) joined by
    newlines: what gets tokenized."""
    pieces: list[str] = []
    for message in messages:
        for part in message.parts:
            kind = part.WhichOneof("data")
            if kind == "text":
                pieces.append(part.text)
            elif kind == "tool_result" and part.tool_result.WhichOneof("result") == "text":
                pieces.append(part.tool_result.text)
            elif kind == "reasoning" and part.reasoning.text:
                pieces.append(part.reasoning.text)
    return "\n".join(pieces)
