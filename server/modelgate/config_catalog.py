"""The catalog part of the settings: runtimes (where models run), models and aliases.

Imported through `modelgate.config`; the shared records built from these entries are
in `modelgate.records`.
"""

from __future__ import annotations

import os
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from modelgate.config_options import OPTIONS, options_schema
from modelgate.config_presets import PRESET_DEFAULTS, ReasoningInput, unknown_preset
from modelgate.config_sections import Section
from modelgate.redactor import header_secrets, looks_like_credential, url_secrets

CapabilityName = Literal[
    "chat",
    "completion",
    "embedding",
    "streaming",
    "tools",
    "vision",
    "json_schema",
    "reasoning",
    "prompt_caching",
    "image_generation",
    "transcription",
    "speech",
]

_DEFAULT_CAPABILITIES: list[CapabilityName] = ["chat", "streaming"]

ECHO_RUNTIME = ECHO_MODEL = "echo"
"""The built-in runtime and model that `echo: true` adds (names the catalog may use)."""

CHAT_COMPLETIONS_KINDS = ("openai", "openai_compatible", "lmstudio")
"""Runtime kinds served by the OpenAI backend (Chat Completions and the Responses API)."""
OPENAI_API_HOST = "api.openai.com"
"""OpenAI's own API host: where `previous_response_id` is known to be kept upstream."""


def _preset_names(schema: dict[str, Any]) -> None:
    """The schema lists the preset names (read from the table when the schema is built)."""
    schema["anyOf"] = [{"enum": list(PRESET_DEFAULTS), "type": "string"}, {"type": "null"}]


def _options_by_kind(schema: dict[str, Any]) -> None:
    """Each built-in kind's `options` closed to the names it reads (a plugin's stay open)."""
    schema["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"properties": {"options": options_schema(kind)}},
        }
        for kind in OPTIONS
    ]


class ImagePriceConfig(Section):
    """US dollars per generated image of a size and quality."""

    size: str = ""
    """"WIDTHxHEIGHT", or empty for any size."""
    quality: str = ""
    """Quality name ("standard", "hd", "low", ...), or empty for any quality."""
    per_image: float = Field(ge=0)


class PricingConfig(Section):
    """US dollars per million tokens, and per unit for media billed so."""

    input: float = 0.0
    """Per million input tokens not read from or written to the prompt cache."""
    output: float = 0.0
    """Per million output tokens other than reasoning ones."""
    cached_input: float = 0.0
    """Per million input tokens read from the prompt cache (0: same as `input`)."""
    cache_write: float = 0.0
    """Per million input tokens written to the prompt cache (0: same as `input`)."""
    reasoning: float = 0.0
    """Per million reasoning tokens (0: same as `output`)."""
    images: list[ImagePriceConfig] = Field(default_factory=list)
    """Per generated image by size and quality; the first matching row prices an image."""
    transcription_per_minute: float = 0.0
    """Per minute of transcribed audio (whisper-1)."""
    speech_per_million_characters: float = 0.0
    """Per million characters of speech input (tts-1)."""


