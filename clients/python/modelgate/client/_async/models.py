"""The model catalog and local runtime management (pull, load, unload, delete)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

from modelgate.client import _requests as rq
from modelgate.client._async.base import AsyncClientBase
from modelgate.client._async.streams import AsyncResponseStream
from modelgate.client._common import MetadataLike
from modelgate.v1 import model_pb2


class AsyncModelMethods(AsyncClientBase):
    """ListModels, GetModel and the local-runtime RPCs."""

    async def list_models_page(
        self,
        *,
        provider: str | None = None,
        runtime: str | None = None,
        capability: rq.CapabilityLike | None = None,
        available_only: bool = False,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> model_pb2.ListModelsResponse:
        """One page of models; pass `next_page_token` back as `page_token`."""
        request = rq.build_list_models_request(
            provider=provider,
            runtime=runtime,
            capability=capability,
            available_only=available_only,
            page_size=page_size,
            page_token=page_token,
        )
        return await self._unary("ListModels", self._stub.ListModels, request, timeout, metadata)

    async def list_models(
        self,
        *,
        provider: str | None = None,
        runtime: str | None = None,
        capability: rq.CapabilityLike | None = None,
        available_only: bool = False,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncIterator[model_pb2.Model]:
        """Every model matching the filters, fetching pages as needed.

        `timeout` applies to each page request.
        """
        token = ""
        while True:
            page = await self.list_models_page(
                provider=provider,
                runtime=runtime,
                capability=capability,
                available_only=available_only,
                page_size=page_size,
                page_token=token,
                timeout=timeout,
                metadata=metadata,
            )
            for model in page.models:
                yield model
            if not page.next_page_token or page.next_page_token == token:
                return
            token = page.next_page_token

    async def get_model(
        self,
        id: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> model_pb2.Model:
        """One model's full record (id, short name or alias)."""
        request = model_pb2.GetModelRequest(id=id)
        response = await self._unary("GetModel", self._stub.GetModel, request, timeout, metadata)
        return response.model

    def pull_model(
        self,
        runtime: str,
        name: str,
        *,
        insecure: bool = False,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> AsyncResponseStream[model_pb2.PullModelResponse]:
        """Pull a model onto a local runtime, streaming progress.

        The default service config sets no timeout here: downloads can be huge.
        """
        request = model_pb2.PullModelRequest(runtime=runtime, name=name, insecure=insecure)
        return self._stream("PullModel", self._stub.PullModel, request, timeout, metadata)

    async def delete_model(
        self,
        runtime: str,
        name: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Delete a model from a local runtime."""
        request = model_pb2.DeleteModelRequest(runtime=runtime, name=name)
        await self._unary("DeleteModel", self._stub.DeleteModel, request, timeout, metadata)

    async def list_running_models(
        self,
        runtime: str | None = None,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> list[model_pb2.RunningModel]:
        """Models loaded in local runtimes' memory (all runtimes unless `runtime`)."""
        request = model_pb2.ListRunningModelsRequest(runtime=runtime or "")
        response = await self._unary(
            "ListRunningModels", self._stub.ListRunningModels, request, timeout, metadata
        )
        return list(response.models)

    async def load_model(
        self,
        runtime: str,
        name: str,
        *,
        keep_alive: float | timedelta | None = None,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Load a model into memory; `keep_alive` seconds (negative: forever)."""
        request = model_pb2.LoadModelRequest(runtime=runtime, name=name)
        if keep_alive is not None:
            request.keep_alive.CopyFrom(rq.duration_proto(keep_alive))
        await self._unary("LoadModel", self._stub.LoadModel, request, timeout, metadata)

    async def unload_model(
        self,
        runtime: str,
        name: str,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> None:
        """Unload a model from a local runtime's memory."""
        request = model_pb2.UnloadModelRequest(runtime=runtime, name=name)
        await self._unary("UnloadModel", self._stub.UnloadModel, request, timeout, metadata)
