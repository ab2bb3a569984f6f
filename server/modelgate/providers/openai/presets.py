"""Presets: the OpenAI-compatible providers' wire quirks as data rows, never a class each.

A row declares how the provider differs from OpenAI on the wire: which GenerationConfig
fields its API takes and under which body key (so a rename such as Mistral's
`random_seed` and a refusal such as DeepSeek's missing `seed` go through the
unsupported-parameter policy, providers/params.py), how tool-call ids must look, which
endpoints it has, and what the docs' provider table says about it. What the preset fills
in the runtime's settings (base URL, key variable, headers, option defaults,
`reasoning_input`) is the row's `config`, read from modelgate/config_presets.py so that
config validation needs nothing from this layer. Each row cites the page it was read from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from modelgate.config_presets import PRESET_DEFAULTS, PresetDefaults
from modelgate.providers.openai.request import CHAT_COMPLETIONS, COMPATIBLE_CHAT
from modelgate.providers.params import UpstreamParams


def params(
    api: str, base: UpstreamParams, drop: tuple[str, ...] = (), **renames: str
) -> UpstreamParams:
    """`base` without the `drop` fields and with `renames` (field -> body key)."""
    sends = {name: where for name, where in base.sends.items() if name not in drop}
    return UpstreamParams(api, {**sends, **renames})


_NO_SEED = ("seed",)


@dataclass(frozen=True, slots=True)
class Preset:
    """One OpenAI-compatible provider: its settings row and how it differs from OpenAI."""

    config: PresetDefaults
    """What the preset fills in the runtime's settings (name, label, URL, key, ...)."""
    chat: UpstreamParams | None
    """None: the provider serves no chat (an embeddings server)."""
    complete: UpstreamParams | None = None
    """None: the provider has no legacy /completions endpoint (Complete is refused)."""
    embeddings: bool = False
    key_header: str = "authorization"
    """`authorization` sends `Bearer KEY`; any other name sends the bare key (Azure `api-key`)."""
    path_prefix: str = ""
    """Inserted before every endpoint path (Azure `/openai`)."""
    deployment_prefix: str = ""
    """Inserted after `path_prefix` before the deployment-scoped endpoints only (Azure
    `/deployments/{model}`, `{model}` being the model's upstream name); the Responses API
    is resource-scoped and takes the model in its body (`preset_wiring.DEPLOYMENT_SCOPED`)."""
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
    caching: str = ""
    """How prompt caching shows in usage ("" when it does not)."""
    json_schema: bool = True
    """False: only `json_object` mode (the gateway validates the schema itself)."""
    vision: bool = True
    extras: tuple[str, ...] = ()
    """Provider-specific body keys callers pass in `generation.extra_json`."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "query_options", MappingProxyType(dict(self.query_options)))

    @property
    def name(self) -> str:
        """The preset's name (`preset:` in the config)."""
        return self.config.name

    @property
    def label(self) -> str:
        """The provider's name as people write it."""
        return self.config.label


