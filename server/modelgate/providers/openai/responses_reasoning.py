"""Reasoning items of the Responses API: request options, output items, stream events, replay.

A reasoning item `{"id": "rs_...", "summary": [summary_text...], "content":
[reasoning_text...], "encrypted_content": ...}` becomes one Reasoning part
(format OPENAI_RESPONSES, the item's id) per summary part (`summary` true) and
per content part (llama.cpp and gpt-oss return the raw thought there), the item's
`encrypted_content` on its last part; an item with neither summaries nor content
is one empty part carrying the id and encrypted content. Sent back, consecutive
parts with one id become that item again, so it round-trips as OpenAI returned it.

The gateway asks for `encrypted_content` (`include`) whenever it keeps the history
itself (`conversation: gateway`) for a reasoning model: then no upstream store
holds the item, and the encrypted copy is what lets the model resume its reasoning.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from modelgate.providers.base import AnyChatRequest, Target
from modelgate.providers.openai.reasoning import EFFORTS
from modelgate.providers.upstream_json import obj, objects, text
from modelgate.v1 import content_pb2, stream_pb2

FORMAT = content_pb2.REASONING_FORMAT_OPENAI_RESPONSES
ENCRYPTED = "reasoning.encrypted_content"
"""The `include` value that returns reasoning items' encrypted content."""


def request_fields(target: Target, request: AnyChatRequest, body: dict[str, Any]) -> None:
    """Put `reasoning: {effort, summary}` and the encrypted-content `include` into `body`."""
    config: dict[str, Any] = {}
    if request.reasoning.effort in EFFORTS:
        config["effort"] = EFFORTS[request.reasoning.effort]
    if request.reasoning.include_thoughts:
        config["summary"] = "auto"
    if config:
        body["reasoning"] = config
    if target.conversation == "gateway" and target.record.capabilities.reasoning:
        include = list(body.get("include") or [])
        if ENCRYPTED not in include:
            body["include"] = [*include, ENCRYPTED]


def replayable(part: content_pb2.ContentPart) -> bool:
    """Whether a reasoning part goes back to the Responses API (its own items, with an id)."""
    return part.reasoning.format == FORMAT and bool(part.reasoning.id)


def unsent(messages: Iterable[content_pb2.Message]) -> int:
    """How many reasoning parts of `messages` are not replayable here."""
    return sum(
        1
        for message in messages
        for part in message.parts
        if part.WhichOneof("data") == "reasoning" and not replayable(part)
    )


def input_item(parts: list[content_pb2.Reasoning]) -> dict[str, Any]:
    """One input reasoning item from the consecutive parts that share its id."""
    item: dict[str, Any] = {
        "type": "reasoning",
        "id": parts[0].id,
        "summary": [{"type": "summary_text", "text": p.text} for p in parts if p.summary],
    }
    thought = [p.text for p in parts if not p.summary and p.text]
    content = [{"type": "reasoning_text", "text": t} for t in thought]
    if content:
        item["content"] = content
    encrypted = next((p.encrypted for p in parts if p.encrypted), "")
    if encrypted:
        item["encrypted_content"] = encrypted
    return item


def output_parts(provider: str, item: dict[str, Any], where: str) -> list[content_pb2.Reasoning]:
    """The Reasoning parts of one output reasoning item."""
    item_id = text(provider, item.get("id"), f"{where}.id")
    parts = [
        content_pb2.Reasoning(text=text(provider, s.get("text"), f"{where}.summary[].text"))
        for s in objects(provider, item.get("summary"), f"{where}.summary")
    ]
    for part in parts:
        part.summary = True
    parts += [
        content_pb2.Reasoning(text=text(provider, c.get("text"), f"{where}.content[].text"))
        for c in objects(provider, item.get("content"), f"{where}.content")
    ]
    if not parts:
        parts = [content_pb2.Reasoning()]
    for part in parts:
        part.id, part.format = item_id, FORMAT
    encrypted = item.get("encrypted_content")
    parts[-1].encrypted = text(provider, encrypted, f"{where}.encrypted_content")
    return parts


class ReasoningEvents:
    """Reasoning deltas from Responses stream events; one delta index per summary/content part."""

    __slots__ = ("_by_item", "_indexes", "provider")

    def __init__(self, provider: str) -> None:
        self.provider = provider
        self._indexes: dict[tuple[str, bool, int], int] = {}
        """(item id, summary?, position in the item) -> delta index."""
        self._by_item: dict[str, tuple[int, bool]] = {}
        """Item id -> (index, summary?) of its latest part."""

    def _delta(self, item_id: str, summary: bool, position: int) -> stream_pb2.ReasoningDelta:
        key = (item_id, summary, position)
        if key not in self._indexes:
            self._indexes[key] = len(self._indexes)
        index = self._indexes[key]
        self._by_item[item_id] = (index, summary)
        return stream_pb2.ReasoningDelta(index=index, id=item_id, format=FORMAT, summary=summary)

    def text(self, event: dict[str, Any], summary: bool, where: str) -> stream_pb2.ReasoningDelta:
        """A `reasoning_summary_text.delta` (summary) or `reasoning_text.delta` event's delta."""
        provider = self.provider
        item_id = text(provider, event.get("item_id"), f"{where}item_id")
        key = "summary_index" if summary else "content_index"
        position = event.get(key)
        if not isinstance(position, int) or isinstance(position, bool):
            position = 0
        delta = self._delta(item_id, summary, position)
        delta.text = text(provider, event.get("delta"), f"{where}delta")
        return delta

    def done(self, item: dict[str, Any], where: str) -> stream_pb2.ReasoningDelta | None:
        """At `output_item.done` of a reasoning item: its encrypted content, on its last part
        (a part of its own, carrying the id, when the item streamed no text)."""
        provider = self.provider
        item_id = text(provider, item.get("id"), f"{where}item.id")
        encrypted = text(provider, item.get("encrypted_content"), f"{where}item.encrypted_content")
        if item_id in self._by_item:
            if not encrypted:
                return None
            index, summary = self._by_item[item_id]
            delta = stream_pb2.ReasoningDelta(index=index, id=item_id, format=FORMAT)
            delta.summary = summary
        else:
            delta = self._delta(item_id, False, 0)
        delta.encrypted = encrypted
        return delta


def is_reasoning(provider: str, item: Any, where: str) -> bool:
    """Whether an output item (already an object or not) is a reasoning item."""
    return text(provider, obj(provider, item, where).get("type"), f"{where}.type") == "reasoning"
