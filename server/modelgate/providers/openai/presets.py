"""Presets: the OpenAI-compatible providers as data rows, never a class per provider.

`kind: openai_compatible, preset: NAME` fills what the provider's docs fix (base URL,
key variable, auth header, headers, option defaults) and declares its quirks: which
GenerationConfig fields its API takes and under which body key (so a rename such as
Mistral's `random_seed` and a refusal such as DeepSeek's missing `seed` go through the
unsupported-parameter policy, providers/params.py), how tool-call ids must look, whether
reasoning text may be sent back, and what the docs' provider table says about it.

Precedence: a key the operator wrote always wins. `base_url`/`base_url_env` and
`api_key`/`api_key_env` replace the preset's URL and key variable; `headers` and
`options` are merged over the preset's, name by name. Each row cites the page it
was read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from modelgate.providers.openai.request import CHAT_COMPLETIONS, COMPATIBLE_CHAT
from modelgate.providers.params import UpstreamParams

ReasoningInput = Literal["strip", "reasoning_content", "reasoning"]
"""The values of a runtime's `reasoning_input` (config.py)."""


def params(
    api: str, base: UpstreamParams, drop: tuple[str, ...] = (), **renames: str
) -> UpstreamParams:
    """`base` without the `drop` fields and with `renames` (field -> body key)."""
    sends = {name: where for name, where in base.sends.items() if name not in drop}
    return UpstreamParams(api, {**sends, **renames})


_NO_SEED = ("seed",)


