"""Property-based flattening: objects generated from the OpenAPI schema in specs/, plus Foundry-style
unknown tool-call types, never make flatten raise, and the row counts match the input's lists."""

from __future__ import annotations

import copy
from typing import Any, Dict

import yaml
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from openai_assistants import flatten
from tests.helpers import SPECS_DIR

SPEC_PATH = SPECS_DIR / "openai-assistants-subset.openapi.yaml"


def _inline(node: Any, components: Dict[str, Any], depth: int = 0) -> Any:
    """Replace `$ref`s with the component they name, dropping OpenAPI-only keywords."""
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return _inline(copy.deepcopy(components[name]), components, depth + 1)
        return {k: _inline(v, components, depth) for k, v in node.items()
                if not k.startswith("x-") and k not in ("discriminator", "example", "examples", "format")}
    if isinstance(node, list):
        return [_inline(v, components, depth) for v in node]
    return node


def _schema(name: str) -> Dict[str, Any]:
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    components = spec["components"]["schemas"]
    schema = _inline(components[name], components)
    # Keep generated ids path-safe-ish and lists short so examples stay fast.
    return schema


def from_schema(schema: Any, depth: int = 0) -> st.SearchStrategy:
    """A Hypothesis strategy for the JSON-schema subset the spec uses (hypothesis-jsonschema does not
    work with current Hypothesis). Optional properties are sometimes left out; unknown ones added."""
    if not isinstance(schema, dict) or depth > 12:
        return st.none()
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            base = {k: v for k, v in schema.items() if k != key}
            return st.one_of([from_schema({**base, **option}, depth + 1) for option in schema[key]])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([from_schema({**schema, "type": k}, depth + 1) for k in kind])
    if kind == "null":
        return st.none()
    if kind == "string":
        return st.text(max_size=12)
    if kind == "integer":
        return st.integers(min_value=-5, max_value=2_000_000_000)
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), depth + 1), max_size=3)
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, depth + 1) for k, v in props.items() if k in required},
            optional={**{k: from_schema(v, depth + 1) for k, v in props.items() if k not in required},
                      "some_future_field": st.text(max_size=5)},
        )
    return st.one_of(st.none(), st.text(max_size=5), st.integers())


STEP = _schema("RunStepObject")
RUN = _schema("RunObject")

ids = st.from_regex(r"[a-z]{1,6}_[A-Za-z0-9]{1,10}", fullmatch=True)
foundry_call = st.fixed_dictionaries({
    "id": ids,
    "type": st.sampled_from(["mcp", "connected_agent", "azure_function", "deep_research", "bing_grounding",
                             "browser_automation", "openapi", "something_from_2027"]),
}).flatmap(lambda call: st.fixed_dictionaries({
    **{k: st.just(v) for k, v in call.items()},
    call["type"]: st.dictionaries(st.text(max_size=8), st.one_of(st.none(), st.text(max_size=20), st.integers()), max_size=4),
    "name": st.one_of(st.none(), st.text(max_size=10)),
}))


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(step=from_schema(STEP), run=from_schema(RUN), extra_calls=st.lists(foundry_call, max_size=3))
def test_flatten_never_raises_and_counts_match(step, run, extra_calls):
    details = step.get("step_details")
    if isinstance(details, dict) and isinstance(details.get("tool_calls"), list):
        details["tool_calls"] = details["tool_calls"] + extra_calls
    rows = flatten.run_rows(run, [step])
    assert len(rows["runs"]) == 1 and len(rows["run_steps"]) == 1
    # The details are what is flattened: their type decides (the step's own `type` only without one).
    details_type = details.get("type") if isinstance(details, dict) else None
    kind = details_type if isinstance(details_type, str) and details_type else step.get("type")
    calls = details.get("tool_calls") if isinstance(details, dict) and kind == "tool_calls" else None
    calls = calls if isinstance(calls, list) else []
    assert len(rows["run_step_tool_calls"]) == len(calls)
    outputs = sum(len(c.get("code_interpreter", {}).get("outputs") or [])
                  for c in calls if c.get("type") == "code_interpreter" and isinstance(c.get("code_interpreter"), dict))
    results = sum(len(c.get("file_search", {}).get("results") or [])
                  for c in calls if c.get("type") == "file_search" and isinstance(c.get("file_search"), dict))
    assert len(rows["code_interpreter_outputs"]) == outputs
    assert len(rows["file_search_results"]) == results
    for call_row, call in zip(rows["run_step_tool_calls"], calls):
        if call.get("type") not in ("function", "code_interpreter", "file_search"):
            assert call_row["details"] is not None  # unknown kinds are kept, not dropped
