"""How the docs tests read names out of README.md, docs/, deploy/ and the Dockerfile, and judge
them against the settings model (the rules are in test_docs_match_code.py's docstring).
"""

from __future__ import annotations

import difflib
import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from modelgate.config import Settings
from modelgate.config_paths import Shape, shape_of

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
DEPLOY = sorted(p for p in (ROOT / "deploy").rglob("*") if p.is_file())
SCANNED = [*DOCS, *DEPLOY, ROOT / "Dockerfile"]
CODE_ROOTS = ("server", "clients", "scripts", "bench")
CODE_SUFFIXES = {".py", ".go", ".java", ".ts", ".js", ".mjs", ".sh"}
# Generated stubs (v1, gen), bench output and installed packages read no settings.
SKIPPED_DIRS = {"node_modules", ".venv", "__pycache__", "results", "v1", "gen"}
PREFIX = "MODELGATE_"

ENV_TOKEN = re.compile(r"(?<![A-Za-z0-9_])MODELGATE_[A-Z0-9_]*")
METRIC_TOKEN = re.compile(r"(?<![\w./-])((?:modelgate|gen_ai)_[a-z0-9_]+)(\{[^}\n]*\})?")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
DOTTED = re.compile(r"[a-z_]+(?:\.(?:[a-z0-9_]+|\*))+")
FENCE = re.compile(r"^([ \t]*)```[ \t]*([\w+-]*)[^\n]*\n(.*?)^\1```[ \t]*$", re.M | re.S)
_NAME = r"[\"']?(MODELGATE_[A-Z0-9_]+)"
PROGRAM_READ = re.compile(
    r"(?:environ\.get\(\s*|environ\[\s*|getenv\(\s*|Getenv\(\s*|process\.env\[\s*|process\.env\.)"
    + _NAME
)
SHELL_READ = re.compile(r"\$\{?" + _NAME)
NEAR_MISS = 0.8


SETTINGS = Shape(model=Settings)
SECTIONS = frozenset(Settings.model_fields)
MODEL_SECTIONS = frozenset(
    name for name, field in Settings.model_fields.items() if shape_of(field.annotation).model
)


def unknown_keys(value: object, shape: Shape, path: str = "") -> Iterator[str]:
    """Dotted paths of every key in a config value that the settings model does not know."""
    if shape.model is not None and isinstance(value, dict):
        for key, sub in value.items():
            where = f"{path}.{key}" if path else str(key)
            field = shape.model.model_fields.get(str(key))
            if field is None:
                yield where
            else:
                yield from unknown_keys(sub, shape_of(field.annotation), where)
    elif shape.item is not None and shape.is_list and isinstance(value, list):
        for index, sub in enumerate(value):
            yield from unknown_keys(sub, shape.item, f"{path}[{index}]")
    elif shape.item is not None and not shape.is_list and isinstance(value, dict):
        for key, sub in value.items():
            yield from unknown_keys(sub, shape.item, f"{path}.{key}")


def setting_problem(parts: list[str], *, section: bool = False) -> str | None:
    """None when `parts` name a setting (a section if `section`), else what is wrong."""
    shape = SETTINGS
    for depth, part in enumerate(parts):
        here = ".".join(parts[: depth + 1])
        if shape.model is not None:
            field = shape.model.model_fields.get(part)
            if field is None:
                return f"no setting `{here}`"
            shape = shape_of(field.annotation)
        elif shape.is_list:
            return f"`{'.'.join(parts[:depth])}` is a list: it is set whole, not by parts"
        elif shape.item is not None:
            shape = shape.item  # a map key: a runtime or alias name, a header, an option
            if shape.is_value:
                return None
        else:
            return f"`{'.'.join(parts[:depth])}` is a value, not a section"
    if section and shape.is_value:
        return f"`{'.'.join(parts)}` is a value, not a section"
    return None


def env_problem(name: str) -> str | None:
    """What is wrong with a `MODELGATE_*` name read as a setting (pydantic-settings' rules)."""
    rest = name[len(PREFIX) :].lower()
    if not rest:
        return None  # the prefix itself, as in "MODELGATE_*"
    section = rest.endswith("__")
    return setting_problem(rest.removesuffix("__").split("__"), section=section)


def yaml_block_problems(block: str) -> list[str]:
    """Unknown keys of a doc yaml block that is config; near-miss sections of one that is not."""
    try:
        documents = [d for d in yaml.safe_load_all(block) if d is not None]
    except yaml.YAMLError as exc:
        return [f"not valid YAML: {exc}".replace("\n", " ")]
    problems: list[str] = []
    for document in documents:
        if not isinstance(document, dict):
            continue
        keys = [str(k) for k in document]
        if SECTIONS.intersection(keys):
            problems += [f"unknown config key `{k}`" for k in unknown_keys(document, SETTINGS)]
            continue
        for key in keys:
            close = difflib.get_close_matches(key, SECTIONS, n=1, cutoff=NEAR_MISS)
            if close:
                problems.append(f"top-level `{key}` looks like a misspelt setting `{close[0]}`")
    return problems


