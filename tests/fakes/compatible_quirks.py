"""One fake for the OpenAI-compatible providers that differ from OpenAI, each under its
own path prefix (`/deepseek/v1`, `/mistral/v1`, `/azure/openai/deployments/...`).

Each prefix enforces what the provider's docs say it refuses (the page is cited beside
the rule) and answers in its shape: DeepSeek's `reasoning_content` and cache-hit usage,
Mistral's strict body and 9-character tool-call ids, Groq's refusal of message names,
OpenRouter's `reasoning` field, vLLM's and llama.cpp's `/v1/models` metadata, Azure's
deployment URLs, `api-version` and `api-key` header (its resource-scoped Responses API:
`azure_responses.py`). The bodies are OpenAI chat
completions plus those fields, so the `openai` SDK parses them (fidelity test).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web

from . import azure_responses
from .azure_responses import AZURE_RESPONSES_API_VERSION
from .delivery import sse
from .text import last_user_text

AZURE_DEPLOYMENTS = ("gpt-4o-prod",)
AZURE_API_VERSION = "2024-10-21"
MISTRAL_BODY_KEYS = frozenset(
    {
        "model", "messages", "temperature", "top_p", "max_tokens", "stream", "stop",
        "random_seed", "response_format", "tools", "tool_choice", "presence_penalty",
        "frequency_penalty", "n", "prediction", "parallel_tool_calls", "prompt_mode",
        "safe_prompt",
    }
)  # fmt: skip
"""https://docs.mistral.ai/api/#tag/chat: any other key is 422 "Extra inputs are not
permitted" (https://docs.mistral.ai/resources/release-note/2024-01-11-strict-api-parameter-
validation); `stream_options` is not listed (usage always ends the stream)."""
REASONING = "The user greets; answer in kind."
MISTRAL_CALL_ID = "D681PevKs"


@dataclass
class Seen:
    """One request as it arrived: prefix, path below it, query, lower-cased headers, body."""

    method: str
    prefix: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


def _error(status: int, body: Any) -> web.Response:
    return web.json_response(body, status=status)


def _openai_error(status: int, message: str, code: str | None = None) -> web.Response:
    error = {"message": message, "type": "invalid_request_error", "param": None, "code": code}
    return _error(status, {"error": error})


def _mistral_error(status: int, message: Any) -> web.Response:
    """https://docs.mistral.ai/resources/error-glossary: `object: error` at the top level."""
    body = {"object": "error", "message": message, "type": "invalid_request_error"}
    return _error(status, {**body, "param": None, "code": None})


