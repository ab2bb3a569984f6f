"""Write a tiny random-weight llama GGUF for the real-upstream tier (no weights can be downloaded).

Run by scripts/real-upstreams with llama.cpp's own gguf-py on PYTHONPATH and numpy installed:

    python scripts/tiny_gguf.py VOCAB.gguf TEMPLATE.jinja OUT.gguf

The tokenizer comes from one of llama.cpp's vocab-only test files (Qwen2) plus Qwen2.5's
`<tool_call>` and `</tool_call>` tokens in their padding slots, and the chat template from its
models/templates (Qwen2.5, Hermes-style tool calls), so llama-server tokenizes, renders and
parses exactly as for a real model of that family. The weights are random but seeded: the file,
and every answer at temperature 0, is the same on every run. Two things are built in on purpose:

- End-of-turn and other special tokens have all-zero output rows: their logit is exactly 0
  while the best ordinary token's is far above, so free text always runs to max_tokens (a
  stream lasts until it is cancelled) and never contains markup by chance.
- The model calls a tool when one is offered and not yet called. llama.cpp's tool grammars
  allow free text before a call, so a purely random model never calls one. Here, in layer 0,
  head 0 attends uniformly (zero queries) and copies a "tools offered" score into a residual
  dimension that only the `<tool_call>` output row reads. Each `tools` token scores +0.625 and
  each `<tool_call>` -1: Qwen2.5's tools section has four and two (+0.5), and every call made
  in the conversation, including the one being generated, adds one more (-0.5 after the first).
  A `<tool_call>` token also makes a newline next (the template's call opener is
  "<tool_call>\n"); from there the server's grammar writes the call. Whitespace and what may
  start another call read the same score, weaker: once a call is made they lose, so a call is
  written compactly and is the only one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import gguf
import numpy as np

ARCH = "llama"
EMBED = 64
HEADS = 4
HEAD_DIM = EMBED // HEADS
LAYERS = 2
FEED_FORWARD = 128
CONTEXT = 4096
SEED = 20261201
TOKENIZER_KEYS = (
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.padding_token_id",
)
ADDED_TOKENS = {151657: "<tool_call>", 151658: "</tool_call>"}
"""Qwen2.5's ids for the tool-call markers; the Qwen2 vocab file has padding there."""
SCORES = {"tools": 0.625, "<tool_call>": -1.0}
SCORE, OFFERED, OPENED = 0, 1, 2
"""Residual dimensions: each token's score (embedding), the context's mean score (layer 0),
"this token opens a call" (embedding)."""
FEATURES = [SCORE, OFFERED, OPENED]
NEWLINE = "Ċ"
"""A newline in the GPT-2 byte-level alphabet of the vocabulary."""
WHITESPACE = "ĠĊĉč"
"""Space, newline, tab and carriage return in that alphabet."""
CALL_OPENER = "<tool_call>Ċ"
GAIN = 5000.0
"""Layer 0 output gain: a +0.5 total over a few hundred tokens still dominates the last state."""
CALL_LOGIT = 200.0
"""`<tool_call>` output weight on OFFERED (and the newline's on OPENED): far above any random
logit when the feature is on."""
SPACING_LOGIT = 100.0
"""Output weight on OFFERED of whitespace tokens and of tokens that could start another call."""
OPENER = 40.0
"""`<tool_call>`'s embedding on OPENED: most of the normalized state at that position."""


def _tokenizer(reader: Any, writer: Any) -> tuple[list[str], list[int]]:
    """Copy the tokenizer, adding the tool-call markers; return tokens and their types."""
    for key in TOKENIZER_KEYS:
        field = reader.fields[key]
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, field.contents(), value_type, sub_type)
    tokens: list[str] = list(reader.fields["tokenizer.ggml.tokens"].contents())
    types: list[int] = list(reader.fields["tokenizer.ggml.token_type"].contents())
    for token_id, text in ADDED_TOKENS.items():
        tokens[token_id], types[token_id] = text, gguf.TokenType.USER_DEFINED
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    writer.add_eos_token_id(tokens.index("<|im_end|>"))  # instruct models end turns with it
    return tokens, types


