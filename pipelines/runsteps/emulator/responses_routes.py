"""The Responses and Conversations read routes over a `ResponsesWorld`, for `EmulatorApp`.

| route | openai (`/v1`) | foundry (`/api/projects/{p}/openai/v1`) |
|---|---|---|
| GET /responses | - (404 Invalid URL) | list: limit, order, after, before, agent_name, agent_id, conversation_id |
| GET /responses/{id} | include[] | include[] |
| GET /responses/{id}/input_items | limit, order, after, include[] | + before |
| GET /conversations | - (404 Invalid URL) | list: limit, order, after, before, agent_name, agent_id |
| GET /conversations/{id} | yes | yes |
| GET /conversations/{id}/items | limit, order, after, include[] | + before, item_type |

Envelopes: OpenAI ``{object: "list", data, first_id, last_id, has_more}`` (ids null on an empty
page); Foundry ``{data, first_id, last_id, has_more}`` without ``object``, the ids left out on an
empty page (the spec makes them optional).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, FrozenSet, List, Optional, Tuple

import orjson

from .errors import JSON, Response
from .flavours import Flavour
from .paging import BadParam, ListParams, parse_list_params
from .responses_vocab import INCLUDE_VALUES
from .responses_world import ResponsesWorld

FOUNDRY_INCLUDE_EXTRA = ("memory_search_call.results",)  # Foundry's IncludeEnum adds it
_ROUTES: Dict[Tuple[str, ...], str] = {
    ("responses",): "/responses",
    ("responses", "*"): "/responses/{response_id}",
    ("responses", "*", "input_items"): "/responses/{response_id}/input_items",
    ("conversations",): "/conversations",
    ("conversations", "*"): "/conversations/{conversation_id}",
    ("conversations", "*", "items"): "/conversations/{conversation_id}/items",
}
LISTINGS = frozenset({"/responses", "/conversations"})  # Foundry only


def responses_flavour(name: str, project: str = "demo") -> Flavour:
    """Where the Responses API lives and how it authenticates: Bearer only, no beta header, no
    api-version (Foundry's v1 routes take none)."""
    if name == "openai":
        return Flavour("openai", "/v1", False, False, False, None, True, False)
    if name == "foundry":
        return Flavour("foundry", f"/api/projects/{project}/openai/v1", False, False, False, None, False, True)
    raise ValueError(f"the responses API has flavours openai and foundry, not {name!r}")


def parse_includes(pairs: List[Tuple[str, str]], foundry: bool) -> FrozenSet[str]:
    """``include[]`` values (repeated, or comma-separated); unknown ones are a 400 as at the API."""
    allowed = INCLUDE_VALUES + (FOUNDRY_INCLUDE_EXTRA if foundry else ())
    wanted = set()
    for key, value in pairs:
        if key not in ("include[]", "include"):
            continue
        for item in value.split(","):
            item = item.strip()
            if not item:
                continue
            if item not in allowed:
                raise BadParam(f"Invalid value: '{item}'. Supported values are: "
                               + ", ".join(f"'{v}'" for v in allowed) + ".", "include", "invalid_value")
            wanted.add(item)
    return frozenset(wanted)


class ResponsesRoutes:
    """Answers the routes above; `EmulatorApp` does auth, traffic shaping and the request log."""

    def __init__(self, world: ResponsesWorld, flavour: Flavour) -> None:
        self.world = world
        self.flavour = flavour
        self.foundry = flavour.name == "foundry"

    @staticmethod
    def match(rel: str) -> Optional[Tuple[str, List[str]]]:
        parts = rel.strip("/").split("/")
        if not parts[0]:
            return None
        ids = parts[1::2]
        if not all(ids):
            return None
        template = _ROUTES.get(tuple(p if i % 2 == 0 else "*" for i, p in enumerate(parts)))
        return (template, ids) if template is not None else None

    def serves(self, template: str) -> bool:
        return template not in LISTINGS or self.foundry

    def handle(self, template: str, ids: List[str], query: Dict[str, str], pairs: List[Tuple[str, str]],
               loop: bool) -> Response:
        world = self.world
        if template == "/responses/{response_id}":
            return self._one(world.response(ids[0], parse_includes(pairs, self.foundry)))
        if template == "/conversations/{conversation_id}":
            return self._one(world.conversation(ids[0]))
        params = self._params(query)
        if template == "/responses/{response_id}/input_items":
            parse_includes(pairs, self.foundry)  # checked; no input item changes with it here
            return self._page(*world.input_items_page(ids[0], params, loop=loop))
        if template == "/conversations/{conversation_id}/items":
            item_type = (query.get("item_type") or None) if self.foundry else None
            return self._page(*world.conversation_items_page(ids[0], params, parse_includes(pairs, self.foundry),
                                                             item_type=item_type, loop=loop))
        filters = {k: query.get(k) or None for k in ("agent_name", "agent_id")}
        if template == "/responses":
            return self._page(*world.responses_page(params, conversation_id=query.get("conversation_id") or None,
                                                    loop=loop, **filters))
        return self._page(*world.conversations_page(params, loop=loop, **filters))

    def _params(self, query: Dict[str, str]) -> ListParams:
        params = parse_list_params(query)
        # OpenAI's item lists have no `before` parameter: it is ignored there, as unknown ones are.
        return params if self.foundry else replace(params, before=None)

    @staticmethod
    def _one(obj: Dict[str, Any]) -> Response:
        return 200, [JSON], orjson.dumps(obj)

    def _page(self, data: List[Dict[str, Any]], has_more: bool) -> Response:
        return 200, [JSON], orjson.dumps(page_body(data, has_more, self.foundry))


def page_body(data: List[Dict[str, Any]], has_more: bool, foundry: bool) -> Dict[str, Any]:
    """A list page in the flavour's envelope (see the module's docstring)."""
    if foundry:
        body: Dict[str, Any] = {"data": data}
        if data:
            body["first_id"], body["last_id"] = data[0]["id"], data[-1]["id"]
        body["has_more"] = has_more
        return body
    return {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None, "has_more": has_more}
