"""The `options` each built-in backend kind reads, declared once, so the config refuses the rest.

A runtime's and a model's `options` were free-form maps: `fetch_image: true` loaded fine
and did nothing. Two scopes, because they are read at different times:

- runtime options are read once, when the runtime's backend is built (connections, image
  fetching, API versions): only a runtime may set them;
- model options are read per deployment, from the model's `options` over its runtime's:
  on a runtime they are the default of its models, on a model they override it.

The backends read these names as literals (`config.options.get("max_connections")`);
tests/unit/test_config_options.py scans their source and fails on a name read but not
declared for the kind, or declared but read nowhere. Not declared, so free-form: kinds
from plugins (registered or entry points, also when they take a built-in's name), whose
own factory judges its options. Nothing under `options` is passed through to an upstream
unchanged (Ollama's own request `options`, such as `num_ctx`, go in a model's `extra` or
`defaults`, or a request's `extra_json`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal

from annotated_types import Ge, Gt
from pydantic import TypeAdapter, ValidationError

from modelgate.config_paths import closest, dotted
from modelgate.config_presets import PRESET_DEFAULTS

if TYPE_CHECKING:
    from modelgate.config_catalog import ModelConfig, RuntimeConfig

Problem = tuple[str, str]
_SHOWN_CHARS = 60


@dataclass(frozen=True, slots=True)
class Option:
    """One option name of a kind: the value's type and what it does."""

    type: Any
    """An annotation pydantic validates (and converts: `"4"` from the environment is 4)."""
    doc: str
    preset_only: bool = False
    """Taken only with a preset whose defaults name it (Azure's `api_version`)."""


@dataclass(frozen=True, slots=True)
class KindOptions:
    """The options one backend kind reads, by scope."""

    runtime: Mapping[str, Option] = field(default_factory=dict)
    model: Mapping[str, Option] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "runtime", MappingProxyType(dict(self.runtime)))
        object.__setattr__(self, "model", MappingProxyType(dict(self.model)))

    def on_runtime(self) -> dict[str, Option]:
        """What a runtime may set: its own options and its models' defaults."""
        return {**self.runtime, **self.model}


_Positive = Annotated[int, Gt(0)]
_Seconds = Annotated[float, Gt(0)]
_Millis = Annotated[float, Ge(0)]

_MAX_CONNECTIONS = Option(_Positive, "connections kept open to the upstream")
_FETCH_IMAGES = Option(
    bool, "the gateway fetches image URLs (checked, public addresses only) and sends bytes"
)
_OPENAI_RUNTIME = {
    "max_connections": _MAX_CONNECTIONS,
    "fetch_images": _FETCH_IMAGES,
    "embedding_encoding": Option(
        Literal["float", "base64"], "`encoding_format` of embedding requests"
    ),
}
_OPENAI_MODEL = {
    "max_completion_tokens": Option(
        bool, "Chat Completions: send the output limit as `max_completion_tokens`"
    ),
}

OPTIONS: Mapping[str, KindOptions] = MappingProxyType(
    {
        "echo": KindOptions(
            runtime={"dimension": Option(_Positive, "length of the embedding vectors")},
            model={
                "latency_ms": Option(_Millis, "wait before answering"),
                "token_interval_ms": Option(
                    _Millis, "wait between stream deltas (and speech chunks, transcript words)"
                ),
                "repeat_stream": Option(bool, "streams repeat the answer and never end"),
            },
        ),
        "openai": KindOptions(runtime=_OPENAI_RUNTIME, model=_OPENAI_MODEL),
        "openai_compatible": KindOptions(
            runtime={
                **_OPENAI_RUNTIME,
                "api_version": Option(
                    str | date, "the `api-version` query parameter", preset_only=True
                ),
            },
            model=_OPENAI_MODEL,
        ),
        "lmstudio": KindOptions(
            runtime={
                **_OPENAI_RUNTIME,
                "download_poll_seconds": Option(_Seconds, "PullModel progress polling interval"),
            },
            model=_OPENAI_MODEL,
        ),
        "anthropic": KindOptions(
            runtime={
                "max_connections": _MAX_CONNECTIONS,
                "anthropic_version": Option(str, "the `anthropic-version` header"),
            },
        ),
        "ollama": KindOptions(
            runtime={
                "max_connections": _MAX_CONNECTIONS,
                "discovery_seconds": Option(_Seconds, "bound on one model-listing call"),
            },
            model={
                "keep_alive": Option(
                    str | int | float, "`keep_alive` of every request (`5m`, seconds, -1: forever)"
                ),
            },
        ),
        "gemini": KindOptions(
            runtime={"max_connections": _MAX_CONNECTIONS, "fetch_images": _FETCH_IMAGES},
            model={
                "thinking": Option(
                    Literal["level", "budget"],
                    "send effort as `thinkingLevel` or as a budget (default: from the name)",
                ),
            },
        ),
    }
)
"""Every built-in kind's options (the kinds of `modelgate.plugins.PROVIDERS.builtin`)."""