def relative(path: Path) -> str:
    """The path as the repository names it, for failure messages."""
    return str(path.relative_to(ROOT))


def line_of(text: str, offset: int) -> int:
    """1-based line number of a character offset."""
    return text.count("\n", 0, offset) + 1


def fenced_blocks(text: str) -> Iterator[tuple[int, str, str]]:
    """(line, language, dedented body) of each fenced code block."""
    for match in FENCE.finditer(text):
        yield line_of(text, match.start()), match.group(2).lower(), textwrap.dedent(match.group(3))


def prose(text: str) -> str:
    """The text with fenced blocks blanked out (line numbers kept)."""
    return FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def deploy_documents() -> list[tuple[Path, dict[str, Any]]]:
    """Every YAML document under deploy/ with the file it came from."""
    found: list[tuple[Path, dict[str, Any]]] = []
    for path in DEPLOY:
        if path.suffix in (".yaml", ".yml"):
            found += [(path, d) for d in yaml.safe_load_all(path.read_text()) if d]
    return found


def code_env_reads() -> set[str]:
    """`MODELGATE_*` names code in the repository reads from the environment itself."""
    names: set[str] = set()
    for root in CODE_ROOTS:
        for path in (ROOT / root).rglob("*"):
            if not path.is_file() or SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                continue
            script = path.suffix == "" and os.access(path, os.X_OK)
            if path.suffix not in CODE_SUFFIXES and not script:
                continue  # READMEs there show callers' code, not what the programs read
            text = path.read_text(errors="ignore")
            names.update(PROGRAM_READ.findall(text), SHELL_READ.findall(text))
    return names


def service_link_pattern() -> re.Pattern[str]:
    """Variables Kubernetes injects for the Services under deploy/ (enableServiceLinks)."""
    services = [
        d["metadata"]["name"].upper().replace("-", "_")
        for _, d in deploy_documents()
        if d.get("kind") == "Service"
    ]
    names = "|".join(re.escape(s) for s in services) or "(?!)"
    return re.compile(
        rf"(?:{names})_(?:SERVICE_HOST|SERVICE_PORT(?:_[A-Z0-9_]+)?"
        r"|PORT(?:_\d+_(?:TCP|UDP|SCTP)(?:_(?:PROTO|PORT|ADDR))?)?)"
    )


CODE_READS = code_env_reads()
SERVICE_LINKS = service_link_pattern()


def name_problems(path: Path) -> list[str]:
    """`MODELGATE_*` names and dotted settings in a file that the settings do not know."""
    text = path.read_text()
    own_reads = set(PROGRAM_READ.findall(text))
    problems: list[str] = []
    for match in ENV_TOKEN.finditer(text):
        name = match.group(0)
        if name in CODE_READS or name in own_reads or SERVICE_LINKS.fullmatch(name):
            continue
        problem = env_problem(name)
        if problem:
            problems.append(f"{relative(path)}:{line_of(text, match.start())}: {name}: {problem}")
    if path.suffix == ".md":
        body = prose(text)
        for span in INLINE_CODE.finditer(body):
            dotted = DOTTED.match(span.group(1))
            if dotted is None or dotted.group(0).split(".")[0] not in MODEL_SECTIONS:
                continue
            parts = dotted.group(0).split(".")
            section = parts[-1] == "*"
            problem = setting_problem(parts[:-1] if section else parts, section=section)
            if problem:
                where = f"{relative(path)}:{line_of(body, span.start())}"
                problems.append(f"{where}: `{span.group(1)}`: {problem}")
    return problems


def config_yaml_problems(path: Path) -> list[str]:
    """Config keys the settings do not know, in doc yaml blocks or ConfigMap config files."""
    problems: list[str] = []
    if path.suffix == ".md":
        for line, language, body in fenced_blocks(path.read_text()):
            if language in ("yaml", "yml"):
                problems += [f"{relative(path)}:{line}: {p}" for p in yaml_block_problems(body)]
        return problems
    for source, document in deploy_documents():
        if source != path or document.get("kind") != "ConfigMap":
            continue
        for key, value in (document.get("data") or {}).items():
            if str(key).endswith((".yaml", ".yml")):
                catalog = yaml.safe_load(value) or {}
                problems += [
                    f"{relative(path)}: ConfigMap {document['metadata']['name']} {key}: "
                    f"unknown config key `{k}`"
                    for k in unknown_keys(catalog, SETTINGS)
                ]
    return problems
