"""Proto requests to Gemini `generateContent` bodies (plain dicts, serialized once by orjson).

How the contract lands in Gemini's shape, and what has no place there:
- Messages become `systemInstruction` and `contents` (contents.py).
- Tools become one `functionDeclarations` tool (`parametersJsonSchema`, the caller's
  JSON Schema as written); tool choice `toolConfig.functionCallingConfig` (REQUIRED is
  ANY, a named tool ANY with `allowedFunctionNames`).
- JSON formats become `responseMimeType: application/json`, plus `responseJsonSchema`
  (the schema as written) for JSON_SCHEMA; schema_name, strict and description have no
  Gemini field and are not sent.
- ReasoningConfig becomes `thinkingConfig`: effort as `thinkingLevel` (Gemini 3 and
  later) or as a `thinkingBudget` (Gemini 1.x/2.x, which take no level; the model
  option `thinking: level|budget` overrides the guess from the model name),
  `budget_tokens` as `thinkingBudget`, `include_thoughts` as `includeThoughts`.
  Effort and budget together are refused: Gemini rejects a level with a budget.
- Catalog `defaults` are generationConfig defaults (Gemini's names); catalog `extra` and
  `generation.extra_json` merge into the body, a `generationConfig` object key by key.
- `Message.name`, `Image.detail`, `Tool.strict`, `user` and cache breakpoints have no
  Gemini field (Gemini caches implicitly) and are not sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from modelgate.errors import invalid_argument
from modelgate.providers.base import Target
from modelgate.providers.gemini.contents import Part, Violations, convert_messages
from modelgate.providers.json_fields import json_fragment, json_value, plain
from modelgate.providers.params import MERGED, UpstreamParams
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, generation_pb2, tokens_pb2

API_VERSION = "v1beta"
MAX_STOP_SEQUENCES = 5
"""Gemini's limit (the contract allows 16): refused here with the field named."""
INT32_MAX = 2**31 - 1

GENERATE_CONTENT = UpstreamParams(
    "Gemini generateContent",
    {
        "temperature": "generationConfig.temperature",
        "top_p": "generationConfig.topP",
        "top_k": "generationConfig.topK",
        "max_output_tokens": "generationConfig.maxOutputTokens",
        "stop_sequences": "generationConfig.stopSequences",
        "presence_penalty": "generationConfig.presencePenalty",
        "frequency_penalty": "generationConfig.frequencyPenalty",
        "seed": "generationConfig.seed",
        "extra": MERGED,
    },
    {
        "reasoning.effort": "generationConfig.thinkingConfig.thinkingLevel (or thinkingBudget)",
        "reasoning.budget_tokens": "generationConfig.thinkingConfig.thinkingBudget",
        "reasoning.include_thoughts": "generationConfig.thinkingConfig.includeThoughts",
    },
)
"""What `_generation` and `thinking_config` send, for Chat and Complete alike. Cache
breakpoints and prompt-cache options are not taken: Gemini caches prompts implicitly
and has no per-request cache controls (explicit caches are `cachedContents` resources)."""

EFFORT_LEVELS = {
    generation_pb2.REASONING_EFFORT_MINIMAL: "MINIMAL",
    generation_pb2.REASONING_EFFORT_LOW: "LOW",
    generation_pb2.REASONING_EFFORT_MEDIUM: "MEDIUM",
    generation_pb2.REASONING_EFFORT_HIGH: "HIGH",
}
EFFORT_BUDGETS = {
    generation_pb2.REASONING_EFFORT_MINIMAL: 512,
    generation_pb2.REASONING_EFFORT_LOW: 2048,
    generation_pb2.REASONING_EFFORT_MEDIUM: 8192,
    generation_pb2.REASONING_EFFORT_HIGH: 24576,
}
"""Effort as a budget for models without levels: 512 is Flash-Lite's smallest non-zero
budget, 24576 Flash's largest (Gemini 2.5 thinking docs)."""
_TOOL_MODES = {
    content_pb2.TOOL_CHOICE_MODE_AUTO: "AUTO",
    content_pb2.TOOL_CHOICE_MODE_REQUIRED: "ANY",
    content_pb2.TOOL_CHOICE_MODE_NONE: "NONE",
}


