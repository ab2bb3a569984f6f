"""Request validation: every violation found at once, with its field path.

Runs before any routing or upstream call, so a malformed request costs the
gateway microseconds and the caller gets INVALID_ARGUMENT with a
`google.rpc.BadRequest` listing each offending field (AIP-193 paths such as
`messages[2].parts[0].image.mime_type`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from modelgate.api.json_checks import (
    check_arguments,
    check_object,
    check_schema,
    check_tool_result,
)
from modelgate.api.reasoning_checks import (
    check_breakpoint,
    check_reasoning_part,
    check_request_features,
)
from modelgate.config import LimitsConfig
from modelgate.errors import invalid_argument, quoted
from modelgate.providers.addresses import url_refusal
from modelgate.providers.structs import IMAGE_MAGIC
from modelgate.v1 import (
    chat_pb2,
    completion_pb2,
    content_pb2,
    embedding_pb2,
    generation_pb2,
    model_pb2,
    prompt_pb2,
    tokens_pb2,
)

Violations = list[tuple[str, str]]

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_ROLES = frozenset(content_pb2.Role.values()) - {content_pb2.ROLE_UNSPECIFIED}
_TOOL_MODES = frozenset(content_pb2.ToolChoiceMode.values())
_FORMATS = frozenset(generation_pb2.ResponseFormatType.values())
_CACHE_MODES = frozenset(generation_pb2.CacheMode.values())
_DETAILS = frozenset(content_pb2.ImageDetail.values())
_CAPABILITIES = frozenset(model_pb2.Capability.values())
MAX_REASKS = 5


def _range(
    out: Violations, field: str, value: float, low: float, high: float, *, open_low: bool = False
) -> None:
    if math.isnan(value) or value > high or value < low or (open_low and value == low):
        bound = "(" if open_low else "["
        out.append((field, f"must be in {bound}{low}, {high}], got {value}"))


def _check_image(out: Violations, path: str, image: content_pb2.Image, allow_private: bool) -> None:
    source = image.WhichOneof("source")
    if image.detail not in _DETAILS:
        out.append((f"{path}.detail", f"unknown value {image.detail}"))
    if source is None:
        out.append((f"{path}.source", "set `data` or `url`"))
    elif source == "data":
        magic = IMAGE_MAGIC.get(image.mime_type)
        if magic is None:
            allowed = ", ".join(IMAGE_MAGIC)
            out.append((f"{path}.mime_type", f"must be one of {allowed} with `data`"))
        elif not image.data.startswith(magic):
            out.append((f"{path}.data", f"is not a {image.mime_type} image"))
    else:
        refusal = url_refusal(image.url, allow_private=allow_private)
        if refusal is not None:
            out.append((f"{path}.url", refusal))


def _check_messages(
    out: Violations,
    messages: Iterable[content_pb2.Message],
    limits: LimitsConfig,
    *,
    continuing: bool,
) -> None:
    seen_calls: set[str] = set()
    count = 0
    for i, message in enumerate(messages):
        count += 1
        path = f"messages[{i}]"
        if message.role not in _ROLES:
            out.append((f"{path}.role", "must be SYSTEM, USER, ASSISTANT or TOOL"))
        if not message.parts:
            out.append((f"{path}.parts", "must have at least one part"))
        if message.ByteSize() > limits.max_message_bytes:
            out.append((path, f"is larger than {limits.max_message_bytes} bytes"))
        check_breakpoint(out, path, message)
        for j, part in enumerate(message.parts):
            part_path = f"{path}.parts[{j}]"
            check_breakpoint(out, part_path, part)
            kind = part.WhichOneof("data")
            if kind is None:
                out.append((part_path, "set one of text, image, tool_call, tool_result, reasoning"))
            elif kind == "reasoning":
                check_reasoning_part(out, f"{part_path}.reasoning", message.role, part.reasoning)
            elif kind == "image":
                _check_image(out, f"{part_path}.image", part.image, limits.allow_private_image_urls)
            elif kind == "tool_call":
                call = part.tool_call
                if message.role != content_pb2.ROLE_ASSISTANT:
                    out.append(
                        (f"{part_path}.tool_call", "only assistant messages make tool calls")
                    )
                if not call.id:
                    out.append((f"{part_path}.tool_call.id", "is required"))
                if not _NAME.match(call.name):
                    out.append((f"{part_path}.tool_call.name", "must match [a-zA-Z0-9_-]{1,64}"))
                check_arguments(out, f"{part_path}.tool_call", call)
                seen_calls.add(call.id)
            elif kind == "tool_result":
                result = part.tool_result
                if not result.tool_call_id:
                    out.append((f"{part_path}.tool_result.tool_call_id", "is required"))
                elif result.tool_call_id not in seen_calls and not continuing:
                    out.append(
                        (
                            f"{part_path}.tool_result.tool_call_id",
                            f"no earlier tool call has id {quoted(result.tool_call_id)}",
                        )
                    )
                if result.WhichOneof("result") is None:
                    out.append((f"{part_path}.tool_result.result", "set `text` or `json_text`"))
                check_tool_result(out, f"{part_path}.tool_result", result)
    if count > limits.max_messages:
        out.append(("messages", f"at most {limits.max_messages} messages, got {count}"))


def _check_generation(
    out: Violations, g: generation_pb2.GenerationConfig, limits: LimitsConfig
) -> None:
    if g.HasField("temperature"):
        _range(out, "generation.temperature", g.temperature, 0.0, 2.0)
    if g.HasField("top_p"):
        _range(out, "generation.top_p", g.top_p, 0.0, 1.0, open_low=True)
    if g.HasField("top_k") and g.top_k <= 0:
        out.append(("generation.top_k", f"must be > 0, got {g.top_k}"))
    if g.HasField("max_output_tokens") and not 0 < g.max_output_tokens <= limits.max_output_tokens:
        out.append(
            (
                "generation.max_output_tokens",
                f"must be in [1, {limits.max_output_tokens}], got {g.max_output_tokens}",
            )
        )
    if g.HasField("presence_penalty"):
        _range(out, "generation.presence_penalty", g.presence_penalty, -2.0, 2.0)
    if g.HasField("frequency_penalty"):
        _range(out, "generation.frequency_penalty", g.frequency_penalty, -2.0, 2.0)
    if len(g.stop_sequences) > limits.max_stop_sequences:
        out.append(("generation.stop_sequences", f"at most {limits.max_stop_sequences}"))
    for i, stop in enumerate(g.stop_sequences):
        if not stop:
            out.append((f"generation.stop_sequences[{i}]", "must not be empty"))
    check_object(out, "generation", g, "extra")


def _check_tools(out: Violations, request: chat_pb2.ChatRequest, limits: LimitsConfig) -> None:
    names: set[str] = set()
    if len(request.tools) > limits.max_tools:
        out.append(("tools", f"at most {limits.max_tools} tools"))
    for i, tool in enumerate(request.tools):
        if not _NAME.match(tool.name):
            out.append((f"tools[{i}].name", "must match [a-zA-Z0-9_-]{1,64}"))
        elif tool.name in names:
            out.append((f"tools[{i}].name", f"duplicate tool name {quoted(tool.name)}"))
        names.add(tool.name)
        check_schema(out, f"tools[{i}]", tool, "parameters")
    choice = request.tool_choice
    kind = choice.WhichOneof("choice")
    if kind == "tool_name" and choice.tool_name not in names:
        out.append(("tool_choice.tool_name", f"{quoted(choice.tool_name)} is not one of `tools`"))
    elif kind == "mode":
        if choice.mode not in _TOOL_MODES:
            out.append(("tool_choice.mode", f"unknown value {choice.mode}"))
        elif choice.mode == content_pb2.TOOL_CHOICE_MODE_REQUIRED and not names:
            out.append(("tool_choice.mode", "REQUIRED needs at least one tool"))


def _check_format(out: Violations, fmt: generation_pb2.ResponseFormat) -> None:
    if fmt.type not in _FORMATS:
        out.append(("response_format.type", f"unknown value {fmt.type}"))
    if fmt.type == generation_pb2.RESPONSE_FORMAT_TYPE_JSON_SCHEMA:
        if not fmt.schema_json and not fmt.HasField("schema"):
            out.append(("response_format.schema_json", "is required with JSON_SCHEMA"))
        else:
            check_schema(out, "response_format", fmt, "schema")
        if not _NAME.match(fmt.schema_name):
            out.append(("response_format.schema_name", "must match [a-zA-Z0-9_-]{1,64}"))
    if fmt.HasField("max_reasks") and not 0 <= fmt.max_reasks <= MAX_REASKS:
        out.append(("response_format.max_reasks", f"must be in [0, {MAX_REASKS}]"))


def _check_common(
    out: Violations,
    model: str,
    metadata: Any,
    cache_mode: int,
    limits: LimitsConfig,
    *,
    model_optional: bool = False,
) -> None:
    if not model and not model_optional:
        out.append(("model", "is required"))
    if len(metadata) > limits.max_metadata_entries:
        out.append(("metadata", f"at most {limits.max_metadata_entries} entries"))
    if cache_mode not in _CACHE_MODES:
        out.append(("cache_control.mode", f"unknown value {cache_mode}"))


def _check_prompt_ref(out: Violations, prompt: prompt_pb2.PromptRef) -> None:
    if not prompt.id:
        out.append(("prompt_template.id", "is required"))
    if prompt.version < 0:
        out.append(("prompt_template.version", "must be 0 (the latest) or a version number"))


_TEMPLATE_ON_CONTINUED_TURN = (
    "cannot be combined with previous_response_id: the conversation already holds the "
    "messages the template rendered on its first turn; continue without prompt_template, "
    "naming the first answer's model"
)


def validate_chat(request: chat_pb2.ChatRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT listing every problem of a Chat/StreamChat request."""
    out: Violations = []
    # A template may name the model and bring every message (routing/prompt_templates.py).
    templated = request.HasField("prompt_template")
    _check_common(
        out,
        request.model,
        request.metadata,
        request.cache_control.mode,
        limits,
        model_optional=templated,
    )
    continuing = bool(request.previous_response_id)
    if templated:
        _check_prompt_ref(out, request.prompt_template)
        if continuing:  # its rendered messages are in the conversation since its first turn
            out.append(("prompt_template", _TEMPLATE_ON_CONTINUED_TURN))
    if not request.messages and not continuing and not templated:
        out.append(("messages", "at least one message is required"))
    _check_messages(out, request.messages, limits, continuing=continuing)
    if request.HasField("generation"):
        _check_generation(out, request.generation, limits)
    if request.tools or request.HasField("tool_choice"):
        _check_tools(out, request, limits)
    if request.HasField("response_format"):
        _check_format(out, request.response_format)
    check_request_features(out, request, limits)
    if out:
        raise invalid_argument(out)


