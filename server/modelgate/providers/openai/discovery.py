"""Which models an OpenAI-compatible server (or LM Studio) serves now.

Discovered records follow the rules of configured ones: the provider is the runtime's
kind (as for a catalog entry that names none), and the context window is what the server
publishes, under whichever key it uses.
"""

from __future__ import annotations

import time
from typing import Any

from modelgate.providers.base import DISCOVERY_TIMEOUT_SECONDS, CallContext
from modelgate.providers.http import HttpUpstream
from modelgate.v1 import model_pb2

CONTEXT_KEYS = ("max_model_len", "context_length", "context_window", "max_context_length")
"""Where servers publish a model's context window in `/models`: vLLM, OpenRouter and
Together, Groq, LM Studio's `/api/v0/models`; llama.cpp puts `n_ctx_train` under `meta`."""


def context_window(item: dict[str, Any]) -> int:
    """The context window a `/models` entry publishes, 0 when it publishes none."""
    meta = item.get("meta")
    candidates = [item.get(key) for key in CONTEXT_KEYS]
    if isinstance(meta, dict):
        candidates.append(meta.get("n_ctx_train"))
    for value in candidates:
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 0


def _record(
    *, runtime: str, provider: str, endpoint: str, item: dict[str, Any], kind: str
) -> model_pb2.Model:
    upstream_id = str(item["id"])
    embedding = kind == "embeddings" or (not kind and "embed" in upstream_id)
    capabilities = (
        model_pb2.Capabilities(embedding=True)
        if embedding
        else model_pb2.Capabilities(chat=True, completion=True, streaming=True, tools=True)
    )
    return model_pb2.Model(
        id=f"{upstream_id}@{runtime}",
        label=upstream_id,
        provider=provider,
        runtime=runtime,
        endpoint=endpoint,
        capabilities=capabilities,
        context_window=context_window(item),
        availability=model_pb2.Availability(available=True),
    )


def _entries(body: Any) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        return []
    return [item for item in data if isinstance(item, dict) and item.get("id")]


async def discover_models(
    http: HttpUpstream, runtime: str, provider: str, endpoint: str, *, lmstudio: bool
) -> list[model_pb2.Model]:
    """Models listed by `/models` (or LM Studio's `/api/v0/models`, which knows types)."""
    call = CallContext(deadline=time.monotonic() + DISCOVERY_TIMEOUT_SECONDS)
    if lmstudio:
        root = http.base_url.removesuffix("/v1")
        body, _ = await http.request_json("GET", root + "/api/v0/models", None, call)
        return [
            _record(
                runtime=runtime,
                provider=provider,
                endpoint=endpoint,
                item=item,
                kind=str(item.get("type") or ""),
            )
            for item in _entries(body)
        ]
    body, _ = await http.request_json("GET", "/models", None, call)
    return [
        _record(runtime=runtime, provider=provider, endpoint=endpoint, item=item, kind="")
        for item in _entries(body)
    ]
