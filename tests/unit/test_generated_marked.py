"""Every directory the generators write is marked `linguist-generated` in .gitattributes.

The generators name their output directories (scripts/generate, scripts/generate-polyglot's
GEN_DIRS); a new one that is not marked would show up in reviews as hand-written code.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generated_dirs() -> list[str]:
    python = re.search(r"^outs=\(([^)]+)\)$", (ROOT / "scripts/generate").read_text(), re.M)
    polyglot = re.findall(
        r"^\s+\[\w+\]=(\S+)$", (ROOT / "scripts/generate-polyglot").read_text(), re.M
    )
    assert python is not None and len(polyglot) == 3, "the generators' layout changed"
    return [*python.group(1).split(), *polyglot]


def test_every_generated_file_is_marked_generated() -> None:
    files = subprocess.run(
        ["git", "ls-files", "--", *_generated_dirs()],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.split()
    assert len(files) > 50, "the committed generated code is found"
    checked = subprocess.run(
        ["git", "check-attr", "linguist-generated", "--stdin"],
        cwd=ROOT,
        input="\n".join(files),
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout.splitlines()
    unmarked = [line for line in checked if not line.endswith(": true")]
    assert unmarked == [], "mark these in .gitattributes"


def test_hand_written_code_is_not_marked() -> None:
    checked = subprocess.run(
        ["git", "check-attr", "linguist-generated", "--", "server/modelgate/app.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert checked.strip().endswith(": unspecified")
