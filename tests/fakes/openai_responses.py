"""The OpenAI Responses API (`POST /v1/responses`) for FakeOpenAI.

Kept apart from the chat endpoints because its object model (output items,
typed SSE events with sequence numbers, stored responses for
`previous_response_id`) shares nothing with chat completions but the transport.
A reply with reasoning starts its output with a `reasoning` item, as OpenAI's
reasoning models do (see `responses_reasoning.py`).
"""

from __future__ import annotations

import itertools
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .base import Frame, sse
from .plan import HEX, Plan, rid
from .responses_input import llama_cpp_error, llama_cpp_problem
from .responses_reasoning import input_problem, reasoning_frames, reasoning_item
from .scenario import Fault
from .text import text_of

if TYPE_CHECKING:
    from .openai_fake import FakeOpenAI


def _input_texts(body: dict[str, Any]) -> tuple[str, str]:
    """(echo source, all prompt text) from `input` plus `instructions`."""
    raw = body.get("input", "")
    instructions = body.get("instructions") if isinstance(body.get("instructions"), str) else ""
    if isinstance(raw, str):
        return raw, f"{instructions} {raw}"
    items = raw if isinstance(raw, list) else []
    texts: list[str] = []
    echo = ""
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "function_call_output":
            value = item.get("output")
            text = value if isinstance(value, str) else text_of(value)
        else:
            text = text_of(item.get("content"))
        texts.append(text)
        if item.get("role") == "user" or item.get("type") == "function_call_output":
            echo = text
    return echo, " ".join([str(instructions), *texts])


