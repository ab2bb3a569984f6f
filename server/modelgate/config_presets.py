"""The config side of the presets: what `kind: openai_compatible, preset: NAME` fills in.

Each row holds the facts a runtime's settings take from the provider's docs (base URL,
key variable, headers, option defaults, where reasoning goes back); config validation
reads them here, below the providers. The wire quirks of the same provider (which
GenerationConfig fields its API takes, tool-call ids, auth header, ...) are its row in
providers/openai/presets.py, which points at the row here: one source for each fact.

Precedence: a key the operator wrote always wins. `base_url`/`base_url_env` and
`api_key`/`api_key_env` replace the preset's URL and key variable; `headers` and
`options` are merged over the preset's, name by name; `reasoning_input` replaces it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

ReasoningInput = Literal["strip", "reasoning_content", "reasoning"]
"""The values of a runtime's `reasoning_input` (config_catalog.py)."""


@dataclass(frozen=True, slots=True)
class PresetDefaults:
    """One OpenAI-compatible provider as its runtime's settings see it."""

    name: str
    label: str
    doc: str
    """The provider documentation page the row was checked against."""
    base_url: str | None
    """None: the operator must give one (an Azure resource, a self-hosted server)."""
    api_key_env: str | None
    headers: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    """Defaults for the runtime's `options` (the operator's keys win)."""
    reasoning_input: ReasoningInput = "strip"
    """Where earlier reasoning goes back in the history (the runtime's `reasoning_input`):
    `strip` unless the provider's docs say it takes it back, and under which key."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


_ROWS = (
    # DeepSeek: https://api-docs.deepseek.com/guides/reasoning_model (400 when reasoning is
    # sent back to deepseek-reasoner, so `strip`); thinking mode after tool calls wants it back
    # (https://api-docs.deepseek.com/guides/thinking_mode): `reasoning_input:
    # reasoning_content` on the runtime says so.
    PresetDefaults(
        "deepseek",
        "DeepSeek",
        "https://api-docs.deepseek.com/api/create-chat-completion",
        "https://api.deepseek.com/v1",
        "DEEPSEEK_API_KEY",
    ),
    PresetDefaults(
        "mistral",
        "Mistral",
        "https://docs.mistral.ai/api/#tag/chat",
        "https://api.mistral.ai/v1",
        "MISTRAL_API_KEY",
    ),
    PresetDefaults(
        "groq",
        "Groq",
        "https://console.groq.com/docs/openai",
        "https://api.groq.com/openai/v1",
        "GROQ_API_KEY",
    ),
    PresetDefaults(
        "together",
        "Together AI",
        "https://docs.together.ai/reference/chat-completions-1",
        "https://api.together.xyz/v1",
        "TOGETHER_API_KEY",
    ),
    PresetDefaults(
        "fireworks",
        "Fireworks AI",
        "https://docs.fireworks.ai/api-reference/post-chatcompletions",
        "https://api.fireworks.ai/inference/v1",
        "FIREWORKS_API_KEY",
    ),
    # https://openrouter.ai/docs/api-reference/overview (HTTP-Referer, X-Title headers);
    # https://openrouter.ai/docs/use-cases/reasoning-tokens (`reasoning` in and out)
    PresetDefaults(
        "openrouter",
        "OpenRouter",
        "https://openrouter.ai/docs/api-reference/overview",
        "https://openrouter.ai/api/v1",
        "OPENROUTER_API_KEY",
        headers={"X-Title": "modelgate"},
        reasoning_input="reasoning",
    ),
    PresetDefaults(
        "xai",
        "xAI",
        "https://docs.x.ai/docs/api-reference#chat-completions",
        "https://api.x.ai/v1",
        "XAI_API_KEY",
    ),
    # https://docs.vllm.ai/en/latest/features/reasoning_outputs.html (reasoning_content)
    PresetDefaults(
        "vllm",
        "vLLM",
        "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
        "http://127.0.0.1:8000/v1",
        None,
        reasoning_input="reasoning_content",
    ),
    # reasoning_content with --reasoning-format
    PresetDefaults(
        "llamacpp",
        "llama.cpp server",
        "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md",
        "http://127.0.0.1:8080/v1",
        None,
        reasoning_input="reasoning_content",
    ),
    # OpenAI-compatible router; HF_TOKEN
    PresetDefaults(
        "huggingface",
        "Hugging Face Inference Providers",
        "https://huggingface.co/docs/inference-providers/index",
        "https://router.huggingface.co/v1",
        "HF_TOKEN",
    ),
    PresetDefaults(
        "huggingface_tgi",
        "Hugging Face TGI",
        "https://huggingface.co/docs/text-generation-inference/messages_api",
        "http://127.0.0.1:8080/v1",
        None,
    ),
    PresetDefaults(
        "huggingface_tei",
        "Hugging Face TEI",
        "https://huggingface.co/docs/text-embeddings-inference/quick_tour",
        "http://127.0.0.1:8080/v1",
        None,
    ),
    # the operator's resource is the base URL; 2024-10-21 is the latest GA data-plane version
    PresetDefaults(
        "azure_openai",
        "Azure OpenAI",
        "https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference",
        None,
        "AZURE_OPENAI_API_KEY",
        options={"api_version": "2024-10-21"},
    ),
)

PRESET_DEFAULTS: Mapping[str, PresetDefaults] = MappingProxyType({row.name: row for row in _ROWS})
"""Every preset by name, in the order of the docs' provider table."""


def unknown_preset(name: str) -> str:
    """The refusal of a preset name that is not in the table, listing the valid ones."""
    return f"unknown preset {name!r}; presets: {', '.join(PRESET_DEFAULTS)}"
