"""`reasoning_input` is strict: one of three values, and only on OpenAI-family runtimes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from modelgate.config import CHAT_COMPLETIONS_KINDS, RuntimeConfig


@pytest.mark.parametrize("kind", CHAT_COMPLETIONS_KINDS)
@pytest.mark.parametrize("value", ["strip", "reasoning_content", "reasoning"])
def test_openai_family_runtimes_take_each_value(kind: str, value: str) -> None:
    assert RuntimeConfig(kind=kind, reasoning_input=value).reasoning_input == value  # type: ignore[arg-type]


def test_an_unknown_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="reasoning_input"):
        RuntimeConfig(kind="openai_compatible", reasoning_input="send")  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["anthropic", "ollama", "echo"])
def test_other_kinds_refuse_it_instead_of_ignoring_it(kind: str) -> None:
    with pytest.raises(ValidationError, match="reasoning_input applies to kinds"):
        RuntimeConfig(kind=kind, reasoning_input="reasoning_content")
    assert RuntimeConfig(kind=kind).reasoning_input == "strip"