def validate_complete(request: completion_pb2.CompleteRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT for a malformed Complete/StreamComplete request."""
    out: Violations = []
    _check_common(out, request.model, request.metadata, request.cache_control.mode, limits)
    if not request.prompt:
        out.append(("prompt", "is required"))
    elif len(request.prompt.encode()) > limits.max_message_bytes:
        out.append(("prompt", f"is larger than {limits.max_message_bytes} bytes"))
    if request.HasField("generation"):
        _check_generation(out, request.generation, limits)
    if out:
        raise invalid_argument(out)


def validate_embed(request: embedding_pb2.EmbedRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT for a malformed Embed request."""
    out: Violations = []
    _check_common(out, request.model, request.metadata, 0, limits)
    if not request.inputs:
        out.append(("inputs", "at least one input is required"))
    if len(request.inputs) > limits.max_embed_inputs:
        out.append(
            ("inputs", f"at most {limits.max_embed_inputs} inputs, got {len(request.inputs)}")
        )
    for i, text in enumerate(request.inputs):
        if not text:
            out.append((f"inputs[{i}]", "must not be empty"))
    if request.HasField("dimensions") and request.dimensions <= 0:
        out.append(("dimensions", f"must be > 0, got {request.dimensions}"))
    if out:
        raise invalid_argument(out)


def validate_count_tokens(request: tokens_pb2.CountTokensRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT unless exactly one of text and messages is given."""
    out: Violations = []
    if not request.model:
        out.append(("model", "is required"))
    if bool(request.text) == bool(request.messages):
        out.append(("text", "set exactly one of `text` and `messages`"))
    _check_messages(out, request.messages, limits, continuing=True)
    for i, tool in enumerate(request.tools):
        check_schema(out, f"tools[{i}]", tool, "parameters")
    if out:
        raise invalid_argument(out)


def validate_list_models(request: model_pb2.ListModelsRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT for an unknown capability filter (no limit applies)."""
    if request.capability not in _CAPABILITIES:
        raise invalid_argument([("capability", f"unknown value {request.capability}")])


def validate_get_model(request: model_pb2.GetModelRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT when no model id is given (no limit applies)."""
    if not request.id:
        raise invalid_argument([("id", "is required")])


def validate_get_prompt(request: prompt_pb2.GetPromptRequest, limits: LimitsConfig) -> None:
    """Raise INVALID_ARGUMENT for an empty id or a negative version (no limit applies)."""
    out: Violations = []
    _check_prompt_ref(out, prompt_pb2.PromptRef(id=request.id, version=request.version))
    if out:
        raise invalid_argument([(path.removeprefix("prompt_template."), why) for path, why in out])
