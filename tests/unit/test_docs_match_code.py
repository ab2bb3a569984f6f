"""Docs and deploy files name only settings and metrics the code really has.

A misspelt name in a manifest once lost its setting in production: the Kubernetes
ConfigMap set `MODELGATE_STATE__REDIS_URL` (the setting is `state.url`) and every
replica kept its own memory state. The gateway now refuses unknown keys and
`MODELGATE_*` names at start-up, but a doc is never started: these tests read the
names the way an operator copies them (README.md, docs/*.md, deploy/, the
Dockerfile) and check each against the settings model and the metrics registry the
server builds.

Rules:

- A `MODELGATE_*` token anywhere (prose, shell snippets, manifests, comments)
  must name a setting (prefix stripped, `__` descends into sections, map keys
  such as runtime names are free, free-form maps such as `options` are not
  descended into, lists are only set whole), or a section when it ends in
  `__`. Exceptions, all derived, none kept by hand: names that code in
  server/, clients/, scripts/ or bench/ reads from the environment directly,
  names a doc's own example code reads (a caller's variable), and the
  variables Kubernetes injects for a Service defined under deploy/.
- An inline code span starting with a settings section and a dot
  (`state.url`, `server.*`; not `config.yaml`) must name a setting or section.
- A fenced yaml block, or a YAML document in it, is config when any of its
  top-level keys is a top-level setting; then every key in it must be known.
  Any other block (Kubernetes manifests, buf files) must not have a top-level
  key that is a near-miss of a setting (`sever:` alone is a typo, not a
  manifest). A ConfigMap's `*.yaml` entry is a config file: every key known.
- A `modelgate_*` token is a metric: it must be a name (`# TYPE` or sample) a
  scrape of the real registry shows, and labels written as `name{a,b}` must
  be labels of that series.
"""

from __future__ import annotations

import difflib
import os
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlparse

import pytest
import yaml
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from modelgate.config import (
    ModelConfig,
    PricingConfig,
    Settings,
    TelemetryConfig,
    load_settings,
)
from modelgate.config_paths import Shape, shape_of
from modelgate.state import redis as redis_state
from modelgate.state.factory import build_state
from modelgate.v1 import chat_pb2, generation_pb2
from tests.gateways import serve, settings
from tests.rpc_helpers import chat_request, user

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
METRIC_TOKEN = re.compile(r"(?<![\w./-])(modelgate_[a-z0-9_]+)(\{[^}\n]*\})?")
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


@pytest.mark.parametrize("path", SCANNED, ids=relative)
def test_every_settings_name_in_docs_and_deploy_is_known(path: Path) -> None:
    problems = name_problems(path)
    assert not problems, "names the settings model does not know:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", [*DOCS, *DEPLOY], ids=relative)
def test_every_config_yaml_key_in_docs_and_deploy_is_known(path: Path) -> None:
    problems = config_yaml_problems(path)
    assert not problems, "config keys the settings model does not know:\n" + "\n".join(problems)


def test_the_rules_catch_typos_and_leave_other_yaml_alone() -> None:
    assert env_problem("MODELGATE_STATE__REDIS_URL") == "no setting `state.redis_url`"
    assert env_problem("MODELGATE_STATE__URL") is None
    assert env_problem("MODELGATE_SERVER__") is None
    assert env_problem("MODELGATE_ECHO__") is not None, "a value is no section"
    assert env_problem("MODELGATE_RUNTIMES__OPENAI__OPTIONS__ANYTHING") is None
    assert env_problem("MODELGATE_RUNTIMES__OPENAI__KINDS") is not None
    assert env_problem("MODELGATE_MODELS__0__ID") is not None, "lists are set whole"
    assert yaml_block_problems("server: {port: 1}\nsever: {host: x}") == [
        "unknown config key `sever`"
    ]
    assert yaml_block_problems("sever: {port: 1}") == [
        "top-level `sever` looks like a misspelt setting `server`"
    ]
    assert yaml_block_problems(
        "models:\n  - {id: a, runtime: b, pricing: {inptu: 1}, options: {free: {form: 1}}}"
    ) == ["unknown config key `models[0].pricing.inptu`"]
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}"
    buf = "version: v2\nmodules: [{path: proto}]\nlint: {use: [STANDARD]}"
    assert yaml_block_problems(manifest) == yaml_block_problems(buf) == []
    assert SERVICE_LINKS.fullmatch("MODELGATE_SERVICE_HOST")
    assert not SERVICE_LINKS.fullmatch("MODELGATE_SERVER__PORT")
    assert "MODELGATE_TARGET" in CODE_READS, "the CLI and clients read the gateway address"


class _RedisOpened(Exception):
    """Raised instead of connecting: the factory chose the Redis backend for this URL."""


