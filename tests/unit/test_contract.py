"""The contract's own invariants, checked on the generated descriptors."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from modelgate.api.decoding import DECODED_AS
from modelgate.v1 import chat_pb2, completion_pb2, errors_pb2


def _layout(descriptor: Descriptor) -> list[tuple[str, int, int, str]]:
    def type_name(field: FieldDescriptor) -> str:
        if field.message_type is None:
            return ""
        if field.message_type.GetOptions().map_entry:  # nested per message; compare its shape
            return "map:" + repr(_layout(field.message_type))
        return field.message_type.full_name

    return [(f.name, f.number, f.type, type_name(f)) for f in descriptor.fields]


@pytest.mark.parametrize(
    ("unary", "streaming"),
    [
        (chat_pb2.ChatRequest, chat_pb2.StreamChatRequest),
        (completion_pb2.CompleteRequest, completion_pb2.StreamCompleteRequest),
    ],
)
def test_streaming_requests_stay_wire_identical_to_unary(unary: Any, streaming: Any) -> None:
    """The server decodes StreamChat/StreamComplete bytes as the unary twin
    (`modelgate.api.decoding.DECODED_AS`): a field added to one message only would be lost."""
    assert _layout(unary.DESCRIPTOR) == _layout(streaming.DESCRIPTOR)
    sample = unary(model="m")
    assert streaming.FromString(sample.SerializeToString()).model == "m"
    method = f"modelgate.v1.ModelGateway/{streaming.__name__.removesuffix('Request')}"
    assert DECODED_AS[method] == unary.FromString


def test_error_reasons_follow_the_documented_naming() -> None:
    names = errors_pb2.ErrorReason.keys()
    assert all(n.startswith("ERROR_REASON_") for n in names)
    assert "ERROR_REASON_RATE_LIMITED" in names
