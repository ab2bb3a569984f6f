"""docs/from-the-seeds.md runs: every modelgate snippet against a real gateway.

Each `snippet` block is run as its own Python process (the way a reader runs it), with
`MODELGATE_TARGET` naming a gateway that serves the config the snippet names: the
guide's YAML exactly, loaded as `modelgate serve --config` loads it, except that each
runtime's `base_url` points at a wire-faithful fake (FakeOpenAI, FakeOllama) and its
`api_key_env` is set. What the snippet prints must equal its `output` block. Where
the fake must answer something other than an echo (a JSON object, a story), SCRIPTS
says what; where the point is what reaches the provider (extra parameters, redaction),
UPSTREAM checks the fake's recorded requests.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelgate.config import load_settings
from tests.doc_snippets import ECHO, parse, problems, read
from tests.fakes import FakeOllama, FakeOpenAI, Reply
from tests.gateways import serve
from tests.waiting import GENEROUS_S

GUIDE_PATH = Path(__file__).resolve().parents[2] / "docs" / "from-the-seeds.md"
GUIDE = read(GUIDE_PATH)
API_KEY = "sk-seeds-guide-0123456789"
SYNTHESIZED = (
    '{"thought_process": ["The context gives the return window."], '
    '"answer": "Returns are accepted within 30 days.", "enough_context": true}'
)


@dataclass
class Fakes:
    """The upstreams the guide's runtimes are pointed at."""

    openai: FakeOpenAI
    ollama: FakeOllama


SCRIPTS: dict[str, Callable[[Fakes], None]] = {
    "create-completion": lambda f: f.openai.script(
        Reply(text=SYNTHESIZED, input_tokens=120, output_tokens=31)
    ),
    "execute": lambda f: f.openai.script(
        Reply(text="Paris.", input_tokens=14, output_tokens=2),
        Reply(text="Once upon a time, a test passed."),
        Reply(text="Happy to help with Python."),
        Reply(text="Functions that wrap other functions."),
    ),
    "ollama": lambda f: f.ollama.script(Reply(text="Hello from qwen3.")),
    "validate": lambda f: f.openai.script(
        Reply(text='{"name": "Ada Lovelace", "born": "December 1815"}'),
        Reply(text='{"name": "Ada Lovelace", "born": 1815}'),
    ),
}
"""What the fakes answer while a snippet runs (unscripted, they echo the last user text)."""


def _bodies(fake: FakeOpenAI | FakeOllama, path: str) -> list[Any]:
    return [r.json for r in fake.requests_to(path)]


def _registry_reached_the_body(fakes: Fakes) -> None:
    (body,) = _bodies(fakes.openai, "/v1/chat/completions")
    assert body["model"] == "gpt-4o", "upstream_name is what the provider sees"
    assert body["service_tier"] == "default", "the model's `extra` is in every body"
    assert body["temperature"] == 0.7, "the call's temperature wins over `defaults`"
    assert body["logprobs"] is True, "the call's extra_json is in the body"
    assert body["max_completion_tokens"] == 300, "option max_completion_tokens renames it"


def _redacted_before_the_provider(fakes: Fakes) -> None:
    sent = str(_bodies(fakes.ollama, "/api/chat"))
    assert "ada@example.com" not in sent and "[email]" in sent


UPSTREAM: dict[str, Callable[[Fakes], None]] = {
    "registry": _registry_reached_the_body,
    "extensions": _redacted_before_the_provider,
}


@pytest.fixture(scope="module")
async def fakes() -> AsyncIterator[Fakes]:
    async with FakeOpenAI() as openai, FakeOllama() as ollama:
        yield Fakes(openai, ollama)


@pytest.fixture(autouse=True)
def _fresh(fakes: Fakes) -> None:
    """Each snippet starts on the fakes' own models, with no scripts and no recordings."""
    fakes.openai.reset()
    fakes.ollama.reset()
    fakes.ollama.set_models(FakeOllama().models)


def _config_file(config: str, fakes: Fakes, directory: Path) -> Path:
    """The guide's config with each runtime pointed at its fake; a file serve would read."""
    data = yaml.safe_load(GUIDE.configs[config]) if config != ECHO else {}
    for runtime in (data or {}).get("runtimes", {}).values():
        if runtime["kind"] == "openai":
            runtime["base_url"] = fakes.openai.url + "/v1"
        elif runtime["kind"] == "ollama":
            runtime["base_url"] = fakes.ollama.url
        else:
            raise AssertionError(f"no fake for runtime kind {runtime['kind']!r}")
    path = directory / f"{config}.yaml"
    path.write_text(yaml.safe_dump(data or {}), encoding="utf-8")
    return path


async def _run(code: str, target: str, directory: Path) -> tuple[int, str, str]:
    """Run a snippet as a reader would: its own interpreter, the gateway in MODELGATE_TARGET."""
    env = {**os.environ, "MODELGATE_TARGET": target, "PYTHONUNBUFFERED": "1"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        code,
        cwd=directory,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), GENEROUS_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    return process.returncode or 0, out.decode(), err.decode()


def test_every_block_of_the_guide_is_marked_and_every_snippet_has_its_output() -> None:
    assert GUIDE.snippets, "the guide has no snippets"
    assert not problems(GUIDE), "\n".join(problems(GUIDE))


def test_the_marker_rules_catch_what_would_escape_the_test() -> None:
    text = (
        "```python\nprint(1)\n```\n"
        "<!-- snippet: a on nowhere -->\n```python\nprint(1)\n```\n"
        "<!-- config: unused -->\n```yaml\nmodels: []\n```\n"
        "<!-- output: b -->\n```text\n1\n```\n"
    )
    found = problems(parse(text))
    assert found == [
        "line 1: a ```python block without a marker comment",
        "snippet 'a' runs on config 'nowhere', which the guide lacks",
        "snippet 'a' has no output block",
        "output 'b' belongs to no snippet",
        "config 'unused' is used by no snippet",
    ]


@pytest.mark.parametrize("name", sorted(GUIDE.snippets))
async def test_snippet_prints_its_output(
    name: str, fakes: Fakes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config, code = GUIDE.snippets[name]
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    settings = load_settings(_config_file(config, fakes, tmp_path), _env_file=None)
    if name in SCRIPTS:
        SCRIPTS[name](fakes)
    async with serve(settings) as served:
        code_, out, err = await _run(code, served.target, tmp_path)
    assert code_ == 0, f"snippet {name!r} failed:\n{err}"
    assert out.rstrip("\n") == GUIDE.outputs[name].rstrip("\n"), f"stderr:\n{err}"
    if name in UPSTREAM:
        UPSTREAM[name](fakes)
