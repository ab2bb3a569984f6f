"""The lists of generating RPCs agree with each other and with the contract.

`records.TEXT_RPCS` (budgets, the access log) and `genai_metrics.OPERATIONS` (the GenAI
series) name the same RPCs in two layers that may not import each other's concerns; this
keeps them from drifting, and every generating RPC of the service from being forgotten.
"""

from __future__ import annotations

from modelgate.records import GENERATING_RPCS, MEDIA_RPCS, TEXT_RPCS
from modelgate.telemetry.genai_metrics import OPERATIONS
from modelgate.v1 import gateway_pb2

NOT_GENERATING = {
    "ListModels",
    "GetModel",
    "CountTokens",
    "PullModel",
    "DeleteModel",
    "ListRunningModels",
    "LoadModel",
    "UnloadModel",
    "ListPrompts",
    "GetPrompt",
}
"""RPCs that call no model for an answer (catalog, counting, local model management)."""


def test_the_genai_operations_are_the_text_rpcs() -> None:
    assert set(OPERATIONS) == TEXT_RPCS
    assert not TEXT_RPCS & MEDIA_RPCS


def test_every_rpc_of_the_service_is_generating_or_named_as_not() -> None:
    service = gateway_pb2.DESCRIPTOR.services_by_name["ModelGateway"]
    rpcs = {method.name for method in service.methods}
    assert rpcs == GENERATING_RPCS | NOT_GENERATING
    assert not GENERATING_RPCS & NOT_GENERATING
