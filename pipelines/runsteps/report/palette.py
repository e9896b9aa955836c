"""Colours: one per model across every chart and table, and fixed ones for outcomes and codes.

A model's colour comes from its position in the sorted list of all models with runs, so it does
not change with the period shown nor with which model cost most that day.
"""

from __future__ import annotations

from typing import Dict, Iterable

# Observable 10 (well separated, colour-blind friendlier than the classic category10) without its
# grey, which is kept for "other"; then darker variants for organisations with many models.
SERIES = (
    "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e",
    "#1d3f8f", "#b07d00", "#c2412f", "#2f8f7a", "#23702f", "#c2527e", "#6b36b0", "#5b7fc4", "#6b4630",
)
OTHER = "#9498a0"
GRID = "#e6e8ec"
AXIS = "#9aa1ab"
INK = "#1f2733"
MUTED = "#5b6472"

# Why runs did not complete, in stacking order (most actionable first).
ERROR_CODES: Dict[str, str] = {
    "server_error": "#e45756",
    "rate_limit_exceeded": "#f58518",
    "invalid_prompt": "#a463f2",
}
EXTRA_CODES = ("#9c6b4e", "#2f8f7a", "#c2527e", "#5b7fc4", "#b07d00")
OUTCOMES: Dict[str, str] = {
    "failed (no code)": "#8c2d2d",
    "expired": "#efb118",
    "cancelled": "#9498a0",
    "incomplete": "#c7b8a8",
}

# Tool-call outcomes.
TOOL_COMPLETED = "#4269d0"
TOOL_FAILED = "#e45756"
TOOL_ENDED_OTHERWISE = "#9498a0"  # cancelled or expired
TOOL_OPEN = "#c9d3e6"


def model_colours(models: Iterable[str]) -> Dict[str, str]:
    """Maps each model name to its colour (names sorted, then palette order; cycles past 18)."""
    return {m: SERIES[i % len(SERIES)] for i, m in enumerate(sorted(set(models)))}


def error_code_colours(codes: Iterable[str]) -> Dict[str, str]:
    """Maps error codes to colours: the documented codes keep theirs, others get the extras."""
    out: Dict[str, str] = {}
    unknown = [c for c in sorted(set(codes)) if c not in ERROR_CODES]
    for code in set(codes) & set(ERROR_CODES):
        out[code] = ERROR_CODES[code]
    for i, code in enumerate(unknown):
        out[code] = EXTRA_CODES[i % len(EXTRA_CODES)]
    return out