_ROWS = (
    # https://api-docs.deepseek.com/api/create-chat-completion (no seed, no top_k; json_object
    # only); https://api-docs.deepseek.com/guides/reasoning_model (reasoning_content; whether
    # it goes back: config_presets.py); https://api-docs.deepseek.com/guides/kv_cache
    # (prompt_cache_hit_tokens)
    Preset(
        PRESET_DEFAULTS["deepseek"],
        params("DeepSeek Chat Completions", CHAT_COMPLETIONS, _NO_SEED),
        reasoning="message.reasoning_content",
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
        PRESET_DEFAULTS["mistral"],
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
        PRESET_DEFAULTS["groq"],
        params("Groq Chat Completions", CHAT_COMPLETIONS),
        message_names=False,
        reasoning="message.reasoning",
        extras=("reasoning_format", "reasoning_effort", "include_reasoning"),
    ),
    # https://docs.together.ai/reference/chat-completions-1 (top_k, min_p,
    # repetition_penalty); completions and embeddings endpoints beside it
    Preset(
        PRESET_DEFAULTS["together"],
        params("Together Chat Completions", COMPATIBLE_CHAT),
        complete=params("Together Completions", COMPATIBLE_CHAT),
        embeddings=True,
        reasoning="message.reasoning",
        extras=("min_p", "repetition_penalty", "reasoning"),
    ),
    # https://docs.fireworks.ai/api-reference/post-chatcompletions (top_k, min_p,
    # repetition_penalty, reasoning_effort); /completions and /embeddings beside it
    Preset(
        PRESET_DEFAULTS["fireworks"],
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
        PRESET_DEFAULTS["openrouter"],
        params("OpenRouter Chat Completions", COMPATIBLE_CHAT),
        complete=params("OpenRouter Completions", COMPATIBLE_CHAT),
        reasoning="message.reasoning",
        caching="provider's; usage.prompt_tokens_details.cached_tokens",
        extras=("reasoning", "provider", "models", "transforms", "min_p", "repetition_penalty"),
    ),
    # https://docs.x.ai/docs/api-reference#chat-completions (no top_k);
    # https://docs.x.ai/docs/guides/reasoning (reasoning_content, reasoning_effort)
    Preset(
        PRESET_DEFAULTS["xai"],
        params("xAI Chat Completions", CHAT_COMPLETIONS),
        reasoning="message.reasoning_content",
        caching="automatic; usage.prompt_tokens_details.cached_tokens",
        extras=("reasoning_effort", "search_parameters"),
    ),
    # https://docs.vllm.ai/en/latest/serving/openai_compatible_server.html (extra sampling
    # parameters top_k, min_p, repetition_penalty; /v1/models max_model_len);
    # https://docs.vllm.ai/en/latest/features/reasoning_outputs.html (reasoning_content)
    Preset(
        PRESET_DEFAULTS["vllm"],
        params("vLLM Chat Completions", COMPATIBLE_CHAT),
        complete=params("vLLM Completions", COMPATIBLE_CHAT),
        embeddings=True,
        reasoning="message.reasoning_content",
        caching="automatic prefix caching (not reported in usage)",
        extras=("min_p", "repetition_penalty", "guided_json", "chat_template_kwargs"),
    ),
    # https://github.com/ggml-org/llama.cpp/blob/master/tools/server/README.md (top_k, min_p,
    # repeat_penalty; reasoning_content with --reasoning-format; /v1/models meta.n_ctx_train)
    Preset(
        PRESET_DEFAULTS["llamacpp"],
        params("llama.cpp Chat Completions", COMPATIBLE_CHAT),
        complete=params("llama.cpp Completions", COMPATIBLE_CHAT),
        embeddings=True,
        reasoning="message.reasoning_content",
        caching="prompt cache per slot (usage.prompt_tokens_details.cached_tokens)",
        extras=("min_p", "repeat_penalty", "typical_p", "grammar", "cache_prompt"),
    ),
    # https://huggingface.co/docs/inference-providers/index (OpenAI-compatible router;
    # HF_TOKEN); parameters are passed to the serving provider
    Preset(
        PRESET_DEFAULTS["huggingface"],
        params("Hugging Face router Chat Completions", CHAT_COMPLETIONS),
        reasoning="message.reasoning_content",
    ),
    # https://huggingface.co/docs/text-generation-inference/messages_api (TGI's Messages API:
    # no top_k on the chat route)
    Preset(
        PRESET_DEFAULTS["huggingface_tgi"],
        params("TGI Messages API", CHAT_COMPLETIONS),
        extras=("top_n_tokens",),
    ),
    # https://huggingface.co/docs/text-embeddings-inference/quick_tour (OpenAI-compatible
    # /v1/embeddings; no generation)
    Preset(
        PRESET_DEFAULTS["huggingface_tei"],
        None,
        embeddings=True,
        json_schema=False,
        vision=False,
    ),
    # https://learn.microsoft.com/en-us/azure/ai-foundry/openai/reference (deployment URLs
    # {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=..., `api-key`
    # header; 2024-10-21 is the latest GA data-plane version)
    Preset(
        PRESET_DEFAULTS["azure_openai"],
        params("Azure OpenAI Chat Completions", CHAT_COMPLETIONS),
        complete=params("Azure OpenAI Completions", CHAT_COMPLETIONS),
        embeddings=True,
        key_header="api-key",
        path_prefix="/openai",
        deployment_prefix="/deployments/{model}",
        query_options={"api-version": "api_version"},
        caching="automatic; usage.prompt_tokens_details.cached_tokens",
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType({row.name: row for row in _ROWS})
"""Every preset by name, in the order of the docs' provider table (and of PRESET_DEFAULTS)."""