async def test_the_kubernetes_pod_gets_redis_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Env (image, envFrom, env) and mounted catalog, loaded the way `modelgate serve` does."""
    documents = [d for _, d in deploy_documents()]
    config_maps = {d["metadata"]["name"]: d["data"] for d in documents if d["kind"] == "ConfigMap"}
    deployment = next(
        d for d in documents if d["kind"] == "Deployment" and d["metadata"]["name"] == "modelgate"
    )
    pod = deployment["spec"]["template"]["spec"]
    container = next(c for c in pod["containers"] if c["name"] == "modelgate")

    mount_paths = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    mounted: list[str] = []
    for volume in pod.get("volumes", []):
        source = volume.get("configMap")
        if source is None or volume["name"] not in mount_paths:
            continue
        mount = mount_paths[volume["name"]].rstrip("/")
        mounted.append(mount)
        data = config_maps[source["name"]]
        items = source.get("items") or [{"key": k, "path": k} for k in data]
        for item in items:
            file = tmp_path / mount.lstrip("/") / item["path"]
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(data[item["key"]])

    def in_pod(value: str) -> str:
        return str(tmp_path / value.lstrip("/")) if value.startswith(tuple(mounted)) else value

    env = dict(re.findall(r"(MODELGATE_[A-Z0-9_]+)=(\S+)", (ROOT / "Dockerfile").read_text()))
    for ref in container.get("envFrom", []):
        env.update(config_maps[ref["configMapRef"]["name"]])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    for name in [n for n in os.environ if n.startswith(PREFIX)]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith(PREFIX):
            monkeypatch.setenv(name, in_pod(str(value)))
    monkeypatch.chdir(tmp_path)  # no stray .env, like the image's empty /app
    args = [str(a) for a in container.get("args", [])]
    config = Path(in_pod(args[args.index("--config") + 1])) if "--config" in args else None

    loaded = load_settings(config)

    assert loaded.models, "the mounted catalog was loaded"
    url = loaded.state.url
    assert url, "no state URL reaches settings.state.url: every replica keeps its own state"
    parsed = urlparse(url)
    services = {
        (d["metadata"]["name"], p["port"])
        for d in documents
        if d["kind"] == "Service"
        for p in d["spec"]["ports"]
    }
    assert (parsed.hostname, parsed.port or 6379) in services, f"{url} names no deployed Service"

    async def opened(url: str, namespace: str, bounds: object = None) -> NoReturn:
        raise _RedisOpened(url)

    monkeypatch.setattr(redis_state.RedisBackend, "open", opened)
    with pytest.raises(_RedisOpened):
        await build_state(url)


def metric_mentions(path: Path) -> Iterator[tuple[int, str, set[str]]]:
    """(line, name, label names) of every `modelgate_*` token in a file."""
    text = path.read_text()
    for match in METRIC_TOKEN.finditer(text):
        braces = match.group(2) or ""
        labels = {
            part.split("=")[0].strip().strip("\"'")
            for part in braces.strip("{}").split(",")
            if part.strip()
        }
        yield line_of(text, match.start()), match.group(1), labels


async def exposed_series() -> dict[str, set[str]]:
    """Metric names a scrape shows, with their label names, after traffic through each."""
    model = ModelConfig(
        id="docs-echo",
        runtime="echo",
        provider="modelgate",
        capabilities=["chat", "streaming"],
        pricing=PricingConfig(input=1.0, output=1.0),
        cache=True,
    )
    config = settings(echo=True, models=[model], telemetry=TelemetryConfig(metrics=True))
    async with serve(config) as running:
        cached = chat_request(
            model.id,
            "count every series",
            generation=generation_pb2.GenerationConfig(temperature=0),
            cache_control=generation_pb2.CacheControl(mode=generation_pb2.CACHE_MODE_USE),
        )
        await running.stub.Chat(cached)
        await running.stub.Chat(cached)
        request = chat_pb2.StreamChatRequest(model=model.id, messages=[user("a b c")])
        _ = [event async for event in running.stub.StreamChat(request)]
        assert running.gateway.metrics is not None
        page = generate_latest(running.gateway.metrics.registry).decode()
    # What a scrape names: `# TYPE` lines (counters with `_total`) and every sample.
    series: dict[str, set[str]] = {n: set() for n in re.findall(r"^# TYPE (\S+)", page, re.M)}
    for family in text_string_to_metric_families(page):
        typed = [n for n in (family.name, f"{family.name}_total") if n in series]
        for sample in family.samples:
            labels = set(sample.labels) - {"le", "quantile"}
            for name in (*typed, sample.name):
                series.setdefault(name, set()).update(labels)
    return series


async def test_every_metric_name_in_docs_is_exposed() -> None:
    series = await exposed_series()
    assert "modelgate_requests_total" in series, "the scrape has the gateway's series"
    problems: list[str] = []
    for path in SCANNED:
        for line, name, labels in metric_mentions(path):
            where = f"{relative(path)}:{line}: {name}"
            if name not in series:
                close = difflib.get_close_matches(name, series, n=3, cutoff=0.6)
                problems.append(f"{where} is not exposed (closest: {', '.join(close) or '-'})")
            elif labels - series[name]:
                wrong = ", ".join(sorted(labels - series[name]))
                known = ", ".join(sorted(series[name]))
                problems.append(f"{where} has no label {wrong} (labels: {known})")
    assert not problems, "metrics the server does not expose:\n" + "\n".join(problems)
