"""Exact token counts for OpenAI models with tiktoken, offline.

tiktoken downloads its BPE files on first use, which fails on machines with
no route to the internet (ours, and many production clusters). The files for
cl100k_base, o200k_base and p50k_base ship in `tiktoken_cache/` under the
names tiktoken's own cache uses (SHA-1 of the download URL); tiktoken checks
each file's SHA-256 against its pinned hash when it reads it, and a unit test
checks them too. Models tiktoken does not know get the documented estimate.

Chat counts add the per-message framing of OpenAI's cookbook (3 tokens per
message, 1 per name, 3 to prime the reply), so they match the API's
`prompt_tokens` for text-only messages.
"""

from __future__ import annotations

import functools
import math
import os
import threading
from pathlib import Path
from typing import Any

import tiktoken

from modelgate.providers.base import Target
from modelgate.providers.structs import message_text
from modelgate.v1 import content_pb2, tokens_pb2

SHIPPED_CACHE = Path(__file__).with_name("tiktoken_cache")
SHIPPED_ENCODINGS = ("cl100k_base", "o200k_base", "p50k_base")
_load_lock = threading.Lock()


@functools.cache
def encoding(name: str) -> tiktoken.Encoding:
    """A shipped encoding, loaded once from the files beside this module.

    Cached: the load points tiktoken at our files through a process-wide
    environment variable, which must not be rewritten on every count.
    """
    with _load_lock:
        previous = os.environ.get("TIKTOKEN_CACHE_DIR")
        os.environ["TIKTOKEN_CACHE_DIR"] = str(SHIPPED_CACHE)
        try:
            return tiktoken.get_encoding(name)
        finally:
            if previous is None:
                os.environ.pop("TIKTOKEN_CACHE_DIR", None)
            else:
                os.environ["TIKTOKEN_CACHE_DIR"] = previous


def encoding_for(model: str) -> str | None:
    """The encoding name tiktoken assigns to `model`, if we ship it."""
    try:
        name = tiktoken.encoding_name_for_model(model)
    except KeyError:
        return None
    return name if name in SHIPPED_ENCODINGS else None


def _chat_tokens(enc: tiktoken.Encoding, messages: list[content_pb2.Message]) -> int:
    total = 3  # every reply is primed with <|start|>assistant<|message|>
    for message in messages:
        total += 3 + len(enc.encode_ordinary(message_text([message])))
        if message.name:
            total += 1
    return total


def chat_token_count(target: Target, messages: Any) -> int | None:
    """Exact chat input tokens, or None when the model's encoding is unknown."""
    name = encoding_for(target.upstream_name) if target.record.provider == "openai" else None
    return None if name is None else _chat_tokens(encoding(name), list(messages))


def count_openai_tokens(
    target: Target, request: tokens_pb2.CountTokensRequest
) -> tokens_pb2.CountTokensResponse:
    """Exact with tiktoken when the model's encoding is known, else about 4 characters a token."""
    name = encoding_for(target.upstream_name) if target.record.provider == "openai" else None
    if name is None:
        text = request.text if request.text else message_text(request.messages)
        return tokens_pb2.CountTokensResponse(
            input_tokens=math.ceil(len(text) / 4),
            method=tokens_pb2.COUNT_METHOD_ESTIMATE,
            context_window=target.record.context_window,
        )
    enc = encoding(name)
    if request.text:
        count = len(enc.encode_ordinary(request.text))
    else:
        count = _chat_tokens(enc, list(request.messages))
    return tokens_pb2.CountTokensResponse(
        input_tokens=count,
        method=tokens_pb2.COUNT_METHOD_TOKENIZER,
        tokenizer=name,
        context_window=target.record.context_window,
    )
