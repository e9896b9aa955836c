"""Every response of every route of the openai flavour validates against the spec subset in specs/."""

from __future__ import annotations

from typing import Any, Dict, List

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from .conftest import CTL, INCLUDE, client_for


class Spec:
    """Validators for the spec's component schemas ($refs resolved inside the spec document)."""

    def __init__(self, document: Dict[str, Any]) -> None:
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self.registry = Registry().with_resource("urn:spec", resource)
        self._cache: Dict[str, Draft202012Validator] = {}
        self.checked = 0

    def validate(self, name: str, instance: Any) -> None:
        validator = self._cache.get(name)
        if validator is None:
            validator = Draft202012Validator({"$ref": f"urn:spec#/components/schemas/{name}"}, registry=self.registry)
            self._cache[name] = validator
        errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].path)}"
        self.checked += 1

    def validate_page(self, name: str, page: Dict[str, Any]) -> None:
        if not page["data"]:
            # The spec types first_id/last_id as strings, but the API sends null on an empty page
            # (and so does the emulator); everything else of the page must still validate.
            assert page["first_id"] is None and page["last_id"] is None
            page = {**page, "first_id": "", "last_id": ""}
        self.validate(name, page)


@pytest.fixture(scope="module")
def validator(spec) -> Spec:
    return Spec(spec)


def pages(client: httpx.Client, path: str, schema: str, validator: Spec, **params: Any) -> List[Dict[str, Any]]:
    """Walk a list route with small pages, validating each page; return the items."""
    items: List[Dict[str, Any]] = []
    after = None
    while True:
        r = client.get(path, params=dict(params, **({"after": after} if after else {})))
        assert r.status_code == 200, r.text
        assert r.headers["x-request-id"].startswith("req_")
        validator.validate_page(schema, r.json())
        body = r.json()
        items += body["data"]
        if not body["has_more"]:
            return items
        after = body["last_id"]


def test_every_route_validates(emu, validator):
    world = emu.world
    with client_for(emu) as c:
        for order in ("asc", "desc"):
            assistants = pages(c, "/assistants", "ListAssistantsResponse", validator, limit=4, order=order)
            assert len(assistants) == len(world.assistants())
        for a in assistants:
            validator.validate("AssistantObject", c.get(f"/assistants/{a['id']}").json())

        for index, tid in enumerate(world.thread_ids()):
            validator.validate("ThreadObject", c.get(f"/threads/{tid}").json())
            for order in ("asc", "desc"):
                messages = pages(c, f"/threads/{tid}/messages", "ListMessagesResponse", validator, limit=50, order=order)
            for m in messages[:5]:
                validator.validate("MessageObject", c.get(f"/threads/{tid}/messages/{m['id']}").json())
            runs_asc = pages(c, f"/threads/{tid}/runs", "ListRunsResponse", validator, limit=7, order="asc")
            runs_desc = pages(c, f"/threads/{tid}/runs", "ListRunsResponse", validator, limit=7)
            assert [r["id"] for r in runs_desc] == [r["id"] for r in reversed(runs_asc)]
            # Thread 1 has 100 runs: its pages are validated above, its runs' steps only for a sample.
            for run in runs_asc if index != 1 else runs_asc[:6]:
                validator.validate("RunObject", c.get(f"/threads/{tid}/runs/{run['id']}").json())
                path = f"/threads/{tid}/runs/{run['id']}/steps"
                for include in ({}, {"include[]": INCLUDE}):
                    for order in ("asc", "desc"):
                        steps = pages(c, path, "ListRunStepsResponse", validator, limit=3, order=order, **include)
                    for step in steps:
                        validator.validate("RunStepObject", c.get(f"{path}/{step['id']}", params=include).json())
    assert validator.checked > 500


def test_objects_cover_the_schema_branches(emu, validator):
    """The validated walk above saw every kind of payload the schema describes."""
    world = emu.world
    seen = set()
    for tid in world.thread_ids():
        for run in world.runs(tid):
            seen.add(("run", run["status"]))
            for step in world.steps(tid, run["id"], include_content=True):
                seen.add(("step", step["type"], step["status"]))
                for call in step["step_details"].get("tool_calls", []):
                    seen.add(("call", call["type"]))
                    for out in call.get("code_interpreter", {}).get("outputs", []):
                        seen.add(("output", out["type"]))
    for status in ("queued", "in_progress", "requires_action", "cancelling", "cancelled", "failed", "completed",
                   "incomplete", "expired"):
        assert ("run", status) in seen, status
    for kind in ("code_interpreter", "file_search", "function"):
        assert ("call", kind) in seen
    assert ("output", "logs") in seen and ("output", "image") in seen


def test_validator_is_not_vacuous(emu, validator):
    run = emu.world.runs(emu.world.thread_ids()[2])[0]
    with pytest.raises(AssertionError):
        validator.validate("RunObject", {**run, "status": "paused"})
    with pytest.raises(AssertionError):
        validator.validate("RunObject", {k: v for k, v in run.items() if k != "usage"})
    with pytest.raises(AssertionError):
        validator.validate("ListRunsResponse", {"data": [run], "last_id": run["id"], "has_more": False})


def test_error_bodies_validate(emu, validator):
    tid = emu.world.thread_ids()[2]
    with client_for(emu) as c:
        responses = [
            c.get("/threads/thread_doesnotexist0000000000000"),
            c.get(f"/threads/{tid}/runs/run_doesnotexist000000000000"),
            c.get(f"/threads/{tid}/runs", params={"limit": 0}),
            c.get(f"/threads/{tid}/runs", params={"order": "sideways"}),
            c.get("/assistants/asst_nope"),
            c.get("/threads"),  # OpenAI has no thread listing
        ]
    responses.append(CTL.get(emu.base_url + "/assistants"))  # no key
    responses.append(CTL.get(emu.base_url + "/assistants", headers={"Authorization": f"Bearer {emu.api_key}"}))
    for r in responses:
        assert r.status_code in (400, 401, 404)
        assert r.headers["x-request-id"]
        validator.validate("ErrorResponse", r.json())
