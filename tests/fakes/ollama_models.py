"""Ollama model management endpoints (tags, ps, show, pull, delete, version).

Kept apart from inference so discovery tests have one small place describing
how the served model list is exposed and mutated over HTTP.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from .base import FakeServer, Frame, ndjson
from .scenario import FakeModel, Fault

NDJSON = "application/x-ndjson"

THINKING_FAMILIES = frozenset({"qwen3", "deepseek2", "gptoss"})
"""Families whose models /api/show lists with the `thinking` capability."""


class OllamaModelStore(FakeServer):
    """The model-management half of FakeOllama; the list lives in `self.models`."""

    version: str

    def _details(self, m: FakeModel) -> dict[str, Any]:
        return {
            "parent_model": "",
            "format": "gguf",
            "family": m.family,
            "families": [m.family],
            "parameter_size": m.parameter_size,
            "quantization_level": m.quantization,
        }

    def _listing(self, m: FakeModel) -> dict[str, Any]:
        return {
            "name": m.name,
            "model": m.name,
            "modified_at": "2025-05-10T08:06:48.639712648-07:00",
            "size": m.size,
            "digest": m.digest,
            "details": self._details(m),
        }

    async def _listing_fault(self, request: web.Request) -> web.StreamResponse | None:
        behaviour = self.next_behaviour(request, inference=False)
        return await self.pre_fault(request, behaviour if isinstance(behaviour, Fault) else None)

    async def _root(self, request: web.Request) -> web.StreamResponse:
        return web.Response(text="Ollama is running")

    async def _version(self, request: web.Request) -> web.StreamResponse:
        return self.json_response(request, {"version": self.version})

    async def _tags(self, request: web.Request) -> web.StreamResponse:
        early = await self._listing_fault(request)
        if early is not None:
            return early
        return self.json_response(request, {"models": [self._listing(m) for m in self.models]})

    async def _ps(self, request: web.Request) -> web.StreamResponse:
        early = await self._listing_fault(request)
        if early is not None:
            return early
        expires = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
        loaded = [
            {
                **self._listing(m),
                "expires_at": expires,
                "size_vram": m.size,
                "context_length": m.context_length,
            }
            for m in self.models
            if m.loaded
        ]
        for item in loaded:
            item.pop("modified_at")
        return self.json_response(request, {"models": loaded})

    async def _show(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        name = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
        found = self.find_model(name) if isinstance(name, str) else None
        if found is None:
            return self.error_response(request, Fault.http(404, f"model '{name}' not found"))
        early = await self._listing_fault(request)
        if early is not None:
            return early
        arch = found.family
        caps = ["embedding"] if found.kind == "embeddings" else ["completion", "tools"]
        if found.kind == "vlm":
            caps.append("vision")
        if found.family in THINKING_FAMILIES:
            caps.append("thinking")
        return self.json_response(
            request,
            {
                "modelfile": f"FROM {found.name}\n",
                "parameters": 'stop "<|eot_id|>"',
                "template": "{{ .Prompt }}",
                "details": self._details(found),
                "model_info": {
                    "general.architecture": arch,
                    "general.parameter_count": found.size // 2,
                    f"{arch}.context_length": found.context_length,
                    f"{arch}.embedding_length": self.embedding_dim,
                },
                "capabilities": caps,
                "modified_at": "2025-05-10T08:06:48.639712648-07:00",
            },
        )

    async def _pull(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        name = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
        if not isinstance(name, str) or not name:
            return self.error_response(request, Fault.http(400, "model is required"))
        behaviour = self.next_behaviour(request, inference=False)
        fault = behaviour if isinstance(behaviour, Fault) else None
        model = FakeModel(self._normalize(name), loaded=False)
        if not isinstance(body, dict) or body.get("stream", True) is False:
            early = await self.pre_fault(request, fault)
            if early is not None:
                return early
            self.add_model(model)
            return self.json_response(request, {"status": "success"})
        digest = model.digest
        frames = [Frame(ndjson({"status": "pulling manifest"}))]
        frames += [
            Frame(
                ndjson(
                    {
                        "status": f"pulling {digest[:12]}",
                        "digest": f"sha256:{digest}",
                        "total": model.size,
                        "completed": model.size * step // 4,
                    }
                ),
                "token",
            )
            for step in range(5)
        ]
        frames += [
            Frame(ndjson({"status": s})) for s in ("verifying sha256 digest", "writing manifest")
        ]
        frames.append(Frame(ndjson({"status": "success"}), "end"))
        resp = await self.stream(
            request, frames, timing=self.timing, fault=fault, content_type=NDJSON
        )
        if fault is None:
            self.add_model(model)
        return resp

    async def _delete(self, request: web.Request) -> web.StreamResponse:
        body = self.body_of(request)
        name = (body.get("model") or body.get("name")) if isinstance(body, dict) else None
        if not isinstance(name, str) or not self.remove_model(name):
            return self.error_response(request, Fault.http(404, f"model '{name}' not found"))
        return web.Response(status=200)
