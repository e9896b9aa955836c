"""Export round-trip: the archive holds exactly what `expected()` counts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from runsteps.emulator import World, export_world

from .conftest import SMALL


def count_archive(root: Path) -> Counter:
    counts: Counter = Counter()
    for thread_file in (root / "threads").glob("*.json"):
        thread = json.loads(thread_file.read_text(encoding="utf-8"))
        assert thread["object"] == "thread" and thread_file.stem == thread["id"]
        counts["threads"] += 1
        page = json.loads((root / "runs" / thread_file.name).read_text(encoding="utf-8"))
        assert page["has_more"] is False
        counts["runs"] += len(page["data"])
        for run in page["data"]:
            steps = json.loads((root / "steps" / thread["id"] / f"{run['id']}.json").read_text(encoding="utf-8"))
            assert steps["has_more"] is False
            for step in steps["data"]:
                counts["run_steps"] += 1
                for call in step["step_details"].get("tool_calls", []):
                    counts["run_step_tool_calls"] += 1
                    counts["code_interpreter_outputs"] += len(call.get("code_interpreter", {}).get("outputs", []))
                    results = call.get("file_search", {}).get("results", [])
                    counts["file_search_results"] += len(results)
                    counts["content"] += sum(1 for r in results if "content" in r)
    return counts


def test_export_round_trip(tmp_path):
    world = World(**SMALL)
    written = export_world(world, tmp_path / "archive")
    expected = world.expected()["tables"]
    counts = count_archive(tmp_path / "archive")
    assert {k: counts[k] for k in expected} == expected
    assert counts["content"] == counts["file_search_results"] > 0
    assert written["threads"] == expected["threads"] and written["runs"] == expected["runs"]
    assert written["steps"] == expected["run_steps"]
    assert written["files"] == 2 * expected["threads"] + expected["runs"]
    page = json.loads((tmp_path / "archive" / "runs" / f"{world.thread_ids()[1]}.json").read_text(encoding="utf-8"))
    assert page["object"] == "list" and len(page["data"]) == 100
    assert [r["created_at"] for r in page["data"]] == sorted(r["created_at"] for r in page["data"])
    empty = json.loads((tmp_path / "archive" / "runs" / f"{world.thread_ids()[0]}.json").read_text(encoding="utf-8"))
    assert empty == {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False}


def test_export_without_content_and_foundry(tmp_path):
    world = World(seed=4, threads=6, runs_per_thread=3, steps_per_run=4, flavour="foundry")
    export_world(world, tmp_path, include_content=False)
    counts = count_archive(tmp_path)
    assert counts["content"] == 0 and counts["file_search_results"] > 0
    assert {k: counts[k] for k in world.expected()["tables"]} == world.expected()["tables"]
    page = json.loads(next((tmp_path / "runs").glob("*.json")).read_text(encoding="utf-8"))
    assert set(page) == {"data", "last_id", "has_more"}
