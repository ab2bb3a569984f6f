"""The docs' provider table, rendered from declarations: one row per kind and per preset.

Kinds declare their features here (`KINDS`); presets are their own rows in presets.py.
tests/unit/test_provider_table.py checks each kind's claims against its backend (which
RPCs it overrides, whether it has a local tokenizer) and README.md against `render()`.
`uv run python -m modelgate.providers.provider_table --write README.md` rewrites the
block between the markers. A new kind is one entry in `KINDS`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from modelgate.providers.openai.presets import PRESETS, Preset

START = "<!-- provider-table:start (python -m modelgate.providers.provider_table) -->"
END = "<!-- provider-table:end -->"
ESTIMATE = "estimate (~4 characters per token)"


@dataclass(frozen=True, slots=True)
class Features:
    """What one backend kind (or preset) offers, as the provider table shows it."""

    rpcs: tuple[str, ...]
    """Beyond Chat, StreamChat and CountTokens (which every kind serves)."""
    tools: bool
    vision: bool
    json_schema: str
    reasoning: str
    caching: str
    token_counting: str
    management: str = ""


KINDS: dict[str, Features] = {
    "echo": Features(("Complete", "Embed"), True, True, "native (echoes JSON)",
                     "`thinking about: <last user text>`", "—", "exact (its own tokenizer)"),
    "openai": Features(("Complete", "Embed"), True, True, "native `json_schema`",
                       "`reasoning_effort`; Responses summaries", "automatic; cached tokens",
                       "exact (tiktoken) for OpenAI models"),
    "openai_compatible": Features(("Complete", "Embed"), True, True, "native `json_schema`",
                                  "`reasoning_content` / `reasoning`", "server's",
                                  f"tiktoken for OpenAI model names, else {ESTIMATE}"),
    "lmstudio": Features(("Complete", "Embed"), True, True, "native `json_schema`",
                         "`reasoning_content`", "—",
                         f"tiktoken for OpenAI model names, else {ESTIMATE}",
                         "download, load, unload, list loaded (no delete)"),
    "anthropic": Features(("Complete",), True, True, "forced tool", "thinking blocks, signed",
                          "breakpoints", "exact (count_tokens API)"),
    "ollama": Features(("Complete", "Embed"), True, True, "native `format`", "`thinking`",
                       "—", ESTIMATE, "pull, delete, load, unload, list loaded"),
    "gemini": Features(("Complete", "Embed"), True, True, "native `responseJsonSchema`",
                       "`thinkingConfig`; thought parts, signed", "implicit; cached tokens",
                       "exact (countTokens API)"),
}  # fmt: skip
"""Every built-in kind's declaration, in the registry's order."""


def preset_features(preset: Preset) -> Features:
    """A preset row as the table shows it (its endpoints, quirks and reasoning key)."""
    rpcs: tuple[str, ...] = ("Complete",) if preset.complete is not None else ()
    rpcs += ("Embed",) if preset.embeddings else ()
    if preset.chat is None:
        rpcs = ("Embed",)
    reasoning = preset.reasoning.removeprefix("message.")
    if reasoning:
        sent_back = preset.config.reasoning_input != "strip"
        reasoning = f"`{reasoning}` ({'sent back' if sent_back else 'not sent back'})"
    return Features(
        rpcs,
        tools=preset.chat is not None,
        vision=preset.vision,
        json_schema=_json_schema(preset),
        reasoning=reasoning or "—",
        caching=preset.caching or "—",
        token_counting=KINDS["openai_compatible"].token_counting,
    )


def _json_schema(preset: Preset) -> str:
    if preset.chat is None:
        return "—"
    return "native `json_schema`" if preset.json_schema else "`json_object` + gateway check"


def _yes(flag: bool) -> str:
    return "yes" if flag else "—"


def _row(name: str, features: Features, chat: bool = True) -> str:
    rpcs = ("Chat, StreamChat, " if chat else "") + ", ".join((*features.rpcs, "CountTokens"))
    cells = [
        name,
        rpcs,
        _yes(chat),
        _yes(features.tools),
        _yes(features.vision),
        features.json_schema,
        features.reasoning,
        features.caching,
        _yes("Embed" in features.rpcs),
        features.token_counting,
        features.management or "—",
    ]
    return "| " + " | ".join(cells) + " |"


def render() -> str:
    """The README block between the markers."""
    header = [
        "kind / preset", "RPCs", "streaming", "tools", "vision", "JSON schema", "reasoning",
        "caching", "embeddings", "token counting", "model management",
    ]  # fmt: skip
    lines = [START, "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [_row(f"`{kind}`", features) for kind, features in KINDS.items()]
    for preset in PRESETS.values():
        name = f"`openai_compatible`, `preset: {preset.name}` ({preset.label})"
        lines.append(_row(name, preset_features(preset), chat=preset.chat is not None))
    lines.append(END)
    return "\n".join(lines)


def rewrite(path: Path) -> None:
    """Replace the block between the markers in `path` with `render()`."""
    text = path.read_text()
    start, end = text.index(START), text.index(END) + len(END)
    path.write_text(text[:start] + render() + text[end:])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write"]:
        rewrite(Path(sys.argv[2]))
    else:
        print(render())