def _usage(plan: Plan) -> dict[str, Any]:
    r = plan.reply
    return {
        "input_tokens": plan.input_tokens,
        "input_tokens_details": {"cached_tokens": r.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": plan.output_tokens,
        "output_tokens_details": {"reasoning_tokens": plan.reasoning_tokens},
        "total_tokens": plan.input_tokens + plan.output_tokens,
    }


def response_error_frame(fault: Fault, sequence_number: int) -> bytes:
    """The Responses API `error` stream event."""
    data = {
        "type": "error",
        "code": fault.code or "server_error",
        "message": fault.message or "The server had an error while processing your request.",
        "param": None,
        "sequence_number": sequence_number,
    }
    return sse(data, event="error")


async def handle_response_create(fake: FakeOpenAI, request: web.Request) -> web.StreamResponse:
    """Unary or streamed Response object; remembers stored responses by id."""
    body, bad = fake.check(request, "model")
    if bad is not None:
        return fake.error_response(request, bad)
    problem = llama_cpp_problem(body) if fake.responses == "llama.cpp" else None
    if problem is not None:
        return fake.error_response(request, Fault.http(400, body=llama_cpp_error(problem)))
    prev = body.get("previous_response_id")
    if prev is not None and prev not in fake.stored_responses:
        return fake.error_response(
            request,
            Fault.http(
                400,
                f"Previous response with id '{prev}' not found.",
                type="invalid_request_error",
                param="previous_response_id",
                code="previous_response_not_found",
            ),
        )
    bad = input_problem(fake, body)
    if bad is not None:
        return fake.error_response(request, bad)
    echo, prompt = _input_texts(body)
    plan = fake.plan(request, body, echo, prompt)
    incomplete = plan.finish == "length"
    status = "incomplete" if incomplete else "completed"
    resp_id, created = rid("resp_", 48, HEX), int(time.time())
    msg_id = rid("msg_", 48, HEX)
    message = {
        "id": msg_id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [{"type": "output_text", "annotations": [], "logprobs": [], "text": plan.text}],
    }
    calls = [
        {
            "id": rid("fc_", 48, HEX),
            "type": "function_call",
            "status": "completed",
            "arguments": "".join(plan.fragments(c)),
            "call_id": c.id,
            "name": c.name,
        }
        for c in plan.calls
    ]
    reasoning = reasoning_item(fake, body, plan)
    output: list[dict[str, Any]] = (
        ([reasoning] if reasoning else []) + ([message] if plan.text or not calls else []) + calls
    )

    def response(state: str, out: list[dict[str, Any]], usage: Any) -> dict[str, Any]:
        return {
            "id": resp_id,
            "object": "response",
            "created_at": created,
            "status": state,
            "background": False,
            "error": None,
            "incomplete_details": {"reason": "max_output_tokens"}
            if incomplete and state == "incomplete"
            else None,
            "instructions": body.get("instructions"),
            "max_output_tokens": body.get("max_output_tokens"),
            "max_tool_calls": None,
            "model": plan.model,
            "output": out,
            "parallel_tool_calls": body.get("parallel_tool_calls", True),
            "previous_response_id": prev,
            "prompt_cache_key": body.get("prompt_cache_key"),
            "reasoning": {"effort": None, "summary": None, **(body.get("reasoning") or {})},
            "safety_identifier": None,
            "service_tier": "default",
            "store": body.get("store", True),
            "temperature": body.get("temperature", 1.0),
            "text": body.get("text", {"format": {"type": "text"}, "verbosity": "medium"}),
            "tool_choice": body.get("tool_choice", "auto"),
            "tools": body.get("tools", []),
            "top_logprobs": 0,
            "top_p": body.get("top_p", 1.0),
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": body.get("metadata") or {},
            "completed_at": created if state == "completed" else None,
        }

    final = response(status, output, _usage(plan))
    if plan.fault is None and body.get("store", True) is not False:
        fake.stored_responses[resp_id] = final
    if not body.get("stream"):
        return await fake.unary(
            request, final, timing=plan.timing, tokens=plan.output_tokens, fault=plan.fault
        )

    seq = itertools.count()

    def ev(kind: str, frame_kind: Any = "meta", **fields: Any) -> Frame:
        data = {"type": kind, "sequence_number": next(seq), **fields}
        return Frame(sse(data, event=kind), frame_kind)

    frames = [
        ev("response.created", response=response("in_progress", [], None)),
        ev("response.in_progress", response=response("in_progress", [], None)),
    ]
    for index, item in enumerate(output):
        if item["type"] == "reasoning":
            frames += reasoning_frames(ev, index, item)
            continue
        if item["type"] == "message":
            part = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
            frames += [
                ev(
                    "response.output_item.added",
                    output_index=index,
                    item={**item, "status": "in_progress", "content": []},
                ),
                ev(
                    "response.content_part.added",
                    item_id=msg_id,
                    output_index=index,
                    content_index=0,
                    part=part,
                ),
            ]
            frames += [
                ev(
                    "response.output_text.delta",
                    "token",
                    item_id=msg_id,
                    output_index=index,
                    content_index=0,
                    delta=piece,
                    logprobs=[],
                )
                for piece in plan.pieces
            ]
            frames += [
                ev(
                    "response.output_text.done",
                    item_id=msg_id,
                    output_index=index,
                    content_index=0,
                    text=plan.text,
                    logprobs=[],
                ),
                ev(
                    "response.content_part.done",
                    item_id=msg_id,
                    output_index=index,
                    content_index=0,
                    part={**part, "text": plan.text},
                ),
                ev("response.output_item.done", output_index=index, item=item),
            ]
            continue
        call = plan.calls[index - (len(output) - len(calls))]
        frames.append(
            ev(
                "response.output_item.added",
                output_index=index,
                item={**item, "status": "in_progress", "arguments": ""},
            )
        )
        frames += [
            ev(
                "response.function_call_arguments.delta",
                "token",
                item_id=item["id"],
                output_index=index,
                delta=frag,
            )
            for frag in plan.fragments(call)
        ]
        frames += [
            ev(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=index,
                arguments=item["arguments"],
                name=item["name"],
            ),
            ev("response.output_item.done", output_index=index, item=item),
        ]
    end_kind = "response.incomplete" if incomplete else "response.completed"
    frames.append(ev(end_kind, "end", response=final))
    return await fake.stream(
        request, frames, timing=plan.timing, fault=plan.fault, content_type="text/event-stream"
    )
