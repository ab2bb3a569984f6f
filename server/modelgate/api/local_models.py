"""GetModel and the local-runtime management RPCs (pull, delete, load, unload, ps)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

from modelgate.errors import (
    invalid_argument,
    runtime_cannot_manage,
    runtime_not_found,
)
from modelgate.providers.base import Backend, CallContext, ModelManager
from modelgate.routing.catalog import Catalog
from modelgate.v1 import model_pb2


def _manager_of(backend: Backend | None) -> ModelManager | None:
    """A runtime's model management; none for a runtime whose backend could not be created."""
    return backend.model_manager() if backend is not None else None


class LocalModels:
    """Dispatches management calls to the runtime named in the request."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    async def get_model(self, model_id: str, call: CallContext) -> model_pb2.GetModelResponse:
        """The full record, with runtime-reported details where the runtime has them."""
        response = model_pb2.GetModelResponse(model=self.catalog.record_of(model_id))
        if model_id in self.catalog.aliases:
            return response
        deployment = self.catalog.resolve(model_id)
        describer = deployment.backend.model_describer()
        if describer is not None and not deployment.unavailable_reason:
            details = await describer.describe(deployment.target, call)
            response.model.details.CopyFrom(details)
        return response

    def _manager(self, runtime: str, name: str | None = None) -> ModelManager:
        violations = []
        if not runtime:
            violations.append(("runtime", "is required"))
        if name is not None and not name:
            violations.append(("name", "is required"))
        if violations:
            raise invalid_argument(violations)
        matches = [
            (key, state)
            for key, state in self.catalog.runtimes.items()
            if runtime in (key, state.backend.runtime if state.backend else "")
        ]
        if not matches:
            raise runtime_not_found(runtime, list(self.catalog.runtimes))
        manager = _manager_of(matches[0][1].backend)
        if manager is None:
            capable = [
                key
                for key, s in self.catalog.runtimes.items()
                if _manager_of(s.backend) is not None
            ]
            raise runtime_cannot_manage(runtime, capable)
        return manager

    async def pull(
        self, request: model_pb2.PullModelRequest, call: CallContext
    ) -> AsyncGenerator[model_pb2.PullModelResponse, None]:
        """Progress of pulling a model onto a runtime; the catalog refreshes after."""
        manager = self._manager(request.runtime, request.name)
        async for progress in manager.pull(request.name, request.insecure, call):
            yield progress
        await self.catalog.refresh()

    async def delete(
        self, request: model_pb2.DeleteModelRequest, call: CallContext
    ) -> model_pb2.DeleteModelResponse:
        """Delete a model from a runtime; the catalog refreshes after."""
        await self._manager(request.runtime, request.name).delete(request.name, call)
        await self.catalog.refresh()
        return model_pb2.DeleteModelResponse()

    async def running(
        self, request: model_pb2.ListRunningModelsRequest, call: CallContext
    ) -> model_pb2.ListRunningModelsResponse:
        """Loaded models of one runtime, or of every managing runtime."""
        managers: list[ModelManager]
        if request.runtime:
            managers = [self._manager(request.runtime)]
        else:
            found = (_manager_of(state.backend) for state in self.catalog.runtimes.values())
            managers = [manager for manager in found if manager is not None]
        response = model_pb2.ListRunningModelsResponse()
        for manager in managers:
            response.models.extend(await manager.running(call))
        return response

    async def load(
        self, request: model_pb2.LoadModelRequest, call: CallContext
    ) -> model_pb2.LoadModelResponse:
        """Load a model into memory."""
        keep_alive = None
        if request.HasField("keep_alive"):
            keep_alive = request.keep_alive.ToTimedelta().total_seconds()
        await self._manager(request.runtime, request.name).load(request.name, keep_alive, call)
        return model_pb2.LoadModelResponse()

    async def unload(
        self, request: model_pb2.UnloadModelRequest, call: CallContext
    ) -> model_pb2.UnloadModelResponse:
        """Unload a model from memory."""
        await self._manager(request.runtime, request.name).unload(request.name, call)
        return model_pb2.UnloadModelResponse()