class RuntimeConfig(Section):
    """One place models run: an API account, an Ollama host, an OpenAI-compatible server."""

    model_config = ConfigDict(json_schema_extra=_options_by_kind)

    kind: str = Field(
        description="backend kind: echo, openai, anthropic, gemini, ollama, lmstudio, ..."
    )
    base_url: str | None = None
    base_url_env: str | None = None
    api_key: str | None = Field(default=None, repr=False)
    api_key_env: str | None = None
    api: Literal["chat_completions", "responses"] = "chat_completions"
    discover: bool = False
    headers: dict[str, str] = Field(default_factory=dict, repr=False)
    """Extra headers on every upstream request. Values of headers whose names look like
    credentials (authorization, api-key, x-api-key, *token*, *secret*, *key*, ...) are
    secrets: redacted everywhere, and refused when shorter than 8 characters."""
    secret_headers: list[str] = Field(default_factory=list)
    """Further header names (of `headers`) whose values are secrets."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Backend settings: each built-in kind takes the names it reads, listed in
    docs/operations.md "Runtime and model options" (config_options.py); a plugin kind's are
    free-form. A model option set here is the default of the runtime's models."""
    reasoning_input: ReasoningInput = "strip"
    """Chat Completions runtimes only (kinds openai, openai_compatible, lmstudio): where the
    plain reasoning parts (format UNSPECIFIED) of assistant messages go back to the server.
    `strip` (default): not sent, and named in the answer's `metadata["dropped_reasoning"]`
    (deepseek-reasoner refuses them in input); `reasoning_content`: DeepSeek thinking mode
    (required after tool calls), vLLM, llama.cpp; `reasoning`: OpenRouter, newer vLLM."""
    unsupported_params: Literal["error", "drop"] = "error"
    """A GenerationConfig field this runtime's API cannot take: refuse the request with
    INVALID_ARGUMENT naming it (`error`), or send without it and say so in the answer's
    `metadata["dropped_params"]` and a WARNING log line (`drop`)."""

    preset: str | None = Field(default=None, json_schema_extra=_preset_names)
    """`kind: openai_compatible` only: a provider of the preset table (README "Providers")
    that fills its base URL, key variable, headers, option defaults and `reasoning_input`
    (config_presets.py) and declares its quirks. Keys written here win: `base_url(_env)`,
    `api_key(_env)` and `reasoning_input` replace the preset's, `headers` and `options`
    are merged over its, name by name."""

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, name: str | None) -> str | None:
        if name is not None and name not in PRESET_DEFAULTS:
            raise ValueError(unknown_preset(name))
        return name

    @model_validator(mode="after")
    def _fill_from_preset(self) -> Self:
        """The preset's values under every key the operator did not write."""
        if self.preset is None:
            return self
        if self.kind != "openai_compatible":
            raise ValueError(f"`preset` needs `kind: openai_compatible` (kind is {self.kind!r})")
        preset = PRESET_DEFAULTS[self.preset]
        written = self.model_fields_set
        if not written & {"base_url", "base_url_env"}:
            if preset.base_url is None:
                raise ValueError(f"preset {preset.name!r} needs `base_url` ({preset.doc})")
            self.base_url = preset.base_url
        if not written & {"api_key", "api_key_env"}:
            self.api_key_env = preset.api_key_env
        mine = {name.lower() for name in self.headers}
        ours = {k: v for k, v in preset.headers.items() if k.lower() not in mine}
        self.headers = {**ours, **self.headers}
        self.options = {**preset.options, **self.options}
        if "reasoning_input" not in written:
            self.reasoning_input = preset.reasoning_input
        return self

    @model_validator(mode="after")
    def _reasoning_input_needs_chat_completions(self) -> Self:
        if self.reasoning_input != "strip" and self.kind not in CHAT_COMPLETIONS_KINDS:
            raise ValueError(
                f"reasoning_input applies to kinds {', '.join(CHAT_COMPLETIONS_KINDS)} only "
                f"(this runtime is kind {self.kind!r})"
            )
        return self

    def resolved_base_url(self) -> str | None:
        """The base URL, the env var named by `base_url_env` winning over the file."""
        if self.base_url_env and os.environ.get(self.base_url_env):
            return os.environ[self.base_url_env]
        return self.base_url

    def resolved_api_key(self) -> str | None:
        """The key from the env var named by `api_key_env`, else the file's `api_key`."""
        if self.api_key_env and os.environ.get(self.api_key_env):
            return os.environ[self.api_key_env]
        return self.api_key

    def missing_key_reason(self) -> str:
        """Why this runtime cannot call its upstream yet ("" when nothing is missing)."""
        if self.api_key_env and not self.resolved_api_key():
            return f"{self.api_key_env} is not set"
        return ""

    def is_openai_proper(self) -> bool:
        """OpenAI itself: `kind: openai` with no base URL (its default) or one on api.openai.com.

        Only there is server-side Responses state known to exist; llama.cpp, vLLM,
        LiteLLM and most compatibles answer 400 to `previous_response_id`.
        """
        if self.kind != "openai":
            return False
        url = self.resolved_base_url()
        return not url or urlsplit(url).hostname == OPENAI_API_HOST

    def default_conversation(self, api: str) -> Literal["upstream", "gateway"]:
        """Where histories live when a model does not say: upstream only on OpenAI proper."""
        return "upstream" if api == "responses" and self.is_openai_proper() else "gateway"

    def held_secrets(self, where: str) -> list[tuple[str, str]]:
        """(setting, secret) pairs of this runtime: keys, credential headers, URL credentials."""
        found: list[tuple[str, str]] = []
        if self.api_key:
            found.append((f"{where}.api_key", self.api_key))
        if self.api_key_env and os.environ.get(self.api_key_env):
            found.append(
                (f"{where}.api_key_env ({self.api_key_env})", os.environ[self.api_key_env])
            )
        urls = [(f"{where}.base_url", self.base_url)]
        if self.base_url_env:
            urls.append(
                (f"{where}.base_url_env ({self.base_url_env})", os.environ.get(self.base_url_env))
            )
        for setting, url in urls:
            found += [(f"{setting} ({part})", value) for part, value in url_secrets(url or "")]
        marked = {name.lower() for name in self.secret_headers}
        unknown = marked - {name.lower() for name in self.headers}
        if unknown:
            raise ValueError(
                f"{where}.secret_headers names headers not in headers: {sorted(unknown)}"
            )
        for name, value in self.headers.items():
            if name.lower() in marked or looks_like_credential(name):
                found += [(f"{where}.headers.{name}", part) for part in header_secrets(value)]
        return found


