"""Runtime and model `options` are declared once per kind, read as declared, and checked.

The declarations (config_options.py) and the backends' reads must agree both ways: a
name a backend reads that is not declared would be refused though it works; a declared
name no backend reads would load and do nothing. Both are found by scanning the
backends' source, so neither side is a hand-kept copy of the other.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelgate.config import RuntimeConfig, load_settings
from modelgate.config_errors import ConfigError
from modelgate.config_options import OPTIONS, Option, render
from modelgate.config_presets import PRESET_DEFAULTS
from modelgate.plugins import PROVIDERS
from modelgate.providers.echo_factory import create as create_echo
from modelgate.providers.openai.presets import PRESETS
from modelgate.providers.registry import builtin_kinds, create_backend

ROOT = Path(__file__).resolve().parents[2]
PROVIDER_DIR = ROOT / "server" / "modelgate" / "providers"
SOURCES = {
    "echo": ["echo.py", "echo_factory.py"],
    "openai": ["openai"],
    "openai_compatible": ["openai"],
    "lmstudio": ["openai"],
    "anthropic": ["anthropic"],
    "ollama": ["ollama"],
    "gemini": ["gemini"],
}
"""Where each built-in kind's backend lives (its factory in modelgate.plugins names it)."""

Load = Callable[[str], list[str]]


def _files(part: str) -> list[Path]:
    path = PROVIDER_DIR / part
    return sorted(path.rglob("*.py")) if path.is_dir() else [path]


def _is_options(node: ast.expr) -> bool:
    return (isinstance(node, ast.Attribute) and node.attr == "options") or (
        isinstance(node, ast.Name) and node.id == "options"
    )


