"""The keyword options of chat and completion calls: one typed set, built into requests here.

Every method that generates (`chat`, `stream_chat`, `stream_text`, `complete`,
`stream_complete`, sync and async) takes `**options: Unpack[ChatOptions]` or
`Unpack[CompleteOptions]`, so a new request field is one line in a TypedDict
below and one in the builder, and a type checker flags a misspelled keyword.
`GenerationOptions` holds exactly the fields of `GenerationConfig` (a unit test
compares it with the proto descriptor). At run time an unknown keyword raises
TypeError, as for any Python function: nothing the caller set is dropped.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TypeVar, cast

from typing_extensions import TypedDict

from modelgate.client import _requests as rq
from modelgate.client.messages import JsonObjectLike, MessagesLike, json_text, system, to_messages
from modelgate.v1 import chat_pb2, completion_pb2, generation_pb2

__all__ = ["ChatOptions", "CompleteOptions", "GenerationOptions", "RequestOptions"]


class GenerationOptions(TypedDict, total=False):
    """Sampling and length parameters: the fields of `GenerationConfig` (None: unset).

    Its deprecated `extra` Struct is left out: `extra_json` replaces it.
    """

    temperature: float | None
    top_p: float | None
    top_k: int | None
    max_output_tokens: int | None
    stop_sequences: str | Sequence[str] | None
    """One stop sequence or several."""
    presence_penalty: float | None
    frequency_penalty: float | None
    seed: int | None
    extra_json: JsonObjectLike | None
    """Provider-specific parameters: a mapping (sent as JSON in its own key order) or JSON text."""


class RequestOptions(GenerationOptions, total=False):
    """Options every generating request takes."""

    generation: generation_pb2.GenerationConfig | None
    """A base config; the sampling keywords above override its fields."""
    cache: rq.CacheLike | None
    """The request's `cache_control`."""
    tags: Mapping[str, str] | None
    """The request's `metadata` map (recorded by the gateway, never sent upstream);
    named apart from the `metadata=` keyword, which is gRPC call metadata."""
    user: str | None


class ChatOptions(RequestOptions, total=False):
    """Options of chat calls: the optional fields of `ChatRequest`, plus `system`."""

    system: str | None
    """Prepended to the messages as a system message."""
    tools: Sequence[rq.ToolLike] | None
    tool_choice: rq.ToolChoiceLike | None
    response_format: rq.ResponseFormatLike | None
    previous_response_id: str | None
    reasoning: rq.ReasoningLike | None
    """Effort, budget and thought text for reasoning models: a `ReasoningConfig` or a dict
    (`ReasoningOptions`), e.g. {"effort": "high"} or {"budget_tokens": 2048}."""
    prompt_cache: rq.PromptCacheLike | None
    """Automatic prompt caching (OpenAI): a `PromptCacheConfig` or a dict
    (`PromptCacheOptions`), e.g. {"key": "tenant-7", "retention": "extended"}. Breakpoints
    (Anthropic) go on messages, parts and tools: see `cache_breakpoint=` of the builders."""
    prompt_template: rq.PromptLike | None
    """A prompt template of the gateway's catalog: a `PromptRef` or a dict
    (`PromptOptions`), e.g. {"id": "greet", "variables": {"name": "Ada"}}; its rendered
    messages come before `messages`. Only on a conversation's first turn: a continued one
    (`previous_response_id`) already holds them (INVALID_ARGUMENT if named again)."""


class CompleteOptions(RequestOptions, total=False):
    """Options of completion calls: the optional fields of `CompleteRequest`."""

    suffix: str | None


ChatReq = TypeVar("ChatReq", chat_pb2.ChatRequest, chat_pb2.StreamChatRequest)
CompleteReq = TypeVar(
    "CompleteReq", completion_pb2.CompleteRequest, completion_pb2.StreamCompleteRequest
)
Options = TypeVar("Options", ChatOptions, CompleteOptions)

_RENAMED = {"stop": "stop_sequences", "extra": "extra_json"}
"""Keywords renamed to their proto field names; the old ones work, with a warning, one release."""

_SCALAR_GENERATION_KEYS = GenerationOptions.__optional_keys__ - {"stop_sequences", "extra_json"}
"""Generation fields set as given (the builder converts the others)."""


