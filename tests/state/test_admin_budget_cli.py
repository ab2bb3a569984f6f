"""`modelgate keys create|update --budget ...` and the budget table of `keys get|list`,
through a real gateway on every state backend: the flags become the key's budgets, the
budget is enforced, the table shows spent / cap / reset, and a malformed flag is a usage
error (exit 2) that names what is wrong."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc
import pytest

from modelgate.cli import main
from modelgate.config import (
    AccessLogConfig,
    AdminConfig,
    AdminKeyConfig,
    AuthConfig,
    StateConfig,
)
from modelgate.state.budgets import DAY, window
from tests.gateways import Served, serve, settings
from tests.rpc_helpers import chat_request, decode
from tests.state.test_admin_budgets import PRICED
from tests.waiting import RPC_S

ADMIN_SECRET = "admin-secret-for-tests-0123456789"
"""$1 per million tokens each way: "hello world" (2 in, 2 out) costs $0.000004."""


@pytest.fixture
async def served(state_url: str) -> AsyncIterator[Served]:
    config = settings(
        echo=True,
        models=[PRICED],
        auth=AuthConfig(enabled=True),
        admin=AdminConfig(
            keys=[
                AdminKeyConfig(id="ops", sha256=hashlib.sha256(ADMIN_SECRET.encode()).hexdigest())
            ]
        ),
        state=StateConfig(url=state_url),
        # The CLI runs in this process and prints to stdout, where the access log would go.
        access_log=AccessLogConfig(enabled=False),
    )
    async with serve(config) as running:
        yield running


async def _cli(
    capsys: pytest.CaptureFixture[str], served: Served, *argv: str
) -> tuple[int, str, str]:
    """Run `modelgate ...` off the gateway's loop: (exit code, stdout, stderr)."""
    capsys.readouterr()
    args = [*argv, "--target", served.target, "--admin-key", ADMIN_SECRET]
    code = await asyncio.to_thread(main, args)
    out, err = capsys.readouterr()
    return code, out, err


async def test_budget_flags_make_enforced_budgets_shown_in_the_table(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    flags = ["--budget", "day:usd=0.00001", "--budget", "total:tokens=1000"]
    code, out, _ = await _cli(capsys, served, "keys", "create", "--id", "team-b", *flags, "--json")
    assert code == 0
    created: dict[str, Any] = json.loads(out)
    assert created["key"]["budgets"] == [
        {"period": "BUDGET_PERIOD_DAY", "maxCostUsd": 1e-05},
        {"period": "BUDGET_PERIOD_TOTAL", "maxTokens": "1000"},
    ]
    bearer = (("authorization", f"Bearer {created['secret']}"),)
    made = 0
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        while made < 10:
            request = chat_request(PRICED.id, "hello world")
            await served.stub.Chat(request, metadata=bearer, timeout=RPC_S)
            made += 1
    assert made == 3, "$0.000004 a call under $0.00001: admitted at 0, 4e-6 and 8e-6"
    assert decode(refused.value).reason == "BUDGET_EXHAUSTED"

    code, out, _ = await _cli(capsys, served, "keys", "get", "team-b")
    assert code == 0
    table = out.splitlines()
    start = table.index("") + 1
    assert table[start].split() == ["KEY", "BUDGET", "UNIT", "SPENT", "CAP", "RESETS"]
    reset = window(DAY, datetime.now(UTC)).reset
    assert reset is not None
    day_row, total_row = (line.split() for line in table[start + 1 :])
    assert day_row[:5] == ["team-b", "day", "usd", "0.000012", "1e-05"]
    assert day_row[5].startswith(reset.strftime("%Y-%m-%dT00:00:00"))
    assert total_row == ["team-b", "total", "tokens", "12", "1000", "never"]

    code, out, _ = await _cli(capsys, served, "keys", "list")
    assert code == 0 and "team-b  day     usd" in out

    code, out, _ = await _cli(
        capsys, served, "keys", "update", "team-b", "--budget", "month:usd=5", "--json"
    )
    assert code == 0
    assert json.loads(out)["key"]["budgets"] == [
        {"period": "BUDGET_PERIOD_MONTH", "maxCostUsd": 5.0}
    ]
    await served.stub.Chat(chat_request(PRICED.id, "hello world"), metadata=bearer, timeout=RPC_S)
    code, out, _ = await _cli(capsys, served, "keys", "update", "team-b", "--budget", "none")
    assert code == 0 and "BUDGET" not in out, "no budgets left: no budget table"


@pytest.mark.parametrize(
    ("flag", "why"),
    [
        ("week:usd=5", "unknown period 'week'"),
        ("day:eur=5", "unknown unit 'eur' (usd or tokens)"),
        ("day:usd=-1", "the amount must be a positive number of dollars"),
        ("day:usd=lots", "'lots' is not a number of dollars"),
        ("month:tokens=1.5", "'1.5' is not a positive whole number of tokens"),
        ("day=5", "expected PERIOD:UNIT=AMOUNT"),
    ],
)
async def test_a_malformed_budget_flag_is_a_precise_usage_error(
    served: Served, capsys: pytest.CaptureFixture[str], flag: str, why: str
) -> None:
    code, out, err = await _cli(capsys, served, "keys", "create", "--budget", flag)
    assert code == 2 and out == ""
    assert "--budget takes PERIOD:usd=AMOUNT or PERIOD:tokens=N" in err
    assert f"got {flag!r}: {why}" in err


async def test_two_caps_of_one_unit_and_period_or_none_with_others_are_refused(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = ["--budget", "day:usd=1", "--budget", "day:usd=2"]
    code, _, err = await _cli(capsys, served, "keys", "create", *twice)
    assert code == 2 and "a second usd cap for day" in err
    code, _, err = await _cli(
        capsys, served, "keys", "update", "x", "--budget", "none", "--budget", "day:usd=1"
    )
    assert code == 2 and "--budget none removes every budget: give it alone" in err
    both = ["--budget", "day:usd=1", "--budget", "day:tokens=10", "--json"]
    code, out, _ = await _cli(capsys, served, "keys", "create", "--id", "one-day", *both)
    assert code == 0
    assert json.loads(out)["key"]["budgets"] == [
        {"period": "BUDGET_PERIOD_DAY", "maxCostUsd": 1.0, "maxTokens": "10"}
    ], "caps of one period make one budget"
