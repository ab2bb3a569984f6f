# Generated from clients/python/modelgate/client/_async/prompts.py
# by scripts/generate-sync-client; do not edit.
"""The catalog's prompt templates: ListPrompts and GetPrompt."""

from __future__ import annotations

from collections.abc import Iterator

from modelgate.client._common import MetadataLike
from modelgate.client._sync.base import SyncClientBase
from modelgate.v1 import prompt_pb2


class SyncPromptMethods(SyncClientBase):
    """ListPrompts and GetPrompt: what a caller may name in `prompt_template=`."""

    def list_prompts_page(
        self,
        *,
        page_size: int = 0,
        page_token: str = "",
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> prompt_pb2.ListPromptsResponse:
        """One page of prompt versions; pass `next_page_token` back as `page_token`."""
        request = prompt_pb2.ListPromptsRequest(page_size=page_size, page_token=page_token)
        return self._unary("ListPrompts", self._stub.ListPrompts, request, timeout, metadata)

    def list_prompts(
        self,
        *,
        page_size: int = 0,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> Iterator[prompt_pb2.Prompt]:
        """Every version of every template (by id, then version), fetching pages as needed.

        `timeout` applies to each page request.
        """
        token = ""
        while True:
            page = self.list_prompts_page(
                page_size=page_size, page_token=token, timeout=timeout, metadata=metadata
            )
            for prompt in page.prompts:
                yield prompt
            if not page.next_page_token or page.next_page_token == token:
                return
            token = page.next_page_token

    def get_prompt(
        self,
        id: str,
        version: int = 0,
        *,
        timeout: float | None = None,
        metadata: MetadataLike | None = None,
    ) -> prompt_pb2.Prompt:
        """One template version (0: the latest); NotFoundError for an unknown id or version."""
        request = prompt_pb2.GetPromptRequest(id=id, version=version)
        response = self._unary("GetPrompt", self._stub.GetPrompt, request, timeout, metadata)
        return response.prompt
