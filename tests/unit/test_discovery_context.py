"""Discovered models report the context window their server publishes, whatever its key."""

from __future__ import annotations

from typing import Any

import pytest

from modelgate.providers.openai.discovery import context_window

# Entries as each server's `/v1/models` lists them (trimmed to the keys that matter).
LLAMA_CPP = {
    "id": "tiny",
    "object": "model",
    "owned_by": "llamacpp",
    "meta": {"vocab_type": 2, "n_vocab": 32000, "n_ctx_train": 4096, "n_embd": 64},
}
VLLM = {"id": "meta-llama/Llama-3.1-8B-Instruct", "owned_by": "vllm", "max_model_len": 131072}
OPENROUTER = {"id": "openai/gpt-4o", "context_length": 128000}
GROQ = {"id": "llama-3.1-8b-instant", "owned_by": "Meta", "context_window": 131072}
OPENAI = {"id": "gpt-4o", "object": "model", "owned_by": "system"}


@pytest.mark.parametrize(
    ("entry", "expected"),
    [(LLAMA_CPP, 4096), (VLLM, 131072), (OPENROUTER, 128000), (GROQ, 131072), (OPENAI, 0)],
    ids=["llama.cpp", "vLLM", "OpenRouter", "Groq", "OpenAI publishes none"],
)
def test_context_window_is_read_from_the_key_each_server_uses(
    entry: dict[str, Any], expected: int
) -> None:
    assert context_window(entry) == expected


@pytest.mark.parametrize("value", ["4096", -1, 0, True, None, 4096.5])
def test_a_published_value_that_is_not_a_positive_integer_counts_as_none(value: Any) -> None:
    assert context_window({"id": "m", "max_model_len": value}) == 0
