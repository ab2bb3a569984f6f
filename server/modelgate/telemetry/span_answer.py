"""What an upstream's answer adds to its CLIENT span, held as one tuple until it is encoded.

Every traced attempt that gets an answer records the same five attributes: input and
output tokens, the response id, the finish reason and the conversation id. As a dict
they cost a dict and five insertions on the call, then a cache lookup each in the
encoder (17.9k instructions a span there, cachegrind). As a tuple in this order
(`Answer`: a string "" is absent) the span keeps one object, and the encoder frames the
five from tables and precomputed key fields (`otlp_encoding.Encoder`). Wherever the
attributes are read as attributes (the console, a sampler, a later `set_attribute`),
`answer_attributes` makes the dict, in the same order as it always had.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.semconv._incubating.attributes import gen_ai_attributes as gen_ai

Answer = tuple[int, int, str, str, str]
"""(input tokens, output tokens, response id, finish reason, conversation id)."""

INPUT_TOKENS = gen_ai.GEN_AI_USAGE_INPUT_TOKENS
OUTPUT_TOKENS = gen_ai.GEN_AI_USAGE_OUTPUT_TOKENS
RESPONSE_ID = gen_ai.GEN_AI_RESPONSE_ID
FINISH_REASONS = gen_ai.GEN_AI_RESPONSE_FINISH_REASONS
CONVERSATION_ID = gen_ai.GEN_AI_CONVERSATION_ID
ANSWER_SIZE = 5
"""At most this many attributes come of one answer."""


def answer_attributes(answer: Answer) -> dict[str, Any]:
    """The answer as span attributes, in their order (the finish reason as the
    conventions' one-item array)."""
    input_tokens, output_tokens, response_id, finish_reason, conversation_id = answer
    attributes: dict[str, Any] = {INPUT_TOKENS: input_tokens, OUTPUT_TOKENS: output_tokens}
    if response_id:
        attributes[RESPONSE_ID] = response_id
    if finish_reason:
        attributes[FINISH_REASONS] = (finish_reason,)
    if conversation_id:
        attributes[CONVERSATION_ID] = conversation_id
    return attributes
