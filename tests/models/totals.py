"""Totals read back from the marts, in the shape of the emulator's expected totals.

For checks that compare the marts with an independent source of truth (the emulator's
`/_emulator/expected`): token totals and runs by model and day from `rpt_daily_usage`, failure
counts by error code from `rpt_failures_by_error_code`.
"""

from __future__ import annotations

from typing import Any, Dict, List

import dlt

from runsteps.models.destination import fetch_all
from runsteps.models.project import MODELS_SCHEMA

_TOKENS = ("prompt_tokens", "completion_tokens", "total_tokens")


def mart_totals(pipeline: dlt.Pipeline, schema: str = MODELS_SCHEMA) -> Dict[str, Any]:
    """Totals of the built marts.

    Returns:
        `run_tokens`: {prompt_tokens, completion_tokens, total_tokens} over all runs;
        `runs`, `steps`: counts over all days;
        `tokens_by_model_day`: [{model, day (ISO date), runs, prompt_tokens, completion_tokens,
        total_tokens}] (the emulator's names; the marts' input_tokens and output_tokens) sorted by model and day, summed over assistants;
        `runs_by_last_error_code`: {code: terminal runs with that code};
        `cost_usd`: total priced cost (None when nothing is priced).
    """
    with pipeline.sql_client() as client:
        by_model_day = fetch_all(
            client,
            f"SELECT model, run_date, SUM(runs), SUM(steps), SUM(input_tokens), SUM(output_tokens), "
            f"SUM(total_tokens), SUM(cost_usd) FROM {schema}.rpt_daily_usage GROUP BY model, run_date",
        )
        by_code = fetch_all(
            client,
            f"SELECT last_error_code, SUM(runs) FROM {schema}.rpt_failures_by_error_code GROUP BY last_error_code",
        )
    rows: List[Dict[str, Any]] = sorted(
        (
            {"model": model, "day": str(day), "runs": int(runs), **{k: int(v) for k, v in zip(_TOKENS, tokens)}}
            for model, day, runs, _steps, *tokens, _cost in by_model_day
        ),
        key=lambda r: (str(r["model"]), r["day"]),
    )
    costs = [float(row[-1]) for row in by_model_day if row[-1] is not None]
    return {
        "run_tokens": {k: sum(r[k] for r in rows) for k in _TOKENS},
        "runs": sum(r["runs"] for r in rows),
        "steps": sum(int(row[3]) for row in by_model_day),
        "tokens_by_model_day": rows,
        "runs_by_last_error_code": {str(code): int(n) for code, n in by_code},
        "cost_usd": sum(costs) if costs else None,
    }