@dataclass(frozen=True, slots=True)
class Preset:
    """One OpenAI-compatible provider: where it lives and how it differs from OpenAI."""

    name: str
    label: str
    doc: str
    """The provider documentation page the row was checked against."""
    base_url: str | None
    """None: the operator must give one (an Azure resource, a self-hosted server)."""
    api_key_env: str | None
    chat: UpstreamParams | None
    """None: the provider serves no chat (an embeddings server)."""
    complete: UpstreamParams | None = None
    """None: the provider has no legacy /completions endpoint (Complete is refused)."""
    embeddings: bool = False
    key_header: str = "authorization"
    """`authorization` sends `Bearer KEY`; any other name sends the bare key (Azure `api-key`)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)
    """Defaults for the runtime's `options` (the operator's keys win)."""
    path_prefix: str = ""
    """Inserted before each endpoint path; `{model}` is the model's upstream name
    (Azure deployments)."""
    query_options: Mapping[str, str] = field(default_factory=dict)
    """URL query parameters taken from `options` (query name -> option name)."""
    tool_call_ids: Literal["any", "alnum9"] = "any"
    """`alnum9`: the provider accepts only 9-character [a-zA-Z0-9] tool-call ids (Mistral)."""
    message_names: bool = True
    """False: `messages[].name` is refused by the provider (Groq 400, Mistral 422)."""
    stream_options: bool = True
    """False: the provider refuses `stream_options` (Mistral, which always sends usage last)."""
    reasoning: str = ""
    """Where reasoning text arrives ("" when the provider returns none)."""
    reasoning_input: ReasoningInput = "strip"
    """Where earlier reasoning goes back in the history (the runtime's `reasoning_input`):
    `strip` unless the provider's docs say it takes it back, and under which key."""
    caching: str = ""
    """How prompt caching shows in usage ("" when it does not)."""
    json_schema: bool = True
    """False: only `json_object` mode (the gateway validates the schema itself)."""
    vision: bool = True
    extras: tuple[str, ...] = ()
    """Provider-specific body keys callers pass in `generation.extra_json`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", MappingProxyType(dict(self.headers)))
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))
        object.__setattr__(self, "query_options", MappingProxyType(dict(self.query_options)))


_ROWS = (
    # https://api-docs.deepseek.com/api/create-chat-completion (no seed, no top_k; json_object
    # only); https://api-docs.deepseek.com/guides/reasoning_model (reasoning_content; 400 when
    # sent back to deepseek-reasoner); https://api-docs.deepseek.com/guides/kv_cache
    # (prompt_cache_hit_tokens). Thinking mode after tool calls wants it back
    # (https://api-docs.deepseek.com/guides/thinking_mode): `reasoning_input:
    # reasoning_content` on the runtime says so.
    Preset(
        "deepseek",
        "DeepSeek",
        "https://api-docs.deepseek.com/api/create-chat-completion",
        "https://api.deepseek.com/v1",
        "DEEPSEEK_API_KEY",
        params("DeepSeek Chat Completions", CHAT_COMPLETIONS, _NO_SEED),
        reasoning="message.reasoning_content",
        reasoning_input="strip",
        caching="automatic; usage.prompt_cache_hit_tokens",
        json_schema=False,
        vision=False,
        extras=("thinking", "reasoning_effort"),
    ),
    # https://docs.mistral.ai/api/#tag/chat (random_seed, safe_prompt; unknown keys are
    # refused: https://docs.mistral.ai/resources/release-note/2024-01-11-strict-api-parameter-
    # validation: `stream_options`, `messages[].name` are 422); errors:
    # https://docs.mistral.ai/resources/error-glossary
    Preset(
        "mistral",
        "Mistral",
        "https://docs.mistral.ai/api/#tag/chat",
        "https://api.mistral.ai/v1",
        "MISTRAL_API_KEY",
        params("Mistral Chat Completions", CHAT_COMPLETIONS, seed="random_seed"),
        embeddings=True,
        tool_call_ids="alnum9",
        message_names=False,
        stream_options=False,
        extras=("safe_prompt", "prompt_mode", "parallel_tool_calls"),
    ),
    # https://console.groq.com/docs/openai (messages[].name, logprobs, logit_bias: 400;
    # no text completions); reasoning: https://console.groq.com/docs/reasoning
    Preset(
        "groq",
        "Groq",
        "https://console.groq.com/docs/openai",
        "https://api.groq.com/openai/v1",
        "GROQ_API_KEY",
        params("Groq Chat Completions", CHAT_COMPLETIONS),
        message_names=False,
        reasoning="message.reasoning",
        extras=("reasoning_format", "reasoning_effort", "include_reasoning"),
    ),
    # https://docs.together.ai/reference/chat-completions-1 (top_k, min_p,
    # repetition_penalty); completions and embeddings endpoints beside it
    Preset(
        "together",
        "Together AI",
        "https://docs.together.ai/reference/chat-completions-1",
        "https://api.together.xyz/v1",
        "TOGETHER_API_KEY",
        params("Together Chat Completions", COMPATIBLE_CHAT),
        complete=params("Together Completions", COMPATIBLE_CHAT),
        embeddings=True,
        reasoning="message.reasoning",
        extras=("min_p", "repetition_penalty", "reasoning"),
    ),
    # https://docs.fireworks.ai/api-reference/post-chatcompletions (top_k, min_p,
    # repetition_penalty, reasoning_effort); /completions and /embeddings beside it
    Preset(
        "fireworks",
        "Fireworks AI",
        "https://docs.fireworks.ai/api-reference/post-chatcompletions",
        "https://api.fireworks.ai/inference/v1",
        "FIREWORKS_API_KEY",
        params("Fireworks Chat Completions", COMPATIBLE_CHAT),
        complete=params("Fireworks Completions", COMPATIBLE_CHAT),
        embeddings=True,
        reasoning="message.reasoning_content",
        extras=("min_p", "repetition_penalty", "reasoning_effort"),
    ),
    # https://openrouter.ai/docs/api-reference/overview (HTTP-Referer, X-Title headers);
    # https://openrouter.ai/docs/api-reference/parameters (top_k, min_p, repetition_penalty);
    # https://openrouter.ai/docs/use-cases/reasoning-tokens (`reasoning` in and out);
    # https://openrouter.ai/docs/features/provider-routing (`provider` object)
    Preset(
        "openrouter",
        "OpenRouter",
        "https://openrouter.ai/docs/api-reference/overview",
        "https://openrouter.ai/api/v1",
        "OPENROUTER_API_KEY",
        params("OpenRouter Chat Completions", COMPATIBLE_CHAT),
        complete=params("OpenRouter Completions", COMPATIBLE_CHAT),
        headers={"X-Title": "modelgate"},
        reasoning="message.reasoning",
        reasoning_input="reasoning",
        caching="provider's; usage.prompt_tokens_details.cached_tokens",
        extras=("reasoning", "provider", "models", "transforms", "min_p", "repetition_penalty"),
    ),
    # https://docs.x.ai/docs/api-reference#chat-completions (no top_k);
    # https://docs.x.ai/docs/guides/reasoning (reasoning_content, reasoning_effort)
    Preset(
        "xai",
        "xAI",
        "https://docs.x.ai/docs/api-reference#chat-completions",
        "https://api.x.ai/v1",
        "XAI_API_KEY",
        params("xAI Chat Completions", CHAT_COMPLETIONS),
        reasoning="message.reasoning_content",
        caching="automatic; usage.prompt_tokens_details.cached_tokens",
        extras=("reasoning_effort", "search_parameters"),
    ),
    # https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html (extra sampling
    # parameters top_k, min_p, repetition_penalty; /v1/models max_model_len);
    # https://docs.vllm.ai/en/latest/features/reasoning_outputs.html (reasoning_content)
    Preset(
        "vllm",
        "vLLM",
        "https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html",
        "http://127.0.0.1:8000/v1",
        None,
        params("vLLM Chat Completions", COMPATIBLE_CHAT),
        complete=params("vLLM Completions", COMPATIBLE_CHAT),
        embeddings=True,
        reasoning="message.reasoning_content",
        reasoning_input="reasoning_content",
        caching="automatic prefix caching (not reported in usage)",
        extras=("min_p", "repetition_penalty", "guided_json", "chat_template_kwargs"),
    ),
    # https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md (top_k, min_p,
    # repeat_penalty; reasoning_content with --reasoning-format; /v1/models meta.n_ctx_train)
    Preset(
        "llamacpp",
        "llama.cpp server",
        "https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md",
        "http://127.0.0.1:8080/v1",
        None,
        params("llama.cpp Chat Completions", COMPATIBLE_CHAT),
        complete=params("llama.cpp Completions", COMPATIBLE_CHAT),
        embeddings=True,
        reasoning="message.reasoning_content",
        reasoning_input="reasoning_content",
        caching="prompt cache per slot (usage.prompt_tokens_details.cached_tokens)",
        extras=("min_p", "repeat_penalty", "typical_p", "grammar", "cache_prompt"),
    ),
    # https://huggingface.co/docs/inference-providers/index (OpenAI-compatible router;
    # HF_TOKEN); parameters are passed to the serving provider
    Preset(
        "huggingface",
        "Hugging Face Inference Providers",
        "https://huggingface.co/docs/inference-providers/index",
        "https://router.huggingface.co/v1",
        "HF_TOKEN",
        params("Hugging Face router Chat Completions", CHAT_COMPLETIONS),
        reasoning="message.reasoning_content",
    ),
    # https://huggingface.co/docs/text-generation-inference/messages_api (TGI's Messages API:
    # no top_k on the chat route)
    Preset(
        "huggingface_tgi",
        "Hugging Face TGI",
        "https://huggingface.co/docs/text-generation-inference/messages_api",
        "http://127.0.0.1:8080/v1",
        None,
        params("TGI Messages API", CHAT_COMPLETIONS),
        extras=("top_n_tokens",),
    ),
    # https://huggingface.co/docs/text-embeddings-inference/quick_tour (OpenAI-compatible
    # /v1/embeddings; no generation)
    Preset(
        "huggingface_tei",
        "Hugging Face TEI",
        "https://huggingface.co/docs/text-embeddings-inference/quick_tour",
        "http://127.0.0.1:8080/v1",
        None,
        None,
        embeddings=True,
        json_schema=False,
        vision=False,
    ),
    # https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference (deployment URLs
    # {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=..., `api-key`
    # header; 2024-10-21 is the latest GA data-plane version)
    Preset(
        "azure_openai",
        "Azure OpenAI",
        "https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference",
        None,
        "AZURE_OPENAI_API_KEY",
        params("Azure OpenAI Chat Completions", CHAT_COMPLETIONS),
        complete=params("Azure OpenAI Completions", CHAT_COMPLETIONS),
        embeddings=True,
        key_header="api-key",
        options={"api_version": "2024-10-21"},
        path_prefix="/openai/deployments/{model}",
        query_options={"api-version": "api_version"},
        caching="automatic; usage.prompt_tokens_details.cached_tokens",
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType({row.name: row for row in _ROWS})
"""Every preset by name, in the order of the docs' provider table."""


def unknown_preset(name: str) -> str:
    """The refusal of a preset name that is not in the table, listing the valid ones."""
    return f"unknown preset {name!r}; presets: {', '.join(PRESETS)}"
