"""Validation of Responses-API objects against the schema subsets in specs/, with the specs' known
defects (specs/README.md) as named, checked exceptions.

Each defect is a patch applied to a served object before validation. A patch is only allowed if it
is needed: the first time a defect is used, the object is validated once more with every other patch
but that one, and must fail. `Checker.used` collects the defects met, so a test can require that
each one was both met and needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPECS = Path(__file__).resolve().parents[2] / "specs"
UNKNOWN_TYPE = "quantum_oracle_call"

# name -> why. Every one is listed in specs/README.md ("Known bugs in the Responses and Foundry
# specs"), except the last OpenAI one, found while writing these tests.
DEFECTS = {
    "openai": {
        "user_null": "Response.user is typed string; the API sends \"user\": null (OpenAI's documented examples)",
        "usage_null": "Response.usage is not nullable; open, failed and cancelled responses carry usage: null",
        "empty_page_null_ids": "list first_id/last_id are typed string; an empty page sends null",
        "mcp_approval_response_request_id": "MCPApprovalResponseResource requires `request_id`, a property it "
                                            "does not define (only approval_request_id exists)",
    },
    "foundry": {
        "user_null": "OpenAI.Response.user is typed string; the API sends \"user\": null",
        "usage_null": "OpenAI.Response.usage is not nullable; open, failed and cancelled responses carry usage: null",
        "timestamps": "completed_at is anyOf [date-time string, null] plus type integer: no value validates",
        "tool_choice_stub": "OpenAI.ToolChoiceParam is a stub inside a oneOf: 'auto' matches both branches",
        "message_type": "OpenAI.OutputItem maps the assistant message under `output_message`; the service sends `message`",
        "user_message_in_conversation": "conversation items are typed OpenAI.OutputItem: a user message matches no variant",
    },
}

# Known defects the emulator's objects do not run into, each shown by a test on a modified object.
NOT_MET = {
    "foundry": {
        "agent_reference_required": "agent_reference is required on OpenAI.Response: a response that leaves it "
                                    "out fails (the emulator sends null for agent-less responses, which the spec allows)",
    },
}

Patch = Tuple[str, Callable[[Dict[str, Any]], Dict[str, Any]]]


def _without(*keys: str) -> Callable[[Dict[str, Any]], Dict[str, Any]]:
    return lambda obj: {k: v for k, v in obj.items() if k not in keys}


class Checker:
    """Validators for one flavour's spec subset."""

    def __init__(self, flavour: str) -> None:
        name = "foundry-agents-v1-subset" if flavour == "foundry" else "openai-responses-subset"
        self.flavour = flavour
        self.doc = yaml.safe_load((SPECS / f"{name}.openapi.yaml").read_text(encoding="utf-8"))
        self.schemas = self.doc["components"]["schemas"]
        self.registry = Registry().with_resource("urn:spec", Resource.from_contents(self.doc, default_specification=DRAFT202012))
        self._validators: Dict[str, Draft202012Validator] = {}
        self.used: set = set()
        self.checked = 0
        self.unknown_seen = 0
        p = "OpenAI." if flavour == "foundry" else ""
        self.names = {"response": f"{p}Response", "output": f"{p}OutputItem", "input": f"{p}ItemResource",
                      "conversation_item": f"{p}OutputItem" if flavour == "foundry" else "ConversationItem",
                      "conversation": f"{p}ConversationResource"}

    # --- plumbing ---------------------------------------------------------------------------------

    def _validator(self, pointer: str) -> Draft202012Validator:
        v = self._validators.get(pointer)
        if v is None:
            v = self._validators[pointer] = Draft202012Validator({"$ref": f"urn:spec#{pointer}"}, registry=self.registry)
        return v

    def _errors(self, pointer: str, obj: Any) -> List[str]:
        return [f"{e.message[:200]} at {list(e.path)}" for e in self._validator(pointer).iter_errors(obj)]

    def _check(self, pointer: str, obj: Dict[str, Any], patches: List[Patch]) -> None:
        fixed = obj
        for _, fn in patches:
            fixed = fn(fixed)
        errors = self._errors(pointer, fixed)
        assert not errors, f"{pointer}: {errors[0]} in {str(obj)[:300]}"
        for name, _ in patches:
            assert name in DEFECTS[self.flavour], name
            if name in self.used:
                continue
            partial = obj
            for other, fn in patches:
                if other != name:
                    partial = fn(partial)
            assert self._errors(pointer, partial), f"defect {name!r} is not needed any more: drop it"
            self.used.add(name)
        self.checked += 1

    @staticmethod
    def schema(name: str) -> str:
        return f"/components/schemas/{name}"

    def _variant(self, union: str, item_type: str) -> Optional[str]:
        mapping = self.schemas[union].get("discriminator", {}).get("mapping", {})
        target = mapping.get(item_type)
        return target.split("/")[-1] if target else None

    # --- objects ----------------------------------------------------------------------------------

    def response(self, obj: Dict[str, Any]) -> None:
        patches: List[Patch] = []
        if obj.get("user", "") is None:
            patches.append(("user_null", _without("user")))
        if obj.get("usage", "") is None:
            patches.append(("usage_null", _without("usage")))
        if self.flavour == "foundry":
            patches.append(("timestamps", _without("completed_at")))
            patches.append(("tool_choice_stub", _without("tool_choice")))
        items = obj["output"]
        self._check(self.schema(self.names["response"]), {**obj, "output": []}, patches)
        for item in items:
            self.item("output", item)

    def item(self, kind: str, item: Dict[str, Any]) -> None:
        """An item of an output (`output`), of an input list (`input`) or of a conversation."""
        union = self.names[kind]
        item_type = item["type"]
        variant = self._variant(union, item_type)
        patches: List[Patch] = []
        if item_type == UNKNOWN_TYPE:
            # No schema knows it, on purpose: it must fail, and it must be the only such item.
            assert variant is None
            assert self._errors(self.schema(union), item) or self.flavour == "foundry"
            self.unknown_seen += 1
            return
        if self.flavour == "foundry" and item_type == "message" and variant is None:
            if item["role"] == "assistant":
                patches.append(("message_type", lambda o: {**o, "type": "output_message"}))
                variant = "OpenAI.OutputItemOutputMessage"
            else:
                # No variant to patch towards: the defect is proven by `variant is None` itself, and
                # the message is checked against the input-message schema instead.
                self.used.add("user_message_in_conversation")
                variant = "OpenAI.ItemResourceInputMessage"
        if item_type == "mcp_approval_response" and self.flavour == "openai":
            patches.append(("mcp_approval_response_request_id", lambda o: {**o, "request_id": o["approval_request_id"]}))
        assert variant is not None or self.flavour == "openai", f"{union} has no variant for {item_type!r}"
        self._check(self.schema(variant or union), item, patches)

    def conversation(self, obj: Dict[str, Any]) -> None:
        self._check(self.schema(self.names["conversation"]), obj, [])

    def page(self, pointer: str, page: Dict[str, Any], kind: Optional[str]) -> None:
        """A list page: the envelope against `pointer` (data emptied), then every item."""
        patches: List[Patch] = []
        if self.flavour == "openai" and not page["data"]:
            assert page["first_id"] is None and page["last_id"] is None
            patches.append(("empty_page_null_ids", lambda o: {**o, "first_id": "", "last_id": ""}))
        self._check(pointer, {**page, "data": []}, patches)
        for obj in page["data"]:
            if kind == "response":
                self.response(obj)
            elif kind == "conversation":
                self.conversation(obj)
            else:
                self.item(kind, obj)  # type: ignore[arg-type]

    def path_schema(self, path: str) -> str:
        """JSON pointer of the 200 schema of GET `path` (Foundry's list envelopes are inline)."""
        escaped = path.replace("~", "~0").replace("/", "~1")
        return f"/paths/{escaped}/get/responses/200/content/application~1json/schema"