def model_path(target: Target, method: str) -> str:
    """`/v1beta/models/{model}:{method}`; an upstream name with a collection
    (`tunedModels/x`) is used as the resource name it is."""
    name = target.upstream_name
    resource = name if "/" in name else f"models/{name}"
    return f"/{API_VERSION}/{quote(resource, safe='/-._~')}:{method}"


def resource_name(target: Target) -> str:
    """The model's resource name as request bodies name it (`models/...`)."""
    name = target.upstream_name
    return name if "/" in name else f"models/{name}"


def _tools(tools: Any) -> list[dict[str, Any]]:
    declarations = []
    for tool in tools:
        entry: dict[str, Any] = {"name": tool.name}
        if tool.description:
            entry["description"] = tool.description
        parameters = json_fragment(tool, "parameters")
        if parameters is not None:
            entry["parametersJsonSchema"] = parameters
        declarations.append(entry)
    return [{"functionDeclarations": declarations}] if declarations else []


def _generation(
    config: dict[str, Any], g: generation_pb2.GenerationConfig, out: Violations
) -> None:
    if g.HasField("temperature"):
        config["temperature"] = round(g.temperature, 6)
    if g.HasField("top_p"):
        config["topP"] = round(g.top_p, 6)
    if g.HasField("top_k"):
        config["topK"] = g.top_k
    if g.HasField("max_output_tokens"):
        config["maxOutputTokens"] = g.max_output_tokens
    if g.stop_sequences:
        if len(g.stop_sequences) > MAX_STOP_SEQUENCES:
            out.append(("generation.stop_sequences", f"Gemini takes at most {MAX_STOP_SEQUENCES}"))
        config["stopSequences"] = list(g.stop_sequences)
    if g.HasField("presence_penalty"):
        config["presencePenalty"] = round(g.presence_penalty, 6)
    if g.HasField("frequency_penalty"):
        config["frequencyPenalty"] = round(g.frequency_penalty, 6)
    if g.HasField("seed"):
        if not -INT32_MAX - 1 <= g.seed <= INT32_MAX:
            out.append(("generation.seed", "Gemini seeds are 32-bit integers"))
        config["seed"] = g.seed


def uses_levels(target: Target) -> bool:
    """Whether effort goes as `thinkingLevel` (see the module docstring)."""
    chosen = target.options.get("thinking")
    if chosen in ("level", "budget"):
        return bool(chosen == "level")
    name = target.upstream_name.rsplit("/", 1)[-1]
    return not name.startswith(("gemini-1", "gemini-2"))


def thinking_config(
    target: Target, reasoning: generation_pb2.ReasoningConfig, out: Violations
) -> dict[str, Any] | None:
    """`generationConfig.thinkingConfig` for a ReasoningConfig (None: nothing asked)."""
    thinking: dict[str, Any] = {}
    effort = reasoning.effort
    if effort != generation_pb2.REASONING_EFFORT_UNSPECIFIED and reasoning.HasField(
        "budget_tokens"
    ):
        out.append(
            ("reasoning.budget_tokens", "set effort or budget_tokens for Gemini models, not both")
        )
    if reasoning.HasField("budget_tokens"):
        thinking["thinkingBudget"] = reasoning.budget_tokens
    elif effort in EFFORT_LEVELS:
        if uses_levels(target):
            thinking["thinkingLevel"] = EFFORT_LEVELS[effort]
        else:
            thinking["thinkingBudget"] = EFFORT_BUDGETS[effort]
    if reasoning.include_thoughts:
        thinking["includeThoughts"] = True
    return thinking or None


def _response_format(config: dict[str, Any], fmt: generation_pb2.ResponseFormat) -> None:
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
        config["responseMimeType"] = "application/json"
        config["responseJsonSchema"] = json_fragment(fmt, "schema")
    elif fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        config["responseMimeType"] = "application/json"


