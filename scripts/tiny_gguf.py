"""Write a tiny random-weight llama GGUF for the real-upstream tier (no weights can be downloaded).

Run by scripts/real-upstreams with llama.cpp's own gguf-py on PYTHONPATH and numpy installed:

    python scripts/tiny_gguf.py VOCAB.gguf TEMPLATE.jinja OUT.gguf

The tokenizer (tokens, types, merges, special ids) is copied from one of llama.cpp's vocab-only
test files and the chat template from its models/templates, so llama-server tokenizes, renders
tool prompts and parses tool calls exactly as for a real model of that family. The weights are
random but seeded, so the file (and every answer at temperature 0) is the same on every run.
Special tokens get all-zero embeddings: with tied output weights their logit is exactly 0 while
the best ordinary token's is far above, so greedy decoding never stops early (a stream runs to
max_tokens unless cancelled) and never emits markup by chance.
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
LAYERS = 2
FEED_FORWARD = 128
CONTEXT = 4096
SEED = 20261201
TOKENIZER_KEYS = (
    "tokenizer.ggml.model",
    "tokenizer.ggml.pre",
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.merges",
    "tokenizer.ggml.bos_token_id",
    "tokenizer.ggml.padding_token_id",
)
NORMAL_TOKEN = 1


def _copy_tokenizer(reader: Any, writer: Any) -> tuple[int, list[int]]:
    """Copy the tokenizer fields; return the vocabulary size and the special token ids."""
    for key in TOKENIZER_KEYS:
        field = reader.fields.get(key)
        if field is None:
            continue
        value = field.contents()
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(key, value, value_type, sub_type)
    tokens = reader.fields["tokenizer.ggml.tokens"].contents()
    types = reader.fields["tokenizer.ggml.token_type"].contents()
    special = [i for i, kind in enumerate(types) if kind != NORMAL_TOKEN]
    # Instruct models end a turn with <|im_end|>; the vocab file names the base model's eos.
    if "<|im_end|>" in tokens:
        writer.add_uint32("tokenizer.ggml.eos_token_id", tokens.index("<|im_end|>"))
    return len(tokens), special


def _tensors(writer: Any, vocab: int, special: list[int]) -> None:
    rng = np.random.default_rng(SEED)

    def weight(*shape: int, scale: float = 0.2) -> Any:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    embeddings = weight(vocab, EMBED, scale=1.0)
    embeddings[special] = 0.0
    writer.add_tensor("token_embd.weight", embeddings)
    writer.add_tensor("output_norm.weight", np.ones(EMBED, dtype=np.float32))
    for layer in range(LAYERS):
        name = f"blk.{layer}"
        writer.add_tensor(f"{name}.attn_norm.weight", np.ones(EMBED, dtype=np.float32))
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            writer.add_tensor(f"{name}.{part}.weight", weight(EMBED, EMBED))
        writer.add_tensor(f"{name}.ffn_norm.weight", np.ones(EMBED, dtype=np.float32))
        writer.add_tensor(f"{name}.ffn_gate.weight", weight(FEED_FORWARD, EMBED))
        writer.add_tensor(f"{name}.ffn_up.weight", weight(FEED_FORWARD, EMBED))
        writer.add_tensor(f"{name}.ffn_down.weight", weight(EMBED, FEED_FORWARD))


def main(vocab_file: str, template_file: str, out_file: str) -> None:
    """Write `out_file` (atomically: a half-written model is never left behind)."""
    reader = gguf.GGUFReader(vocab_file)
    partial = Path(out_file + ".partial")
    writer = gguf.GGUFWriter(str(partial), ARCH)
    writer.add_name("modelgate-tiny-random")
    writer.add_context_length(CONTEXT)
    writer.add_embedding_length(EMBED)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FEED_FORWARD)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(HEADS)
    writer.add_rope_dimension_count(EMBED // HEADS)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    vocab, special = _copy_tokenizer(reader, writer)
    writer.add_chat_template(Path(template_file).read_text())
    _tensors(writer, vocab, special)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    partial.replace(out_file)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
