"""The fixed vocabulary of the Responses world: models, deployments, agents, item types, outcomes.

Enumerations are copied from the schema subsets in specs/ (openai-responses-subset: `ResponseErrorCode`,
`Response.incomplete_details.reason`, `IncludeEnum`; foundry-agents-v1-subset: the Microsoft item types
of `OpenAI.OutputItem`'s discriminator), so that the world holds every value a loader must survive.
"""

from __future__ import annotations

from typing import Dict, Tuple

# Models as OpenAI reports them; `acme-internal-llm-v1` is on no price list on purpose.
OPENAI_MODELS: Tuple[str, ...] = (
    "gpt-4o-2024-08-06",
    "gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "o3",
    "o3-mini",
    "acme-internal-llm-v1",
)
# Foundry reports the deployment name the project gave a model, not a model id.
FOUNDRY_DEPLOYMENTS: Tuple[str, ...] = (
    "gpt-4o-prod",
    "gpt-4o-mini-eu",
    "gpt-4.1-batch",
    "o3-mini-eu",
    "o3-research",
    "acme-llm-canary",
)
REASONING_MODELS = frozenset({"o3", "o3-mini", "o3-mini-eu", "o3-research"})

# Foundry agents: (name, versions). A session talks to one agent version (`agent_reference`).
AGENTS: Tuple[Tuple[str, int], ...] = (
    ("support-bot", 3),
    ("data-analyst", 2),
    ("travel-planner", 4),
    ("hr-helper-ü", 1),
)

# Every `ResponseErrorCode` of the OpenAI spec (f85dbe22). The first three carry most failures.
ERROR_CODES: Tuple[str, ...] = (
    "server_error",
    "rate_limit_exceeded",
    "invalid_prompt",
    "data_residency_mismatch",
    "bio_policy",
    "vector_store_timeout",
    "invalid_image",
    "invalid_image_format",
    "invalid_base64_image",
    "invalid_image_url",
    "image_too_large",
    "image_too_small",
    "image_parse_error",
    "image_content_policy_violation",
    "invalid_image_mode",
    "image_file_too_large",
    "unsupported_image_media_type",
    "empty_image_file",
    "failed_to_download_image",
    "image_file_not_found",
)
ERROR_WEIGHTS: Tuple[float, ...] = (40, 25, 15, 2, 1, 8) + (0.6,) * 14
# Foundry's `OpenAI.ResponseErrorCode` (004688b3) lists the same codes but `data_residency_mismatch`.
FOUNDRY_ERROR_CODES: Tuple[str, ...] = tuple(c for c in ERROR_CODES if c != "data_residency_mismatch")
FOUNDRY_ERROR_WEIGHTS: Tuple[float, ...] = tuple(w for c, w in zip(ERROR_CODES, ERROR_WEIGHTS)
                                                 if c != "data_residency_mismatch")
INCOMPLETE_REASONS: Tuple[str, ...] = ("max_output_tokens", "content_filter")

# `IncludeEnum` of the OpenAI spec. Two change what the emulator serves; the others are accepted.
INCLUDE_VALUES: Tuple[str, ...] = (
    "file_search_call.results",
    "web_search_call.results",
    "web_search_call.action.sources",
    "message.input_image.image_url",
    "computer_call_output.output.image_url",
    "code_interpreter_call.outputs",
    "reasoning.encrypted_content",
    "message.output_text.logprobs",
)
INCLUDE_FILE_SEARCH = "file_search_call.results"
INCLUDE_CODE_OUTPUTS = "code_interpreter_call.outputs"

# Tool items of a response's output. Each tool kind is one or more items in a fixed order.
OPENAI_TOOL_KINDS: Tuple[str, ...] = (
    "function_call",
    "file_search_call",
    "web_search_call",
    "code_interpreter_call",
    "mcp_call",
    "mcp_list_tools",
    "mcp_approval_request",
    "computer_call",
    "image_generation_call",
    "custom_tool_call",
)
# Foundry's server-side tools: the call item and its `*_output` item, both in the same output
# (type names from the discriminator of `OpenAI.OutputItem` in the Foundry spec).
FOUNDRY_TOOL_KINDS: Tuple[str, ...] = (
    "bing_grounding_call",
    "azure_ai_search_call",
    "openapi_call",
    "azure_function_call",
)
# No schema knows it: stands in for an item type invented after the loader shipped.
UNKNOWN_ITEM_TYPE = "quantum_oracle_call"

# Item id prefixes as the API shapes them.
ITEM_PREFIX: Dict[str, str] = {
    "message": "msg_",
    "reasoning": "rs_",
    "function_call": "fc_",
    "function_call_output": "fco_",
    "file_search_call": "fs_",
    "web_search_call": "ws_",
    "code_interpreter_call": "ci_",
    "mcp_call": "mcp_",
    "mcp_list_tools": "mcpl_",
    "mcp_approval_request": "mcpr_",
    "mcp_approval_response": "mcpa_",
    "computer_call": "cu_",
    "image_generation_call": "ig_",
    "custom_tool_call": "ctc_",
    "bing_grounding_call": "bgc_",
    "bing_grounding_call_output": "bgco_",
    "azure_ai_search_call": "aisc_",
    "azure_ai_search_call_output": "aisco_",
    "openapi_call": "oac_",
    "openapi_call_output": "oaco_",
    "azure_function_call": "afc_",
    "azure_function_call_output": "afco_",
    UNKNOWN_ITEM_TYPE: "qoc_",
}

USER_PROMPTS = (
    "Wie ist der Status meiner Bestellung 4711? 📦",
    "Résume ce rapport trimestriel en trois points.",
    "東京から大阪への一番安い電車は？",
    "Сколько дней отпуска у меня осталось?",
    "Plot the revenue per region for Q2 and explain the outlier.",
    "ما هو سعر الصرف اليوم؟",
    "Find a hotel in Zürich for two nights 🏨",
)
ASSISTANT_TEXTS = (
    "Ihre Bestellung 4711 ist unterwegs und kommt voraussichtlich am Donnerstag an. 🚚",
    "Voici le résumé : chiffre d'affaires en hausse, marge stable, coûts en baisse.",
    "東京から大阪へは夜行バスが最も安いです（約4,000円）。",
    "У вас осталось 12 дней отпуска.",
    "Region EMEA grew 14% — the outlier is a one-off licence deal in März.",
    "سعر الصرف اليوم هو ٣٫٦٧ درهم للدولار.",
    "I found three hotels in Zürich under 250 CHF per night. 🏨",
)
FUNCTIONS = ("lookup_order", "create_ticket", "search_flights", "book_hotel", "get_weather")
MCP_SERVERS: Dict[str, Tuple[str, ...]] = {
    "github": ("search_issues", "get_pull_request"),
    "jira-ü": ("create_issue", "transition_issue"),
}
FILE_NAMES = ("Jahresbericht_2025.pdf", "politique-voyage.docx", "価格表.xlsx", "handbook 🚀.md")
