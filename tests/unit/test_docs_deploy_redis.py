"""The Kubernetes manifests really give the gateway Redis state (the misspelt-setting incident
in test_docs_match_code.py's docstring, checked end to end).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlparse

import pytest

from modelgate.config import load_settings
from modelgate.state import redis as redis_state
from modelgate.state.factory import build_state
from tests.unit.docs_names import PREFIX, ROOT, deploy_documents


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
