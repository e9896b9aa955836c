"""The pipeline-state row of a load whose commit reached the warehouse but whose answer did not.

dlt appends one row to `_dlt_pipeline_state` per load package, in a job of its own, and the
destinations that create unique constraints (PostgreSQL, by default) put one on its `_dlt_id`. When
the connection breaks after the server committed that job but before the client heard so, dlt counts
the job as failed and runs it again, on this run or the next: the row is already there, the insert
violates the constraint, dlt calls that terminal and leaves the package pending, and every later run
fails the same way (seen in CI: a PostgreSQL server going away mid-load).

The row is the package's own (its `_dlt_load_id` is the package's load id, and nothing else writes
one), and the package has not been recorded in `_dlt_loads` yet. So deleting it before the job runs
again is exact: the retried job writes the same row once. Only packages whose state job has not
completed are touched; a completed job's row stays.
"""

from __future__ import annotations

import logging
import re
from typing import List

import dlt
from dlt.common.destination.exceptions import DestinationTerminalException
from dlt.common.schema.typing import C_DLT_LOAD_ID
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from .warehouse_errors import chain, job_table

log = logging.getLogger("runsteps")

_LOAD_ID = re.compile(r"^\d+(\.\d+)?$")  # dlt's load ids are Unix timestamps


def unfinished_state_loads(pipeline: dlt.Pipeline) -> List[str]:
    """The pending normalized packages whose state-table job has not completed."""
    state_table = pipeline.default_schema.state_table_name
    loads = []
    for load_id in pipeline.list_normalized_load_packages():
        jobs = pipeline.get_load_package_info(load_id).jobs
        if any(job.job_file_info.table_name == state_table
               for folder in ("new_jobs", "started_jobs", "failed_jobs") for job in jobs.get(folder, [])):
            loads.append(load_id)
    return loads


def delete_unfinished_state_rows(pipeline: dlt.Pipeline) -> int:
    """Delete the state rows an earlier attempt of a still-pending state job may have committed.

    Returns:
        How many load ids were cleared (0 when nothing is pending, the destination has no SQL
        client, or the state table does not exist yet).
    """
    loads = [load_id for load_id in unfinished_state_loads(pipeline) if _LOAD_ID.match(load_id)]
    if not loads:
        return 0
    try:
        sql_client = pipeline.sql_client()
    except Exception:  # a destination without SQL (filesystem) writes one state file per load
        return 0
    schema = pipeline.default_schema
    with sql_client as client:
        table = client.make_qualified_table_name(schema.state_table_name)
        column = client.escape_column_name(schema.naming.normalize_identifier(C_DLT_LOAD_ID))
        listed = ", ".join(f"'{load_id}'" for load_id in loads)
        try:
            client.execute_sql(f"DELETE FROM {table} WHERE {column} IN ({listed})")
        except DatabaseUndefinedRelation:  # the first load never got as far as creating it
            return 0
    log.info("cleared the state rows of pending loads %s before loading them again", ", ".join(loads))
    return len(loads)


def is_state_job_refused(exc: BaseException, pipeline: dlt.Pipeline) -> bool:
    """A load the warehouse refused the state table's job of (terminally): what a state row an
    earlier attempt committed makes it do."""
    state_table = pipeline.default_schema.state_table_name
    return any(isinstance(item, DestinationTerminalException) and job_table(item) == state_table
               for item in chain(exc))
