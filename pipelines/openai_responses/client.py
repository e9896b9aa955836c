"""The Responses and Conversations API endpoints the source reads, on the shared HTTP client.

Ids reach these methods already checked (input ids where they entered, ids from API responses in
`extract` as they are read), so none is checked again here.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from sourcekit.http import ApiClient

from .settings import RESPONSE_INCLUDES


class ResponsesClient(ApiClient):
    """The GET side of responses and conversations, in any provider's flavour."""

    async def get_response(self, response_id: str) -> Dict[str, Any]:
        """One response, with the hosted-tool payloads that come only when asked for."""
        return await self.get(f"/responses/{response_id}", {"include[]": list(RESPONSE_INCLUDES)})

    async def list_responses(self, after: Optional[str], agent_name: Optional[str]) -> List[Dict[str, Any]]:
        """Foundry's project listing after the watermark response `after` (all when None), oldest first."""
        params: Dict[str, Any] = {"order": "asc", "after": after, "agent_name": agent_name}
        return await self.list_all("/responses", params)

    async def page_responses(self, after: Optional[str], agent_name: Optional[str],
                             keep: Callable[[List[Any], bytes], Any]) -> None:
        """`list_responses`, handing each page's `data` to `keep` as it arrives."""
        await self._page("/responses", {"order": "asc", "after": after, "agent_name": agent_name}, keep)

    async def get_conversation(self, conversation_id: str) -> Dict[str, Any]:
        return await self.get(f"/conversations/{conversation_id}")

    async def list_conversations(self, after: Optional[str], agent_name: Optional[str]) -> List[Dict[str, Any]]:
        """Foundry's project listing of conversations created after the conversation `after` (all
        when None), oldest first."""
        return await self.list_all("/conversations", {"order": "asc", "after": after, "agent_name": agent_name})

    async def list_conversation_items(self, conversation_id: str, after: Optional[str] = None) -> List[Dict[str, Any]]:
        """A conversation's items after the item `after` (all when None), oldest first (the API's
        default order is newest first)."""
        return await self.list_all(f"/conversations/{conversation_id}/items", {"order": "asc", "after": after})
