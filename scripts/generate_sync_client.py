"""Generates the sync Python client from the async one (`scripts/generate-sync-client`).

The async client (`modelgate/client/_async/*.py` and `aio.py`) is the only one
written by hand; each module's blocking twin (`_sync/*.py`, `sync.py`) is derived
from it by unasync, as httpcore does: `async`/`await` go, `__aiter__`-style names
and `AsyncFoo` names are renamed (`AsyncIO` -> `SyncIO`, the public classes by the
table below). unasync leaves comments and docstrings alone, so they get the same
renames here, plus `async with`/`async for`/`await ` -> `with`/`for`/``. The result
is import-sorted and formatted by ruff, so it is lint-clean as committed.

Usage: scripts/generate-sync-client [--check]   (--check: fail if the committed twin is stale)
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import tokenize_rt
import unasync
from ruff.__main__ import find_ruff_bin

ROOT = Path(__file__).resolve().parent.parent
CLIENT = ROOT / "clients/python/modelgate/client"
SCRIPT = "scripts/generate-sync-client"

RENAMES = {
    "AsyncModelGate": "ModelGate",
    "AsyncParseStream": "ParseStream",
    "AsyncResponseStream": "ResponseStream",
    "AsyncStreamView": "StreamView",
    "AsyncTextStream": "TextStream",
    "aclose": "close",
    "_async": "_sync",
}
"""Names unasync would not map, or would map to `Sync*` where the public name has no prefix."""

_ASYNC_KEYWORDS = re.compile(r"\basync (?=with\b|for\b)|\bawait ")
_RENAMED_WORDS = re.compile(r"\b(" + "|".join(RENAMES) + r")\b")


def sources() -> dict[Path, Path]:
    """Each hand-written async module and the sync module generated from it."""
    pairs = {CLIENT / "aio.py": CLIENT / "sync.py"}
    for path in sorted((CLIENT / "_async").glob("*.py")):
        pairs[path] = CLIENT / "_sync" / path.name
    return pairs


def _rewrite_prose(source: str) -> str:
    """Comments and docstrings, which unasync does not touch, renamed like the code."""
    tokens = tokenize_rt.src_to_tokens(source)
    for i, token in enumerate(tokens):
        if token.name in ("STRING", "COMMENT"):
            text = _ASYNC_KEYWORDS.sub("", token.src)
            text = _RENAMED_WORDS.sub(lambda m: RENAMES[m.group(1)], text)
            tokens[i] = token._replace(src=text)
    return str(tokenize_rt.tokens_to_src(tokens))


def _ruff(args: list[str], source: str, path: Path) -> str:
    done = subprocess.run(
        [str(find_ruff_bin()), *args, "--stdin-filename", str(path), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ruff {' '.join(args)} failed on {path}:\n{done.stderr}{done.stdout}")
    return done.stdout


def generate() -> dict[Path, str]:
    """The text every sync module should have, by path."""
    pairs = sources()
    rule = unasync.Rule("/_async/", "/_sync/", additional_replacements=RENAMES)
    out: dict[Path, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        staged = {}
        for index, (source, target) in enumerate(pairs.items()):
            copy = Path(tmp) / "_async" / f"m{index}.py"
            copy.parent.mkdir(exist_ok=True)
            copy.write_text(source.read_text())
            staged[target] = (source, copy)
        unasync.unasync_files([str(copy) for _, copy in staged.values()], [rule])
        for target, (source, copy) in staged.items():
            text = (Path(tmp) / "_sync" / copy.name).read_text()
            origin = source.relative_to(ROOT)
            header = f"# Generated from {origin}\n# by {SCRIPT}; do not edit.\n"
            text = header + _rewrite_prose(text)
            text = _ruff(["check", "--fix", "--select", "I", "--quiet"], text, target)
            out[target] = _ruff(["format", "--quiet"], text, target)
    return out


def stale(expected: dict[Path, str]) -> list[Path]:
    """Generated files that differ from `expected`, are missing, or are left over."""
    present = {CLIENT / "sync.py", *(CLIENT / "_sync").glob("*.py")}
    wrong = [p for p, text in expected.items() if not p.exists() or p.read_text() != text]
    return sorted(wrong + [p for p in present if p.exists() and p not in expected])


def main(argv: list[str]) -> int:
    expected = generate()
    if argv[1:] == ["--check"]:
        wrong = stale(expected)
        for path in wrong:
            print(f"stale: {path.relative_to(ROOT)}", file=sys.stderr)
        if wrong:
            print(f"the sync client is stale: run {SCRIPT} and commit the result", file=sys.stderr)
        return 1 if wrong else 0
    if argv[1:]:
        print(__doc__, file=sys.stderr)
        return 2
    for path in stale(expected):
        if path not in expected:
            path.unlink()
    for path, text in expected.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
