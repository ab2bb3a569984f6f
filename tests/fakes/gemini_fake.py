"""Fake Gemini API upstream: generateContent, SSE streaming, countTokens, embeddings, models.

Routes, bodies and errors are Gemini's (REST reference and the `google-genai` SDK's
converters), so the gateway's Gemini backend and the official SDK both run unchanged
against it. The key is taken from `x-goog-api-key` (or `?key=`, which Google also
accepts and the gateway must never use: every request's query is recorded).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from aiohttp import web
from typing_extensions import override

from .base import FakeServer, Frame, sse
from .gemini_wire import (
    NO_KEY_MESSAGE,
    GeminiReply,
    bad_key_body,
    call_parts,
    candidate,
    error_body,
    fault_body,
    finish_of,
    last_user_text,
    pick,
    prompt_tokens,
    stream_error,
    thought_part,
    usage,
)
from .plan import Plan, make_plan, rid
from .scenario import FakeModel, Fault, Thought
from .text import count_words, embed, split_words

_DEFAULT_MODELS = (
    FakeModel("gemini-2.5-flash", display_name="Gemini 2.5 Flash", context_length=1_048_576),
    FakeModel("gemini-2.5-pro", display_name="Gemini 2.5 Pro", context_length=1_048_576),
    FakeModel(
        "gemini-embedding-001",
        kind="embeddings",
        display_name="Gemini Embedding 001",
        context_length=2048,
    ),
)
CHAT_METHODS = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"]
EMBED_METHODS = ["embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"]
PAGE_TOKEN_PREFIX = "page-"


class FakeGemini(FakeServer):
    """Gemini API upstream under /v1beta."""

    provider: ClassVar[str] = "gemini"
    key_headers: ClassVar[tuple[str, ...]] = ("x-goog-api-key",)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("models", _DEFAULT_MODELS)
        super().__init__(**kwargs)

    @override
    def _routes(self) -> list[web.RouteDef]:
        return [
            web.post("/v1beta/{resource:.+}", self._post),
            web.get("/v1beta/models", self._models),
            web.get("/v1beta/models/{model}", self._model),
        ]

    @override
    def _normalize(self, name: str) -> str:
        return name.removeprefix("models/")

    # --------------------------------------------------------------- wire details
    @override
    def _new_request_id(self) -> str:
        return rid("", 22)

    @override
    def _headers(self, request_id: str) -> dict[str, str]:
        return {"server": "scaffolding on HTTPServer2", "x-gemini-fake-request": request_id}

    @override
    def _check_auth(self, request: web.Request) -> Fault | None:
        given = request.headers.get("x-goog-api-key") or request.query.get("key")
        if self.required_api_key is None or given == self.required_api_key:
            return None
        if not given:
            return Fault.http(403, body=error_body(403, NO_KEY_MESSAGE))
        return Fault.http(400, body=bad_key_body())

    @override
    def error_response(self, request: web.Request, fault: Fault) -> web.Response:
        """Gemini says when to retry in the body (RetryInfo), not in a retry-after header."""
        if fault.body is None:
            status, body = self._error_body(fault, request)
            fault = replace(fault, status=status, body=body)
        return super().error_response(request, replace(fault, retry_after=None))

    @override
    def _error_body(self, fault: Fault, request: web.Request) -> tuple[int, Any]:
        body = self.body_of(request)
        tokens = prompt_tokens(body) if isinstance(body, dict) else 0
        model = request.match_info.get("model", "") or self._model_of(request)
        return fault_body(fault, model, tokens)

    @override
    def _stream_error_frame(self, fault: Fault, request: web.Request) -> bytes:
        return sse(stream_error(fault))

    @override
    def _malformed_frame(self, request: web.Request) -> bytes:
        return b'data: {"candidates": [{"content": {"parts": [{"text": \n\n'

    @staticmethod
    def _model_of(request: web.Request) -> str:
        resource = request.match_info.get("resource", "")
        return resource.split(":", 1)[0].removeprefix("models/")

    # ------------------------------------------------------------------ dispatch
    async def _post(self, request: web.Request) -> web.StreamResponse:
        resource, _, method = request.match_info["resource"].partition(":")
        handler = {
            "generateContent": self._generate,
            "streamGenerateContent": self._generate,
            "countTokens": self._count_tokens,
            "embedContent": self._embed,
            "batchEmbedContents": self._embed,
        }.get(method)
        if handler is None or not resource.startswith("models/"):
            return self.error_response(request, Fault.http(404, "Not Found"))
        body = self.body_of(request)
        if not isinstance(body, dict):
            return self.error_response(request, Fault.http(400, "Invalid JSON payload received."))
        model = resource.removeprefix("models/")
        if self.strict_models and self.find_model(model) is None:
            return self.error_response(request, Fault.http(404))
        return await handler(request, body, model, method)

    def _own_fault(self, request: web.Request) -> Fault | None:
        behaviour = self.next_behaviour(request, inference=False)
        return behaviour if isinstance(behaviour, Fault) else None

    # ------------------------------------------------------------ generateContent
    async def _generate(
        self, request: web.Request, body: dict[str, Any], model: str, method: str
    ) -> web.StreamResponse:
        contents = body.get("contents")
        if not isinstance(contents, list) or not contents:
            return self.error_response(
                request,
                Fault.http(400, "* GenerateContentRequest.contents: contents is not specified\n"),
            )
        config = pick(body, "generationConfig") or {}
        behaviour = self.next_behaviour(request)
        reply = behaviour if isinstance(behaviour, GeminiReply) else GeminiReply()
        plan = make_plan(
            behaviour,
            echo=last_user_text(contents),
            prompt_tokens=prompt_tokens(body),
            model=model,
            timing=self.timing,
            call_id="",
            call_id_len=8,
            max_tokens=pick(config, "maxOutputTokens"),
        )
        thinking = pick(config, "thinkingConfig")
        thoughts = plan.reply.thoughts if pick(thinking, "includeThoughts") else ()
        response_id = rid("", 22)
        if method == "streamGenerateContent":
            if request.query.get("alt") != "sse":
                return self.error_response(request, Fault.http(400, "alt=sse is required"))
            frames = self._frames(plan, reply, thoughts, response_id)
            sse_type = "text/event-stream"
            return await self.stream(
                request, frames, timing=plan.timing, fault=plan.fault, content_type=sse_type
            )
        answer = self._answer(plan, reply, thoughts, response_id)
        return await self.unary(
            request, answer, timing=plan.timing, tokens=plan.output_tokens, fault=plan.fault
        )

    @staticmethod
    def _envelope(plan: Plan, response_id: str, **fields: Any) -> dict[str, Any]:
        return {**fields, "modelVersion": plan.model, "responseId": response_id}

    def _answer(
        self, plan: Plan, reply: GeminiReply, thoughts: tuple[Thought, ...], response_id: str
    ) -> dict[str, Any]:
        meta = usage(plan, plan.output_tokens, plan.reply.reasoning_tokens)
        if reply.block_reason:
            blocked = {"promptTokenCount": plan.input_tokens, "totalTokenCount": plan.input_tokens}
            feedback = {"blockReason": reply.block_reason}
            return self._envelope(plan, response_id, promptFeedback=feedback, usageMetadata=blocked)
        parts = [thought_part(t.text, t.signature) for t in thoughts]
        if plan.text:
            text_part: dict[str, Any] = {"text": plan.text}
            if reply.signature and not plan.calls:
                text_part["thoughtSignature"] = reply.signature
            parts.append(text_part)
        parts += call_parts(plan, reply)
        return self._envelope(
            plan, response_id, candidates=[candidate(parts, finish_of(plan))], usageMetadata=meta
        )

    def _frames(
        self, plan: Plan, reply: GeminiReply, thoughts: tuple[Thought, ...], response_id: str
    ) -> list[Frame]:
        thinking = plan.reply.reasoning_tokens

        def chunk(parts: list[dict[str, Any]], sent: int, finish: str | None = None) -> bytes:
            meta = usage(plan, sent, min(thinking, sent))
            return sse(
                self._envelope(
                    plan, response_id, candidates=[candidate(parts, finish)], usageMetadata=meta
                )
            )

        if reply.block_reason:
            return [Frame(sse(self._answer(plan, reply, thoughts, response_id)), "end")]
        frames: list[Frame] = []
        sent = thinking
        for thought in thoughts:
            pieces = split_words(thought.text)
            for i, piece in enumerate(pieces):
                signature = thought.signature if i == len(pieces) - 1 else None
                frames.append(Frame(chunk([thought_part(piece, signature)], thinking), "token"))
        for piece in plan.pieces:
            sent += 1
            frames.append(Frame(chunk([{"text": piece}], sent), "token"))
        for part in call_parts(plan, reply):
            sent += count_words(str(part))
            frames.append(Frame(chunk([part], sent), "token"))
        last: list[dict[str, Any]] = [{"text": ""}]
        if reply.signature and not plan.calls:
            last = [{"text": "", "thoughtSignature": reply.signature}]
        frames.append(Frame(chunk(last, plan.output_tokens, finish_of(plan)), "end"))
        return frames

    # --------------------------------------------------------------- countTokens
    async def _count_tokens(
        self, request: web.Request, body: dict[str, Any], model: str, method: str
    ) -> web.StreamResponse:
        early = await self.pre_fault(request, self._own_fault(request))
        if early is not None:
            return early
        inner = pick(body, "generateContentRequest")
        if "contents" in body and inner is not None:
            message = "contents and generate_content_request are mutually exclusive"
            return self.error_response(request, Fault.http(400, message))
        tokens = prompt_tokens(inner if isinstance(inner, dict) else body)
        details = [{"modality": "TEXT", "tokenCount": tokens}]
        return self.json_response(request, {"totalTokens": tokens, "promptTokensDetails": details})

    # ---------------------------------------------------------------- embeddings
    async def _embed(
        self, request: web.Request, body: dict[str, Any], model: str, method: str
    ) -> web.StreamResponse:
        early = await self.pre_fault(request, self._own_fault(request))
        if early is not None:
            return early
        entries = body.get("requests") if method == "batchEmbedContents" else [body]
        if not isinstance(entries, list) or not entries:
            return self.error_response(request, Fault.http(400, "* requests: required\n"))
        vectors = []
        for entry in entries:
            if method == "batchEmbedContents" and entry.get("model") != f"models/{model}":
                message = f"Model {entry.get('model')} differs from the model in the request."
                return self.error_response(request, Fault.http(400, message))
            dim = pick(entry, "outputDimensionality") or self.embedding_dim
            vectors.append({"values": embed(last_user_text([entry.get("content")]), dim)})
        behaviour = self.next_behaviour(request)
        if isinstance(behaviour, Fault) and behaviour.kind == "fewer_items":
            vectors = vectors[: max(len(vectors) - behaviour.missing, 0)]
        elif isinstance(behaviour, Fault):
            return self.error_response(request, behaviour)
        if method == "embedContent":
            return self.json_response(request, {"embedding": vectors[0] if vectors else {}})
        return self.json_response(request, {"embeddings": vectors})

    # -------------------------------------------------------------------- models
    @staticmethod
    def _model_obj(m: FakeModel) -> dict[str, Any]:
        embedding = m.kind == "embeddings"
        item: dict[str, Any] = {
            "name": f"models/{m.name}",
            "version": "001",
            "displayName": m.display_name or m.name,
            "description": f"Fake {m.display_name or m.name}",
            "inputTokenLimit": m.context_length,
            "outputTokenLimit": 1 if embedding else 65_536,
            "supportedGenerationMethods": EMBED_METHODS if embedding else CHAT_METHODS,
        }
        if not embedding:
            item.update(temperature=1, topP=0.95, topK=64, maxTemperature=2, thinking=True)
        return item

    async def _models(self, request: web.Request) -> web.StreamResponse:
        early = await self.pre_fault(request, self._own_fault(request))
        if early is not None:
            return early
        size = int(request.query.get("pageSize", "50"))
        token = request.query.get("pageToken", "")
        start = int(token.removeprefix(PAGE_TOKEN_PREFIX)) if token else 0
        page = self.models[start : start + size]
        answer: dict[str, Any] = {"models": [self._model_obj(m) for m in page]}
        if start + size < len(self.models):
            answer["nextPageToken"] = f"{PAGE_TOKEN_PREFIX}{start + size}"
        return self.json_response(request, answer)

    async def _model(self, request: web.Request) -> web.StreamResponse:
        found = self.find_model(request.match_info["model"])
        if found is None:
            return self.error_response(request, Fault.http(404))
        return self.json_response(request, self._model_obj(found))


__all__ = ["FakeGemini", "GeminiReply"]