def _merge_extra(body: dict[str, Any], extra: Any) -> None:
    """Extra keys into the body; a `generationConfig` object merges key by key."""
    if not isinstance(extra, dict):
        return
    for key, value in extra.items():
        if key == "generationConfig" and isinstance(value, dict):
            body.setdefault("generationConfig", {}).update(value)
        else:
            body[key] = value


@dataclass(frozen=True, slots=True)
class GenerateCall:
    """A generateContent body and the path it is posted to."""

    body: dict[str, Any]
    path: str


def _finish(
    target: Target,
    body: dict[str, Any],
    config: dict[str, Any],
    g: generation_pb2.GenerationConfig,
    out: Violations,
    *,
    stream: bool,
) -> GenerateCall:
    if not body["contents"]:
        out.append(("messages", "Gemini models need at least one user or assistant message"))
    if out:
        raise invalid_argument(out)
    if config:
        body["generationConfig"] = config
    _merge_extra(body, json_value(g, "extra"))
    _merge_extra(body, plain(target.extra))
    method = "streamGenerateContent?alt=sse" if stream else "generateContent"
    return GenerateCall(body, model_path(target, method))


def chat_call(target: Target, request: chat_pb2.ChatRequest, *, stream: bool) -> GenerateCall:
    """The generateContent body for a Chat or StreamChat request on `target`."""
    out: Violations = []
    system, contents = convert_messages(request.messages, out)
    body: dict[str, Any] = {"contents": contents}
    if system:
        body["systemInstruction"] = {"parts": system}
    tools = _tools(request.tools)
    if tools:
        body["tools"] = tools
    choice = request.tool_choice.WhichOneof("choice")
    if choice == "mode" and request.tool_choice.mode in _TOOL_MODES:
        mode = {"mode": _TOOL_MODES[request.tool_choice.mode]}
        body["toolConfig"] = {"functionCallingConfig": mode}
    elif choice == "tool_name":
        named = {"mode": "ANY", "allowedFunctionNames": [request.tool_choice.tool_name]}
        body["toolConfig"] = {"functionCallingConfig": named}
    config: dict[str, Any] = dict(plain(target.defaults))
    _generation(config, request.generation, out)
    _response_format(config, request.response_format)
    thinking = thinking_config(target, request.reasoning, out)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return _finish(target, body, config, request.generation, out, stream=stream)


def complete_call(
    target: Target, request: completion_pb2.CompleteRequest, *, stream: bool
) -> GenerateCall:
    """A Complete request as generateContent: the prompt is one user turn."""
    out: Violations = []
    if request.suffix:
        out.append(("suffix", "fill-in-the-middle is not supported by Gemini models"))
    body: dict[str, Any] = {"contents": [{"role": "user", "parts": [{"text": request.prompt}]}]}
    config: dict[str, Any] = dict(plain(target.defaults))
    _generation(config, request.generation, out)
    return _finish(target, body, config, request.generation, out, stream=stream)


def count_tokens_body(target: Target, request: tokens_pb2.CountTokensRequest) -> dict[str, Any]:
    """The countTokens body: bare `contents`, or a whole `generateContentRequest` when a
    system instruction or tools count too (the API takes one or the other)."""
    out: Violations = []
    if request.text:
        system: list[Part] = []
        contents = [{"role": "user", "parts": [{"text": request.text}]}]
    else:
        system, contents = convert_messages(request.messages, out)
    if not contents:
        out.append(("messages", "Gemini models need at least one user or assistant message"))
    if out:
        raise invalid_argument(out)
    tools = _tools(request.tools)
    if not system and not tools:
        return {"contents": contents}
    inner: dict[str, Any] = {"model": resource_name(target), "contents": contents}
    if system:
        inner["systemInstruction"] = {"parts": system}
    if tools:
        inner["tools"] = tools
    return {"generateContentRequest": inner}
