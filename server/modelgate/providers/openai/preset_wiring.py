"""How the OpenAI backend applies a preset row: auth header, URL, declarations, body quirks.

The rows are data (presets.py); this is the code that reads them, so the backend keeps
one line per concern and a runtime without a preset goes through none of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from modelgate.errors import invalid_argument
from modelgate.providers.openai.presets import Preset
from modelgate.providers.params import Operation, UpstreamParams
from modelgate.v1 import chat_pb2

_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def key_header(preset: Preset | None, api_key: str) -> tuple[str, str]:
    """(header, value) carrying the key: `Bearer KEY`, or the bare key in Azure's `api-key`."""
    if preset is None or preset.key_header == "authorization":
        return "authorization", f"Bearer {api_key}"
    return preset.key_header, api_key


def preset_query(preset: Preset | None, options: Mapping[str, Any]) -> dict[str, str]:
    """URL query parameters on every request (Azure `api-version`), from the runtime options."""
    if preset is None:
        return {}
    return {name: str(options[option]) for name, option in preset.query_options.items()}


DEPLOYMENT_SCOPED = frozenset({"/chat/completions", "/completions", "/embeddings"})
"""Endpoints under a deployment's own path on Azure (the official SDK's
`_deployments_endpoints`); `/responses` is not among them."""


def endpoint_path(preset: Preset | None, upstream_name: str, endpoint: str) -> str:
    """The path of `endpoint` for `preset` (relative to the base URL): every backend API
    builds its URL here, so a preset's prefix reaches each of them."""
    if preset is None:
        return endpoint
    scoped = preset.deployment_prefix and endpoint in DEPLOYMENT_SCOPED
    deployment = preset.deployment_prefix.format(model=quote(upstream_name, safe=""))
    return preset.path_prefix + (deployment if scoped else "") + endpoint


def preset_params(
    preset: Preset, operation: Operation, options: Mapping[str, Any]
) -> UpstreamParams:
    """The preset's declaration for `operation`; one that has no such endpoint takes nothing
    (an endpoint it lacks is refused before the call by the model's capabilities)."""
    declared = preset.chat if operation == "chat" else preset.complete
    if declared is None:
        return UpstreamParams(f"{preset.label} (no {operation} endpoint)", {})
    if operation == "chat" and options.get("max_completion_tokens"):
        return declared.variant(declared.api, max_output_tokens="max_completion_tokens")
    return declared


def alnum9(tool_call_id: str) -> str:
    """A Mistral-shaped id for any tool-call id: kept when it already is one, else a
    stable digest, so a call and its result map to the same id in every request."""
    if len(tool_call_id) == 9 and tool_call_id.isascii() and tool_call_id.isalnum():
        return tool_call_id
    number = int.from_bytes(hashlib.sha256(tool_call_id.encode()).digest()[:8], "big")
    digits = []
    for _ in range(9):
        number, digit = divmod(number, len(_ALNUM))
        digits.append(_ALNUM[digit])
    return "".join(digits)


def adapt_chat_body(preset: Preset, request: chat_pb2.ChatRequest, body: dict[str, Any]) -> None:
    """Apply the preset's message quirks to a /chat/completions body in place.

    A message `name` the provider refuses is refused here (INVALID_ARGUMENT naming it),
    not removed: it is the caller's content.
    """
    messages: list[dict[str, Any]] = body["messages"]
    if not preset.message_names:
        named = [index for index, message in enumerate(request.messages) if message.name]
        if named:
            why = f"{preset.label} refuses message names (preset {preset.name!r})"
            raise invalid_argument([(f"messages[{index}].name", why) for index in named])
    if not preset.stream_options:
        body.pop("stream_options", None)
    if preset.tool_call_ids == "alnum9":
        for message in messages:
            for call in message.get("tool_calls") or ():
                call["id"] = alnum9(str(call["id"]))
            if message.get("role") == "tool":
                message["tool_call_id"] = alnum9(str(message.get("tool_call_id", "")))
