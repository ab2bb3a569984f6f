"""OpenAI chat completions for FakeOpenAI: the unary body and the SSE chunk stream.

The largest endpoint; living here keeps openai_fake.py about routes, headers and errors.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .base import Frame, sse
from .openai_reasoning import delta_pieces, dialect_usage, message_fields, rejected_input
from .plan import HEX, rid
from .text import all_text, last_user_text

if TYPE_CHECKING:
    from .openai_fake import FakeOpenAI

FINISH = {"stop_sequence": "stop"}
"""Our plan's finish reasons as OpenAI spells them."""


async def handle_chat(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """/v1/chat/completions, unary or streamed (with `stream_options`)."""
    body, bad = fake.check(request, "model", "messages")
    if bad is not None:
        return fake.error_response(request, bad)
    messages = body["messages"]
    rejected = rejected_input(messages) if fake.reasoning_input == "rejected" else None
    if rejected is not None:
        return fake.error_response(request, rejected)
    plan = fake.plan(request, body, last_user_text(messages), all_text(messages))
    cid, created, fp = rid("chatcmpl-", 29), int(time.time()), rid("fp_", 10, HEX)
    finish = FINISH.get(plan.finish, plan.finish)
    if not body.get("stream"):
        message: dict[str, Any] = {
            "role": "assistant",
            "content": plan.text if plan.text or not plan.calls else None,
            "refusal": None,
            "annotations": [],
            **message_fields(fake.reasoning_field, plan),
        }
        if plan.calls:
            message["tool_calls"] = [
                {
                    "id": c.id,
                    "type": "function",
                    "function": {"name": c.name, "arguments": "".join(plan.fragments(c))},
                }
                for c in plan.calls
            ]
        out = {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": plan.model,
            "choices": [
                {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
            ],
            "usage": dialect_usage(fake.usage_dialect, fake.usage(plan)),
            "service_tier": "default",
            "system_fingerprint": fp,
        }
        return await fake.unary(
            request, out, timing=plan.timing, tokens=plan.output_tokens, fault=plan.fault
        )
    opts = body.get("stream_options") or {}
    include_usage = bool(opts.get("include_usage"))
    obfuscate = opts.get("include_obfuscation", True) is not False

    def chunk(
        delta: dict[str, Any] | None,
        reason: str | None = None,
        usage: dict[str, Any] | None = None,
    ) -> bytes:
        choices = (
            []
            if delta is None
            else [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": reason}]
        )
        data: dict[str, Any] = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": plan.model,
            "service_tier": "default",
            "system_fingerprint": fp,
            "choices": choices,
        }
        if include_usage:
            data["usage"] = usage
        if obfuscate:
            data["obfuscation"] = rid("", 4 + len(cid) % 7)
        return sse(data)

    frames = [
        Frame(
            chunk(
                {
                    "role": "assistant",
                    "content": "" if plan.text or not plan.calls else None,
                    "refusal": None,
                }
            )
        )
    ]
    frames += [Frame(chunk(d), "token") for d in delta_pieces(fake.reasoning_field, plan)]
    frames += [Frame(chunk({"content": p}), "token") for p in plan.pieces]
    for i, call in enumerate(plan.calls):
        frames.append(
            Frame(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": call.id,
                                "type": "function",
                                "function": {"name": call.name, "arguments": ""},
                            }
                        ]
                    }
                )
            )
        )
        frames += [
            Frame(chunk({"tool_calls": [{"index": i, "function": {"arguments": frag}}]}), "token")
            for frag in plan.fragments(call)
        ]
    frames.append(Frame(chunk({}, finish)))
    if include_usage:
        usage = dialect_usage(fake.usage_dialect, fake.usage(plan))
        frames.append(Frame(chunk(None, usage=usage)))
    frames.append(Frame(b"data: [DONE]\n\n", "end"))
    return await fake.stream(
        request, frames, timing=plan.timing, fault=plan.fault, content_type="text/event-stream"
    )
