"""Provider flavours: where the API lives, how it authenticates, and how lists are wrapped.

| flavour | prefix                    | auth                                | required                         | list envelope                               |
|---------|---------------------------|-------------------------------------|----------------------------------|---------------------------------------------|
| openai  | /v1                       | Authorization: Bearer <key>         | header OpenAI-Beta: assistants=v2 | {object, data, first_id, last_id, has_more} |
| azure   | /openai                   | api-key: <key> (or Bearer <key>)    | query api-version (any value)     | same as openai                              |
| foundry | /api/projects/{project}   | Authorization: Bearer <key>         | query api-version in FOUNDRY_API_VERSIONS | {data, last_id, has_more}           |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

import orjson

from .errors import Response, error, mask_key

FOUNDRY_API_VERSIONS = ("v1", "2025-05-01", "2025-05-15-preview")
AZURE_API_VERSION = "2024-05-01-preview"


@dataclass(frozen=True)
class Flavour:
    """How one provider serves the API.

    Attributes:
        name: ``openai``, ``azure`` or ``foundry``.
        prefix: path prefix of the API routes.
        api_key_header: Azure's ``api-key`` header is accepted.
        requires_beta: the ``OpenAI-Beta: assistants=v2`` header is required.
        requires_api_version: the ``api-version`` query parameter is required.
        api_versions: accepted ``api-version`` values (None: any non-empty value).
        full_envelope: list pages carry ``object`` and ``first_id``.
        lists_threads: ``GET /threads`` exists.
    """

    name: str
    prefix: str
    api_key_header: bool
    requires_beta: bool
    requires_api_version: bool
    api_versions: Optional[tuple]
    full_envelope: bool
    lists_threads: bool

    def envelope(self, data: List[Dict[str, Any]], has_more: bool) -> Dict[str, Any]:
        """A list page. The ids are null on an empty page, as the API sends them."""
        last_id = data[-1]["id"] if data else None
        if self.full_envelope:
            return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                    "last_id": last_id, "has_more": has_more}
        return {"data": data, "last_id": last_id, "has_more": has_more}

    def envelope_json(self, parts: List[bytes], ids: List[str], has_more: bool) -> bytes:
        """`envelope` for already serialized items (the same JSON, without re-encoding them)."""
        more = b"true" if has_more else b"false"
        last = orjson.dumps(ids[-1] if ids else None)
        data = b"[" + b",".join(parts) + b"]"
        if self.full_envelope:
            first = orjson.dumps(ids[0] if ids else None)
            return (b'{"object":"list","data":' + data + b',"first_id":' + first + b',"last_id":' + last
                    + b',"has_more":' + more + b"}")
        return b'{"data":' + data + b',"last_id":' + last + b',"has_more":' + more + b"}"

    def check_request(self, headers: Mapping[bytes, bytes], query: Mapping[str, str], api_key: str,
                      revoked: bool) -> Optional[Response]:
        """The 401/400 a real server of this flavour would answer before looking at the route."""
        presented: Optional[str] = None
        auth = headers.get(b"authorization")
        if auth is not None:
            value = auth.decode("latin-1")
            if value[:7].lower() == "bearer ":
                presented = value[7:].strip()
        if self.api_key_header and presented is None and b"api-key" in headers:
            presented = headers[b"api-key"].decode("latin-1").strip()
        if not presented:
            if self.api_key_header:
                msg = ("Access denied due to missing subscription key. Make sure to include subscription key "
                       "when making requests to an API (header 'api-key').")
            else:
                msg = ("You didn't provide an API key. You need to provide your API key in an Authorization "
                       "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).")
            return error(401, msg)
        if presented != api_key or revoked:
            why = "has been revoked" if revoked and presented == api_key else "is incorrect"
            return error(401, f"The API key provided ({mask_key(presented)}) {why}. You can find your API key at "
                         "https://platform.openai.com/account/api-keys.", code="invalid_api_key")
        if self.requires_api_version:
            version = query.get("api-version")
            if not version:
                return error(400, "Missing required query parameter 'api-version'.", param="api-version",
                             code="missing_api_version")
            if self.api_versions is not None and version not in self.api_versions:
                return error(400, f"Unsupported api-version '{version}'. Supported versions: "
                             f"{', '.join(self.api_versions)}.", param="api-version", code="unsupported_api_version")
        if self.requires_beta:
            beta = headers.get(b"openai-beta", b"").decode("latin-1")
            if "assistants=v2" not in beta:
                return error(400, "You must provide the 'OpenAI-Beta' header to access the Assistants API. Please "
                             "try again by setting the header 'OpenAI-Beta: assistants=v2'.", code="invalid_beta")
        return None


def make_flavour(name: str, project: str = "demo") -> Flavour:
    """The flavour called `name`.

    Args:
        name: ``openai``, ``azure`` or ``foundry``.
        project: Foundry project name in the path.
    """
    if name == "openai":
        return Flavour("openai", "/v1", False, True, False, None, True, False)
    if name == "azure":
        return Flavour("azure", "/openai", True, False, True, None, True, False)
    if name == "foundry":
        return Flavour("foundry", f"/api/projects/{project}", False, False, True, FOUNDRY_API_VERSIONS, False, True)
    raise ValueError(f"unknown flavour {name!r}: expected openai, azure or foundry")
