"""Proto requests to Ollama /api/chat, /api/generate and /api/embed bodies.

Sampling parameters live in Ollama's `options` object, not at the top level.
Free-form JSON (`target.defaults`, `generation.extra`, `target.extra`) is
merged the same way everywhere: an `options` object is merged key by key into
ours, any other key is a top-level body field (`keep_alive`, `think`, ...).
Precedence, lowest first: catalog defaults, request fields, request extra,
catalog extra.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson

from modelgate.errors import invalid_argument
from modelgate.providers.base import Target
from modelgate.providers.json_fields import (
    arguments_text,
    json_fragment,
    json_value,
    tool_result_text,
)
from modelgate.providers.params import UpstreamParams
from modelgate.providers.reasoning_parts import PLAIN
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, embedding_pb2, generation_pb2

_ROLES = {
    content_pb2.ROLE_SYSTEM: "system",
    content_pb2.ROLE_USER: "user",
    content_pb2.ROLE_ASSISTANT: "assistant",
    content_pb2.ROLE_TOOL: "tool",
}

OPTIONS = UpstreamParams(
    "Ollama",
    {
        "temperature": "options.temperature",
        "top_p": "options.top_p",
        "top_k": "options.top_k",
        "max_output_tokens": "options.num_predict",
        "stop_sequences": "options.stop",
        "presence_penalty": "options.presence_penalty",
        "frequency_penalty": "options.frequency_penalty",
        "seed": "options.seed",
        "extra": "(merged into the body; `options` key by key)",
    },
    {
        "reasoning.effort": 'think: "low", "medium", "high" (minimal: "low")',
        "reasoning.include_thoughts": "think: true (when no effort is set)",
    },
)
"""What `_options`, `_common` and `_think` send, for /api/chat and /api/generate alike.
Ollama has no thinking budget and no prompt-cache parameters."""
THINK_LEVELS = {
    generation_pb2.REASONING_EFFORT_MINIMAL: "low",
    generation_pb2.REASONING_EFFORT_LOW: "low",
    generation_pb2.REASONING_EFFORT_MEDIUM: "medium",
    generation_pb2.REASONING_EFFORT_HIGH: "high",
}
"""ReasoningEffort to Ollama's named `think` levels (it has none below "low"); a model
without levels treats any of them as thinking on."""


def _float32(value: float) -> float:
    """A proto float32 as the decimal the caller wrote (0.7, not 0.699999988)."""
    return float(f"{value:.7g}")


def merge(body: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge free-form JSON into a body; `options` merges key by key (see module doc)."""
    for key, value in extra.items():
        if key == "options" and isinstance(value, Mapping):
            body.setdefault("options", {}).update(value)
        else:
            body[key] = value


def _options(g: generation_pb2.GenerationConfig) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if g.HasField("temperature"):
        options["temperature"] = _float32(g.temperature)
    if g.HasField("top_p"):
        options["top_p"] = _float32(g.top_p)
    if g.HasField("top_k"):
        options["top_k"] = g.top_k
    if g.HasField("max_output_tokens"):
        options["num_predict"] = g.max_output_tokens
    if g.stop_sequences:
        options["stop"] = list(g.stop_sequences)
    if g.HasField("presence_penalty"):
        options["presence_penalty"] = _float32(g.presence_penalty)
    if g.HasField("frequency_penalty"):
        options["frequency_penalty"] = _float32(g.frequency_penalty)
    if g.HasField("seed"):
        options["seed"] = g.seed
    return options


def _common(body: dict[str, Any], target: Target, g: generation_pb2.GenerationConfig) -> None:
    """Options, keep_alive and the free-form merges shared by chat and generate."""
    keep_alive = target.options.get("keep_alive")
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    merge(body, target.defaults)
    options = _options(g)
    if options:
        body.setdefault("options", {}).update(options)
    merge(body, json_value(g, "extra") or {})
    merge(body, target.extra)