def runtime_option_problems(name: str, runtime: RuntimeConfig) -> list[Problem]:
    """The options of runtime `name` its kind does not read, or of the wrong type; the
    others are converted in place to their declared type."""
    declared = OPTIONS[runtime.kind]
    problems: list[Problem] = []
    known = declared.on_runtime()
    for option in list(runtime.options):
        where = dotted(("runtimes", name, "options", option))
        spec = known.get(option)
        if spec is None:
            problems.append((where, _unknown(option, runtime.kind, list(known))))
            continue
        presets = [p for p, row in PRESET_DEFAULTS.items() if option in row.options]
        if spec.preset_only and runtime.preset not in presets:
            problems.append((where, f"taken only with `preset`: {', '.join(presets)}"))
            continue
        problems += _coerce(runtime.options, option, where, spec)
    return problems


def model_option_problems(index: int, model: ModelConfig, runtime: RuntimeConfig) -> list[Problem]:
    """The options of `models[index]` its runtime's kind does not read per model, or of the
    wrong type; the others are converted in place to their declared type."""
    declared = OPTIONS[runtime.kind]
    problems: list[Problem] = []
    for option in list(model.options):
        where = dotted(("models", index, "options", option))
        spec = declared.model.get(option)
        if spec is not None:
            problems += _coerce(model.options, option, where, spec)
        elif option in declared.runtime:
            message = (
                f"a runtime option of kind {runtime.kind!r}, read once for the whole runtime: "
                f"set it on runtime {model.runtime!r}"
            )
            problems.append((where, message))
        else:
            problems.append((where, _unknown(option, runtime.kind, list(declared.model))))
    return problems


def _unknown(option: str, kind: str, known: list[str]) -> str:
    guess = closest(option, known)
    if guess is not None:
        return f"unknown option of kind {kind!r}; did you mean `{guess}`?"
    listed = ", ".join(known) if known else "none"
    return f"unknown option of kind {kind!r} (known: {listed})"


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _coerce(options: dict[str, Any], name: str, where: str, spec: Option) -> list[Problem]:
    """Replace `options[name]` by its validated value, or say why it is not one.

    Lax like every other setting, so a value from an environment variable (always text)
    means what it says: `"false"` becomes False (a backend's `bool("false")` is True).
    """
    value = options[name]
    try:
        options[name] = _adapter(spec.type).validate_python(value)
    except ValidationError as exc:
        shown = repr(value)
        got = f" (got {shown})" if len(shown) <= _SHOWN_CHARS else ""
        return [(where, f"{exc.errors()[0]['msg']}{got}")]
    return []


def options_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of a runtime's `options` of `kind` (closed: unknown names refused)."""
    properties = {
        name: {**_adapter(spec.type).json_schema(), "description": spec.doc}
        for name, spec in OPTIONS[kind].on_runtime().items()
    }
    return {"type": "object", "properties": properties, "additionalProperties": False}


START = "<!-- options-table:start (python -m modelgate.config_options) -->"
END = "<!-- options-table:end -->"


def _type_text(schema: Mapping[str, Any]) -> str:
    if "enum" in schema:
        return " or ".join(f"`{value}`" for value in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type_text(part) for part in schema["anyOf"])
    text = str(schema.get("format", schema.get("type", "any")))
    if "exclusiveMinimum" in schema:
        text += f" > {schema['exclusiveMinimum']}"
    if "minimum" in schema:
        text += f" >= {schema['minimum']}"
    return text


def render() -> str:
    """The docs' table of every built-in kind's options (docs/operations.md)."""
    lines = [START, "| kind | option | set on | value | what it does |", "|---|---|---|---|---|"]
    for kind, declared in OPTIONS.items():
        for scope, options in (("runtime", declared.runtime), ("runtime or model", declared.model)):
            for name, spec in options.items():
                value = _type_text(_adapter(spec.type).json_schema())
                doc = spec.doc + (" (presets that set it only)" if spec.preset_only else "")
                lines.append(f"| `{kind}` | `{name}` | {scope} | {value} | {doc} |")
    lines.append(END)
    return "\n".join(lines)


if __name__ == "__main__":
    print(render())
