"""What each model reads, found by parsing its SQL with sqlglot, and the build order that follows.

The order comes from the SQL itself, never from a hand-kept list: a model that reads
`analytics.int_runs_priced` is built after `int_runs_priced`.
"""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from typing import FrozenSet, Iterable, List, Mapping, Sequence

import sqlglot
from sqlglot import exp

from runsteps.models.project import MODELS_SCHEMA, SOURCE_SCHEMA, SqlFile

# The SQL files are written in DuckDB's dialect, the default destination's.
AUTHORING_DIALECT = "duckdb"

# Tables in the models schema that the runner writes itself rather than from a SQL file.
RUNNER_TABLES = frozenset({"model_prices", "price_overrides"})


class ModelDependencyError(ValueError):
    """A model reads something the runner cannot place, or the models form a cycle."""


@dataclass(frozen=True)
class ParsedFile:
    """A SQL file parsed, with what it reads.

    Attributes:
        file: the file.
        expression: its single statement, parsed in the authoring dialect.
        models: the models it reads (`analytics.<model>`).
        sources: the raw tables it reads (`assistants.<table>`).
        runner_tables: the runner's own tables it reads (`analytics.model_prices`,
            `analytics.price_overrides`).
    """

    file: SqlFile
    expression: exp.Expression
    models: FrozenSet[str]
    sources: FrozenSet[str]
    runner_tables: FrozenSet[str]

    @property
    def name(self) -> str:
        return self.file.name


def _cte_names(expression: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in expression.find_all(exp.CTE)}


def parse_file(file: SqlFile, model_names: Iterable[str]) -> ParsedFile:
    """Parses one file and sorts what it reads into models, raw tables and runner tables.

    Raises:
        ModelDependencyError: the file is not one SELECT statement, reads a table with no schema
            that is not one of its CTEs, reads an `analytics` table that is no model, or reads a
            schema other than `assistants` and `analytics`.
    """
    try:
        statements = [s for s in sqlglot.parse(file.sql, read=AUTHORING_DIALECT) if s is not None]
    except sqlglot.errors.ParseError as error:
        raise ModelDependencyError(f"{file.path}: sqlglot cannot parse it: {error}") from error
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise ModelDependencyError(f"{file.path}: a model or data test is exactly one SELECT statement")
    expression = statements[0]

    known_models = {name.lower() for name in model_names}
    ctes = _cte_names(expression)
    models, sources, runner_tables = set(), set(), set()
    for table in expression.find_all(exp.Table):
        schema, name = table.db.lower(), table.name.lower()
        if table.catalog:
            raise ModelDependencyError(f"{file.path}: {table.sql()} names a catalog; use schema.table")
        if not schema:
            if name in ctes:
                continue
            raise ModelDependencyError(
                f"{file.path}: {name!r} has no schema: read raw tables as {SOURCE_SCHEMA}.<table>"
                f" and models as {MODELS_SCHEMA}.<model>"
            )
        if schema == SOURCE_SCHEMA:
            sources.add(name)
        elif schema == MODELS_SCHEMA and name in RUNNER_TABLES:
            runner_tables.add(name)
        elif schema == MODELS_SCHEMA:
            if name not in known_models:
                raise ModelDependencyError(f"{file.path}: reads {MODELS_SCHEMA}.{name}, and there is no model {name!r}")
            models.add(name)
        else:
            raise ModelDependencyError(
                f"{file.path}: reads {schema}.{name}; only {SOURCE_SCHEMA}.* and {MODELS_SCHEMA}.* are known"
            )
    if file.name.lower() in models:
        raise ModelDependencyError(f"{file.path}: the model reads itself")
    return ParsedFile(file, expression, frozenset(models), frozenset(sources), frozenset(runner_tables))


def parse_files(files: Sequence[SqlFile], model_names: Iterable[str]) -> List[ParsedFile]:
    """Parses every file against the same set of model names."""
    names = list(model_names)
    return [parse_file(f, names) for f in files]


def _cycle_text(cycle: Sequence[str]) -> str:
    """`a -> b -> a`, each model reading the next, starting from the first name in sort order."""
    # graphlib lists each node before the nodes that depend on it; a reader reads the other way.
    loop = list(reversed(cycle[:-1]))
    start = loop.index(min(loop))
    loop = loop[start:] + loop[:start]
    return " -> ".join(loop + loop[:1])


def build_order(parsed: Sequence[ParsedFile]) -> List[ParsedFile]:
    """Orders models so that each comes after every model it reads.

    Models become ready in waves (those whose models are all built); within a wave, ties are
    broken by layer (staging, intermediate, marts) and then by name, so the order is the same on
    every machine.

    Raises:
        ModelDependencyError: the models read each other in a cycle; the message names it.
    """
    by_name: Mapping[str, ParsedFile] = {p.name.lower(): p for p in parsed}
    layer_rank = {"staging": 0, "intermediate": 1, "marts": 2}
    # Nodes are added in name order so that the cycle graphlib reports is the same on every run.
    sorter: TopologicalSorter[str] = TopologicalSorter({name: sorted(by_name[name].models) for name in sorted(by_name)})
    try:
        sorter.prepare()
    except CycleError as error:
        raise ModelDependencyError(f"the models read each other in a cycle: {_cycle_text(error.args[1])}") from None
    ordered: List[ParsedFile] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=lambda name: (layer_rank.get(by_name[name].file.layer, 9), name))
        ordered.extend(by_name[name] for name in ready)
        sorter.done(*ready)
    return ordered
