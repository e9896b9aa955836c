"""Bad input gets a clear one-line error and loses nothing (a catalogue, one parametrized test).

Each case runs `runsteps load` on a copy of a warehouse that already holds data of both APIs;
afterwards the warehouse must be exactly as it was. Cases that are handled rather than refused say how.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional

import duckdb
import pytest

from runsteps.emulator import Emulator
from tests import responses_truth
from tests.helpers import REPO, key_env, run_cli, snapshot

SMALL_EXPORT = REPO / "tests" / "fixtures" / "exports" / "small"
ODD_EXPORT = REPO / "tests" / "fixtures" / "exports" / "odd"
LOOPBACK = "http://127.0.0.1:9/v1"  # nothing listens on the discard port: no case may get that far


@dataclass
class Case:
    args: List[str]
    code: int
    says: str
    env: Dict[str, str] = field(default_factory=lambda: {"OPENAI_API_KEY": "sk-test"})
    setup: Optional[Callable[[Path], None]] = None


def _file(name: str, text: str) -> Callable[[Path], None]:
    return lambda tmp: (tmp / name).write_text(text)


CASES = {
    "id-traversal": Case(["--thread-id", "../../etc/passwd"], 2, "invalid --thread-id '../../etc/passwd'"),
    "id-query": Case(["--thread-id", "thread_a?limit=1"], 2, "invalid --thread-id 'thread_a?limit=1'"),
    "id-fragment": Case(["--thread-id", "thread_a#x"], 2, "invalid --thread-id 'thread_a#x'"),
    "id-encoded-slash": Case(["--thread-id", "thread_a%2F..%2Fx"], 2, "invalid --thread-id 'thread_a%2F..%2Fx'"),
    "id-space": Case(["--thread-id", "thread a"], 2, "invalid --thread-id 'thread a'"),
    "id-unicode": Case(["--thread-id", "thread_ü"], 2, "invalid --thread-id 'thread_ü'"),
    "id-10000-chars": Case(["--thread-id", "t" * 10_000], 2, "invalid --thread-id 'tttt"),
    "id-empty": Case(["--thread-id", ""], 2, "invalid --thread-id ''"),
    "threads-file-missing": Case(["--threads-file", "{tmp}/nope.txt"], 2, "cannot read --threads-file"),
    "threads-file-empty": Case(["--threads-file", "{tmp}/empty.txt"], 2, "holds no thread ids", setup=_file("empty.txt", "\n# only a comment\n")),
    "threads-csv-no-column": Case(["--threads-file", "{tmp}/t.csv"], 2, "has no thread_id column", setup=_file("t.csv", "id,team\nthread_a,x\n")),
    "threads-file-bad-id": Case(["--threads-file", "{tmp}/t.txt"], 2, "invalid thread id in --threads-file", setup=_file("t.txt", "thread_ok\nthread/../bad\n")),
    "threads-file-binary": Case(["--threads-file", "{tmp}/t.bin"], 2, "cannot read --threads-file",
                                setup=lambda tmp: (tmp / "t.bin").write_bytes(b"\xff\xfe\x00\x81")),
    "threads-sql-fails": Case(["--threads-sql", "select * from no_such_table"], 2, "--threads-sql failed"),
    "threads-sql-no-column": Case(["--threads-sql", "select 1 as id"], 2, "must return a thread_id column (it returned: id)"),
    "threads-sql-bad-id": Case(["--threads-sql", "select '../x' as thread_id"], 2, "invalid thread id from --threads-sql '../x'"),
    "no-key": Case(["--thread-id", "thread_a"], 2, "no API key: set OPENAI_API_KEY", env={"OPENAI_API_KEY": ""}),
    "wrong-provider": Case(["--provider", "anthropic", "--thread-id", "thread_a"], 2, "invalid choice: 'anthropic'"),
    "malformed-base-url": Case(["--base-url", "api.openai.com/v1", "--thread-id", "thread_a"], 2, "malformed base URL"),
    "base-url-ftp": Case(["--base-url", "ftp://files.example/v1", "--thread-id", "thread_a"], 2, "malformed base URL"),
    "plain-http-remote": Case(["--base-url", "http://api.example.com/v1", "--thread-id", "thread_a"], 2, "refusing plain http://"),
    "azure-without-url": Case(["--provider", "azure", "--thread-id", "thread_a"], 2, "provider 'azure' needs --base-url",
                              env={"AZURE_OPENAI_API_KEY": "k"}),
    "shard-zero": Case(["--shard", "0/3", "--thread-id", "thread_a"], 2, "invalid --shard '0/3'"),
    "shard-words": Case(["--shard", "half", "--thread-id", "thread_a"], 2, "invalid --shard 'half'"),
    "concurrency-zero": Case(["--concurrency", "0", "--thread-id", "thread_a"], 2, "--concurrency must be"),
    "timeout-negative": Case(["--timeout", "-1", "--thread-id", "thread_a"], 2, "--timeout must be"),
    "retries-negative": Case(["--max-retries", "-2", "--thread-id", "thread_a"], 2, "--max-retries must be"),
    "concurrency-not-a-number": Case(["--concurrency", "many"], 2, "invalid int value: 'many'"),
    "export-missing": Case(["--from-export", "{tmp}/nowhere"], 2, "is not a directory"),
    "export-empty": Case(["--from-export", "{tmp}/emptydir"], 2, "holds no *.json files",
                         setup=lambda tmp: (tmp / "emptydir").mkdir()),
    "unknown-destination": Case(["--destination", "nosuchwarehouse", "--thread-id", "thread_a"], 2, "unknown destination"),
}

# The same catalogue for `--api responses` (its own id inputs, and options that belong to one API).
RESPONSES = ["--api", "responses"]
CASES.update({
    "response-id-traversal": Case([*RESPONSES, "--response-id", "../../etc/passwd"], 2, "invalid --response-id '../../etc/passwd'"),
    "response-id-query": Case([*RESPONSES, "--response-id", "resp_a?include[]=x"], 2, "invalid --response-id 'resp_a?include[]=x'"),
    "response-id-empty": Case([*RESPONSES, "--response-id", ""], 2, "invalid --response-id ''"),
    "conversation-id-slash": Case([*RESPONSES, "--conversation-id", "conv_a/items"], 2, "invalid --conversation-id 'conv_a/items'"),
    "response-ids-file-missing": Case([*RESPONSES, "--response-ids-file", "{tmp}/nope.txt"], 2, "cannot read --response-ids-file"),
    "response-ids-file-empty": Case([*RESPONSES, "--response-ids-file", "{tmp}/empty.txt"], 2, "holds no response ids",
                                    setup=_file("empty.txt", "\n# only a comment\n")),
    "response-ids-csv-no-column": Case([*RESPONSES, "--response-ids-file", "{tmp}/r.csv"], 2, "has no response_id column",
                                       setup=_file("r.csv", "id,team\nresp_a,x\n")),
    "response-ids-file-bad-id": Case([*RESPONSES, "--response-ids-file", "{tmp}/r.txt"], 2,
                                     "invalid response id in --response-ids-file", setup=_file("r.txt", "resp_ok\nresp/../bad\n")),
    "response-ids-file-binary": Case([*RESPONSES, "--response-ids-file", "{tmp}/r.bin"], 2, "cannot read --response-ids-file",
                                     setup=lambda tmp: (tmp / "r.bin").write_bytes(b"\xff\xfe\x00\x81")),
    "response-ids-sql-fails": Case([*RESPONSES, "--response-ids-sql", "select * from no_such_table"], 2, "--response-ids-sql failed"),
    "response-ids-sql-no-column": Case([*RESPONSES, "--response-ids-sql", "select id from assistants.responses"], 2,
                                       "must return a response_id column (it returned: id)"),
    "response-ids-sql-bad-id": Case([*RESPONSES, "--response-ids-sql", "select 'resp_a/../b' as response_id"], 2,
                                    "invalid response id from --response-ids-sql 'resp_a/../b'"),
    "response-no-key": Case([*RESPONSES, "--response-id", "resp_a"], 2, "no API key: set OPENAI_API_KEY", env={"OPENAI_API_KEY": ""}),
    "foundry-no-token": Case([*RESPONSES, "--provider", "foundry", "--base-url", "http://127.0.0.1:9/api/projects/p"], 2,
                             "AZURE_AI_AGENTS_TOKEN", env={"AZURE_AI_AGENTS_TOKEN": ""}),
    "agent-name-at-openai": Case([*RESPONSES, "--agent-name", "bot", "--response-id", "resp_a"], 2, "only Foundry"),
    "thread-id-with-responses": Case([*RESPONSES, "--thread-id", "thread_a"], 2, "--api assistants"),
    "response-id-with-assistants": Case(["--response-id", "resp_a"], 2, "--api responses"),
})


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory) -> Path:
    """A warehouse holding Assistants runs (from an archive) and responses and conversations."""
    db = tmp_path_factory.mktemp("base") / "warehouse.duckdb"
    result = run_cli("load", "--from-export", str(SMALL_EXPORT), "--db", str(db), "--progress", "none")
    assert result.code == 0, result.err
    with Emulator(api="responses", flavour="openai", seed=3, conversations=4, responses_per_conversation=3) as emu:
        result = run_cli(*responses_truth.responses_args(emu, db, response_ids=responses_truth.chain_heads(emu),
                                                         conversation_ids=emu.world.conversation_ids()), env=key_env(emu))
    assert result.code == 0, result.err
    return db


def everything(db: Path) -> dict:
    """Both APIs' tables, row by row."""
    return {**snapshot(db), **snapshot(db, table_keys=responses_truth.TABLE_KEYS)}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_refused_in_one_line_and_loses_nothing(name, loaded_db, tmp_path):
    case = CASES[name]
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(loaded_db, db)
    shutil.copytree(loaded_db.with_name(loaded_db.name + ".dlt"), db.with_name(db.name + ".dlt"))
    before = everything(db)
    assert before["runs"] and before["responses"] and before["conversation_items"]
    if case.setup:
        case.setup(tmp_path)
    args = [a.replace("{tmp}", str(tmp_path)) for a in case.args]
    if not any(a in args for a in ("--base-url", "--provider", "--from-export")):
        args += ["--base-url", LOOPBACK]
    result = run_cli("load", "--db", str(db), "--progress", "none", *args, env=case.env)
    assert result.code == case.code, result.err
    error_lines = [line for line in result.err.splitlines() if line.strip()]
    assert case.says in result.err, result.err
    assert len(error_lines[-1]) < 400
    if "invalid choice" not in case.says and "invalid int value" not in case.says:  # argparse prints usage first
        assert len(error_lines) == 1, result.err
    assert everything(db) == before


