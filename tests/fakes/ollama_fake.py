"""Fake Ollama upstream: native /api endpoints, NDJSON streaming, mutable model store.

Ollama has no SDK we depend on, so fidelity means matching the documented JSON
lines, status codes and `{"error": "..."}` bodies a gateway adapter parses,
including model management (pull/delete) that discovery tests exercise.
`Reply.reasoning` comes back as `message.thinking` (streamed in lines of its own
before the content) unless the request says `think: false`; `think` takes a
boolean or "low"/"medium"/"high" and anything else is Ollama's 400.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, ClassVar

from aiohttp import web
from typing_extensions import override

from .base import Frame, ndjson
from .ollama_models import NDJSON, OllamaModelStore
from .plan import Plan, make_plan, rid
from .scenario import FakeModel, Fault
from .text import all_text, count_words, embed, last_user_text, split_words

_DEFAULT_MODELS = (
    FakeModel("llama3.2:latest", family="llama", parameter_size="3.2B", size=2_019_393_189),
    FakeModel("qwen2.5:7b", family="qwen2", parameter_size="7.6B", size=4_683_087_332),
    FakeModel(
        "nomic-embed-text:latest",
        kind="embeddings",
        family="nomic-bert",
        parameter_size="137M",
        quantization="F16",
        size=274_302_450,
        loaded=False,
    ),
)
_ERRORS = {
    400: "invalid request",
    401: "unauthorized",
    403: "forbidden",
    429: "too many requests",
    500: "an error was encountered while running the model",
    503: "server busy, please try again.  maximum pending requests exceeded",
}


def now_rfc3339() -> str:
    """Ollama's `created_at` style timestamp (UTC, sub-second precision)."""
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


