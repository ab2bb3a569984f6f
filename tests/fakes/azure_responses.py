"""Azure OpenAI's Responses API for CompatibleQuirks: `POST {endpoint}/openai/responses`.

Unlike chat completions, Azure serves the Responses API at the resource, not under
`/openai/deployments/{deployment}`: the deployment is the body's `model` (the official
SDK's `AzureOpenAI` sends it there; see `openai/lib/azure.py` `_deployments_endpoints`),
and it needs a preview `api-version` (2025-03-01-preview or later). The answer is a
completed response with one text message, whole or as the typed SSE events, which the
`openai` SDK parses (fidelity test).
"""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp import web

from .delivery import sse

AZURE_RESPONSES_API_VERSION = "2025-04-01-preview"
TEXT = "Hello!"
_USAGE = {
    "input_tokens": 12,
    "input_tokens_details": {"cached_tokens": 0},
    "output_tokens": 3,
    "output_tokens_details": {"reasoning_tokens": 0},
    "total_tokens": 15,
}


def _response(body: dict[str, Any], status: str, output: list[Any]) -> dict[str, Any]:
    return {
        "id": "resp_azure_0001",
        "object": "response",
        "created_at": 1733000000,
        "status": status,
        "error": None,
        "incomplete_details": None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": "gpt-4o-2024-11-20",
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None},
        "store": True,
        "temperature": 1.0,
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": 1.0,
        "truncation": "disabled",
        "usage": _USAGE if status == "completed" else None,
        "user": None,
        "metadata": {},
    }


async def answer(request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
    """The response to `body` (already checked for key, version and deployment)."""
    part = {"type": "output_text", "text": TEXT, "annotations": []}
    message = {
        "type": "message",
        "id": "msg_azure_0001",
        "status": "completed",
        "role": "assistant",
        "content": [part],
    }
    final = _response(body, "completed", [message])
    if not body.get("stream"):
        return web.json_response(final)
    sequence = itertools.count()

    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, "sequence_number": next(sequence), **fields}, event=kind)

    where = {"item_id": message["id"], "output_index": 0, "content_index": 0}
    stream = web.StreamResponse(headers={"content-type": "text/event-stream"})
    await stream.prepare(request)
    for frame in (
        event("response.created", response=_response(body, "in_progress", [])),
        event("response.output_item.added", output_index=0, item={**message, "content": []}),
        event("response.content_part.added", **where, part={**part, "text": ""}),
        event("response.output_text.delta", **where, delta=TEXT),
        event("response.output_text.done", **where, text=TEXT),
        event("response.content_part.done", **where, part=part),
        event("response.output_item.done", output_index=0, item=message),
        event("response.completed", response=final),
    ):
        await stream.write(frame)
    return stream
