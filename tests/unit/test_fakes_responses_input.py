"""The strict fake refuses exactly what llama-server's `convert_responses_to_chatcmpl` refuses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.responses_input import llama_cpp_problem

TEXT = [{"type": "input_text", "text": "hi"}]
SAID = [{"type": "output_text", "text": "hello"}]


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"input": "hi"}, None),
        ({"input": [{"role": "user", "content": TEXT}]}, None),
        ({"input": [{"role": "developer", "content": "be brief"}]}, None),
        ({"input": [{"type": "message", "role": "assistant", "content": SAID}]}, None),
        ({"input": [{"role": "assistant", "content": SAID}]}, "Cannot determine type of 'item'"),
        ({"input": [{"role": "assistant", "content": "hello"}]}, "Cannot determine type of 'item'"),
        (
            {"input": [{"type": "message", "role": "assistant", "content": "hello"}]},
            "'type' must be 'output_text'",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "output_text", "text": "x"}]}]},
            "'type' must be one of 'input_text', 'input_image', or 'input_file'",
        ),
        (
            {"input": [{"type": "function_call", "call_id": "c", "name": "f"}]},
            "Cannot determine type of 'item'",
        ),
        ({"input": [{"type": "function_call_output", "call_id": "c", "output": "ok"}]}, None),
        (
            {"input": [{"type": "reasoning", "summary": [], "content": []}]},
            "item['content'] is empty",
        ),
        (
            {"input": "x", "previous_response_id": "resp_1"},
            "llama.cpp does not support 'previous_response_id'.",
        ),
        ({"input": "x", "tools": [{"type": "web_search"}]}, "'type' of tool must be 'function'"),
        ({"model": "m"}, "'input' is required"),
        ({"input": 7}, "'input' must be a string or array of objects"),
    ],
)
def test_llama_cpp_rules(body: dict[str, Any], problem: str | None) -> None:
    assert llama_cpp_problem(body) == problem
