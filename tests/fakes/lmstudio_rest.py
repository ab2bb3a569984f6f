"""LM Studio's native REST API for model management (`/api/v1`, LM Studio 0.4+).

Shapes from https://lmstudio.ai/docs/developer/rest (list, load, unload, download,
download status): a download is a job that moves through `downloading` to `completed`
one status request at a time; unknown models are 404 with an error object.
"""

from __future__ import annotations

import itertools
from typing import Any, Self

from aiohttp import web

GIB = 2**30


class FakeLMStudioRest:
    """Models on disk, their loaded instances and download jobs; `requests` records paths."""

    def __init__(self, on_disk: tuple[str, ...] = ("qwen/qwen3-4b", "google/gemma-3-1b")) -> None:
        self.on_disk = list(on_disk)
        self.loaded: dict[str, str] = {}
        """instance id -> model key."""
        self.jobs: dict[str, list[str]] = {}
        """job id -> statuses still to report (the last one sticks)."""
        self.downloadable = {"ibm/granite-4-micro": 2 * GIB}
        self.requests: list[tuple[str, str, Any]] = []
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.app = web.Application()
        self.app.add_routes(
            [
                web.get("/api/v1/models", self._list),
                web.post("/api/v1/models/load", self._load),
                web.post("/api/v1/models/unload", self._unload),
                web.post("/api/v1/models/download", self._download),
                web.get("/api/v1/models/download/status/{job_id}", self._status),
            ]
        )

    async def __aenter__(self) -> Self:
        runner = web.AppRunner(self.app, shutdown_timeout=0.5, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        self._runner = runner
        self.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _body(self, request: web.Request) -> Any:
        body = await request.json() if request.can_read_body else None
        self.requests.append((request.method, request.path, body))
        return body

    @staticmethod
    def _missing(what: str) -> web.Response:
        error = {"message": what, "type": "invalid_request_error", "code": "model_not_found"}
        return web.json_response({"error": error}, status=404)

    async def _list(self, request: web.Request) -> web.Response:
        await self._body(request)
        models = []
        for key in self.on_disk:
            instances = [
                {"id": instance, "config": {"context_length": 4096}}
                for instance, model in self.loaded.items()
                if model == key
            ]
            models.append(
                {
                    "type": "llm",
                    "publisher": key.split("/")[0],
                    "key": key,
                    "display_name": key,
                    "size_bytes": 3 * GIB,
                    "loaded_instances": instances,
                    "max_context_length": 32768,
                    "format": "gguf",
                }
            )
        return web.json_response({"models": models})

    async def _load(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        key = body["model"]
        if key not in self.on_disk:
            return self._missing(f"Model '{key}' not found")
        self.loaded[key] = key
        return web.json_response(
            {"type": "llm", "instance_id": key, "load_time_seconds": 1.2, "status": "loaded"}
        )

    async def _unload(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        instance = body["instance_id"]
        if self.loaded.pop(instance, None) is None:
            return self._missing(f"No loaded model instance with id '{instance}'")
        return web.json_response({"instance_id": instance})

    async def _download(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        key = body["model"]
        if key in self.on_disk:
            return web.json_response({"status": "already_downloaded"})
        if key not in self.downloadable:
            return self._missing(f"Model '{key}' not found in the catalog")
        job_id = f"job_{next(self._ids):010x}"
        self.jobs[job_id] = ["downloading", "completed"]
        self.on_disk.append(key)
        return web.json_response(
            {
                "job_id": job_id,
                "status": "downloading",
                "total_size_bytes": self.downloadable[key],
                "started_at": "2025-10-03T15:33:23.496Z",
            }
        )

    async def _status(self, request: web.Request) -> web.Response:
        await self._body(request)
        job_id = request.match_info["job_id"]
        statuses = self.jobs[job_id]
        status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
        total = 2 * GIB
        done = total if status == "completed" else total // 2
        return web.json_response(
            {
                "job_id": job_id,
                "status": status,
                "total_size_bytes": total,
                "downloaded_bytes": done,
                "started_at": "2025-10-03T15:33:23.496Z",
            }
        )
