"""The Assistants API v2 endpoints the source reads, on the shared HTTP client.

Ids reach these methods already checked (input ids where they entered, ids from API responses in
`extract` as they are read), so none is checked again here.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from sourcekit.http import ApiClient

from .settings import FILE_SEARCH_CONTENT_INCLUDE


class AssistantsClient(ApiClient):
    """The GET side of threads, runs and run steps, in any provider's flavour."""

    async def get_thread(self, thread_id: str) -> Dict[str, Any]:
        return await self.get(f"/threads/{thread_id}")

    async def list_runs(self, thread_id: str, after: Optional[str]) -> List[Dict[str, Any]]:
        """A thread's runs after the watermark run `after` (all of them when None), oldest first."""
        params: Dict[str, Any] = {"order": "asc"}
        if after:
            params["after"] = after
        return await self.list_all(f"/threads/{thread_id}/runs", params)

    async def list_step_pages(self, thread_id: str, run_id: str, include_content: bool) -> List[bytes]:
        """A run's steps, oldest first, as raw pages (`sourcekit.http.items_of_pages` reads them)."""
        params: Dict[str, Any] = {"order": "asc"}
        if include_content:
            params["include[]"] = [FILE_SEARCH_CONTENT_INCLUDE]
        return await self.list_pages(f"/threads/{thread_id}/runs/{run_id}/steps", params)

    async def list_threads(self) -> List[Dict[str, Any]]:
        """Every thread of the project (Foundry's `GET /threads`; OpenAI has no such endpoint)."""
        return await self.list_all("/threads", {"order": "asc"})
