"""Proto requests to OpenAI Chat Completions / Completions JSON bodies.

Built as plain dicts and serialized once with orjson: no SDK models on the
hot path. Field names follow the API reference exactly; the SDK-parsed fake
tests keep them honest.
"""

from __future__ import annotations

import base64
from typing import Any, Literal, get_args

from modelgate.providers.base import Target
from modelgate.providers.json_fields import (
    arguments_text,
    json_fragment,
    json_value,
    tool_result_text,
)
from modelgate.providers.openai.reasoning import (
    CACHED_AUTOMATICALLY,
    EFFORTS,
    prompt_cache_fields,
)
from modelgate.providers.params import MERGED, UpstreamParams
from modelgate.providers.reasoning_parts import plain_reasoning
from modelgate.v1 import chat_pb2, completion_pb2, content_pb2, generation_pb2

CHAT_COMPLETIONS = UpstreamParams(
    "OpenAI Chat Completions",
    {
        "temperature": "temperature",
        "top_p": "top_p",
        "max_output_tokens": "max_tokens",
        "stop_sequences": "stop",
        "presence_penalty": "presence_penalty",
        "frequency_penalty": "frequency_penalty",
        "seed": "seed",
        "extra": MERGED,
    },
    {
        "reasoning.effort": "reasoning_effort",
        "prompt_cache.key": "prompt_cache_key",
        "prompt_cache.retention": "prompt_cache_retention",
        "cache_breakpoint": CACHED_AUTOMATICALLY,
    },
)
"""OpenAI's own API has no top_k (an unrecognized argument there is a 400), no thinking
budget, and never returns thought text from Chat Completions (so include_thoughts is refused)."""
COMPLETIONS = UpstreamParams("OpenAI Completions", CHAT_COMPLETIONS.sends)
COMPATIBLE_CHAT = UpstreamParams(
    "OpenAI-compatible Chat Completions",
    {**CHAT_COMPLETIONS.sends, "top_k": "top_k"},
    {
        **CHAT_COMPLETIONS.takes,
        "reasoning.include_thoughts": "(returned whenever the server sends them: "
        "`reasoning_content` or `reasoning`)",
    },
)
"""vLLM, llama.cpp, LM Studio, Together and others take top_k at the top level; DeepSeek,
vLLM, llama.cpp and OpenRouter return thought text unasked."""
COMPATIBLE_COMPLETIONS = UpstreamParams("OpenAI-compatible Completions", COMPATIBLE_CHAT.sends)

_ROLES = {
    content_pb2.ROLE_SYSTEM: "system",
    content_pb2.ROLE_USER: "user",
    content_pb2.ROLE_ASSISTANT: "assistant",
    content_pb2.ROLE_TOOL: "tool",
}
_DETAIL = {
    content_pb2.IMAGE_DETAIL_LOW: "low",
    content_pb2.IMAGE_DETAIL_HIGH: "high",
    content_pb2.IMAGE_DETAIL_AUTO: "auto",
}
_TOOL_MODES = {
    content_pb2.TOOL_CHOICE_MODE_AUTO: "auto",
    content_pb2.TOOL_CHOICE_MODE_NONE: "none",
    content_pb2.TOOL_CHOICE_MODE_REQUIRED: "required",
}


def _image_url(image: content_pb2.Image) -> dict[str, Any]:
    if image.WhichOneof("source") == "data":
        url = f"data:{image.mime_type};base64,{base64.b64encode(image.data).decode()}"
    else:
        url = image.url
    block: dict[str, Any] = {"url": url}
    if image.detail in _DETAIL:
        block["detail"] = _DETAIL[image.detail]
    return {"type": "image_url", "image_url": block}


def _convert_message(
    message: content_pb2.Message, out: list[dict[str, Any]], reasoning_key: str | None
) -> None:
    """Append the OpenAI messages for one of ours (tool results become one message each);
    plain reasoning goes under `reasoning_key` when the runtime sends it back."""
    role = _ROLES[message.role]
    texts: list[str] = []
    blocks: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    has_image = False
    for part in message.parts:
        kind = part.WhichOneof("data")
        if kind == "text":
            texts.append(part.text)
            blocks.append({"type": "text", "text": part.text})
        elif kind == "image":
            has_image = True
            blocks.append(_image_url(part.image))
        elif kind == "tool_call":
            call = part.tool_call
            tool_calls.append(
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": arguments_text(call)},
                }
            )
        elif kind == "tool_result":
            out.append(
                {
                    "role": "tool",
                    "tool_call_id": part.tool_result.tool_call_id,
                    "content": tool_result_text(part.tool_result),
                }
            )
    if role == "tool":
        return
    entry: dict[str, Any] = {"role": role}
    if has_image:
        entry["content"] = blocks
    elif texts or not tool_calls:
        entry["content"] = "".join(texts)
    else:
        entry["content"] = None
    if tool_calls:
        entry["tool_calls"] = tool_calls
    if message.name:
        entry["name"] = message.name
    if reasoning_key and role == "assistant":
        thought = plain_reasoning(message)
        if thought:
            entry[reasoning_key] = thought
    out.append(entry)


