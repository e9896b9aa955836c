"""Turns a parsed model into SQL for one destination: schema names rewritten, dialect transpiled.

The files say `assistants.<table>` and `analytics.<model>`; the pipeline's dataset and the models
schema may be named otherwise, and the destination may speak another dialect than DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import AbstractSet

import sqlglot
from sqlglot import exp

from openai_assistants.settings import TABLES as ASSISTANTS_TABLES
from openai_responses.settings import TABLES as RESPONSES_TABLES
from runsteps.models.dependencies import AUTHORING_DIALECT
from runsteps.models.project import MODELS_SCHEMA, SOURCE_SCHEMA

# dlt data types of settings.TABLES, as DuckDB (the authoring dialect) spells them
_DUCKDB_TYPES = {
    "text": "VARCHAR",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "bool": "BOOLEAN",
    "json": "JSON",
    "timestamp": "TIMESTAMPTZ",
}


# Both sources load into one dataset; their contracts say what an absent raw table would hold.
# `load_issues` is the same table in both (a source test keeps it equal).
SOURCE_TABLES = {**RESPONSES_TABLES, **ASSISTANTS_TABLES}


@dataclass(frozen=True)
class Target:
    """Where and how the SQL will run.

    Attributes:
        dialect: sqlglot's name for the destination's dialect (`duckdb`, `postgres`, ...).
        source_schema: the pipeline's dataset, which holds the raw tables.
        models_schema: the schema the models are built in.
        missing_sources: raw tables the loader has not created yet (it creates a table with its
            first row); they read as empty relations with the contract's columns.
    """

    dialect: str
    source_schema: str = SOURCE_SCHEMA
    models_schema: str = MODELS_SCHEMA
    missing_sources: AbstractSet[str] = field(default_factory=frozenset)


def empty_source(table: str) -> exp.Select:
    """An empty relation with the columns and types either source's `settings.TABLES` promises for
    `table` (a warehouse that loaded only the Assistants API has no responses tables, and the other
    way round)."""
    columns = SOURCE_TABLES[table]["columns"]
    projections = [
        exp.cast(exp.null(), _DUCKDB_TYPES[spec["data_type"]], dialect=AUTHORING_DIALECT).as_(name)
        for name, spec in columns.items()
    ]
    return exp.select(*projections).where(exp.false())


def _rewrite_table(node: exp.Expression, target: Target) -> exp.Expression:
    if not isinstance(node, exp.Table) or not node.db:
        return node
    schema = node.db.lower()
    if schema == SOURCE_SCHEMA:
        if node.name.lower() in target.missing_sources:
            alias = node.alias or node.name
            return exp.Subquery(this=empty_source(node.name.lower()), alias=exp.TableAlias(this=exp.to_identifier(alias)))
        node.set("db", exp.to_identifier(target.source_schema))
    elif schema == MODELS_SCHEMA:
        node.set("db", exp.to_identifier(target.models_schema))
    return node


def rewrite(expression: exp.Expression, target: Target) -> exp.Expression:
    """Returns a copy of `expression` reading the target's schemas (the input is left as is)."""
    return expression.copy().transform(lambda node: _rewrite_table(node, target), copy=False)


def render_query(expression: exp.Expression, target: Target) -> str:
    """The model's or data test's SELECT, as the destination's dialect spells it."""
    # Comments are dropped: the header lives in the file, and some dialects mangle moved comments.
    return rewrite(expression, target).sql(dialect=target.dialect, pretty=True, comments=False)


def render_create_view(name: str, expression: exp.Expression, target: Target) -> str:
    """`CREATE OR REPLACE VIEW <models_schema>.<name> AS <select>` in the destination's dialect."""
    view = exp.Create(
        this=exp.table_(name, db=target.models_schema),
        kind="VIEW",
        replace=True,
        expression=rewrite(expression, target),
    )
    return view.sql(dialect=target.dialect, pretty=True, comments=False)


def render_statement(sql: str, target: Target) -> str:
    """Transpiles one of the runner's own statements, written in DuckDB's dialect."""
    expression = sqlglot.parse_one(sql, read=AUTHORING_DIALECT)
    return rewrite(expression, target).sql(dialect=target.dialect, comments=False)
