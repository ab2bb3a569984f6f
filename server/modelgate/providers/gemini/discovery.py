"""Which models a Gemini API key can use: `GET /v1beta/models`, every page.

A model's `supportedGenerationMethods` say what it serves: `generateContent` is chat,
completion and streaming (streamGenerateContent goes with it), with tools, vision and
JSON schema, which every generateContent Gemini model takes; `embedContent` or
`batchEmbedContents` is embedding. `thinking: true` marks a model that reasons.
`inputTokenLimit` is the context window, `outputTokenLimit` the output limit. Models
serving neither (AQA, image and video generators) are left out: the gateway has no
RPC for them. The provider is the runtime's kind, as for a configured entry that
names none.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from modelgate.errors import upstream_invalid_response
from modelgate.providers.base import DISCOVERY_TIMEOUT_SECONDS, CallContext
from modelgate.providers.gemini.request import API_VERSION
from modelgate.providers.http import HttpUpstream
from modelgate.providers.upstream_json import count, obj, objects, text
from modelgate.v1 import model_pb2

PAGE_SIZE = 1000
"""The API's largest page."""
MAX_PAGES = 20
"""A listing longer than this many pages is not a model list: the call stops there."""
CHAT_METHODS = frozenset({"generateContent", "streamGenerateContent"})
EMBED_METHODS = frozenset({"embedContent", "batchEmbedContents"})


def capabilities(methods: set[str], thinking: bool) -> model_pb2.Capabilities | None:
    """What a model with these generation methods can do (None: nothing we serve)."""
    chat = bool(methods & CHAT_METHODS)
    embedding = bool(methods & EMBED_METHODS)
    if not chat and not embedding:
        return None
    return model_pb2.Capabilities(
        chat=chat,
        completion=chat,
        streaming=chat,
        tools=chat,
        vision=chat,
        json_schema=chat,
        reasoning=chat and thinking,
        embedding=embedding,
    )


def record(
    provider: str, runtime: str, endpoint: str, item: dict[str, Any]
) -> model_pb2.Model | None:
    """The catalog record of one listed model (None when it serves no RPC of ours)."""
    name = text(provider, item.get("name"), "models[].name").removeprefix("models/")
    methods = item.get("supportedGenerationMethods")
    listed = {m for m in methods if isinstance(m, str)} if isinstance(methods, list) else set()
    found = capabilities(listed, item.get("thinking") is True)
    if not name or found is None:
        return None
    return model_pb2.Model(
        id=f"{name}@{runtime}",
        label=text(provider, item.get("displayName"), "models[].displayName") or name,
        provider=provider,
        runtime=runtime,
        endpoint=endpoint,
        capabilities=found,
        context_window=count(provider, item.get("inputTokenLimit"), "inputTokenLimit"),
        max_output_tokens=count(provider, item.get("outputTokenLimit"), "outputTokenLimit"),
        availability=model_pb2.Availability(available=True),
    )


async def discover_models(
    http: HttpUpstream, provider: str, runtime: str, endpoint: str
) -> list[model_pb2.Model]:
    """Every listed model we can serve, all pages read within one time bound."""
    call = CallContext(deadline=time.monotonic() + DISCOVERY_TIMEOUT_SECONDS)
    found: list[model_pb2.Model] = []
    token = ""
    for _page in range(MAX_PAGES):
        query = urlencode({"pageSize": PAGE_SIZE, **({"pageToken": token} if token else {})})
        raw, _ = await http.request_json("GET", f"/{API_VERSION}/models?{query}", None, call)
        body = obj(http.provider, raw, "its answer")
        for item in objects(http.provider, body.get("models"), "models"):
            model = record(provider, runtime, endpoint, item)
            if model is not None:
                found.append(model)
        token = text(http.provider, body.get("nextPageToken"), "nextPageToken")
        if not token:
            return found
    raise upstream_invalid_response(
        http.provider, f"listed models over more than {MAX_PAGES} pages"
    )