class FakeOllama(OllamaModelStore):
    """Ollama upstream; unknown models are 404 like the real daemon (strict by default)."""

    provider: ClassVar[str] = "ollama"

    def __init__(
        self,
        *,
        models: Iterable[str | FakeModel] = _DEFAULT_MODELS,
        strict_models: bool = True,
        version: str = "0.12.6",
        **kwargs: Any,
    ) -> None:
        self.version = version
        super().__init__(models=models, strict_models=strict_models, **kwargs)

    @override
    def _routes(self) -> list[web.RouteDef]:
        return [
            web.get("/", self._root),
            web.get("/api/version", self._version),
            web.get("/api/tags", self._tags),
            web.get("/api/ps", self._ps),
            web.post("/api/show", self._show),
            web.post("/api/pull", self._pull),
            web.delete("/api/delete", self._delete),
            web.post("/api/chat", self._chat),
            web.post("/api/generate", self._generate),
            web.post("/api/embed", self._embed),
            web.post("/api/embeddings", self._embeddings_legacy),
        ]

    # --------------------------------------------------------------- wire details
    @override
    def _new_request_id(self) -> str:
        return rid("", 16)

    @override
    def _normalize(self, name: str) -> str:
        return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"

    @override
    def _error_body(self, fault: Fault, request: web.Request) -> tuple[int, Any]:
        body = self.body_of(request)
        model = body.get("model", "unknown") if isinstance(body, dict) else "unknown"
        status = 503 if fault.semantic == "overloaded" else fault.status
        if fault.semantic == "context_length":
            return 400, {"error": fault.message or "input length exceeds the context length"}
        default = (
            f'model "{model}" not found, try pulling it first'
            if status == 404
            else _ERRORS.get(status, _ERRORS[500 if status >= 500 else 400])
        )
        return status, {"error": fault.message or default}

    @override
    def _auth_fault(self, present: bool) -> Fault:
        return Fault.http(401, "unauthorized")

    @override
    def _stream_error_frame(self, fault: Fault, request: web.Request) -> bytes:
        return ndjson(
            {
                "error": fault.message
                or "an error was encountered while running the model: unexpected EOF"
            }
        )

    @override
    def _malformed_frame(self, request: web.Request) -> bytes:
        return b'{"model":"x","created_at":"2025-01-01T00:00:00Z","message":{"role":"assis\n'

    # ------------------------------------------------------------------- helpers
    def _model_or_error(
        self, request: web.Request, *, chat: str | None = None
    ) -> tuple[dict[str, Any], FakeModel | None, Fault | None]:
        body = self.body_of(request)
        if not isinstance(body, dict):
            return {}, None, Fault.http(400, "invalid character 'x' looking for beginning of value")
        name = body.get("model") or body.get("name")
        if not isinstance(name, str) or not name:
            return body, None, Fault.http(400, "model is required")
        found = self.find_model(name)
        if found is None and self.strict_models:
            return body, None, Fault.http(404, f'model "{name}" not found, try pulling it first')
        if found is not None and chat and found.kind == "embeddings":
            return body, found, Fault.http(400, f'"{name}" does not support {chat}')
        return body, found, None

    def _final_stats(self, plan: Plan) -> dict[str, Any]:
        rate = plan.timing.tokens_per_s or 100.0
        eval_ns = int(plan.output_tokens * 1e9 / rate)
        prompt_ns = int(plan.input_tokens * 1e6)
        load_ns = int(plan.timing.latency_ms * 1e6) + 1_000_000
        return {
            "total_duration": load_ns + prompt_ns + eval_ns + int(plan.timing.ttft_ms * 1e6),
            "load_duration": load_ns,
            "prompt_eval_count": plan.input_tokens,
            "prompt_eval_duration": prompt_ns,
            "eval_count": plan.output_tokens,
            "eval_duration": eval_ns,
        }

    def _plan(self, request: web.Request, body: dict[str, Any], echo: str, prompt: str) -> Plan:
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        return make_plan(
            self.next_behaviour(request),
            echo=echo,
            prompt_tokens=count_words(prompt),
            model=str(body.get("model")),
            timing=self.timing,
            call_id="call_",
            call_id_len=8,
            max_tokens=(options or {}).get("num_predict"),
            call_id_alphabet="abcdefghijklmnopqrstuvwxyz0123456789",
        )

    @staticmethod
    def _done_reason(plan: Plan) -> str:
        return "length" if plan.finish == "length" else "stop"

    # ---------------------------------------------------------------- inference
    async def _chat(self, request: web.Request) -> web.StreamResponse:
        body, model, bad = self._model_or_error(request, chat="chat")
        if bad is not None:
            return self.error_response(request, bad)
        messages = body.get("messages") or []
        name = str(body["model"])
        if model is not None:
            model.loaded = True
        if not messages:
            return self.json_response(
                request,
                {
                    "model": name,
                    "created_at": now_rfc3339(),
                    "message": {"role": "assistant", "content": ""},
                    "done_reason": "load",
                    "done": True,
                },
            )
        think = body.get("think")
        if think not in (None, True, False, "low", "medium", "high"):
            message = f"invalid think value: {json.dumps(think)}"
            message += ' (must be "high", "medium", "low", true, or false)'
            return self.error_response(request, Fault.http(400, message))
        plan = self._plan(request, body, last_user_text(messages), all_text(messages))
        thinking = plan.reasoning if think is not False else ""
        calls = [
            {"id": c.id, "function": {"index": i, "name": c.name, "arguments": c.arguments}}
            for i, c in enumerate(plan.calls)
        ]
        final: dict[str, Any] = {
            "model": plan.model,
            "created_at": now_rfc3339(),
            "message": {"role": "assistant", "content": plan.text},
            "done": True,
            "done_reason": self._done_reason(plan),
            **self._final_stats(plan),
        }
        if body.get("stream", True) is False:
            if calls:
                final["message"]["tool_calls"] = calls
            if thinking:
                final["message"]["thinking"] = thinking
            return await self.unary(
                request, final, timing=plan.timing, tokens=plan.output_tokens, fault=plan.fault
            )

        def line(message: dict[str, Any], done: bool = False) -> Callable[[], bytes]:
            extra = final if done else {"done": False}
            return lambda: ndjson(
                {
                    **extra,
                    "model": plan.model,
                    "created_at": now_rfc3339(),
                    "message": {"role": "assistant", **message},
                }
            )

        frames = [
            Frame(line({"content": "", "thinking": p}), "token") for p in split_words(thinking)
        ]
        frames += [Frame(line({"content": p}), "token") for p in plan.pieces]
        if calls:
            frames.append(Frame(line({"content": "", "tool_calls": calls}), "token"))
        frames.append(Frame(line({"content": ""}, done=True), "end"))
        return await self.stream(
            request, frames, timing=plan.timing, fault=plan.fault, content_type=NDJSON
        )

    async def _generate(self, request: web.Request) -> web.StreamResponse:
        body, model, bad = self._model_or_error(request, chat="generate")
        if bad is not None:
            return self.error_response(request, bad)
        prompt = body.get("prompt") or ""
        if model is not None:
            model.loaded = True
        if not prompt:
            return self.json_response(
                request,
                {
                    "model": body["model"],
                    "created_at": now_rfc3339(),
                    "response": "",
                    "done": True,
                    "done_reason": "load",
                },
            )
        system = body.get("system") if isinstance(body.get("system"), str) else ""
        plan = self._plan(request, body, str(prompt), f"{system} {prompt}")
        final: dict[str, Any] = {
            "model": plan.model,
            "created_at": now_rfc3339(),
            "response": plan.text,
            "done": True,
            "done_reason": self._done_reason(plan),
            "context": list(range(1, plan.input_tokens + plan.output_tokens + 1)),
            **self._final_stats(plan),
        }
        if body.get("stream", True) is False:
            return await self.unary(
                request, final, timing=plan.timing, tokens=plan.output_tokens, fault=plan.fault
            )

        def line(piece: str, done: bool) -> Callable[[], bytes]:
            extra = final if done else {"done": False}
            return lambda: ndjson(
                {**extra, "model": plan.model, "created_at": now_rfc3339(), "response": piece}
            )

        frames = [Frame(line(p, False), "token") for p in plan.pieces]
        frames.append(Frame(line("", True), "end"))
        return await self.stream(
            request, frames, timing=plan.timing, fault=plan.fault, content_type=NDJSON
        )

    async def _embed(self, request: web.Request) -> web.StreamResponse:
        body, model, bad = self._model_or_error(request)
        if bad is not None:
            return self.error_response(request, bad)
        raw = body.get("input", "")
        inputs = [str(i) for i in raw] if isinstance(raw, list) else [str(raw)]
        dim = int(body.get("dimensions") or self.embedding_dim)
        behaviour = self.next_behaviour(request)
        fault = behaviour if isinstance(behaviour, Fault) else None
        if model is not None:
            model.loaded = True
        tokens = sum(count_words(i) for i in inputs)
        vectors = [embed(i, dim) for i in inputs]
        if fault is not None and fault.kind == "fewer_items":
            vectors, fault = vectors[: len(vectors) - fault.missing], None
        out = {
            "model": body["model"],
            "embeddings": vectors,
            "total_duration": 14_143_917,
            "load_duration": 1_019_500,
            "prompt_eval_count": tokens,
        }
        return await self.unary(request, out, timing=self.timing, tokens=1, fault=fault)

    async def _embeddings_legacy(self, request: web.Request) -> web.StreamResponse:
        body, _, bad = self._model_or_error(request)
        if bad is not None:
            return self.error_response(request, bad)
        vec = embed(str(body.get("prompt", "")), self.embedding_dim)
        return self.json_response(request, {"embedding": vec})


__all__ = ["NDJSON", "FakeOllama", "now_rfc3339"]
