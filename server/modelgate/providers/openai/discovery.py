"""Which models an OpenAI-compatible server (or LM Studio) serves now."""

from __future__ import annotations

import time

from modelgate.providers.base import CallContext
from modelgate.providers.http import HttpUpstream
from modelgate.v1 import model_pb2

DISCOVERY_TIMEOUT_SECONDS = 5.0


def _record(
    *, runtime: str, endpoint: str, upstream_id: str, owner: str, kind: str, context: int
) -> model_pb2.Model:
    embedding = kind == "embeddings" or (not kind and "embed" in upstream_id)
    capabilities = (
        model_pb2.Capabilities(embedding=True)
        if embedding
        else model_pb2.Capabilities(chat=True, completion=True, streaming=True, tools=True)
    )
    return model_pb2.Model(
        id=f"{upstream_id}@{runtime}",
        label=upstream_id,
        provider=owner or runtime,
        runtime=runtime,
        endpoint=endpoint,
        capabilities=capabilities,
        context_window=context,
        availability=model_pb2.Availability(available=True),
    )


async def discover_models(
    http: HttpUpstream, runtime: str, endpoint: str, *, lmstudio: bool
) -> list[model_pb2.Model]:
    """Models listed by `/models` (or LM Studio's `/api/v0/models`, which knows types)."""
    call = CallContext(deadline=time.monotonic() + DISCOVERY_TIMEOUT_SECONDS)
    if lmstudio:
        root = http.base_url.removesuffix("/v1")
        body, _ = await http.request_json("GET", root + "/api/v0/models", None, call)
        return [
            _record(
                runtime=runtime,
                endpoint=endpoint,
                upstream_id=item["id"],
                owner=item.get("publisher", ""),
                kind=item.get("type", ""),
                context=int(item.get("max_context_length") or 0),
            )
            for item in body.get("data") or ()
            if item.get("id")
        ]
    body, _ = await http.request_json("GET", "/models", None, call)
    return [
        _record(
            runtime=runtime,
            endpoint=endpoint,
            upstream_id=item["id"],
            owner=item.get("owned_by", ""),
            kind="",
            context=0,
        )
        for item in body.get("data") or ()
        if item.get("id")
    ]