_Scalar = Literal[
    "temperature",
    "top_p",
    "top_k",
    "max_output_tokens",
    "presence_penalty",
    "frequency_penalty",
    "seed",
]
_SIMPLE: tuple[_Scalar, ...] = get_args(_Scalar)
_ROUNDED = frozenset({"temperature", "top_p", "presence_penalty", "frequency_penalty"})


def _generation(
    body: dict[str, Any], g: generation_pb2.GenerationConfig, declared: UpstreamParams
) -> None:
    """Each set field under the body key `declared` names for it (a preset may rename one,
    as Mistral's `random_seed`); a field it does not name never gets here
    (routing/admission.py refused or dropped it)."""
    sends = declared.sends
    for name in _SIMPLE:
        if g.HasField(name) and name in sends:
            value = getattr(g, name)
            body[sends[name]] = round(value, 6) if name in _ROUNDED else value
    if g.stop_sequences and "stop_sequences" in sends:
        body[sends["stop_sequences"]] = list(g.stop_sequences)
    extra = json_value(g, "extra")
    if extra:
        body.update(extra)


def _response_format(fmt: generation_pb2.ResponseFormat) -> dict[str, Any] | None:
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_OBJECT:
        return {"type": "json_object"}
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
        schema: dict[str, Any] = {"name": fmt.schema_name, "schema": json_fragment(fmt, "schema")}
        if fmt.strict:
            schema["strict"] = True
        if fmt.description:
            schema["description"] = fmt.description
        return {"type": "json_schema", "json_schema": schema}
    return None


def max_tokens_key(target: Target, compatible: bool) -> str:
    """`max_completion_tokens` where the catalog asks for it and for OpenAI's reasoning models
    (OpenAI refuses `max_tokens` there), else `max_tokens`: what every compatible server
    knows (DeepSeek documents no other, so its limit would be lost)."""
    if target.options.get("max_completion_tokens"):
        return "max_completion_tokens"
    if target.record.capabilities.reasoning and not compatible:
        return "max_completion_tokens"
    return "max_tokens"


def chat_body(
    target: Target,
    request: chat_pb2.ChatRequest,
    *,
    stream: bool,
    declared: UpstreamParams,
    reasoning_key: str | None = None,
) -> dict[str, Any]:
    """The /chat/completions body for `request` on `target`: generation fields where
    `declared` (the backend's `generation_params`) puts them; plain reasoning parts of
    assistant messages go back under `reasoning_key` (None: not at all)."""
    messages: list[dict[str, Any]] = []
    for message in request.messages:
        _convert_message(message, messages, reasoning_key)
    body: dict[str, Any] = {"model": target.upstream_name, "messages": messages}
    if target.defaults:
        body.update(target.defaults)
    if request.HasField("generation"):
        _generation(body, request.generation, declared)
    if request.reasoning.effort in EFFORTS:
        body["reasoning_effort"] = EFFORTS[request.reasoning.effort]
    body.update(prompt_cache_fields(request.prompt_cache))
    if request.tools:
        body["tools"] = [_tool(tool) for tool in request.tools]
    choice = request.tool_choice.WhichOneof("choice")
    if choice == "mode" and request.tool_choice.mode in _TOOL_MODES:
        body["tool_choice"] = _TOOL_MODES[request.tool_choice.mode]
    elif choice == "tool_name":
        body["tool_choice"] = {
            "type": "function",
            "function": {"name": request.tool_choice.tool_name},
        }
    if request.HasField("response_format"):
        fmt = _response_format(request.response_format)
        if fmt is not None:
            body["response_format"] = fmt
    if request.user:
        body["user"] = request.user
    if target.extra:
        body.update(target.extra)
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def _tool(tool: content_pb2.Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    parameters = json_fragment(tool, "parameters")
    function["parameters"] = (
        parameters if parameters is not None else {"type": "object", "properties": {}}
    )
    if tool.strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def completion_body(
    target: Target,
    request: completion_pb2.CompleteRequest,
    *,
    stream: bool,
    declared: UpstreamParams,
) -> dict[str, Any]:
    """The legacy /completions body."""
    body: dict[str, Any] = {"model": target.upstream_name, "prompt": request.prompt}
    if request.suffix:
        body["suffix"] = request.suffix
    if target.defaults:
        body.update(target.defaults)
    if request.HasField("generation"):
        _generation(body, request.generation, declared)
    if request.user:
        body["user"] = request.user
    if target.extra:
        body.update(target.extra)
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body