def test_odd_but_valid_objects_load_and_bad_files_are_recorded(db):
    """Unknown enum values and extra fields, nulls everywhere, missing optional fields, huge
    metadata and emoji all load; a file that is not JSON is recorded in load_issues."""
    result = run_cli("load", "--from-export", str(ODD_EXPORT), "--db", str(db), "--progress", "none")
    assert result.code == 0, result.err
    with duckdb.connect(str(db), read_only=True) as con:
        runs = dict(con.execute("select id, status from assistants.runs").fetchall())
        assert runs == {"run_odd1": "paused_for_reasons", "run_odd2": None, "run_odd3": None}
        huge = con.execute("select length(metadata->>'huge'), metadata->>'emoji' from assistants.runs where id = 'run_odd1'").fetchone()
        assert huge == (100_000, "🦄🔥")
        outputs = con.execute("select position, type, logs is not null from assistants.code_interpreter_outputs order by 1").fetchall()
        assert outputs == [(0, "logs", True), (1, "hologram", False)]
        calls = con.execute("select position, type, result_count from assistants.run_step_tool_calls order by 1").fetchall()
        assert calls == [(0, "code_interpreter", None), (1, "function", None), (2, "file_search", 0)]
        issues = con.execute("select object_type, object_id from assistants.load_issues").fetchall()
        assert issues == [("file", "notes.json")]
