"""LM Studio's model management through its native REST API (`/api/v1`, LM Studio 0.4+).

Documented at https://lmstudio.ai/docs/developer/rest: `POST /api/v1/models/download`
(then `GET /api/v1/models/download/status/{job_id}`), `POST /api/v1/models/load`,
`POST /api/v1/models/unload` and `GET /api/v1/models` (each model's `loaded_instances`).
What the API does not offer is refused with UNIMPLEMENTED or INVALID_ARGUMENT naming
it: it has no delete endpoint, no insecure-registry switch and no keep-alive on load.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar
from urllib.parse import quote

from modelgate.errors import (
    GatewayError,
    invalid_argument,
    management_not_offered,
    model_not_on_runtime,
    upstream_invalid_response,
    upstream_timeout,
    upstream_unavailable,
)
from modelgate.providers.base import CallContext
from modelgate.providers.http import HttpUpstream
from modelgate.v1 import model_pb2

DOCS = "https://lmstudio.ai/docs/developer/rest"
DEFAULT_POLL_SECONDS = 1.0
"""How often a download's status is asked for (runtime option `download_poll_seconds`)."""
_T = TypeVar("_T")


class LMStudioModels:
    """Download, load, unload and list-loaded for one LM Studio server."""

    def __init__(self, runtime: str, http: HttpUpstream, poll_seconds: float) -> None:
        self.runtime = runtime
        self.http = http
        self.root = http.base_url.removesuffix("/v1") + "/api/v1"
        self.poll_seconds = poll_seconds

    def _model(self, name: str) -> str:
        """The LM Studio model key; a catalog id of this runtime (`key@runtime`) works too."""
        suffix = f"@{self.runtime}"
        return name[: -len(suffix)] if name.endswith(suffix) else name

    async def _managing(self, model: str, request: Awaitable[_T]) -> _T:
        """Await a management call; LM Studio's 404 becomes NOT_FOUND naming the runtime."""
        try:
            return await request
        except GatewayError as exc:
            if exc.metadata.get("http_status") != "404":
                raise
            raise model_not_on_runtime(model, self.runtime) from exc

    async def _post(self, path: str, body: dict[str, Any], call: CallContext) -> dict[str, Any]:
        answer, _ = await self.http.request_json("POST", self.root + path, body, call)
        if not isinstance(answer, dict):
            raise upstream_invalid_response(
                self.http.provider, f"answered {path} without an object"
            )
        return answer

    async def pull(
        self, name: str, insecure: bool, call: CallContext
    ) -> AsyncIterator[model_pb2.PullModelResponse]:
        """Start a download, then report its status until it completes (or fails)."""
        if insecure:
            why = f"LM Studio's download API has no insecure-registry switch ({DOCS}/download)"
            raise invalid_argument([("insecure", why)])
        model = self._model(name)
        job = await self._managing(model, self._post("/models/download", {"model": model}, call))
        while True:
            status = str(job.get("status") or "")
            yield _progress(job)
            if status in ("completed", "already_downloaded"):
                yield model_pb2.PullModelResponse(status="success")
                return
            if status == "failed":
                raise upstream_unavailable(self.http.provider, f"download of {model!r} failed")
            remaining = call.remaining()
            if remaining is not None and remaining <= self.poll_seconds:
                raise upstream_timeout(self.http.provider)
            await asyncio.sleep(self.poll_seconds)
            job_id = quote(str(job.get("job_id") or ""), safe="")
            path = f"{self.root}/models/download/status/{job_id}"
            answer, _ = await self.http.request_json("GET", path, None, call)
            job = answer if isinstance(answer, dict) else {}

    async def delete(self, name: str, call: CallContext) -> None:
        """Not offered by the REST API."""
        raise management_not_offered(
            self.runtime,
            "DeleteModel",
            f"delete models (LM Studio): its REST API offers download, load, unload and list, "
            f"no delete ({DOCS}); remove it in LM Studio",
        )

    async def running(self, call: CallContext) -> list[model_pb2.RunningModel]:
        """Every loaded instance listed by GET /api/v1/models."""
        answer, _ = await self.http.request_json("GET", self.root + "/models", None, call)
        models = answer.get("models") if isinstance(answer, dict) else None
        if not isinstance(models, list):
            raise upstream_invalid_response(
                self.http.provider, "answered /api/v1/models without models"
            )
        found = []
        for entry in models:
            if not isinstance(entry, dict):
                continue
            key = str(entry.get("key") or "")
            size = entry.get("size_bytes")
            for instance in entry.get("loaded_instances") or ():
                if isinstance(instance, dict) and instance.get("id"):
                    found.append(
                        model_pb2.RunningModel(
                            id=f"{key}@{self.runtime}",
                            name=str(instance["id"]),
                            size_bytes=size if isinstance(size, int) and size > 0 else 0,
                            runtime=self.runtime,
                        )
                    )
        return found

    async def load(self, name: str, keep_alive: float | None, call: CallContext) -> None:
        """POST /api/v1/models/load (it has no keep-alive: one set is refused, not ignored)."""
        if keep_alive is not None:
            why = f"LM Studio's load API has no keep-alive ({DOCS}/load); leave it unset"
            raise invalid_argument([("keep_alive", why)])
        model = self._model(name)
        await self._managing(model, self._post("/models/load", {"model": model}, call))

    async def unload(self, name: str, call: CallContext) -> None:
        """POST /api/v1/models/unload; `name` is the instance id (by default the model key)."""
        instance = self._model(name)
        body = {"instance_id": instance}
        await self._managing(instance, self._post("/models/unload", body, call))


def _progress(job: dict[str, Any]) -> model_pb2.PullModelResponse:
    done, total = job.get("downloaded_bytes"), job.get("total_size_bytes")
    return model_pb2.PullModelResponse(
        status=str(job.get("status") or ""),
        completed_bytes=done if isinstance(done, int) and done > 0 else 0,
        total_bytes=total if isinstance(total, int) and total > 0 else 0,
    )
