"""OpenAI's Responses API (`POST /responses`) for models configured with `api: responses`.

Sent on the runtime's lean aiohttp path like chat completions, not through the
SDK: its request transform took ~60 ms per call on a 40-item conversation
(`python -m bench.sdk_transport`), and its keyword-only `create()` refused
every parameter it does not name, so a caller's `generation.extra` (llama.cpp's
`top_k`, ...) crashed the call instead of reaching the upstream.

Every input item names its `type`: strict servers (llama.cpp) refuse items
without one. Assistant turns are `{"type": "message", "role": "assistant",
"content": [{"type": "output_text", ...}]}` without id or status, the shape
Codex CLI sends and both OpenAI and llama.cpp accept. The provider's `resp_...`
id is our id only with `conversation: upstream`; otherwise the gateway mints its
own and keeps the history itself. Reasoning items become Reasoning parts and go
back as items (`responses_reasoning.py`).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from typing import Any

import aiohttp

from modelgate.errors import GatewayError, upstream_invalid_response, upstream_unavailable
from modelgate.providers.base import CallContext, Target
from modelgate.providers.http import HttpUpstream, sse_events
from modelgate.providers.json_fields import (
    arguments_text,
    json_fragment,
    json_value,
    tool_call,
    tool_result_text,
)
from modelgate.providers.openai import responses_reasoning as reasoning
from modelgate.providers.openai.reasoning import CACHED_AUTOMATICALLY, prompt_cache_fields
from modelgate.providers.params import MERGED, UpstreamParams
from modelgate.providers.reasoning_parts import note_unsent
from modelgate.providers.upstream_errors import classify
from modelgate.providers.upstream_json import count, nesting, obj, objects, parse_object, text
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2, stream_pb2

PATH = "/responses"
"""The endpoint, relative to the base URL (a preset adds its prefix: `endpoint_path`)."""
RESPONSES = UpstreamParams(
    "OpenAI Responses",
    {
        "temperature": "temperature",
        "top_p": "top_p",
        "max_output_tokens": "max_output_tokens",
        "extra": MERGED,
    },
    {
        "reasoning.effort": "reasoning.effort",
        "reasoning.include_thoughts": 'reasoning.summary ("auto")',
        "prompt_cache.key": "prompt_cache_key",
        "prompt_cache.retention": "prompt_cache_retention",
        "cache_breakpoint": CACHED_AUTOMATICALLY,
    },
)
"""`responses.create` has no top_k, stop, penalties, seed or thinking budget: those are
refused or dropped."""

_INCOMPLETE = {
    "max_output_tokens": generation_pb2.FINISH_REASON_LENGTH,
    "content_filter": generation_pb2.FINISH_REASON_CONTENT_FILTER,
}
_THOUGHT_DELTAS = ("response.reasoning_summary_text.delta", "response.reasoning_text.delta")
_TOOL_MODES = {
    content_pb2.TOOL_CHOICE_MODE_AUTO: "auto",
    content_pb2.TOOL_CHOICE_MODE_NONE: "none",
    content_pb2.TOOL_CHOICE_MODE_REQUIRED: "required",
}


def _image(image: content_pb2.Image) -> dict[str, Any]:
    url = image.url
    if image.WhichOneof("source") == "data":
        url = f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"
    block: dict[str, Any] = {"type": "input_image", "image_url": url}
    if image.detail:
        block["detail"] = (
            content_pb2.ImageDetail.Name(image.detail).removeprefix("IMAGE_DETAIL_").lower()
        )
    return block


def _content(message: content_pb2.Message, items: list[dict[str, Any]], system: list[str]) -> None:
    """Append the input items of one message, in part order (system text goes to `system`)."""
    assistant = message.role == content_pb2.ROLE_ASSISTANT
    text_type = "output_text" if assistant else "input_text"
    blocks: list[dict[str, Any]] = []
    thoughts: list[content_pb2.Reasoning] = []

    def flush() -> None:
        if thoughts:
            items.append(reasoning.input_item(thoughts))
            thoughts.clear()
        if blocks:
            role = "assistant" if assistant else "user"
            items.append({"type": "message", "role": role, "content": blocks.copy()})
            blocks.clear()

    for part in message.parts:
        kind = part.WhichOneof("data")
        if kind == "reasoning":
            if reasoning.replayable(part.reasoning):
                if blocks or (thoughts and thoughts[0].id != part.reasoning.id):
                    flush()
                thoughts.append(part.reasoning)
            continue
        if thoughts:
            items.append(reasoning.input_item(thoughts))
            thoughts.clear()
        if kind == "text":
            if message.role == content_pb2.ROLE_SYSTEM:
                system.append(part.text)
            else:
                blocks.append({"type": text_type, "text": part.text})
        elif kind == "image":
            blocks.append(_image(part.image))
        elif kind == "tool_call":
            flush()
            call = part.tool_call
            items.append(
                {
                    "type": "function_call",
                    "call_id": call.id,
                    "name": call.name,
                    "arguments": arguments_text(call),
                }
            )
        elif kind == "tool_result":
            flush()
            result = part.tool_result
            items.append(
                {
                    "type": "function_call_output",
                    "call_id": result.tool_call_id,
                    "output": tool_result_text(result),
                }
            )
    flush()


def responses_body(
    target: Target, request: chat_pb2.ChatRequest, *, stream: bool
) -> dict[str, Any]:
    """The `/responses` JSON body for `request`; `generation.extra` keys go in as they are."""
    items: list[dict[str, Any]] = []
    system: list[str] = []
    for message in request.messages:
        _content(message, items, system)
    body: dict[str, Any] = {"model": target.upstream_name, "input": items, **target.defaults}
    if system:
        body["instructions"] = "\n".join(system)
    if request.previous_response_id:
        body["previous_response_id"] = request.previous_response_id
    g = request.generation
    if g.HasField("temperature"):
        body["temperature"] = round(g.temperature, 6)
    if g.HasField("top_p"):
        body["top_p"] = round(g.top_p, 6)
    if g.HasField("max_output_tokens"):
        body["max_output_tokens"] = g.max_output_tokens
    if request.tools:
        body["tools"] = [
            {
                "type": "function",
                "name": t.name,
                "description": t.description,
                "parameters": json_fragment(t, "parameters") or {"type": "object"},
                "strict": t.strict,
            }
            for t in request.tools
        ]
    choice = request.tool_choice.WhichOneof("choice")
    if choice == "mode" and request.tool_choice.mode in _TOOL_MODES:
        body["tool_choice"] = _TOOL_MODES[request.tool_choice.mode]
    elif choice == "tool_name":
        body["tool_choice"] = {"type": "function", "name": request.tool_choice.tool_name}
    fmt = request.response_format
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
        body["text"] = {
            "format": {
                "type": "json_schema",
                "name": fmt.schema_name,
                "schema": json_fragment(fmt, "schema"),
                "strict": fmt.strict,
            }
        }
    elif fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        body["text"] = {"format": {"type": "json_object"}}
    if request.user:
        body["user"] = request.user
    reasoning.request_fields(target, request, body)
    body.update(prompt_cache_fields(request.prompt_cache))
    extra = json_value(g, "extra")
    if extra:
        body.update(extra)
    body.update(target.extra)
    if stream:
        body["stream"] = True
    return body


RESPONSE = "a malformed Response: "
"""Prefix of the fields of a Response object (the answer, or a terminal event's `response`)."""


def _finish(
    provider: str, response: dict[str, Any], has_calls: bool, where: str = RESPONSE
) -> tuple[generation_pb2.FinishReason.ValueType, str]:
    status = text(provider, response.get("status"), f"{where}status")
    if status == "incomplete":
        details = response.get("incomplete_details")
        details = obj(provider, details, f"{where}incomplete_details")
        reason = text(provider, details.get("reason"), f"{where}incomplete_details.reason")
        return _INCOMPLETE.get(reason, generation_pb2.FINISH_REASON_OTHER), reason
    if has_calls:
        return generation_pb2.FINISH_REASON_TOOL_CALLS, status
    return generation_pb2.FINISH_REASON_STOP, status


def _usage(provider: str, value: Any, out: generation_pb2.Usage, where: str = RESPONSE) -> None:
    usage = obj(provider, value, f"{where}usage")
    if not usage:
        return
    out.input_tokens = count(provider, usage.get("input_tokens"), f"{where}usage.input_tokens")
    out.output_tokens = count(provider, usage.get("output_tokens"), f"{where}usage.output_tokens")
    total = usage.get("total_tokens") or out.input_tokens + out.output_tokens
    out.total_tokens = count(provider, total, f"{where}usage.total_tokens")
    name = f"{where}usage.input_tokens_details"
    details = obj(provider, usage.get("input_tokens_details"), name)
    out.cached_input_tokens = count(provider, details.get("cached_tokens"), f"{name}.cached_tokens")
    name = f"{where}usage.output_tokens_details"
    details = obj(provider, usage.get("output_tokens_details"), name)
    out.reasoning_tokens = count(
        provider, details.get("reasoning_tokens"), f"{name}.reasoning_tokens"
    )


def _failure(provider: str, value: Any, where: str) -> GatewayError:
    """A failed response or `error` event: its code doubles as the error type."""
    error = obj(provider, value, where)
    code = text(provider, error.get("code"), f"{where}.code")
    message = text(provider, error.get("message"), f"{where}.message")
    body = {"error": {"type": code or "server_error", "code": code, "message": message or "failed"}}
    return classify(provider, None, body, {})


def _call(provider: str, item: dict[str, Any], where: str) -> content_pb2.ToolCall:
    """The ToolCall of a `function_call` output item."""
    call_id = text(provider, item.get("call_id"), f"{where}.call_id")
    name = text(provider, item.get("name"), f"{where}.name")
    arguments = text(provider, item.get("arguments"), f"{where}.arguments")
    with nesting(provider, "tool-call arguments"):
        return tool_call(call_id, name, arguments)


def _answer(provider: str, body: Any, own_id: bool) -> chat_pb2.ChatResponse:
    """The ChatResponse of a Response object; output items the contract cannot carry are skipped."""
    if not isinstance(body, dict) or body.get("output") is None:
        raise upstream_invalid_response(provider, "answered without an output list")
    output = objects(provider, body["output"], f"{RESPONSE}output")
    if text(provider, body.get("status"), f"{RESPONSE}status") == "failed":
        raise _failure(provider, body.get("error"), f"{RESPONSE}error")
    upstream_id = text(provider, body.get("id"), f"{RESPONSE}id")
    result = chat_pb2.ChatResponse(
        id=upstream_id if own_id else "", provider_response_id=upstream_id
    )
    has_calls = False
    for item in output:
        kind = text(provider, item.get("type"), f"{RESPONSE}output[].type")
        if kind == "message":
            where = f"{RESPONSE}output[].content"
            for block in objects(provider, item.get("content"), where):
                block_type = text(provider, block.get("type"), f"{where}[].type")
                if block_type in ("output_text", "refusal"):
                    field = "text" if block_type == "output_text" else "refusal"
                    result.content.add(text=text(provider, block.get(field), f"{where}[].{field}"))
        elif kind == "function_call":
            has_calls = True
            result.content.add(tool_call=_call(provider, item, f"{RESPONSE}output[]"))
        elif kind == "reasoning":
            for part in reasoning.output_parts(provider, item, f"{RESPONSE}output[]"):
                result.content.add(reasoning=part)
    result.finish_reason, result.raw_finish_reason = _finish(provider, body, has_calls)
    _usage(provider, body.get("usage"), result.usage)
    return result


async def chat(
    http: HttpUpstream,
    path: str,
    target: Target,
    request: chat_pb2.ChatRequest,
    call: CallContext,
) -> chat_pb2.ChatResponse:
    """One Responses API call to `path` (PATH under the runtime's preset prefix)."""
    body, _headers = await http.post_json(path, responses_body(target, request, stream=False), call)
    answer = _answer(http.provider, body, target.conversation == "upstream")
    note_unsent(answer.metadata, reasoning.unsent(request.messages))
    return answer


async def _events(
    provider: str, response: aiohttp.ClientResponse, max_line_bytes: int
) -> AsyncIterator[dict[str, Any]]:
    async for _name, data in sse_events(response, max_line_bytes):
        yield parse_object(provider, data, "a stream event")


async def stream_chat(
    http: HttpUpstream,
    path: str,
    target: Target,
    request: chat_pb2.ChatRequest,
    call: CallContext,
) -> AsyncIterator[chat_pb2.StreamChatResponse]:
    """Deltas from the Responses event stream; `response.completed` is the terminator."""
    Event = chat_pb2.StreamChatResponse
    provider = http.provider
    calls: dict[str, tuple[int, str]] = {}
    thoughts = reasoning.ReasoningEvents(provider)
    body = responses_body(target, request, stream=True)
    async with http.stream(path, body, call) as response:
        async for event in _events(provider, response, call.max_line_bytes):
            kind = text(provider, event.get("type"), "a stream event's type")
            where = f"a malformed {kind} event: "
            if kind == "response.output_text.delta":
                delta = text(provider, event.get("delta"), f"{where}delta")
                yield Event(text_delta=stream_pb2.TextDelta(text=delta))
            elif kind in _THOUGHT_DELTAS:
                summary = kind == "response.reasoning_summary_text.delta"
                yield Event(reasoning_delta=thoughts.text(event, summary, where))
            elif kind == "response.output_item.done":
                item = obj(provider, event.get("item"), f"{where}item")
                if reasoning.is_reasoning(provider, item, f"{where}item"):
                    done = thoughts.done(item, where)
                    if done is not None:
                        yield Event(reasoning_delta=done)
            elif kind == "response.output_item.added":
                item = obj(provider, event.get("item"), f"{where}item")
                if text(provider, item.get("type"), f"{where}item.type") == "function_call":
                    call_id = text(provider, item.get("call_id"), f"{where}item.call_id")
                    calls[text(provider, item.get("id"), f"{where}item.id")] = (len(calls), call_id)
                    yield Event(
                        tool_call_delta=stream_pb2.ToolCallDelta(
                            index=len(calls) - 1,
                            id=call_id,
                            name=text(provider, item.get("name"), f"{where}item.name"),
                            arguments_json=text(
                                provider, item.get("arguments"), f"{where}item.arguments"
                            ),
                        )
                    )
            elif kind == "response.function_call_arguments.delta":
                item_id = text(provider, event.get("item_id"), f"{where}item_id")
                index, call_id = calls.get(item_id, (0, ""))
                delta = text(provider, event.get("delta"), f"{where}delta")
                yield Event(
                    tool_call_delta=stream_pb2.ToolCallDelta(
                        index=index, id=call_id, arguments_json=delta
                    )
                )
            elif kind in ("response.completed", "response.incomplete"):
                final = obj(provider, event.get("response"), f"{where}response")
                upstream_id = text(provider, final.get("id"), f"{RESPONSE}response.id")
                end = stream_pb2.StreamEnd(
                    id=upstream_id if target.conversation == "upstream" else "",
                    provider_response_id=upstream_id,
                )
                fields = f"{RESPONSE}response."
                end.finish_reason, end.raw_finish_reason = _finish(
                    provider, final, bool(calls), fields
                )
                _usage(provider, final.get("usage"), end.usage, fields)
                note_unsent(end.metadata, reasoning.unsent(request.messages))
                yield Event(end=end)
                return
            elif kind == "response.failed":
                final = obj(provider, event.get("response"), f"{where}response")
                raise _failure(provider, final.get("error"), f"{RESPONSE}response.error")
            elif kind == "error":
                raise _failure(provider, event, "an error event")
    raise upstream_unavailable(provider, "stream ended without response.completed")
