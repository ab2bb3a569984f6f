"""Token counts for OpenAI models: tiktoken where the encoding is known, else an estimate."""

from __future__ import annotations

import math

from modelgate.providers.base import Target
from modelgate.providers.echo import message_text
from modelgate.v1 import tokens_pb2


def count_openai_tokens(
    target: Target, request: tokens_pb2.CountTokensRequest
) -> tokens_pb2.CountTokensResponse:
    """Estimate (about 4 characters per token) until a tokenizer is configured for the model."""
    text = request.text if request.text else message_text(request.messages)
    return tokens_pb2.CountTokensResponse(
        input_tokens=math.ceil(len(text) / 4),
        method=tokens_pb2.COUNT_METHOD_ESTIMATE,
        context_window=target.record.context_window,
    )
