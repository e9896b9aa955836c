"""The Foundry tools' configuration: tool definitions (on assistants and runs) and `tool_resources`.

Shapes follow the models of the official Azure SDK `azure-ai-agents` 1.2 (`MCPToolDefinition`,
`OpenApiToolDefinition`, `ConnectedAgentToolDefinition`, `AzureFunctionToolDefinition`,
`BingGroundingToolDefinition`, `ToolResources`, ...), which is what a Foundry client parses them with.
They are configuration, not data: the same for every seed (the tool lists are cached per assistant),
so nothing here draws from a random stream.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List

from .ids import new_id, rng_for
from .vocab import MCP_SERVERS

# The project every Foundry connection lives in, as Azure names resources.
_PROJECT = ("/subscriptions/6b1f3c2e-8d4a-4e57-9b0c-2f7a1d9e4c35/resourceGroups/rg-agenten-demo/providers/"
            "Microsoft.CognitiveServices/accounts/ais-agenten-demo/projects/demo")
# The agent behind every `connected_agent` tool; its tool calls name it as their `assistant_id`.
CONNECTED_AGENT_ID = new_id(rng_for("connected-agent"), "asst_")
CONNECTED_AGENT_NAME = "rechnungs_agent"
AZURE_FUNCTION_NAME = "GetStockLevel"


def connection(name: str) -> str:
    """The id of a project connection (a Bing resource, a search index, a queue, ...)."""
    return f"{_PROJECT}/connections/{name}"


def _queue(name: str) -> Dict[str, Any]:
    return {"type": "storage_queue",
            "storage_queue": {"queue_service_endpoint": "https://stagentendemo.queue.core.windows.net", "queue_name": name}}


_OPENAPI_SPEC: Dict[str, Any] = {
    "openapi": "3.0.1",
    "info": {"title": "Wechselkurse", "version": "1.0"},
    "servers": [{"url": "https://fx.example.com/v1"}],
    "paths": {"/rates/{base}": {"get": {
        "operationId": "getRates",
        "summary": "Tageskurse einer Währung",
        "parameters": [{"name": "base", "in": "path", "required": True, "schema": {"type": "string"}},
                       {"name": "format", "in": "query", "required": False, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "Kurse"}},
    }}},
}

# One definition per Foundry tool type (mcp has one per server, built in `definitions`).
_DEFINITIONS: Dict[str, Dict[str, Any]] = {
    "bing_grounding": {"search_configurations": [
        {"connection_id": connection("bing-grounding"), "market": "de-CH", "set_lang": "de", "count": 5, "freshness": "Week"}]},
    "bing_custom_search": {"search_configurations": [
        {"connection_id": connection("bing-custom-search"), "instance_name": "reise-richtlinien", "market": "ja-JP",
         "set_lang": "ja", "count": 10, "freshness": "Month"}]},
    "sharepoint_grounding": {"connections": [{"connection_id": connection("sharepoint-intranet")}]},
    "fabric_dataagent": {"connections": [{"connection_id": connection("fabric-umsatz")}]},
    "deep_research": {"deep_research_model": "o3-deep-research",
                      "bing_grounding_connections": [{"connection_id": connection("bing-grounding")}]},
    "openapi": {
        "name": "wechselkurse",
        "description": "Aktuelle Wechselkurse (EUR, CHF, JPY, ...)",
        "spec": _OPENAPI_SPEC,
        "auth": {"type": "connection", "security_scheme": {"connection_id": connection("fx-api-key")}},
        "default_params": ["format"],
        "functions": [{"name": "wechselkurse_getRates", "description": "Tageskurse einer Währung",
                       "parameters": {"type": "object", "properties": {"base": {"type": "string"}}, "required": ["base"]}}],
    },
    "browser_automation": {"connection": {"id": connection("playwright-workspace")}},
    "azure_function": {
        "function": {"name": AZURE_FUNCTION_NAME, "description": "Lagerbestand eines Artikels",
                     "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}, "required": ["sku"]}},
        "input_binding": _queue("lager-anfragen"),
        "output_binding": _queue("lager-antworten"),
    },
    "connected_agent": {"id": CONNECTED_AGENT_ID, "name": CONNECTED_AGENT_NAME,
                        "description": "Beantwortet Fragen zu Rechnungen und Zahlungen"},
    # A type no provider has: its configuration is opaque, as a newer service's would be.
    "quantum_oracle": {"qubits": 8, "backend": {"name": "simulator", "noise": False}},
}


def definitions(kind: str) -> List[Dict[str, Any]]:
    """The `tools` entries a Foundry assistant with tool `kind` has."""
    if kind == "mcp":  # one per server, so that each call's server_label names a configured server
        return [{"type": "mcp", "server_label": label, "server_url": f"https://mcp.example.com/{label}",
                 "allowed_tools": list(tools)} for label, tools in MCP_SERVERS.items()]
    if kind == "azure_ai_search":  # configured in tool_resources.azure_ai_search, not on the tool
        return [{"type": kind}]
    return [{"type": kind, kind: _DEFINITIONS[kind]}]


# Who must approve an MCP call, per server: every form the API allows.
_MCP_APPROVAL: Dict[str, Any] = {"github": "never", "jira": "always",
                                 "notion": {"never": {"tool_names": ["query_database"]}}}


def tool_resources(kinds: Iterable[str]) -> Dict[str, Any]:
    """`tool_resources` of a Foundry assistant (and its runs) with the given Foundry tool kinds."""
    out: Dict[str, Any] = {}
    if "azure_ai_search" in kinds:
        out["azure_ai_search"] = {"indexes": [{
            "index_connection_id": connection("ai-search"), "index_name": "vertraege-index",
            "query_type": "vector_semantic_hybrid", "top_k": 5, "filter": "sprache eq 'de'"}]}
    if "mcp" in kinds:
        out["mcp"] = [{"server_label": label, "headers": {"x-mandant": "demo"}, "require_approval": _MCP_APPROVAL[label]}
                      for label in MCP_SERVERS]
    return out
