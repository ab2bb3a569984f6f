"""`requested_model` reads the model a request names, whatever its shape, and the reader
it works out once per message type gives what the generic reading gives."""

from __future__ import annotations

from typing import Any

import pytest

from modelgate.request_streams import _model_or_id, requested_model
from modelgate.v1 import audio_pb2, chat_pb2, model_pb2


@pytest.mark.parametrize(
    ("request_", "named"),
    [
        (chat_pb2.ChatRequest(model="gpt-4o"), "gpt-4o"),
        (chat_pb2.ChatRequest(), ""),
        (model_pb2.GetModelRequest(id="local/llama"), "local/llama"),
        (model_pb2.ListModelsRequest(), ""),
        (
            audio_pb2.TranscribeRequest(config=audio_pb2.TranscriptionConfig(model="whisper-1")),
            "whisper-1",
        ),
        (audio_pb2.TranscribeRequest(audio_chunk=b"RIFF"), ""),
        (None, ""),
    ],
)
def test_the_model_a_request_names(request_: Any, named: str) -> None:
    assert requested_model(request_) == named
    assert requested_model(request_) == named, "the kept reader, the second time"
    if request_ is not None and "payload" not in request_.DESCRIPTOR.oneofs_by_name:
        assert _model_or_id(request_) == named, "as the generic reading has it"


def test_a_model_field_that_is_not_text_names_nothing() -> None:
    class Odd:
        model = 7

    assert requested_model(Odd()) == ""
