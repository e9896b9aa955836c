"""The progress line says what each source counts: threads, runs and steps, or responses and items."""

from __future__ import annotations

import io

from openai_assistants import LoadProgress as AssistantsProgress
from openai_responses import LoadProgress as ResponsesProgress
from runsteps.progress import Progress


def _line(counters) -> str:
    out = io.StringIO()
    Progress("log", stream=out)(counters)
    return out.getvalue()


def test_an_assistants_load_counts_threads_runs_and_steps():
    line = _line(AssistantsProgress(threads_total=4, threads_done=4, runs=9, steps=31, requests=17, retries=1))
    assert "threads 4/4  runs 9  steps 31  requests 17 (retries 1)" in line and "steps/s" in line


def test_a_responses_load_counts_responses_conversations_and_items():
    line = _line(ResponsesProgress(total=5, done=5, responses=4, conversations=1, items=12, requests=6))
    assert "objects 5/5  responses 4  conversations 1  items 12  requests 6 (retries 0)" in line
    assert "responses/s" in line and "threads" not in line


def test_an_archive_load_counts_files_and_steps_or_responses_and_makes_no_requests():
    from openai_assistants.export import ReadStats as AssistantsArchive
    from openai_responses.export import ReadStats as ResponsesArchive

    progress = AssistantsArchive(opened=[]).progress
    progress.files_total = 120
    for _ in range(120):
        progress.file_read(objects=5, problems=0)
    progress.file_read(objects=0, problems=2)
    line = _line(progress)
    assert "files read 121/120  steps 600  " in line and "steps/s" in line and "issues 2" in line
    assert "requests" not in line
    assert "files read 0/0  responses 0  0 responses/s" in _line(ResponsesArchive().progress)
