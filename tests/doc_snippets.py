"""Read the marked code blocks of a guide, so a test can run every one of them.

A guide whose code runs in the test suite cannot drift from the code. Every fenced
block must follow a marker comment saying what it is:

- `<!-- seed: who/where -->` quotes a seed project: shown, never run;
- `<!-- config: NAME -->` is a gateway configuration (YAML) snippets run against;
- `<!-- snippet: NAME on CONFIG -->` is a Python program run against a gateway
  serving CONFIG (`echo`: the zero-config default);
- `<!-- output: NAME -->` is what snippet NAME prints, exactly.

A block without a marker, a snippet without its output or naming an unknown config,
and a config no snippet uses are each a problem: `problems()` lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

FENCE = re.compile(r"^```([\w-]*)\n(.*?)^```[ \t]*$", re.M | re.S)
MARKER = re.compile(r"<!--\s*(seed|config|snippet|output):\s*(.*?)\s*-->\s*\n$")
SNIPPET = re.compile(r"([\w-]+) on ([\w-]+)")
ECHO = "echo"
"""The config name of the zero-config gateway (built-in echo provider only)."""


@dataclass(frozen=True)
class Block:
    """One fenced block and its marker (kind "" when it has none)."""

    kind: str
    label: str
    language: str
    code: str
    line: int


@dataclass
class Guide:
    """The blocks of one guide, by kind and name."""

    blocks: list[Block]
    configs: dict[str, str] = field(default_factory=dict)
    snippets: dict[str, tuple[str, str]] = field(default_factory=dict)
    """name -> (config name, Python code)."""
    outputs: dict[str, str] = field(default_factory=dict)


def blocks(text: str) -> list[Block]:
    """Every fenced block of a Markdown text with the marker on the line before it."""
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()]
        previous_line = before[before.rstrip("\n").rfind("\n") + 1 :]
        marker = MARKER.search(previous_line)
        kind, label = (marker.group(1), marker.group(2)) if marker else ("", "")
        line = before.count("\n") + 1
        found.append(Block(kind, label, match.group(1), match.group(2), line))
    return found


def read(path: Path) -> Guide:
    """The guide at `path`."""
    return parse(path.read_text(encoding="utf-8"))


def parse(text: str) -> Guide:
    """A guide's configs, snippets and outputs by name."""
    guide = Guide(blocks(text))
    for block in guide.blocks:
        if block.kind == "config":
            guide.configs[block.label] = block.code
        elif block.kind == "snippet":
            named = SNIPPET.fullmatch(block.label)
            if named:
                guide.snippets[named.group(1)] = (named.group(2), block.code)
        elif block.kind == "output":
            guide.outputs[block.label] = block.code
    return guide


def problems(guide: Guide) -> list[str]:
    """Everything that would let a block escape the test, one line each."""
    found = []
    for block in guide.blocks:
        where = f"line {block.line}"
        if not block.kind:
            found.append(f"{where}: a ```{block.language} block without a marker comment")
        elif block.kind == "snippet" and not SNIPPET.fullmatch(block.label):
            found.append(f"{where}: snippet marker {block.label!r} is not 'NAME on CONFIG'")
        elif block.kind == "snippet" and block.language != "python":
            found.append(f"{where}: snippet {block.label!r} is not a python block")
        elif block.kind == "config" and block.language != "yaml":
            found.append(f"{where}: config {block.label!r} is not a yaml block")
    for kind in ("snippet", "config", "output"):
        names = [b.label.split(" ")[0] for b in guide.blocks if b.kind == kind]
        twice = sorted({n for n in names if names.count(n) > 1})
        found += [f"{kind} {n!r} is defined twice" for n in twice]
    for name, (config, _) in guide.snippets.items():
        if config != ECHO and config not in guide.configs:
            found.append(f"snippet {name!r} runs on config {config!r}, which the guide lacks")
        if name not in guide.outputs:
            found.append(f"snippet {name!r} has no output block")
    found += [
        f"output {n!r} belongs to no snippet" for n in guide.outputs if n not in guide.snippets
    ]
    used = {config for config, _ in guide.snippets.values()}
    found += [f"config {n!r} is used by no snippet" for n in guide.configs if n not in used]
    return found
