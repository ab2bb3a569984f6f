"""`--budget PERIOD:UNIT=AMOUNT` of `modelgate keys create|update`, and the budget table.

One flag per cap, repeatable: `--budget day:usd=25 --budget month:usd=400
--budget month:tokens=50000000`. Caps of one period make one `Budget` (the admin API
takes at most one per period); `--budget none` (update) removes every budget. Anything
else is a usage error naming the flag, the text and what is wrong, never a guess.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from modelgate.admin.v1 import admin_pb2
from modelgate.cli.output import UsageError

PERIODS = {
    "day": admin_pb2.BUDGET_PERIOD_DAY,
    "month": admin_pb2.BUDGET_PERIOD_MONTH,
    "total": admin_pb2.BUDGET_PERIOD_TOTAL,
}
NONE = "none"
SYNTAX = "PERIOD:usd=AMOUNT or PERIOD:tokens=N (PERIOD: day, month or total)"
FLAG_HELP = f"a spend or token cap, repeatable: {SYNTAX}; 'none' removes all (update)"


def _refuse(text: str, why: str) -> UsageError:
    return UsageError(f"--budget takes {SYNTAX}, got {text!r}: {why}")


def _cap(text: str, unit: str, amount: str) -> tuple[float, int]:
    """(usd, tokens) of one cap, exactly one of them set."""
    if unit == "usd":
        try:
            usd = float(amount)
        except ValueError:
            raise _refuse(text, f"{amount!r} is not a number of dollars") from None
        if not math.isfinite(usd) or usd <= 0:
            raise _refuse(text, "the amount must be a positive number of dollars")
        return usd, 0
    if unit == "tokens":
        if not amount.isdigit() or int(amount) <= 0:
            raise _refuse(text, f"{amount!r} is not a positive whole number of tokens")
        return 0.0, int(amount)
    raise _refuse(text, f"unknown unit {unit!r} (usd or tokens)")


def parse_budgets(items: Sequence[str]) -> list[admin_pb2.Budget]:
    """The budgets the `--budget` flags describe (empty for `none`), in period order."""
    if NONE in items:
        if len(items) > 1:
            raise UsageError("--budget none removes every budget: give it alone")
        return []
    budgets: dict[int, admin_pb2.Budget] = {}
    for text in items:
        period_name, colon, rest = text.partition(":")
        unit, equals, amount = rest.partition("=")
        if not (colon and equals):
            raise _refuse(text, "expected PERIOD:UNIT=AMOUNT")
        period = PERIODS.get(period_name)
        if period is None:
            raise _refuse(text, f"unknown period {period_name!r}")
        usd, tokens = _cap(text, unit, amount)
        budget = budgets.setdefault(period, admin_pb2.Budget(period=period))
        if (usd and budget.max_cost_usd) or (tokens and budget.max_tokens):
            raise _refuse(text, f"a second {unit} cap for {period_name}")
        budget.max_cost_usd = usd or budget.max_cost_usd
        budget.max_tokens = tokens or budget.max_tokens
    return [budgets[period] for period in sorted(budgets)]


def budget_rows(keys: Sequence[admin_pb2.ApiKey]) -> list[tuple[str, ...]]:
    """One table row per cap of each key's budgets: spent / cap and when it resets."""
    rows: list[tuple[str, ...]] = []
    for key in keys:
        for state in key.budget_states:
            budget = state.budget
            period = admin_pb2.BudgetPeriod.Name(budget.period).removeprefix("BUDGET_PERIOD_")
            reset = state.reset_time.ToJsonString() if state.HasField("reset_time") else "never"
            if budget.max_cost_usd > 0:
                spent = f"{state.spent_usd:.6f}"
                rows.append(
                    (key.id, period.lower(), "usd", spent, f"{budget.max_cost_usd:g}", reset)
                )
            if budget.max_tokens > 0:
                spent = str(state.spent_tokens)
                rows.append(
                    (key.id, period.lower(), "tokens", spent, str(budget.max_tokens), reset)
                )
    return rows
