"""Which servers the tier talks to, and the gateway catalog that points every backend kind at them.

Each server is reached through every backend kind it speaks: `openai`, `openai_compatible`,
`openai` with `api: responses` (called "responses" here) and `anthropic`. A model's id says
server, mock and kind, e.g. `llama-responses` or `litellm-tools-anthropic`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import pytest

from modelgate.config import ModelConfig, RoutingConfig, RuntimeConfig, Settings
from tests.gateways import settings

ENV = "MODELGATE_REAL_UPSTREAMS"
"""JSON set by scripts/real-upstreams: {"llama", "llama_embeddings", "litellm", "litellm_key"}."""

KINDS = ("openai", "openai_compatible", "responses", "anthropic")
CHAT_COMPLETIONS_KINDS = ("openai", "openai_compatible")
EMBEDDING_KINDS = CHAT_COMPLETIONS_KINDS
LITELLM_MOCKS = {
    "chat": "mock-chat",
    "tools": "mock-tools",
    "json": "mock-json",
    "embed": "mock-embed",
    "missing": "no-such-model",
}
"""Our name -> the LiteLLM model name (see the proxy config in scripts/real-upstreams)."""
TINY_MODEL = "tiny"
"""The name llama-server lists its one model under (--alias); it answers to any name."""
TINY_EMBEDDING_DIMENSION = 64
LLAMA_STATELESS_RESPONSES = "llama-responses-gateway-conversation"
"""A Responses API model whose conversations the gateway keeps (`conversation: gateway`)."""
NO_KEY = "sk-unused"
"""llama-server runs without --api-key; our openai runtimes still want a key to send."""


@dataclass(frozen=True)
class Upstreams:
    """Base URLs (no /v1) of the running servers."""

    llama: str
    llama_embeddings: str
    litellm: str
    litellm_key: str


def from_env() -> Upstreams | None:
    """The servers named by the environment, None when the tier is not running.

    A value that is present but incomplete is an error, never a skip: a broken tier must fail.
    """
    raw = os.environ.get(ENV)
    if not raw:
        return None
    named: dict[str, Any] = json.loads(raw)
    missing = [key for key in Upstreams.__dataclass_fields__ if not named.get(key)]
    if missing:
        raise ValueError(f"{ENV} does not name {', '.join(missing)}: {raw}")
    return Upstreams(**{key: named[key] for key in Upstreams.__dataclass_fields__})


SKIP_REASON = f"real-upstream tier: {ENV} is not set (scripts/real-upstreams runs this tier)"


def skip_unless_running() -> None:
    """Skip the calling test module unless scripts/real-upstreams named the servers."""
    if not os.environ.get(ENV):
        pytest.skip(SKIP_REASON, allow_module_level=True)


def llama_model(kind: str) -> str:
    """The catalog id of the tiny chat model through `kind`."""
    return f"llama-{kind}"


def llama_embedding_model(kind: str) -> str:
    """The catalog id of the tiny embedding model through `kind`."""
    return f"llama-embed-{kind}"


def litellm_model(mock: str, kind: str) -> str:
    """The catalog id of LiteLLM's `mock` model through `kind`."""
    return f"litellm-{mock}-{kind}"


def _runtimes(up: Upstreams) -> dict[str, RuntimeConfig]:
    def openai(kind: str, url: str, key: str, **more: Any) -> RuntimeConfig:
        return RuntimeConfig(kind=kind, base_url=url + "/v1", api_key=key, **more)

    return {
        "llama-openai": openai("openai", up.llama, NO_KEY),
        # Discovery on: ListModels then shows what llama-server itself reports.
        "llama-compat": openai("openai_compatible", up.llama, NO_KEY, discover=True),
        "llama-anthropic": RuntimeConfig(kind="anthropic", base_url=up.llama, api_key=NO_KEY),
        "llama-embed-openai": openai("openai", up.llama_embeddings, NO_KEY),
        "llama-embed-compat": openai("openai_compatible", up.llama_embeddings, NO_KEY),
        "litellm-openai": openai("openai", up.litellm, up.litellm_key),
        "litellm-compat": openai("openai_compatible", up.litellm, up.litellm_key),
        "litellm-anthropic": RuntimeConfig(
            kind="anthropic", base_url=up.litellm, api_key=up.litellm_key
        ),
    }


_RUNTIME_SUFFIX = {
    "openai": "openai",
    "openai_compatible": "compat",
    "responses": "openai",
    "anthropic": "anthropic",
}


def _chat_model(model_id: str, server: str, kind: str, upstream: str, **more: Any) -> ModelConfig:
    return ModelConfig.model_validate(
        {
            "id": model_id,
            "runtime": f"{server}-{_RUNTIME_SUFFIX[kind]}",
            "upstream_name": upstream,
            "provider": server,
            "capabilities": ["chat", "completion", "streaming", "tools", "json_schema"],
            "api": "responses" if kind == "responses" else None,
            **more,
        }
    )


def _models() -> list[ModelConfig]:
    models: list[ModelConfig] = []
    for kind in KINDS:
        more = {"conversation": "upstream"} if kind == "responses" else {}
        models.append(_chat_model(llama_model(kind), "llama", kind, TINY_MODEL, **more))
        for mock, upstream in LITELLM_MOCKS.items():
            if mock != "embed":
                models.append(_chat_model(litellm_model(mock, kind), "litellm", kind, upstream))
    # llama-server keeps no responses: conversations of this one are kept by the gateway.
    models.append(
        _chat_model(
            LLAMA_STATELESS_RESPONSES, "llama", "responses", TINY_MODEL, conversation="gateway"
        )
    )
    for kind in EMBEDDING_KINDS:
        for model_id, runtime, upstream in (
            (llama_embedding_model(kind), f"llama-embed-{_RUNTIME_SUFFIX[kind]}", TINY_MODEL),
            (litellm_model("embed", kind), f"litellm-{_RUNTIME_SUFFIX[kind]}", "mock-embed"),
        ):
            models.append(
                ModelConfig(
                    id=model_id,
                    runtime=runtime,
                    upstream_name=upstream,
                    capabilities=["embedding"],
                )
            )
    return models


def tier_settings(up: Upstreams) -> Settings:
    """The gateway of the tier: every model above, one attempt per call.

    One attempt, so an upstream failure reaches the test as the upstream gave it (retries and
    fallbacks are specified against the fakes, where faults can be injected).
    """
    return settings(
        runtimes=_runtimes(up),
        models=_models(),
        routing=RoutingConfig(max_attempts_per_deployment=1, max_attempts=1),
        discovery_interval_seconds=3600,
    )