def _spacing(text: str) -> bool:
    """Whitespace, or what may start another call: "<tool_call>", or a "," between calls."""
    return CALL_OPENER.startswith(text.lstrip(WHITESPACE)) or "," in text


def _embeddings(rng: Any, tokens: list[str], types: list[int]) -> tuple[Any, Any]:
    """(input embeddings, output weights) for every token."""
    embeddings = rng.standard_normal((len(tokens), EMBED)).astype(np.float32)
    embeddings[:, FEATURES] = 0.0
    embeddings[tokens.index("<tool_call>"), OPENED] = OPENER
    for text, score in SCORES.items():
        row = embeddings[tokens.index(text)]
        # Whatever the row's norm, RMS norm hands layer 0 exactly `score`.
        row[SCORE] = score * np.sqrt(np.sum(row**2) / (EMBED - score**2))
    output = embeddings.copy()
    output[:, FEATURES] = 0.0
    output[[i for i, kind in enumerate(types) if kind != gguf.TokenType.NORMAL]] = 0.0
    spacing = [i for i, text in enumerate(tokens) if _spacing(text)]
    output[spacing, OFFERED] = SPACING_LOGIT
    output[tokens.index("<tool_call>"), OFFERED] = CALL_LOGIT
    output[tokens.index(NEWLINE), OPENED] = CALL_LOGIT
    return embeddings, output


def _layers(rng: Any, writer: Any) -> None:
    def weight(*shape: int) -> Any:
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    ones = np.ones(EMBED, dtype=np.float32)
    for layer in range(LAYERS):
        query, key, value, out = (weight(EMBED, EMBED) for _ in range(4))
        down = weight(EMBED, FEED_FORWARD)
        out[FEATURES] = 0.0  # only the tools head writes these dimensions
        down[FEATURES] = 0.0
        if layer == 0:  # head 0: uniform attention, value = score, output into OFFERED
            query[:HEAD_DIM] = 0.0
            value[:HEAD_DIM] = 0.0
            value[0, SCORE] = 1.0
            out[:, :HEAD_DIM] = 0.0
            out[OFFERED, 0] = GAIN
        name = f"blk.{layer}"
        writer.add_tensor(f"{name}.attn_norm.weight", ones)
        writer.add_tensor(f"{name}.attn_q.weight", query)
        writer.add_tensor(f"{name}.attn_k.weight", key)
        writer.add_tensor(f"{name}.attn_v.weight", value)
        writer.add_tensor(f"{name}.attn_output.weight", out)
        writer.add_tensor(f"{name}.ffn_norm.weight", ones)
        writer.add_tensor(f"{name}.ffn_gate.weight", weight(FEED_FORWARD, EMBED))
        writer.add_tensor(f"{name}.ffn_up.weight", weight(FEED_FORWARD, EMBED))
        writer.add_tensor(f"{name}.ffn_down.weight", down)


def main(vocab_file: str, template_file: str, out_file: str) -> None:
    """Write `out_file` (atomically: a half-written model is never left behind)."""
    partial = Path(out_file + ".partial")
    writer = gguf.GGUFWriter(str(partial), ARCH)
    writer.add_name("modelgate-tiny-random")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBED)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(HEAD_DIM)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    tokens, types = _tokenizer(gguf.GGUFReader(vocab_file), writer)
    writer.add_chat_template(Path(template_file).read_text())
    rng = np.random.default_rng(SEED)
    embeddings, output = _embeddings(rng, tokens, types)
    writer.add_tensor("token_embd.weight", embeddings)
    writer.add_tensor("output_norm.weight", np.ones(EMBED, dtype=np.float32))
    writer.add_tensor("output.weight", output)
    _layers(rng, writer)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.replace(out_file)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
