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

The scanners and rules are in docs_names.py; the Kubernetes Redis check is in
test_docs_deploy_redis.py and the metric names in test_docs_metrics.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.docs_names import (
    CODE_READS,
    DEPLOY,
    DOCS,
    SCANNED,
    SERVICE_LINKS,
    config_yaml_problems,
    env_problem,
    name_problems,
    relative,
    yaml_block_problems,
)


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
