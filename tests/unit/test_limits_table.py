"""The limits table of docs/operations.md names every `limits.*` setting with its default.

Operators size memory and timeouts from that table, so a limit added to the code without
a row, or a default changed without its row, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

from modelgate.config import LimitsConfig

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
ROW = re.compile(r"^\| `limits\.(\w+)` \| ([^|]+) \|", re.M)


def test_the_limits_table_lists_every_limit_with_its_default() -> None:
    section = GUIDE.read_text().split("\n## Limits\n", 1)[1].split("\n## ", 1)[0]
    rows = {name: cell.strip() for name, cell in ROW.findall(section)}
    defaults = LimitsConfig().model_dump()
    assert list(rows) == list(defaults), "one row per setting, in the code's order"
    for name, default in defaults.items():
        if isinstance(default, bool):
            assert rows[name] == str(default).lower(), name
        else:
            assert float(rows[name]) == default, name