def option_reads(path: Path) -> set[str]:
    """Literal names read from an `options` map: `x.options.get("a")`, `options["b"]`."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        key: ast.expr | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get" and _is_options(node.func.value) and node.args:
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice if _is_options(node.value) else None
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.add(key.value)
    return found


def _reads_of(kind: str) -> set[str]:
    reads = {name for part in SOURCES[kind] for path in _files(part) for name in option_reads(path)}
    if kind == "openai_compatible":  # read through the preset row: `options[query_options[q]]`
        reads |= {name for p in PRESETS.values() for name in p.query_options.values()}
    return reads


def test_every_builtin_kind_declares_its_options_and_names_its_source() -> None:
    assert list(OPTIONS) == list(builtin_kinds()) == list(SOURCES)


def test_the_scan_sees_reads_and_not_writes() -> None:
    assert {"keep_alive"} <= option_reads(PROVIDER_DIR / "ollama" / "request.py")
    assert "temperature" not in option_reads(PROVIDER_DIR / "ollama" / "request.py")
    assert option_reads(PROVIDER_DIR / "echo.py") == {
        "latency_ms",
        "token_interval_ms",
        "repeat_stream",
    }


@pytest.mark.parametrize("kind", list(SOURCES))
def test_a_backend_reads_only_declared_options_and_every_declared_one(kind: str) -> None:
    group = [k for k in SOURCES if SOURCES[k] == SOURCES[kind]]
    declared_by_group = {name for k in group for name in OPTIONS[k].on_runtime()}
    reads = _reads_of(kind)
    assert reads <= declared_by_group, f"read but declared for no kind served there: {reads}"
    unread = set(OPTIONS[kind].on_runtime()) - reads
    assert not unread, f"declared for {kind} but read nowhere in its backend: {unread}"


def test_shared_provider_modules_read_no_options() -> None:
    owned = {path for parts in SOURCES.values() for part in parts for path in _files(part)}
    for path in sorted(PROVIDER_DIR.rglob("*.py")):
        if path not in owned:
            assert option_reads(path) == set(), f"{path.name} reads options of no one kind"


def test_preset_options_are_declared_for_their_presets() -> None:
    declared = OPTIONS["openai_compatible"].runtime
    for row in PRESET_DEFAULTS.values():
        assert set(row.options) <= set(declared), row.name
    for preset in PRESETS.values():
        for option in preset.query_options.values():
            assert declared[option].preset_only, option
            assert option in PRESET_DEFAULTS[preset.name].options, (preset.name, option)


def example(spec: Option) -> Any:
    """A valid value of an option, from its JSON Schema."""
    from modelgate.config_options import _adapter

    schema = _adapter(spec.type).json_schema()
    schema = schema.get("anyOf", [schema])[0]
    if "enum" in schema:
        return schema["enum"][0]
    return {"boolean": True, "integer": 3, "number": 0.5, "string": "2024-10-21"}[schema["type"]]


@pytest.fixture
def load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Load]:
    """Problems of loading a YAML config (no `MODELGATE_*` environment)."""
    import os

    for name in [n for n in os.environ if n.upper().startswith("MODELGATE_")]:
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def problems(text: str) -> list[str]:
        config = tmp_path / "modelgate.yaml"
        config.write_text(text)
        try:
            load_settings(config)
        except ConfigError as exc:
            return exc.lines
        return []

    yield problems


def test_every_declared_option_loads_and_builds_its_backend(load: Load) -> None:
    runtimes: dict[str, Any] = {}
    models: list[dict[str, Any]] = []
    for kind, declared in OPTIONS.items():
        options = {name: example(spec) for name, spec in declared.on_runtime().items()}
        runtime: dict[str, Any] = {
            "kind": kind,
            "base_url": "http://127.0.0.1:9",
            "options": options,
        }
        if any(spec.preset_only for spec in declared.runtime.values()):
            runtime["preset"] = "azure_openai"
        runtimes[f"r-{kind}"] = runtime
        model_options = {name: example(spec) for name, spec in declared.model.items()}
        models.append({"id": f"m-{kind}", "runtime": f"r-{kind}", "options": model_options})
        assert create_backend(kind, RuntimeConfig.model_validate(runtime)) is not None
    assert load(yaml.safe_dump({"runtimes": runtimes, "models": models})) == []


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "runtimes: {gem: {kind: gemini, options: {fetch_image: true}}}",
            "`runtimes.gem.options.fetch_image`: unknown option of kind 'gemini'; "
            "did you mean `fetch_images`?",
        ),
        (
            "runtimes: {lms: {kind: lmstudio, options: {download_poll_second: 1}}}",
            "`runtimes.lms.options.download_poll_second`: unknown option of kind 'lmstudio'; "
            "did you mean `download_poll_seconds`?",
        ),
        (
            "runtimes: {gem: {kind: gemini}}\n"
            "models: [{id: g, runtime: gem, options: {thinkng: level}}]",
            "`models[0].options.thinkng`: unknown option of kind 'gemini'; "
            "did you mean `thinking`?",
        ),
        (
            "runtimes: {gem: {kind: gemini}}\n"
            "models: [{id: g, runtime: gem, options: {thinking: levels}}]",
            "`models[0].options.thinking`: Input should be 'level' or 'budget' (got 'levels')",
        ),
        (
            "runtimes: {o: {kind: ollama}}\n"
            "models: [{id: l, runtime: o, options: {max_connections: 2}}]",
            "`models[0].options.max_connections`: a runtime option of kind 'ollama', read once "
            "for the whole runtime: set it on runtime 'o'",
        ),
        (
            "runtimes: {a: {kind: openai, options: {fetch_images: 'maybe'}}}",
            "`runtimes.a.options.fetch_images`: Input should be a valid boolean, unable to "
            "interpret input (got 'maybe')",
        ),
        (
            "runtimes: {a: {kind: anthropic, options: {max_connections: 0}}}",
            "`runtimes.a.options.max_connections`: Input should be greater than 0 (got 0)",
        ),
        (
            "runtimes: {a: {kind: openai_compatible, base_url: 'http://h', "
            "options: {api_version: '2024-10-21'}}}",
            "`runtimes.a.options.api_version`: taken only with `preset`: azure_openai",
        ),
        (
            "models: [{id: e, runtime: echo, options: {zzz: 1}}]",
            "`models[0].options.zzz`: unknown option of kind 'echo' "
            "(known: latency_ms, token_interval_ms, repeat_stream)",
        ),
    ],
)
def test_an_option_its_kind_does_not_read_is_refused_with_the_closest_name(
    load: Load, text: str, line: str
) -> None:
    assert load(text) == [line]


def test_options_from_the_environment_take_their_declared_type(
    load: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODELGATE_RUNTIMES__LOCAL__KIND", "openai_compatible")
    monkeypatch.setenv("MODELGATE_RUNTIMES__LOCAL__BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("MODELGATE_RUNTIMES__LOCAL__OPTIONS__FETCH_IMAGES", "false")
    monkeypatch.setenv("MODELGATE_RUNTIMES__LOCAL__OPTIONS__MAX_CONNECTIONS", "4")
    monkeypatch.setenv("MODELGATE_MODELS", '[{"id": "m", "runtime": "local"}]')
    assert load("") == []
    options = load_settings().runtimes["local"].options
    assert options == {"fetch_images": False, "max_connections": 4}, "not the truthy 'false'"
    backend = create_backend("local", RuntimeConfig(kind="openai_compatible", options=options))
    assert getattr(backend, "images", "absent") is None, "no image fetching"


def test_a_plugin_kind_and_a_builtin_taken_over_by_a_plugin_keep_free_form_options(
    load: Load, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(PROVIDERS._registered, "options-test-kind", create_echo)
    assert load("runtimes: {p: {kind: options-test-kind, options: {anything: [1]}}}") == []
    assert load("runtimes: {g: {kind: gemini, options: {anything: 1}}}") != []
    monkeypatch.setitem(PROVIDERS._registered, "gemini", create_echo)
    assert not PROVIDERS.is_builtin("gemini")
    assert load("runtimes: {g: {kind: gemini, options: {anything: 1}}}") == []


def test_the_operations_guide_lists_every_kinds_options() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    table = render()
    start, end = table.splitlines()[0], table.splitlines()[-1]
    assert start in text and end in text, f"docs/operations.md needs the block:\n{table}"
    current = text[text.index(start) : text.index(end) + len(end)]
    assert current == table, (
        "docs/operations.md is stale: paste `python -m modelgate.config_options`"
    )
    for kind, declared in OPTIONS.items():
        for name in declared.on_runtime():
            assert f"| `{kind}` | `{name}` |" in current