def _checked(options: Options, allowed: frozenset[str], method: str) -> Options:
    """The options with renamed keywords mapped; TypeError for an unknown one, like Python's."""
    out: dict[str, object] = dict(options)
    for old, new in _RENAMED.items():
        if old not in out:
            continue
        warnings.warn(
            f"{method}(): the `{old}` keyword is deprecated, use `{new}`",
            DeprecationWarning,
            stacklevel=4,
        )
        if new in out:
            raise TypeError(f"{method}() got both {old!r} and {new!r}")
        out[new] = out.pop(old)
    unknown = sorted(out.keys() - allowed)
    if unknown:
        raise TypeError(f"{method}() got an unexpected keyword argument {unknown[0]!r}")
    return cast(Options, out)


def generation_config(options: RequestOptions) -> generation_pb2.GenerationConfig | None:
    """`generation` (copied) with the sampling keywords set on top; None if nothing is set."""
    config = generation_pb2.GenerationConfig()
    base = options.get("generation")
    if base is not None:
        config.CopyFrom(base)
    for name in _SCALAR_GENERATION_KEYS:
        value = options.get(name)
        if value is not None:
            setattr(config, name, value)
    stop = options.get("stop_sequences")
    if stop is not None:
        del config.stop_sequences[:]
        config.stop_sequences.extend([stop] if isinstance(stop, str) else stop)
    extra = options.get("extra_json")
    if extra is not None:
        config.ClearField("extra")  # the deprecated twin of extra_json, replaced as a whole
        config.extra_json = json_text(extra)
    return config if base is not None or config.ByteSize() else None


def _apply_request_options(request: ChatReq | CompleteReq, options: RequestOptions) -> None:
    """The fields chat and completion requests share."""
    generation = generation_config(options)
    if generation is not None:
        request.generation.CopyFrom(generation)
    cache = options.get("cache")
    if cache is not None:
        request.cache_control.CopyFrom(rq.cache_proto(cache))
    tags = options.get("tags")
    if tags:
        request.metadata.update(tags)
    user = options.get("user")
    if user:
        request.user = user


def build_chat_request(
    cls: type[ChatReq], model: str, messages: MessagesLike, options: ChatOptions, method: str
) -> ChatReq:
    """A ChatRequest or StreamChatRequest (wire-identical) from a call's arguments."""
    options = _checked(options, ChatOptions.__optional_keys__, method)
    request = cls(model=model)
    system_prompt = options.get("system")
    if system_prompt is not None:
        request.messages.append(system(system_prompt))
    request.messages.extend(to_messages(messages))
    tools = options.get("tools")
    if tools:
        request.tools.extend(rq.tool_proto(t) for t in tools)
    tool_choice = options.get("tool_choice")
    if tool_choice is not None:
        request.tool_choice.CopyFrom(rq.tool_choice_proto(tool_choice))
    response_format = options.get("response_format")
    if response_format is not None:
        request.response_format.CopyFrom(rq.response_format_proto(response_format))
    previous_response_id = options.get("previous_response_id")
    if previous_response_id:
        request.previous_response_id = previous_response_id
    reasoning = options.get("reasoning")
    if reasoning is not None:
        request.reasoning.CopyFrom(rq.reasoning_proto(reasoning))
    prompt_cache = options.get("prompt_cache")
    if prompt_cache is not None:
        request.prompt_cache.CopyFrom(rq.prompt_cache_proto(prompt_cache))
    prompt_template = options.get("prompt_template")
    if prompt_template is not None:
        request.prompt_template.CopyFrom(rq.prompt_proto(prompt_template))
    _apply_request_options(request, options)
    return request


def build_complete_request(
    cls: type[CompleteReq], model: str, prompt: str, options: CompleteOptions, method: str
) -> CompleteReq:
    """A CompleteRequest or StreamCompleteRequest (wire-identical) from a call's arguments."""
    options = _checked(options, CompleteOptions.__optional_keys__, method)
    request = cls(model=model, prompt=prompt)
    suffix = options.get("suffix")
    if suffix:
        request.suffix = suffix
    _apply_request_options(request, options)
    return request
