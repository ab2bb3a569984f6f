"""One call's usage and the lifetime totals, in the shape the state tests compare."""

from __future__ import annotations

from modelgate.admin.v1 import admin_pb2
from modelgate.state import State
from modelgate.state.usage import aggregate

FOREVER = 2**40
"""An end of window past any hour a test writes."""


def call(
    model: str, key_id: str, input_tokens: int, output_tokens: int, cost_usd: float
) -> admin_pb2.UsageRow:
    """One answered call's usage."""
    return admin_pb2.UsageRow(
        key_id=key_id,
        model=model,
        requests=1,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=cost_usd,
    )


async def totals(state: State) -> dict[tuple[str, str], tuple[int, int, float]]:
    """(model, key) -> (input tokens, output tokens, cost) over every hour kept."""
    rows = aggregate(await state.totals.rows(0, FOREVER))
    return {(r.model, r.key_id): (r.input_tokens, r.output_tokens, r.cost_usd) for r in rows}
