"""Upstream error bodies whose fields are not strings reach callers as JSON, not a repr."""

from __future__ import annotations

import grpc

from modelgate.providers.upstream_errors import classify

MISTRAL_422 = {
    "object": "error",
    "message": {
        "detail": [
            {
                "type": "extra_forbidden",
                "loc": ["body", "stream_options"],
                "msg": "Extra inputs are not permitted",
                "input": {"include_usage": True},
            }
        ]
    },
    "type": "invalid_request_error",
    "param": None,
    "code": None,
}
"""Mistral's validation error (https://docs.mistral.ai/resources/error-glossary): its
`message` is an object."""


def test_a_structured_message_is_quoted_as_json() -> None:
    error = classify("mistral", 422, MISTRAL_422)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert '"loc":["body","stream_options"]' in error.message
    assert '"msg":"Extra inputs are not permitted"' in error.message
    assert "{'detail'" not in error.message  # not a Python repr


def test_plain_messages_are_unchanged() -> None:
    error = classify("openai", 400, {"error": {"message": "bad thing", "type": "x", "code": 7}})
    assert "bad thing" in error.message
