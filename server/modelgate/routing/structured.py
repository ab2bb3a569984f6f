"""Structured output: validate JSON answers against the caller's schema, re-ask when invalid.

Providers' native modes (OpenAI json_schema, Ollama format, Anthropic forced
tool) make valid output likely, not certain, so the gateway validates every
JSON answer with `jsonschema`. An invalid answer is re-asked up to N times with
the validation errors fed back (the Instructor approach); usage and cost add
up over all attempts, and a re-ask goes over the call's own plan. Streams are
validated at the end but never re-asked: their text already reached the caller.
The layer sits next to the router, so a re-ask is one more routed call, not a
new pass through hooks, cache or continuity.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import jsonschema
import orjson
from google.protobuf import struct_pb2
from typing_extensions import override

from modelgate.errors import GatewayError, structured_output_invalid
from modelgate.providers.base import CallContext
from modelgate.providers.json_fields import json_value
from modelgate.providers.structs import content_text
from modelgate.routing.context_window import fit_plan
from modelgate.routing.layers import Calls, Layer, Plan, Stream
from modelgate.routing.router import CHAT, Router
from modelgate.v1 import chat_pb2, content_pb2, generation_pb2

DEFAULT_REASKS = 2
MAX_OUTPUT_IN_ERROR = 1000
_JSON_TYPES = (
    generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT,
    generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA,
)


def wants_json(request: Any) -> bool:
    """Whether the request asked for JSON output."""
    return bool(request.response_format.type in _JSON_TYPES)


def violations(request: Any, text: str) -> tuple[Any, list[tuple[str, str]]]:
    """(parsed JSON, violations as (JSON path, message)); parsed is None when not JSON."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return None, [("output", f"is not valid JSON: {exc}")]
    fmt = request.response_format
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        return value, [] if isinstance(value, dict) else [("output", "is not a JSON object")]
    schema = json_value(fmt, "schema")
    validator = jsonschema.validators.validator_for(schema)(schema)
    found = [
        ("output" + "".join(f"[{p!r}]" for p in error.absolute_path), error.message)
        for error in validator.iter_errors(value)
    ]
    return value, found


def set_structured(target: Any, value: Any, text: str) -> None:
    """Store the validated answer: its text as written in `structured_output_json`, and
    the parsed `value` in the deprecated `structured_output` Value (numbers as doubles)."""
    target.structured_output_json = text
    holder = struct_pb2.Struct()
    holder.update({"v": value})
    target.structured_output.CopyFrom(holder.fields["v"])


def invalid_output(text: str, found: list[tuple[str, str]], attempts: int) -> GatewayError:
    """The error a caller gets when the output stayed invalid: last output and violations."""
    return structured_output_invalid(text[:MAX_OUTPUT_IN_ERROR], found, attempts)


def _add_usage(total: generation_pb2.Usage, more: generation_pb2.Usage) -> None:
    for field in generation_pb2.Usage.DESCRIPTOR.fields:
        setattr(total, field.name, getattr(total, field.name) + getattr(more, field.name))


def _reask(request: Any, text: str, found: list[tuple[str, str]]) -> chat_pb2.ChatRequest:
    again = chat_pb2.ChatRequest()
    again.ParseFromString(request.SerializeToString())  # StreamChat/Chat are wire-identical
    again.messages.add(role=content_pb2.ROLE_ASSISTANT, parts=[content_pb2.ContentPart(text=text)])
    feedback = "\n".join(f"- {path}: {why}" for path, why in found)
    again.messages.add(
        role=content_pb2.ROLE_USER,
        parts=[
            content_pb2.ContentPart(
                text=(
                    "Your previous answer was not valid against the required JSON schema:\n"
                    f"{feedback}\nAnswer again with only the corrected JSON."
                )
            )
        ],
    )
    return again


async def enforce(
    request: Any,
    response: chat_pb2.ChatResponse,
    ask: Callable[[chat_pb2.ChatRequest], Awaitable[chat_pb2.ChatResponse]],
) -> chat_pb2.ChatResponse:
    """Validate `response`; re-ask through `ask` until valid or out of re-asks."""
    fmt = request.response_format
    reasks = fmt.max_reasks if fmt.HasField("max_reasks") else DEFAULT_REASKS
    text = content_text(response.content)
    value, found = violations(request, text)
    attempts = 1
    while found and attempts <= reasks:
        request = _reask(request, text, found)
        retry = await ask(request)
        _add_usage(retry.usage, response.usage)
        _add_cost(retry, response)
        response = retry
        text = content_text(response.content)
        value, found = violations(request, text)
        attempts += 1
    if found:
        raise invalid_output(text, found, attempts)
    set_structured(response, value, text)
    if attempts > 1:
        response.metadata["structured_output_attempts"] = str(attempts)
    return response


def _add_cost(total: chat_pb2.ChatResponse, earlier: chat_pb2.ChatResponse) -> None:
    for field in generation_pb2.Cost.DESCRIPTOR.fields:
        name = field.name
        setattr(total.cost, name, getattr(total.cost, name) + getattr(earlier.cost, name))


class StructuredOutput(Layer):
    """Validates JSON answers (Chat: re-asked over the call's own plan; StreamChat: checked
    at the end); requests that did not ask for JSON go straight through."""

    def __init__(self, inner: Calls, router: Router) -> None:
        super().__init__(inner)
        self.router = router

    @override
    def chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Awaitable[chat_pb2.ChatResponse]:
        if not wants_json(request):
            return self.inner.chat(request, call, plan)
        return self._enforced(request, call, plan)

    async def _enforced(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None
    ) -> chat_pb2.ChatResponse:
        fitted = self.router.route_chat(request, *CHAT) if plan is None else plan
        response = await self.inner.chat(request, call, fitted)

        def ask(again: chat_pb2.ChatRequest) -> Awaitable[chat_pb2.ChatResponse]:
            return self.inner.chat(again, call, fit_plan(fitted, again))

        return await enforce(request, response, ask)

    @override
    def stream_chat(
        self, request: chat_pb2.ChatRequest, call: CallContext, plan: Plan | None = None
    ) -> Stream[chat_pb2.StreamChatResponse]:
        events = self.inner.stream_chat(request, call, plan)
        return _checked(request, events) if wants_json(request) else events


async def _checked(
    request: chat_pb2.ChatRequest, events: Stream[chat_pb2.StreamChatResponse]
) -> Stream[chat_pb2.StreamChatResponse]:
    """The stream, its text validated at the end (never re-asked: it reached the caller)."""
    pieces: list[str] = []
    try:
        async for event in events:
            if event.HasField("text_delta"):
                pieces.append(event.text_delta.text)
            elif event.HasField("end"):
                answer = "".join(pieces)
                value, found = violations(request, answer)
                if found:
                    raise invalid_output(answer, found, 1)
                set_structured(event.end, value, answer)
            yield event
    finally:
        await events.aclose()
