"""The fixed vocabulary of the world: models, assistants, functions and text pools.

Text pools deliberately mix scripts (German, French, Japanese, Chinese, Russian, Arabic, emoji) so
that every text column a loader fills gets non-ASCII input.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

# Model names as runs report them. `acme-internal-llm-v1` is on no public price list on purpose:
# the cost models must show it as unpriced, never as free.
MODELS: Tuple[str, ...] = (
    "gpt-4o-2024-08-06",
    "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18",
    "gpt-4.1",
    "gpt-4.1-mini",
    "o3-mini",
    "o3",
    "acme-internal-llm-v1",
)
REASONING_MODELS = frozenset({"o3-mini", "o3"})

# Tool-call types OpenAI defines, and the extra ones Microsoft Foundry (classic) adds.
FOUNDRY_EXTRA_TOOL_TYPES: Tuple[str, ...] = (
    "mcp",
    "connected_agent",
    "azure_function",
    "deep_research",
    "bing_grounding",
    "browser_automation",
    "azure_ai_search",
    "openapi",
    "bing_custom_search",
    "sharepoint_grounding",
    "fabric_dataagent",
    "quantum_oracle",  # no provider has it: stands in for a type invented after the loader shipped
)
# Foundry types whose payload is a plain string map under a key named like the type.
FOUNDRY_STRING_MAP_TYPES = frozenset(
    {"bing_grounding", "azure_ai_search", "openapi", "bing_custom_search", "sharepoint_grounding", "fabric_dataagent"}
)

FUNCTIONS: Dict[str, Dict[str, str]] = {
    "lookup_order": {"description": "Look up an order by number", "arg": "order_id"},
    "create_ticket": {"description": "Open a support ticket", "arg": "summary"},
    "search_flights": {"description": "Search flights between two cities", "arg": "route"},
    "book_hotel": {"description": "Book a hotel room", "arg": "city"},
    "get_weather": {"description": "Current weather for a city", "arg": "city"},
    "convert_currency": {"description": "Convert an amount between currencies", "arg": "amount"},
}

# name, model, openai tool types, foundry extra tool types, function names, instructions
ASSISTANTS: List[Dict[str, object]] = [
    {
        "name": "Support Bot 🤖",
        "model": "gpt-4o-2024-08-06",
        "tools": ("file_search", "function"),
        "foundry_tools": ("mcp", "bing_grounding", "sharepoint_grounding"),
        "functions": ("lookup_order", "create_ticket"),
        "instructions": "Du bist ein freundlicher Support-Assistent. Antworte kurz, höflich und präzise. 🙂",
    },
    {
        "name": "Data Analyst — Zürich",
        "model": "gpt-4.1",
        "tools": ("code_interpreter", "file_search"),
        "foundry_tools": ("fabric_dataagent", "azure_ai_search", "deep_research"),
        "functions": (),
        "instructions": "Analyse les fichiers fournis, trace des graphiques et explique les résultats en français.",
    },
    {
        "name": "Reisebüro-Assistent ✈️",
        "model": "gpt-4o-mini",
        "tools": ("function",),
        "foundry_tools": ("openapi", "browser_automation", "azure_function"),
        "functions": ("search_flights", "book_hotel", "convert_currency"),
        "instructions": "Hilf bei der Reiseplanung: Flüge, Hotels, Währungen. Preise immer in EUR und CHF.",
    },
    {
        "name": "数据助手",
        "model": "o3-mini",
        "tools": ("code_interpreter", "function"),
        "foundry_tools": ("connected_agent", "bing_custom_search"),
        "functions": ("get_weather", "convert_currency"),
        "instructions": "你是一个数据分析助手。请用中文回答，并在需要时运行代码。",
    },
    {
        "name": "Юридический исследователь",
        "model": "o3",
        "tools": ("file_search",),
        "foundry_tools": ("deep_research", "mcp"),
        "functions": (),
        "instructions": "Отвечай только на основе загруженных документов и всегда указывай источник.",
    },
    {
        "name": "Internal Ops ⚙️",
        "model": "acme-internal-llm-v1",
        "tools": ("code_interpreter", "file_search", "function"),
        "foundry_tools": ("azure_function", "connected_agent", "quantum_oracle", "mcp"),
        "functions": ("create_ticket", "lookup_order", "get_weather"),
        "instructions": "Internal operations helper. مساعد العمليات الداخلية — be terse.",
    },
]

CITIES = ("Zürich", "München", "São Paulo", "Kraków", "東京", "Москва", "Reykjavík", "القاهرة", "Montréal")
FILE_NAMES = (
    "Quartalsbericht_Q2_2026.pdf",
    "価格表_2026.xlsx",
    "résumé-équipe.docx",
    "отчёт_продажи.pdf",
    "📊 metrics.csv",
    "Richtlinie Reisekosten (v3).pdf",
    "contrat_cadre_signé.pdf",
    "产品手册.md",
    "handbook.txt",
)
SNIPPETS = (
    "Die Rückerstattung erfolgt innerhalb von 14 Tagen nach Eingang der Ware.",
    "Les frais de déplacement sont remboursés sur présentation des justificatifs originaux.",
    "返品は購入日から30日以内に受け付けます。",
    "Скидка действует только для корпоративных клиентов.",
    "Employees may book business class for flights longer than 6 hours.",
    "所有报销申请必须在季度结束前提交。",
    "Der Vertrag verlängert sich automatisch um 12 Monate, sofern er nicht gekündigt wird.",
)
USER_TEXTS = (
    "Wo ist meine Bestellung #4711? 📦",
    "Peux-tu analyser ce fichier et tracer la tendance mensuelle ?",
    "明日の東京の天気は？",
    "Найди пункт договора о продлении.",
    "Book me a hotel in Zürich for two nights, please.",
    "请把这些数字转换成欧元。",
    "What does the travel policy say about business class?",
)
ASSISTANT_TEXTS = (
    "Ihre Bestellung ist unterwegs und kommt voraussichtlich morgen an. 🚚",
    "Voici l'analyse : la tendance est en hausse de 12 % sur le trimestre.",
    "東京は晴れ、最高気温は31°Cの予報です。",
    "Согласно п. 7.2, договор продлевается автоматически на 12 месяцев.",
    "Done — I booked the Hotel Storchen in Zürich for two nights (CHF 420 total).",
    "按今日汇率，合计约为 1 284,50 欧元。",
    "Business class is allowed for flights longer than six hours (policy §4.3).",
)
CODE_INPUTS = (
    "import pandas as pd\ndf = pd.read_csv('/mnt/data/metrics.csv')\nprint(df.describe())",
    "# Umsatz je Monat\nimport matplotlib.pyplot as plt\nplt.plot(months, revenue)\nplt.savefig('chart.png')",
    "total = sum(x * 1.0725 for x in amounts)  # 換算レート\nprint(f'Σ = {total:.2f} €')",
    "import numpy as np\nprint(np.percentile(latencies, [50, 95, 99]))",
)
CODE_LOGS = (
    "count    31.000000\nmean     42.516129\nstd       7.302731\nmin      28.000000\nmax      57.000000",
    "Σ = 1284.50 €",
    "[ 212.  487.  931.]",
    "Warnung: 3 Zeilen enthielten ungültige Datumswerte und wurden übersprungen.",
    "Traceback (most recent call last):\n  File \"<stdin>\", line 1\nKeyError: 'Umsatz'",
)
METADATA_VALUES = ("Müller GmbH", "équipe-nord", "営業部", "клиент-42", "🚀 launch", "web", "mobile", "Zürich")
METADATA_KEYS = ("customer", "team", "channel", "region", "ticket", "campaign")
# MCP servers of the Foundry world: label -> {tool name: (description, its one string argument)}.
MCP_SERVERS: Dict[str, Dict[str, Tuple[str, str]]] = {
    "github": {"search_issues": ("Sucht Issues nach Stichworten — 課題を検索", "query"),
               "get_pull_request": ("Liest einen Pull Request mit Diff", "number")},
    "jira": {"get_issue": ("Lit un ticket Jira par sa clé", "key"),
             "search_issues": ("Recherche des tickets en JQL", "jql")},
    "notion": {"query_database": ("Durchsucht eine Notion-Datenbank 📚", "filter")},
}
# What a browser-automation call does, step by step (`next_step` of one is done in the next).
BROWSER_STEPS = (
    ("Browser gestartet", "Leerer Tab", "Öffne {url}"),
    ("{url} geladen", "Startseite mit Suchfeld und Cookie-Banner", "Cookie-Banner schließen, nach {city} suchen"),
    ("Suche nach {city} abgeschickt", "Ergebnisliste mit 12 Treffern — 検索結果", "Ersten Treffer öffnen und Preise lesen"),
    ("Detailseite gelesen: {snippet}", "Detailseite des ersten Treffers", "Antwort zusammenfassen"),
)
BROWSER_URLS = ("https://www.example.com/reisen", "https://example.org/tarife?lang=de", "https://example.jp/天気")

RUN_ERROR_MESSAGES = {
    "server_error": "Sorry, something went wrong.",
    "rate_limit_exceeded": "Rate limit reached for gpt-4o in organization org-emulator on tokens per min (TPM).",
    "invalid_prompt": "Your prompt was flagged as potentially violating our usage policy. Bitte formuliere die Anfrage um.",
}
STEP_ERROR_MESSAGES = {
    "server_error": "Sorry, something went wrong.",
    "rate_limit_exceeded": "Rate limit reached for requests.",
}
