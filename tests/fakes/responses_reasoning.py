"""Reasoning items of the Responses API for FakeOpenAI, in and out.

Shapes follow the openai SDK's `ResponseReasoningItem` and its stream events:
an item `{"id": "rs_...", "type": "reasoning", "summary": [summary_text...],
"encrypted_content": ...}`; summaries only when the request asks
(`reasoning.summary`), one `summary_text` part per paragraph of the thought;
`encrypted_content` only with `include: ["reasoning.encrypted_content"]`.
Streamed: `response.reasoning_summary_part.added`, `...summary_text.delta`,
`...summary_text.done`, `...summary_part.done` per part, and the whole item
(with its encrypted content) in `response.output_item.done`. llama.cpp's
server returns the raw thought as `content` (`reasoning_text`) instead,
streamed as `response.reasoning_text.delta`.

Sent back as input, an item is checked the way OpenAI does: `summary` is
required, and without `encrypted_content` the id must name a stored item.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .base import Frame
from .plan import HEX, Plan, rid
from .scenario import Fault
from .text import split_words

if TYPE_CHECKING:
    from .openai_fake import FakeOpenAI

Event = Callable[..., Frame]
"""`ev(kind, frame_kind="meta", **fields)`: one numbered stream event."""
ENCRYPTED = "reasoning.encrypted_content"


def reasoning_item(fake: FakeOpenAI, body: dict[str, Any], plan: Plan) -> dict[str, Any] | None:
    """The output's reasoning item, or None for a reply that did not reason."""
    if not plan.reasoning and not plan.reasoning_tokens:
        return None
    item: dict[str, Any] = {"id": rid("rs_", 48, HEX), "type": "reasoning", "summary": []}
    config = body.get("reasoning") if isinstance(body.get("reasoning"), dict) else {}
    if fake.responses == "llama.cpp":
        if plan.reasoning:
            item["content"] = [{"type": "reasoning_text", "text": plan.reasoning}]
    elif plan.reasoning and (config or {}).get("summary"):
        paragraphs = [p for p in plan.reasoning.split("\n\n") if p]
        item["summary"] = [{"type": "summary_text", "text": p} for p in paragraphs]
    include = body.get("include") if isinstance(body.get("include"), list) else []
    if ENCRYPTED in (include or []):
        item["encrypted_content"] = "gAAAAA" + base64.b64encode(secrets.token_bytes(48)).decode()
    fake.issued_reasoning[item["id"]] = item.get("encrypted_content") or ""
    return item


def reasoning_frames(ev: Event, index: int, item: dict[str, Any]) -> list[Frame]:
    """The stream events of one reasoning item."""
    where = {"item_id": item["id"], "output_index": index}
    frames = [
        ev(
            "response.output_item.added",
            output_index=index,
            item={**item, "summary": [], "encrypted_content": None, "status": "in_progress"},
        )
    ]
    for position, part in enumerate(item["summary"]):
        at = {**where, "summary_index": position}
        empty = {"type": "summary_text", "text": ""}
        frames.append(ev("response.reasoning_summary_part.added", **at, part=empty))
        frames += [
            ev("response.reasoning_summary_text.delta", "token", **at, delta=piece)
            for piece in split_words(part["text"])
        ]
        frames.append(ev("response.reasoning_summary_text.done", **at, text=part["text"]))
        frames.append(ev("response.reasoning_summary_part.done", **at, part=part))
    for position, part in enumerate(item.get("content") or []):
        at = {**where, "content_index": position}
        frames += [
            ev("response.reasoning_text.delta", "token", **at, delta=piece)
            for piece in split_words(part["text"])
        ]
        frames.append(ev("response.reasoning_text.done", **at, text=part["text"]))
    frames.append(ev("response.output_item.done", output_index=index, item=item))
    return frames


def input_problem(fake: FakeOpenAI, body: dict[str, Any]) -> Fault | None:
    """OpenAI's 400 for a reasoning input item it cannot use, else None."""
    items = body.get("input")
    if fake.responses != "openai" or not isinstance(items, list):
        return None
    for position, item in enumerate(items):
        if not isinstance(item, dict) or item.get("type") != "reasoning":
            continue
        where = f"input[{position}]"
        for name in ("id", "summary"):
            if name not in item:
                return fake.bad_request(
                    f"Missing required parameter: '{where}.{name}'.",
                    f"{where}.{name}",
                    "missing_required_parameter",
                )
        encrypted = item.get("encrypted_content")
        if encrypted is not None:
            if not encrypted or fake.issued_reasoning.get(item["id"]) != encrypted:
                return fake.bad_request(
                    f"The encrypted content for item {item['id']} could not be verified.",
                    code="invalid_encrypted_content",
                )
        elif body.get("store") is False or item["id"] not in fake.issued_reasoning:
            return Fault.http(
                404,
                f"Item with id '{item['id']}' not found. Items are not persisted when `store` "
                "is set to false. Try again with `store` set to true, or remove this item "
                "from your input.",
                type="invalid_request_error",
                param="input",
            )
    return None
