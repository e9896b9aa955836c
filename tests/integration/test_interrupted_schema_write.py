"""A kill between dlt's schema write and its rename leaves a 16-hex-digit temp file in the schema
folder; the next load must still start (dlt alone refuses: 'invalid schema name')."""

from __future__ import annotations

from tests.helpers import REPO, run_cli

SMALL_EXPORT = REPO / "tests" / "fixtures" / "exports" / "small"


def test_a_leftover_schema_temp_file_does_not_stop_the_next_load(db):
    args = ("load", "--from-export", str(SMALL_EXPORT), "--db", str(db), "--progress", "none")
    assert run_cli(*args).code == 0
    schemas = db.with_name(db.name + ".dlt") / "runsteps" / "schemas"
    assert any(schemas.iterdir())
    (schemas / "14f544ae41730722").write_text('{"half": ')  # what a SIGKILL mid-write leaves
    result = run_cli(*args)
    assert result.code == 0, result.err
    assert not (schemas / "14f544ae41730722").exists()