def _messages(request: chat_pb2.ChatRequest) -> list[dict[str, Any]]:
    """Ollama messages; tool results become one `tool` message each, named when known."""
    out: list[dict[str, Any]] = []
    names: dict[str, str] = {}  # tool-call id -> tool name, for `tool_name`
    bad: list[tuple[str, str]] = []
    for i, message in enumerate(request.messages):
        texts: list[str] = []
        thoughts: list[str] = []
        images: list[str] = []
        calls: list[dict[str, Any]] = []
        results = 0
        for j, part in enumerate(message.parts):
            kind = part.WhichOneof("data")
            if kind == "text":
                texts.append(part.text)
            elif kind == "image":
                if part.image.WhichOneof("source") == "url":
                    bad.append(
                        (
                            f"messages[{i}].parts[{j}].image.url",
                            "Ollama accepts only inline images; send the bytes in `image.data`",
                        )
                    )
                else:
                    images.append(base64.b64encode(part.image.data).decode())
            elif kind == "reasoning" and part.reasoning.format == PLAIN:
                thoughts.append(part.reasoning.text)
            elif kind == "tool_call":
                call = part.tool_call
                names[call.id] = call.name
                arguments = orjson.Fragment(arguments_text(call))
                calls.append({"function": {"name": call.name, "arguments": arguments}})
            elif kind == "tool_result":
                result = part.tool_result
                entry = {"role": "tool", "content": tool_result_text(result)}
                name = result.name or names.get(result.tool_call_id, "")
                if name:
                    entry["tool_name"] = name
                out.append(entry)
                results += 1
        if results and not (texts or images or calls):
            continue  # only tool results: already sent as `tool` messages
        converted: dict[str, Any] = {"role": _ROLES[message.role], "content": "".join(texts)}
        if images:
            converted["images"] = images
        if thoughts and message.role == content_pb2.ROLE_ASSISTANT:
            converted["thinking"] = "".join(thoughts)
        if calls:
            converted["tool_calls"] = calls
        out.append(converted)
    if bad:
        raise invalid_argument(bad)
    return out


def _tools(request: chat_pb2.ChatRequest) -> list[dict[str, Any]]:
    """Tool definitions. Ollama has no tool_choice: NONE sends no tools, a named tool
    sends only that one (the model may still answer in text)."""
    choice = request.tool_choice.WhichOneof("choice")
    if choice == "mode" and request.tool_choice.mode == content_pb2.TOOL_CHOICE_MODE_NONE:
        return []
    tools = list(request.tools)
    if choice == "tool_name":
        tools = [t for t in tools if t.name == request.tool_choice.tool_name]
    result = []
    for tool in tools:
        parameters: Any = json_fragment(tool, "parameters")
        if parameters is None:
            parameters = {"type": "object", "properties": {}}
        function = {"name": tool.name, "description": tool.description, "parameters": parameters}
        result.append({"type": "function", "function": function})
    return result


def chat_body(target: Target, request: chat_pb2.ChatRequest, *, stream: bool) -> dict[str, Any]:
    """The /api/chat body for `request` on `target`."""
    body: dict[str, Any] = {
        "model": target.upstream_name,
        "messages": _messages(request),
        "stream": stream,
    }
    tools = _tools(request)
    if tools:
        body["tools"] = tools
    fmt = request.response_format
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        body["format"] = "json"
    elif fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
        body["format"] = json_fragment(fmt, "schema")
    think = _think(request.reasoning)
    if think is not None:
        body["think"] = think
    _common(body, target, request.generation)
    return body


def _think(reasoning: generation_pb2.ReasoningConfig) -> str | bool | None:
    """Ollama's `think` for a ReasoningConfig: the effort's level, else true when thoughts
    are asked for, else unset (the model's default)."""
    if reasoning.effort in THINK_LEVELS:
        return THINK_LEVELS[reasoning.effort]
    return True if reasoning.include_thoughts else None


def generate_body(
    target: Target, request: completion_pb2.CompleteRequest, *, stream: bool
) -> dict[str, Any]:
    """The /api/generate body: a plain continuation (with `suffix` for fill-in-the-middle)."""
    body: dict[str, Any] = {"model": target.upstream_name, "prompt": request.prompt}
    if request.suffix:
        body["suffix"] = request.suffix
    body["stream"] = stream
    _common(body, target, request.generation)
    return body


def embed_body(target: Target, request: embedding_pb2.EmbedRequest) -> dict[str, Any]:
    """The /api/embed body: every input in one call, answered in order."""
    body: dict[str, Any] = {"model": target.upstream_name, "input": list(request.inputs)}
    if request.HasField("dimensions"):
        body["dimensions"] = request.dimensions
    keep_alive = target.options.get("keep_alive")
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    merge(body, target.extra)
    return body


def keep_alive_value(seconds: float | None) -> int | float | None:
    """Ollama's `keep_alive` for a number of seconds: negative means forever (-1)."""
    if seconds is None:
        return None
    if seconds < 0:
        return -1
    return int(seconds) if float(seconds).is_integer() else seconds
