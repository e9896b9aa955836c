"""The report reads the warehouse without holding it (issue #12).

DuckDB lets a process write a file only while no other process has it open. The report opens the
file read-only for each query and closes it, so a writer in another process gets in between any
two of its queries, and another reader never stops it. Each test works on its own copy of the
shared warehouse, since another process writes to it.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from runsteps.loading import build_pipeline
from runsteps.report import WarehouseBusyError, write_report
from runsteps.report.data import collect
from runsteps.report.warehouse import Connector, Run, Warehouse, open_warehouse
from tests.report.other_process import Writer, holding


class WriteAfterEachQuery:
    """The report's own connector, with another process writing the file after each of its sessions."""

    def __init__(self, inner: Connector, writer: Writer) -> None:
        self.inner = inner
        self.writer = writer

    @contextmanager
    def session(self) -> Iterator[Run]:
        with self.inner.session() as run:
            yield run
        self.writer.write()

    def qualify(self, dataset: str, table: str) -> str:
        return self.inner.qualify(dataset, table)

    def fold(self, identifier: str) -> str:
        return self.inner.fold(identifier)


def test_a_writer_gets_in_between_any_two_of_the_reports_queries(warehouse, warehouse_copy: Path) -> None:
    with Writer(warehouse_copy) as writer, open_warehouse(build_pipeline(warehouse_copy)) as wh:
        probed = Warehouse(WriteAfterEachQuery(wh.connector, writer), wh.raw_dataset, wh.models_schema)
        data = collect(probed, now=warehouse.now)
    assert data.usage and data.costliest_runs, "the report read nothing"
    # Every query of the report is followed by a write from the other process, and every write got in.
    assert len(writer.answers) >= 10
    assert set(writer.answers) == {"ok"}, writer.answers


def test_the_report_opens_the_file_read_only(warehouse, warehouse_copy: Path, tmp_path: Path) -> None:
    # A process holding the file read-only would refuse a reader that asked for read-write.
    with holding(warehouse_copy, read_only=True):
        summary = write_report(build_pipeline(warehouse_copy), tmp_path / "report.html", now=warehouse.now)
    assert summary.startswith("runsteps report for ")
    assert (tmp_path / "report.html").is_file()


def test_a_report_while_another_process_writes_says_so(warehouse_copy: Path, tmp_path: Path) -> None:
    with holding(warehouse_copy, read_only=False):
        with pytest.raises(WarehouseBusyError, match="being written by another process") as raised:
            write_report(build_pipeline(warehouse_copy), tmp_path / "report.html")
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "report.html").exists()
