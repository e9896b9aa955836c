"""One bad object from the API never blocks a night: it becomes a `load_issues` row, the rest loads,
the command exits 0 with a one-line warning. A listing that never ends stops with exit 3.

The objects come from hand-written pages (tests/fixtures/api/bad_objects/) served over real HTTP by
a static server, as a third-party mock server would serve them; the expected rows are counted by hand.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest

from tests.helpers import REPO, run_cli

PAGES = REPO / "tests" / "fixtures" / "api" / "bad_objects"


class _Static(BaseHTTPRequestHandler):
    """`/v1/threads/T[/runs[/R/steps]]` from the fixture files; `thread_loop`'s runs never end."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        url = urlsplit(self.path)
        parts = url.path.removeprefix("/v1/").split("/")
        body = None
        if parts[:2] == ["threads", "thread_loop"] and parts[2:] == ["runs"]:
            after = parse_qs(url.query).get("after", ["run_0"])[0]
            n = int(after.split("_")[1]) + 1
            body = {"object": "list", "has_more": True, "data": [
                {"id": f"run_{n}", "object": "thread.run", "thread_id": "thread_loop", "status": "completed",
                 "created_at": 1780000000 + n}]}
        else:
            name = {2: "{1}.json", 3: "{1}.runs.json", 5: "{3}.steps.json"}.get(len(parts), "").format(*parts)
            if name and (PAGES / name).is_file() and parts[0] == "threads":
                body = json.loads((PAGES / name).read_text())
                after = parse_qs(url.query).get("after")
                if after and "data" in body:  # list pages honour `after`, as the API does
                    ids = [item["id"] for item in body["data"]]
                    body["data"] = body["data"][ids.index(after[0]) + 1:] if after[0] in ids else []
        status = 200 if body is not None else 404
        body = body if body is not None else {"error": {"message": "No such object", "type": "invalid_request_error"}}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("x-request-id", f"req_{abs(hash(self.path)) % 10**8}")
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Static)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()


def _load(server: str, db: Path, *args: str):
    return run_cli("load", "--db", str(db), "--base-url", server, "--progress", "none", *args,
                   env={"OPENAI_API_KEY": "sk-test"})


def test_bad_objects_become_load_issues_and_the_rest_loads(server, db):
    result = _load(server, db, "--thread-id", "thread_bad")
    assert result.code == 0, result.err
    warning = result.err.strip().splitlines()
    assert len(warning) == 1 and "3 object(s)" in warning[0] and "load_issues" in warning[0], result.err
    with duckdb.connect(str(db), read_only=True) as con:
        q = lambda sql: con.execute(sql).fetchall()  # noqa: E731
        assert q("select id from assistants.runs order by id") == [("run_ok1",), ("run_ok2",)]
        # step_b is stored under the run it was listed under, not the one its payload names.
        assert q("select id, run_id, type from assistants.run_steps order by id") == [
            ("step_a", "run_ok1", "tool_calls"), ("step_b", "run_ok1", "message_creation"),
            ("step_c", "run_ok2", "message_creation")]
        assert q("select name, output from assistants.run_step_tool_calls order by position") == [
            ("get_weather", "3°C"), ("get_time", "12:00")]
        issues = q("select object_type, object_id, thread_id, run_id from assistants.load_issues order by message")
    assert sorted(issues) == sorted([
        ("run", "run_../evil", "thread_bad", None),
        ("run step", "step_a", "thread_bad", "run_ok1"),
        ("run step", "step_b", "thread_bad", "run_ok1"),
    ])


def test_the_next_night_does_not_stumble_on_the_same_bad_run(server, db):
    assert _load(server, db, "--thread-id", "thread_bad").code == 0
    again = _load(server, db)  # the known thread is polled again: its watermark is past the bad run
    assert again.code == 0 and again.err == "", again.err
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select count(*) from assistants.load_issues").fetchone()[0] == 3


def test_a_listing_that_never_ends_stops_with_exit_3(server, db):
    result = _load(server, db, "--thread-id", "thread_loop", "--max-pages", "5")
    assert result.code == 3
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "never ends" in lines[0] and "--max-pages" in lines[0], result.err
    assert "Traceback" not in result.err


def test_a_load_with_nothing_to_poll_says_how_to_name_threads(server, db):
    result = _load(server, db)
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "--thread-id" in lines[0] and "--threads-file" in lines[0], result.err
