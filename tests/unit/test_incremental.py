"""The per-thread watermark: which runs get their steps fetched, and where the cursor moves."""

from __future__ import annotations

import pytest

from openai_assistants import incremental


def runs(*specs: str):
    """`"r1:completed"` → a run object with that id and status."""
    return [{"id": s.split(":")[0], "status": s.split(":")[1]} for s in specs]


@pytest.mark.parametrize(
    "cursor, listed, fetch, after",
    [
        pytest.param({"w": None, "d": []}, runs("r1:completed", "r2:failed"), ["r1", "r2"], {"w": "r2", "d": []},
                     id="all-terminal-moves-to-last"),
        pytest.param({"w": None, "d": []}, runs("r1:completed", "r2:in_progress", "r3:completed"),
                     ["r1", "r2", "r3"], {"w": "r1", "d": ["r3"]}, id="open-run-holds-watermark"),
        pytest.param({"w": "r1", "d": ["r3"]}, runs("r2:in_progress", "r3:completed"), ["r2"],
                     {"w": "r1", "d": ["r3"]}, id="nothing-changed-refetches-only-open"),
        pytest.param({"w": "r1", "d": ["r3"]}, runs("r2:completed", "r3:completed", "r4:queued"), ["r2", "r4"],
                     {"w": "r3", "d": []}, id="open-run-finished"),
        pytest.param({"w": "r9", "d": []}, [], [], {"w": "r9", "d": []}, id="no-new-runs"),
        pytest.param({"w": None, "d": []}, runs("r1:requires_action", "r2:cancelling"), ["r1", "r2"],
                     {"w": None, "d": []}, id="all-open"),
    ],
)
def test_fetch_and_advance(cursor, listed, fetch, after):
    assert [r["id"] for r in incremental.runs_to_fetch(cursor["d"], listed)] == fetch
    assert incremental.advance(cursor["w"], listed) == (after["w"], after["d"])


def test_a_vanished_run_counts_as_finished():
    listed = runs("r1:in_progress", "r2:completed")
    assert incremental.advance(None, listed, gone=["r1"]) == ("r2", [])