class CompatibleQuirks:
    """The quirky providers on one loopback port; `seen` records every request."""

    def __init__(self, azure_key: str = "azure-key-0123456789") -> None:
        self.azure_key = azure_key
        self.seen: list[Seen] = []
        self.tool_call = False
        """Answer the next chats with one tool call instead of text."""
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        app = web.Application()
        app.add_routes(
            [
                web.post("/{prefix}/v1/chat/completions", self._chat),
                web.post("/{prefix}/api/v1/chat/completions", self._chat),
                web.post("/{prefix}/v1/embeddings", self._embeddings),
                web.get("/{prefix}/v1/models", self._models),
                web.post("/{prefix}/openai/deployments/{deployment}/{endpoint:.+}", self._azure),
                web.post("/{prefix}/openai/responses", self._azure_responses),
            ]
        )
        self.app = app

    async def __aenter__(self) -> Self:
        runner = web.AppRunner(self.app, shutdown_timeout=0.5, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def sent(self, prefix: str) -> list[Seen]:
        """Generation requests (POSTs, not discovery) that reached `prefix`."""
        return [s for s in self.seen if s.prefix == prefix and s.method == "POST"]

    async def _record(self, request: web.Request) -> Seen:
        raw = await request.read()
        seen = Seen(
            request.method,
            request.match_info["prefix"],
            request.path.split("/", 2)[2],
            dict(request.query),
            {k.lower(): v for k, v in request.headers.items()},
            json.loads(raw) if raw else None,
        )
        self.seen.append(seen)
        return seen

    # ------------------------------------------------------------------------ chat
    async def _chat(self, request: web.Request) -> web.StreamResponse:
        seen = await self._record(request)
        body = seen.body
        refusal = _refusal(seen.prefix, body)
        if refusal is not None:
            return refusal
        message: dict[str, Any] = {"role": "assistant", "content": "Hello!"}
        if self.tool_call:
            call_id = MISTRAL_CALL_ID if seen.prefix == "mistral" else "call_7f3a9c0d2e1b"
            function = {"name": "lookup", "arguments": '{"q":"x"}'}
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": call_id, "type": "function", "function": function}],
            }
        if seen.prefix in ("deepseek", "vllm", "llamacpp"):
            message["reasoning_content"] = REASONING
        if seen.prefix == "openrouter":
            message["reasoning"] = REASONING
        usage: dict[str, Any] = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
        if seen.prefix == "deepseek":  # https://api-docs.deepseek.com/guides/kv_cache
            usage |= {"prompt_cache_hit_tokens": 8, "prompt_cache_miss_tokens": 4}
        finish = "tool_calls" if self.tool_call else "stop"
        if body.get("stream"):
            together = seen.prefix == "mistral"  # usage on the finishing chunk, always
            return await self._stream(request, body, message, usage, finish, together)
        return web.json_response(
            {
                "id": f"chatcmpl-{next(self._ids)}",
                "object": "chat.completion",
                "created": 1733000000,
                "model": body["model"],
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": usage,
            }
        )

    async def _stream(  # noqa: PLR0917 (one answer's parts, written in wire order)
        self,
        request: web.Request,
        body: dict[str, Any],
        message: dict[str, Any],
        usage: dict[str, Any],
        finish: str,
        usage_on_finish: bool = False,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        head: dict[str, Any] = {"id": f"chatcmpl-{next(self._ids)}"}
        head |= {"object": "chat.completion.chunk", "created": 1733000000, "model": body["model"]}
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        for key in ("reasoning_content", "reasoning"):
            if key in message:
                deltas.append({key: message[key]})
        if message.get("tool_calls"):
            deltas.append({"tool_calls": [{"index": 0, **message["tool_calls"][0]}]})
        else:
            deltas.append({"content": message["content"]})
        for delta in deltas:
            choice = {"index": 0, "delta": delta, "finish_reason": None}
            await response.write(sse({**head, "choices": [choice]}))
        last = {**head, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
        if usage_on_finish:
            await response.write(sse({**last, "usage": usage}))
        elif body.get("stream_options", {}).get("include_usage"):
            await response.write(sse(last))
            await response.write(sse({**head, "choices": [], "usage": usage}))
        else:
            await response.write(sse(last))
        await response.write(b"data: [DONE]\n\n")
        return response

    # ---------------------------------------------------------------- other routes
    async def _embeddings(self, request: web.Request) -> web.Response:
        seen = await self._record(request)
        inputs = seen.body["input"]
        data = [
            {"object": "embedding", "index": i, "embedding": [0.5, -0.5, float(i)]}
            for i in range(len(inputs))
        ]
        usage = {"prompt_tokens": len(inputs), "total_tokens": len(inputs)}
        return web.json_response(
            {"object": "list", "data": data, "model": seen.body["model"], "usage": usage}
        )

    async def _models(self, request: web.Request) -> web.Response:
        seen = await self._record(request)
        if seen.prefix == "vllm":  # vLLM's ModelCard
            entry: dict[str, Any] = {
                "id": "Qwen/Qwen3-8B",
                "object": "model",
                "created": 1733000000,
                "owned_by": "vllm",
                "root": "Qwen/Qwen3-8B",
                "parent": None,
                "max_model_len": 32768,
            }
        else:  # llama-server: meta from the GGUF
            meta = {"vocab_type": 2, "n_vocab": 151936, "n_ctx_train": 40960, "n_embd": 1024}
            entry = {
                "id": "qwen3-0.6b",
                "object": "model",
                "created": 1733000000,
                "owned_by": "llamacpp",
                "meta": meta,
            }
        return web.json_response({"object": "list", "data": [entry]})

    def _azure_refusal(
        self, request: web.Request, version: str, deployment: str
    ) -> web.Response | None:
        """https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference"""
        if request.headers.get("api-key") != self.azure_key:
            message = (
                "Access denied due to invalid subscription key or wrong API endpoint. Make "
                "sure to provide a valid key for an active subscription and use a correct "
                "regional API endpoint for your resource."
            )
            return _error(401, {"error": {"code": "401", "message": message}})
        if request.query.get("api-version") != version:
            message = "Unsupported api-version. Please refer to the API reference."
            return _openai_error(400, message, "BadRequest")
        if deployment not in AZURE_DEPLOYMENTS:
            message = "The API deployment for this resource does not exist."
            return _error(404, {"error": {"code": "DeploymentNotFound", "message": message}})
        return None

    async def _azure(self, request: web.Request) -> web.StreamResponse:
        seen = await self._record(request)
        deployment = request.match_info["deployment"]
        refusal = self._azure_refusal(request, AZURE_API_VERSION, deployment)
        if refusal is not None:
            return refusal
        if request.match_info["endpoint"] != "chat/completions":
            return _openai_error(404, "Resource not found", "404")
        seen.prefix = "azure"
        return await self._chat_answer(request, seen)

    async def _azure_responses(self, request: web.Request) -> web.StreamResponse:
        seen = await self._record(request)
        model = seen.body.get("model") if isinstance(seen.body, dict) else None
        refusal = self._azure_refusal(request, AZURE_RESPONSES_API_VERSION, str(model))
        if refusal is not None:
            return refusal
        seen.prefix = "azure"
        return await azure_responses.answer(request, seen.body)

    async def _chat_answer(self, request: web.Request, seen: Seen) -> web.StreamResponse:
        body = seen.body
        message = {"role": "assistant", "content": "Hello!"}
        usage = {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}
        if body.get("stream"):
            return await self._stream(request, body, message, usage, "stop")
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return web.json_response(
            {
                "id": f"chatcmpl-{next(self._ids)}",
                "object": "chat.completion",
                "created": 1733000000,
                "model": "gpt-4o-2024-11-20",
                "choices": [choice],
                "usage": usage,
            }
        )


def _refusal(prefix: str, body: dict[str, Any]) -> web.Response | None:
    """The provider's 4xx for a body it refuses, or None."""
    messages = body.get("messages") or []
    # https://api-docs.deepseek.com/guides/reasoning_model
    if prefix == "deepseek" and any("reasoning_content" in m for m in messages):
        return _openai_error(
            400,
            "The reasoning_content is an intermediate result for display purposes only "
            "and will not be included in the context for inference. Please remove the "
            "reasoning_content from your API request to avoid unnecessary network "
            "transmission.",
            "invalid_request_error",
        )
    if prefix == "mistral":
        extra = sorted(set(body) - MISTRAL_BODY_KEYS)
        if extra:
            detail = [
                {
                    "type": "extra_forbidden",
                    "loc": ["body", key],
                    "msg": "Extra inputs are not permitted",
                    "input": body[key],
                }
                for key in extra
            ]
            return _mistral_error(422, {"detail": detail})
        for index, m in enumerate(messages):
            if "name" in m:
                detail = [
                    {
                        "type": "extra_forbidden",
                        "loc": ["body", "messages", index, m["role"], "name"],
                        "msg": "Extra inputs are not permitted",
                        "input": m["name"],
                    }
                ]
                return _mistral_error(422, {"detail": detail})
            ids = [c["id"] for c in m.get("tool_calls") or ()]
            ids += [m["tool_call_id"]] if m.get("role") == "tool" else []
            for tool_id in ids:
                if not (len(tool_id) == 9 and tool_id.isascii() and tool_id.isalnum()):
                    return _mistral_error(
                        400,
                        f"Tool call id was {tool_id} but must be a-z, A-Z, 0-9, "
                        "with a length of 9.",
                    )
    if prefix == "groq":  # https://console.groq.com/docs/openai
        for index, m in enumerate(messages):
            if "name" in m:
                return _openai_error(
                    400,
                    f"'messages.{index}' : for 'role:{m['role']}' the following must be "
                    f"satisfied[('messages.{index}.name' : property 'name' is unsupported)]",
                )
    return None


def compatible_quirks_user_text(body: dict[str, Any]) -> str:
    """The last user message of a recorded body (assertions read what was asked)."""
    return last_user_text(body.get("messages"))
