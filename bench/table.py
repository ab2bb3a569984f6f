"""The result table and how its cells are written (numbers, signs, ratios, checks)."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


@dataclass
class Table:
    """A titled table of already formatted cells."""

    title: str
    headers: Sequence[str]
    rows: list[list[str]]
    note: str = ""

    def text(self) -> str:
        """Aligned plain text."""
        widths = [len(h) for h in self.headers]
        for row in self.rows:
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
        lines = [self.title, "-" * len(self.title)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(self.headers, widths, strict=True)))
        for row in self.rows:
            lines.append(
                "  ".join(
                    c.rjust(w) if _numeric(c) else c.ljust(w)
                    for c, w in zip(row, widths, strict=True)
                ).rstrip()
            )
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    def markdown(self) -> str:
        """GitHub-flavoured Markdown."""
        lines = [f"#### {self.title}", ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        numeric = [
            sum(_numeric(row[i]) or row[i] == "-" for row in self.rows) > len(self.rows) / 2
            for i in range(len(self.headers))
        ]
        lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
        for row in self.rows:
            lines.append("| " + " | ".join(c.replace("|", "/") for c in row) + " |")
        if self.note:
            lines += ["", self.note]
        return "\n".join(lines)


_NUMERIC = re.compile(r"^[+-]?[\d,.]+( ?%|x| ms| KiB)?$")


def _numeric(cell: str) -> bool:
    return bool(_NUMERIC.match(cell))


def num(value: Any, digits: int = 2, prefix: str = "") -> str:
    """A number for a table cell ('-' when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, int):
        return f"{prefix}{value}"
    if abs(value) >= 1000:
        return f"{prefix}{value:,.0f}"
    if abs(value) >= 100:
        return f"{prefix}{value:.0f}"
    return f"{prefix}{value:.{digits}f}"


def signed(value: Any, digits: int = 2) -> str:
    """A signed number ('+0.41')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:+.{digits}f}"


def ratio(value: Any) -> str:
    """A ratio ('0.83x')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:.2f}x"


def ok(row: Row) -> str:
    """Verification cell."""
    if row.get("verified", True) and not row.get("checks"):
        return "ok"
    return "CHECK: " + "; ".join(row.get("checks", []))[:80]


def load_cells(r: Row) -> list[str]:
    """req/s, p50 and p99 of one load row."""
    return [num(r["rps"], 0), num(r["p50_ms"]), num(r["p99_ms"])]


def errors_cell(row: Row) -> str:
    if "error" in row:
        return f"client failed: {row['error']}"
    errors = row.get("errors") or {}
    return ", ".join(f"{k}:{v}" for k, v in errors.items()) if errors else "0"
