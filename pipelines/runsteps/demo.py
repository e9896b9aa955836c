"""`runsteps demo`: the whole product against the built-in emulator, offline, in one command."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path
from typing import List, Optional

import duckdb

from openai_assistants import settings as assistants_settings
from openai_responses import settings as responses_settings

from .commands import build, load, report
from .options import ApiSettings, LoadOptions, ReportOptions, ResponseInputs, ThreadInputs, Warehouse
from .progress import Progress

# The sample org migrates from the Assistants API to the Responses API on the emulators' default
# clock (2026-08-20): its Assistants history ends there, and its Responses history runs on from
# there for this many days (the Responses world's clock is advanced; its earlier history is left out).
RESPONSES_DAYS = 14

_SAMPLE_QUERY = """\
select r.model, count(*) as runs, sum(r.total_tokens) as total_tokens,
       round(avg(case when r.status = 'failed' then 1.0 else 0.0 end), 3) as failure_rate
from assistants.runs r
group by 1 order by total_tokens desc nulls last"""


def run_demo(directory: Path, threads: int = 40, seed: int = 7) -> int:
    """Serve a sample org, load it, build the models, write the report, and say what to try next."""
    from .emulator import Emulator

    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "runsteps.duckdb"
    # A demo always starts fresh: an old database would mix another org into the numbers.
    for stale in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".dlt")):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    print(f"starting the emulator with a sample org ({threads} threads, seed {seed})...")
    warehouse = Warehouse(db=db)
    with Emulator(seed=seed, threads=threads, flavour="openai") as emu, Progress() as progress:
        options = LoadOptions(
            warehouse=warehouse,
            api=ApiSettings(provider="openai", base_url=emu.base_url, api_key=emu.api_key,
                            include_file_search_content=True),
            threads=ThreadInputs(thread_ids=tuple(emu.world.thread_ids())),
        )
        print(load(options, on_progress=progress).describe())
    migration = _load_responses_after_migration(warehouse, threads, seed)
    lines = [f"\ndatabase: {db.resolve()}",
             f"migration: Assistants API until {migration.isoformat()}, Responses API from then on"]
    with duckdb.connect(str(db), read_only=True) as con:
        lines.append("\ntables (schema assistants):")  # the loader's own state tables left out
        bookkeeping = set(assistants_settings.STATE_TABLES) | set(responses_settings.STATE_TABLES)
        for (table,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'assistants' "
            "and table_name not like '\\_dlt%' escape '\\' order by 1"
        ).fetchall():
            if table in bookkeeping:
                continue
            count = con.execute(f'select count(*) from assistants."{table}"').fetchall()[0][0]
            lines.append(f"  {table:<34} {count:>8} rows")
        lines.append("\nsample query:\n" + _SAMPLE_QUERY + "\n")
        lines.append(str(con.sql(_SAMPLE_QUERY)))
    print("\n".join(lines))
    _models_and_report(directory, warehouse)
    print("what to try next:")
    print(f"  duckdb {db}                      # ad-hoc SQL (or python -c 'import duckdb; ...')")
    print(f"  runsteps models --test --db {db}")
    print(f"  runsteps report --db {db} --out {directory / 'report.html'}")
    print("  runsteps emulate --port 8765      # then point `runsteps load --base-url` at it")
    return 0


def post_migration_response_ids(world: object, migration_at: int) -> List[str]:
    """The responses created at or after the migration whose whole `previous_response_id` chain was
    too: the loader walks a chain back, and an older link would reach into the Assistants era."""
    ids = world.response_ids(retained_only=True)  # type: ignore[attr-defined]
    objects = {rid: world.response(rid) for rid in ids}  # type: ignore[attr-defined]

    def after(rid: Optional[str]) -> bool:
        while rid:
            obj = objects.get(rid)
            if obj is None or obj["created_at"] < migration_at:
                return False
            rid = obj.get("previous_response_id")
        return True

    return [rid for rid in ids if after(rid)]


def _load_responses_after_migration(warehouse: Warehouse, conversations: int, seed: int) -> date:
    """Serve a Responses world whose clock starts where the Assistants world's stands, advance it
    RESPONSES_DAYS days, and load the responses made after the migration into the same database."""
    from .emulator import DEFAULT_CLOCK, Emulator
    from .emulator.responses_world import ResponsesWorld

    world = ResponsesWorld(seed=seed, conversations=conversations, flavour="openai")
    world.advance(RESPONSES_DAYS * 86_400)
    print(f"starting the Responses emulator: the same org after its migration ({RESPONSES_DAYS} days)...")
    with Emulator(world=world, api="responses") as emu, Progress() as progress:
        options = LoadOptions(
            warehouse=warehouse,
            api=ApiSettings(provider="openai", base_url=emu.base_url, api_key=emu.api_key),
            source_api="responses",
            responses=ResponseInputs(response_ids=tuple(post_migration_response_ids(emu.world, DEFAULT_CLOCK))),
        )
        print(load(options, on_progress=progress).describe())
    return datetime.fromtimestamp(DEFAULT_CLOCK, tz=timezone.utc).date()


def _models_and_report(directory: Path, warehouse: Warehouse) -> None:
    """Build the models, show the costliest days, write the report, and point at the notebook."""
    print(build(warehouse).describe())
    with duckdb.connect(str(warehouse.db), read_only=True) as con:
        print("\nanalytics.rpt_daily_usage (the 8 costliest assistant-model-days):")
        print(con.sql("select run_date, api, assistant_id, model, runs, steps, total_tokens, round(cost_usd, 4) as cost_usd "
                      "from analytics.rpt_daily_usage order by cost_usd desc nulls last limit 8"))
        print("\nanalytics.rpt_daily_usage by API (the last 10 days: the migration is one history):")
        print(con.sql("select run_date, api, sum(runs) as runs, round(sum(cost_usd), 4) as cost_usd "
                      "from analytics.rpt_daily_usage group by run_date, api order by run_date desc, api limit 10"))
    out = directory / "report.html"
    print(report(warehouse, ReportOptions(out=out)))
    print(f"report: {out.resolve()}")
    print(f"notebook: runsteps notebook --db {warehouse.db.resolve()}   (needs pip install 'runsteps[notebook]')\n")
