"""Fake Anthropic Messages API upstream with the real named-event SSE stream.

Event order, block indices, usage placement and the error envelope follow what
the official `anthropic` SDK (and its `messages.stream` accumulator) expects.
Extended thinking and prompt-cache checks: anthropic_thinking.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from aiohttp import web
from typing_extensions import override

from .anthropic_thinking import (
    THINKING_TYPES,
    Signer,
    answer_blocks,
    request_problem,
    stream_deltas,
)
from .base import FakeServer, Frame, sse
from .plan import Plan, make_plan, rid
from .scenario import FakeModel, Fault
from .text import all_text, count_words, last_user_text, text_of

_STOP = {
    "stop": "end_turn",
    "length": "max_tokens",
    "tool_calls": "tool_use",
    "stop_sequence": "stop_sequence",
    "content_filter": "refusal",
}
_DEFAULT_MODELS = (
    FakeModel("claude-sonnet-4-6", display_name="Claude Sonnet 4.6", context_length=200_000),
    FakeModel("claude-haiku-4-5-20251001", display_name="Claude Haiku 4.5", context_length=200_000),
)
_RATE_LIMIT_MSG = (
    "Number of request tokens has exceeded your per-minute rate limit "
    "(https://docs.anthropic.com/en/api/rate-limits); see the response headers for current "
    "usage. Please reduce the prompt length or the maximum tokens requested, or try again later."
)
_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource.",
    ),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: ("rate_limit_error", _RATE_LIMIT_MSG),
    500: ("api_error", "Internal server error"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


def anthropic_error(type_: str, message: str, request_id: str | None = None) -> dict[str, Any]:
    """The `{"type": "error", "error": {...}}` envelope (request_id on HTTP errors)."""
    body: dict[str, Any] = {"type": "error", "error": {"type": type_, "message": message}}
    if request_id is not None:
        body["request_id"] = request_id
    return body


def _system_text(system: Any) -> str:
    return system if isinstance(system, str) else text_of(system)


class FakeAnthropic(FakeServer):
    """Anthropic upstream: /v1/messages (+stream), count_tokens, models listing."""

    provider: ClassVar[str] = "anthropic"
    key_headers: ClassVar[tuple[str, ...]] = ("x-api-key",)

    def __init__(
        self,
        *,
        models: Iterable[str | FakeModel] = _DEFAULT_MODELS,
        require_version_header: bool = True,
        **kwargs: Any,
    ) -> None:
        self.require_version_header = require_version_header
        self.organization_id = str(uuid.uuid4())
        self.signer = Signer()
        super().__init__(models=models, **kwargs)

    @override
    def _routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1/messages", self._messages),
            web.post("/v1/messages/count_tokens", self._count_tokens),
            web.get("/v1/models", self._models),
            web.get("/v1/models/{model:.+}", self._model),
        ]

    # --------------------------------------------------------------- wire details
    @override
    def _new_request_id(self) -> str:
        return rid("req_011C", 20)

    @override
    def _headers(self, request_id: str) -> dict[str, str]:
        reset = (datetime.now(UTC) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        remaining = max(4000 - len(self.requests), 0)
        headers = {"request-id": request_id, "anthropic-organization-id": self.organization_id}
        for kind, limit, left in (
            ("requests", 4000, remaining),
            ("tokens", 2_000_000, 1_999_000),
            ("input-tokens", 2_000_000, 1_999_000),
            ("output-tokens", 400_000, 399_000),
        ):
            headers[f"anthropic-ratelimit-{kind}-limit"] = str(limit)
            headers[f"anthropic-ratelimit-{kind}-remaining"] = str(left)
            headers[f"anthropic-ratelimit-{kind}-reset"] = reset
        return headers

    @override
    def _error_body(self, fault: Fault, request: web.Request) -> tuple[int, Any]:
        body = self.body_of(request)
        model = body.get("model", "unknown") if isinstance(body, dict) else "unknown"
        status = fault.status
        request_id = self.state(request).request_id
        if fault.semantic == "context_length":
            tokens = max(self._prompt_tokens(body) if isinstance(body, dict) else 0, 200_001)
            msg = fault.message or f"prompt is too long: {tokens} tokens > 200000 maximum"
            return 400, anthropic_error(fault.type or "invalid_request_error", msg, request_id)
        dtype, dmsg = _ERRORS.get(status, _ERRORS[500 if status >= 500 else 400])
        msg = fault.message or dmsg.format(model=model)
        return status, anthropic_error(fault.type or dtype, msg, request_id)

    @override
    def _auth_fault(self, present: bool) -> Fault:
        message = "invalid x-api-key" if present else "x-api-key header is required"
        return Fault.http(401, message, type="authentication_error")

    @override
    def _stream_error_frame(self, fault: Fault, request: web.Request) -> bytes:
        return sse(
            anthropic_error(fault.type or "overloaded_error", fault.message or "Overloaded"),
            event="error",
        )

    @override
    def _malformed_frame(self, request: web.Request) -> bytes:
        return b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,\n\n'

    # ------------------------------------------------------------------- helpers
    @staticmethod
    def _prompt_tokens(body: dict[str, Any]) -> int:
        return count_words(_system_text(body.get("system")), all_text(body.get("messages")))

    def _validate(
        self, request: web.Request, *required: str
    ) -> tuple[dict[str, Any], Fault | None]:
        body = self.body_of(request)
        if not isinstance(body, dict):
            return {}, Fault.http(400, "There was an error parsing the body of your request.")
        if self.require_version_header and "anthropic-version" not in request.headers:
            return body, Fault.http(400, "anthropic-version: header is required")
        for name in required:
            if name not in body:
                return body, Fault.http(400, f"{name}: Field required")
        model = body.get("model")
        if self.strict_models and isinstance(model, str) and self.find_model(model) is None:
            return body, Fault.http(404)
        problem = request_problem(body, self.signer)
        if problem is not None:
            return body, Fault.http(400, problem)
        return body, None

    @staticmethod
    def _usage(plan: Plan, output_tokens: int) -> dict[str, Any]:
        usage: dict[str, Any] = {
            "input_tokens": plan.input_tokens,
            "cache_creation_input_tokens": plan.reply.cache_creation_tokens,
            "cache_read_input_tokens": plan.reply.cached_tokens,
            "output_tokens": output_tokens,
            "service_tier": "standard",
        }
        if plan.reply.reasoning_tokens:
            usage["output_tokens_details"] = {"thinking_tokens": plan.reply.reasoning_tokens}
        return usage

    # ------------------------------------------------------------------ messages
    async def _messages(self, request: web.Request) -> web.StreamResponse:
        body, bad = self._validate(request, "model", "max_tokens", "messages")
        if bad is not None:
            return self.error_response(request, bad)
        plan = make_plan(
            self.next_behaviour(request),
            echo=last_user_text(body["messages"]),
            prompt_tokens=self._prompt_tokens(body),
            model=str(body["model"]),
            timing=self.timing,
            call_id="toolu_01",
            call_id_len=22,
            max_tokens=body.get("max_tokens"),
        )
        stop_reason = _STOP.get(plan.finish, plan.finish)
        stop_sequence = plan.reply.stop_sequence if stop_reason == "stop_sequence" else None
        msg_id = rid("msg_01", 22)
        blocks = answer_blocks(plan, self.signer)
        message: dict[str, Any] = {
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "model": plan.model,
            "content": blocks,
            "stop_reason": stop_reason,
            "stop_sequence": stop_sequence,
            "usage": self._usage(plan, plan.output_tokens),
        }
        if not body.get("stream"):
            return await self.unary(
                request, message, timing=plan.timing, tokens=plan.output_tokens, fault=plan.fault
            )

        def ev(kind: str, frame_kind: Any = "meta", **fields: Any) -> Frame:
            return Frame(sse({"type": kind, **fields}, event=kind), frame_kind)

        start = {
            **message,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": self._usage(plan, 1),
        }
        frames = [ev("message_start", message=start)]
        pinged = False
        calls = iter(plan.calls)
        for index, block in enumerate(blocks):
            if block["type"] in THINKING_TYPES:
                opening, deltas = stream_deltas(block)
                frames.append(ev("content_block_start", index=index, content_block=opening))
            elif block["type"] == "text":
                frames.append(
                    ev(
                        "content_block_start",
                        index=index,
                        content_block={"type": "text", "text": ""},
                    )
                )
                deltas = [{"type": "text_delta", "text": p} for p in plan.pieces]
            else:
                call = next(calls)
                frames.append(
                    ev("content_block_start", index=index, content_block={**block, "input": {}})
                )
                frames.append(
                    ev(
                        "content_block_delta",
                        index=index,
                        delta={"type": "input_json_delta", "partial_json": ""},
                    )
                )
                deltas = [
                    {"type": "input_json_delta", "partial_json": f} for f in plan.fragments(call)
                ]
            if not pinged:
                frames.append(Frame(b'event: ping\ndata: {"type": "ping"}\n\n'))
                pinged = True
            frames += [ev("content_block_delta", "token", index=index, delta=d) for d in deltas]
            frames.append(ev("content_block_stop", index=index))
        frames.append(
            ev(
                "message_delta",
                delta={"stop_reason": stop_reason, "stop_sequence": stop_sequence},
                usage={"output_tokens": plan.output_tokens},
            )
        )
        frames.append(ev("message_stop", "end"))
        return await self.stream(
            request, frames, timing=plan.timing, fault=plan.fault, content_type="text/event-stream"
        )

    async def _count_tokens(self, request: web.Request) -> web.StreamResponse:
        body, bad = self._validate(request, "model", "messages")
        if bad is not None:
            return self.error_response(request, bad)
        early = await self.pre_fault(request, self._own_fault(request))
        if early is not None:
            return early
        return self.json_response(request, {"input_tokens": self._prompt_tokens(body)})

    def _own_fault(self, request: web.Request) -> Fault | None:
        behaviour = self.next_behaviour(request, inference=False)
        return behaviour if isinstance(behaviour, Fault) else None

    # --------------------------------------------------------------------- models
    @staticmethod
    def _model_obj(m: FakeModel, index: int) -> dict[str, Any]:
        created = datetime.fromtimestamp(1_740_000_000 - index * 86_400, UTC)
        return {
            "type": "model",
            "id": m.name,
            "display_name": m.display_name or m.name,
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "lifecycle": "active",
            "max_input_tokens": m.context_length,
            "max_tokens": 64_000,
        }

    async def _models(self, request: web.Request) -> web.StreamResponse:
        early = await self.pre_fault(request, self._own_fault(request))
        if early is not None:
            return early
        items = [self._model_obj(m, i) for i, m in enumerate(self.models)]
        ids = [i["id"] for i in items]
        after, before = request.query.get("after_id"), request.query.get("before_id")
        if after in ids:
            items = items[ids.index(after) + 1 :]
        elif before in ids:
            items = items[: ids.index(before)]
        limit = int(request.query.get("limit", "20"))
        page, has_more = items[:limit], len(items) > limit
        return self.json_response(
            request,
            {
                "data": page,
                "has_more": has_more,
                "first_id": page[0]["id"] if page else None,
                "last_id": page[-1]["id"] if page else None,
            },
        )

    async def _model(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["model"]
        for index, m in enumerate(self.models):
            if m.name == name:
                return self.json_response(request, self._model_obj(m, index))
        return self.error_response(request, Fault.http(404, f"model: {name}"))


__all__ = ["FakeAnthropic", "anthropic_error"]