class ModelConfig(Section):
    """One catalog entry: a model made by `provider`, served by `runtime`."""

    id: str
    runtime: str
    upstream_name: str | None = None
    label: str = ""
    provider: str = ""
    capabilities: list[CapabilityName] = Field(default_factory=_DEFAULT_CAPABILITIES.copy)
    context_window: int = 0
    max_output_tokens: int = 0
    embedding_dimension: int = 0
    pricing: PricingConfig = Field(default_factory=PricingConfig)
    defaults: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)
    api: Literal["chat_completions", "responses"] | None = None
    conversation: Literal["upstream", "gateway"] | None = None
    """Who keeps the history `previous_response_id` names: the upstream (Responses API
    only; the id is passed through) or the gateway's store (history replayed). Unset:
    `upstream` for `api: responses` on OpenAI proper (`RuntimeConfig.is_openai_proper`),
    else `gateway`."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Per-model backend settings over the runtime's: the model options of the runtime's
    kind (docs/operations.md "Runtime and model options"); free-form on a plugin kind."""
    fallbacks: list[str] = Field(default_factory=list)
    cache: bool = False
    """Cache this model's unary answers by default (callers can still bypass or refresh)."""
    auto_cache_breakpoints: bool = False
    """Place prompt-cache breakpoints after the tools and the system prompt of long prompts
    when the caller placed none (the rule: docs/reasoning.md). Needs capability
    `prompt_caching` and an API that takes breakpoints (Anthropic)."""

    def resolved_conversation(self, runtime: RuntimeConfig) -> Literal["upstream", "gateway"]:
        """`conversation`, or its default on `runtime`; `upstream` needs the Responses API."""
        api = self.api or runtime.api
        if self.conversation == "upstream" and api != "responses":
            raise ValueError(
                f"model {self.id!r}: `conversation: upstream` needs `api: responses` "
                "(Chat Completions keeps no conversations upstream)"
            )
        return self.conversation or runtime.default_conversation(api)


class DeploymentConfig(Section):
    """One target of an alias."""

    model: str
    weight: float = 1.0


class AliasConfig(Section):
    """A public name spread over deployments, with fallbacks tried after them."""

    deployments: list[DeploymentConfig] = Field(min_length=1)
    strategy: Literal["weighted", "least_inflight", "lowest_latency"] = "weighted"
    fallbacks: list[str] = Field(default_factory=list)
