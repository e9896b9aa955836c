"""Staging tables of an archive load as Parquet files, appended batch by batch, read by DuckDB.

An archive load stages every copy it reads until the winners are known. Appending those batches to
tables of an in-memory DuckDB cost more as the archive grew: past the scratch database's memory cap
every block was evicted to its spill folder, and each `INSERT` paid a statement's parse, bind and
replacement scan (issue 14: at 908k steps the inserts were 15% of the load). A Parquet file per table,
appended one row group per batch, costs the encoding alone, keeps nothing in memory but the batch,
and DuckDB reads it back by name (`view_in`), streaming, when the winners are picked.
"""

from __future__ import annotations

import errno
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


class ParquetStaging:
    """One append-only Parquet file per staging table, in a folder the caller removes.

    Args:
        folder: where the files go.
        schemas: table name -> Arrow schema of its batches.
    """

    def __init__(self, folder: Path, schemas: Dict[str, pa.Schema]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.schemas = dict(schemas)
        self.parts: Dict[str, List[Path]] = {name: [] for name in schemas}
        self.writers: Dict[str, pq.ParquetWriter] = {}

    def append(self, table: str, batch: pa.Table) -> None:
        """Append `batch` (of the table's schema) as a row group of the table's open file."""
        if not batch.num_rows:
            return
        with self._named():
            writer = self.writers.get(table)
            if writer is None:
                path = self.folder / f"{table}-{len(self.parts[table])}.parquet"
                self.parts[table].append(path)
                # Plain encoding, no dictionary, fast compression: written once, read once, removed.
                writer = self.writers[table] = pq.ParquetWriter(str(path), self.schemas[table], compression="lz4",
                                                                use_dictionary=False, write_statistics=False)
            writer.write_table(batch)

    @contextmanager
    def _named(self) -> Iterator[None]:
        """Arrow's write errors name no file (`[errno 28] No space left on device`): a full disk here
        is the temporary folder's, not the warehouse's, and the message must say which."""
        try:
            yield
        except OSError as exc:
            if exc.filename:
                raise
            code = exc.errno or (errno.ENOSPC if "No space left" in str(exc) else errno.EIO)
            raise OSError(code, str(exc), f"the archive load's temporary folder {self.folder.parent} "
                                          "(TMPDIR sets where it goes)") from exc

    def view_in(self, con: duckdb.DuckDBPyConnection, prefix: str = "stg_") -> None:
        """Make each table readable in `con` as the view `<prefix><table>`, with every row appended
        so far; appending may go on (into new files) and a later call shows those too."""
        with self._named():
            for writer in self.writers.values():
                writer.close()
            self.writers = {}
            for name, schema in self.schemas.items():
                if not self.parts[name]:  # never appended to: an empty, typed file
                    path = self.folder / f"{name}-0.parquet"
                    pq.write_table(schema.empty_table(), str(path))
                    self.parts[name].append(path)
                files = ", ".join("'" + str(p).replace("'", "''") + "'" for p in self.parts[name])
                con.execute(f"CREATE OR REPLACE VIEW {prefix}{name} AS SELECT * FROM read_parquet([{files}])")

    def close(self) -> None:
        """Finish the open files (the folder is the caller's to remove)."""
        for writer in self.writers.values():
            writer.close()
        self.writers = {}
