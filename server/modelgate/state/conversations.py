"""Conversation history behind `previous_response_id`.

A conversation is stored as the whole replayable history (every message up to
and including the assistant's reply) under the response id that ended it, so
continuing it is one read with no chain of parents to walk (a parent that
expired first would break the chain). Each history is bounded by `max_history`
and each entry by its TTL, which keeps storage bounded although every turn
writes the history again.

The stored value is a serialized `ChatRequest` carrying only `model` and
`messages`: the proto's own type for "this model, this conversation", so no
parallel class is needed and every message field (image bytes, tool-call
arguments as JSON text) survives byte for byte. Its `metadata` holds one key of the
gateway's, `CONVERSATION_KEY`: the id of the conversation's first answer, which every
later turn keeps (the spans' `gen_ai.conversation.id`); a history stored before that
key existed reads as a conversation named by its own response id. The owner (the caller's API key
id, "" when anonymous) is stored beside it: a conversation is visible only to
the key that created it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from modelgate.v1 import chat_pb2, content_pb2

DEFAULT_TTL_SECONDS = 24 * 3600.0
DEFAULT_MAX_HISTORY = 256
CONVERSATION_KEY = "modelgate.conversation_id"
"""The stored `ChatRequest.metadata` key of the conversation's id."""


class Conversation(NamedTuple):
    """A stored conversation: its replayable history and its id."""

    messages: list[content_pb2.Message]
    conversation_id: str
    """The response id of the conversation's first answer, the same on every turn."""


class ConversationStore(Protocol):
    """Saves and loads conversation histories by response id, per owner."""

    async def save(
        self,
        response_id: str,
        owner: str,
        messages: Sequence[content_pb2.Message],
        model: str,
        *,
        conversation_id: str = "",
    ) -> None:
        """Store `messages` (trimmed to the store's max history) for the store's TTL, as
        part of `conversation_id` ("": a first turn, whose conversation is `response_id`)."""
        ...

    async def load(self, response_id: str, owner: str) -> Conversation | None:
        """The conversation, or None when unknown, expired, or saved by another owner."""
        ...

    async def aclose(self) -> None:
        """Release the backend; the store is unusable afterwards."""
        ...


def check_settings(ttl_seconds: float, max_history: int) -> None:
    """Reject settings that would store nothing or never expire."""
    if ttl_seconds <= 0:
        raise ValueError(f"conversation TTL must be > 0 seconds, got {ttl_seconds}")
    if max_history < 1:
        raise ValueError(f"max history must be >= 1 message, got {max_history}")


def check_ids(response_id: str) -> None:
    """An empty response id is a caller bug, not a key."""
    if not response_id:
        raise ValueError("response_id must not be empty")


def trim_history(
    messages: Sequence[content_pb2.Message], max_history: int
) -> list[content_pb2.Message]:
    """The newest messages within `max_history`, every system message kept.

    System messages frame the conversation, so they survive trimming even past
    the limit. The kept tail starts at a user turn where one exists, otherwise at
    the first message that is not a tool result: a tool result whose call was
    trimmed away (or an assistant turn with no question) is rejected by
    providers when the history is replayed.
    """
    if len(messages) <= max_history:
        return list(messages)  # the common case, without a pass over the roles
    system = content_pb2.ROLE_SYSTEM
    rest = [i for i, m in enumerate(messages) if m.role != system]
    budget = max(0, max_history - (len(messages) - len(rest)))
    if len(rest) <= budget:
        return list(messages)
    tail = rest[len(rest) - budget :]
    start = _first(messages, tail, content_pb2.ROLE_USER)
    if start is None:
        start = _first_not(messages, tail, content_pb2.ROLE_TOOL)
    kept = set(tail[start:] if start is not None else [])
    return [m for i, m in enumerate(messages) if m.role == system or i in kept]


def _first(messages: Sequence[content_pb2.Message], tail: list[int], role: int) -> int | None:
    return next((n for n, i in enumerate(tail) if messages[i].role == role), None)


def _first_not(messages: Sequence[content_pb2.Message], tail: list[int], role: int) -> int | None:
    return next((n for n, i in enumerate(tail) if messages[i].role != role), None)


def encode_history(
    model: str, messages: Sequence[content_pb2.Message], conversation_id: str
) -> bytes:
    """The stored bytes: a `ChatRequest` with only `model`, `messages` and the
    conversation's id set."""
    request = chat_pb2.ChatRequest(model=model, messages=messages)
    request.metadata[CONVERSATION_KEY] = conversation_id
    return request.SerializeToString()


def decode_history(data: bytes, response_id: str) -> Conversation:
    """Fresh message objects (callers may mutate them freely) and the conversation's id
    (`response_id`'s own for a history stored without one)."""
    request = chat_pb2.ChatRequest.FromString(data)
    return Conversation(
        list(request.messages), request.metadata.get(CONVERSATION_KEY) or response_id
    )
