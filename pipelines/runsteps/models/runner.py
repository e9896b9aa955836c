"""Builds the SQL models as views in the models schema, on the pipeline's own destination.

One build, in one transaction:
1. parse every model with sqlglot and order them by what they read;
2. drop the models' views, dependents first (a Postgres view cannot change its columns in place,
   and an analyst's own view on top of ours then fails loudly rather than vanishing);
3. snapshot `model_prices` from the runs (so fixing a price fixes past costs) and store the
   overrides used in `price_overrides`;
4. create every view, transpiled to the destination's dialect.

Readers see the old models or the new ones, never a half-built set, and a second build with the
same data and prices leaves everything as it was.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import dlt

from runsteps.models.dependencies import ParsedFile, build_order, parse_files
from runsteps.models.destination import target_for
from runsteps.models.price_lookup import read_deployments, read_price_overrides
from runsteps.models.prices import (
    RUN_TABLES,
    PriceSnapshot,
    UnmatchedOverride,
    default_deployments_path,
    default_overrides_path,
    snapshot_prices,
)
from runsteps.models.project import MODELS_SCHEMA, load_models, resolve_sql_dir
from runsteps.models.transpile import Target, render_create_view, render_statement

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelTiming:
    """One model built.

    Attributes:
        name: the view's name.
        layer: `staging`, `intermediate` or `marts`.
        seconds: how long creating the view took.
    """

    name: str
    layer: str
    seconds: float


@dataclass(frozen=True)
class BuildResult:
    """What `build_models` did.

    Attributes:
        schema: the schema holding the views and `model_prices`.
        dialect: the SQL dialect the models were transpiled to.
        models: the models built, in build order.
        prices: the `model_prices` snapshot taken during the build.
        missing_sources: raw tables not loaded yet, read as empty relations.
        seconds: the whole build, from parsing to commit.
    """

    schema: str
    dialect: str
    models: List[ModelTiming]
    prices: PriceSnapshot
    missing_sources: List[str]
    seconds: float

    @property
    def unmatched_overrides(self) -> List[UnmatchedOverride]:
        """Override rows that price no run: they change nothing (a warning for the CLI)."""
        return list(self.prices.unmatched_overrides)

    @property
    def warnings(self) -> List[str]:
        """One line per thing the build did but that probably is not what was meant."""
        return [u.describe() for u in self.unmatched_overrides]

    @property
    def model_names(self) -> List[str]:
        """The models' names, in build order."""
        return [m.name for m in self.models]


def ordered_models(sql_dir: Optional[Path] = None) -> List[ParsedFile]:
    """Parses the project's models and returns them in build order (no database needed).

    Raises:
        ModelDependencyError: a model reads something unknown, or the models form a cycle.
    """
    models = load_models(resolve_sql_dir(sql_dir))
    return build_order(parse_files(models, [m.name for m in models]))


def _drop_views(client: object, models: Sequence[ParsedFile], target: Target) -> None:
    for model in reversed(models):
        client.execute_sql(render_statement(f"DROP VIEW IF EXISTS {MODELS_SCHEMA}.{model.name}", target))  # type: ignore[attr-defined]


def build_models(
    pipeline: dlt.Pipeline,
    sql_dir: Optional[Path] = None,
    *,
    schema: str = MODELS_SCHEMA,
    price_overrides: Optional[Path] = None,
    deployments: Optional[Path] = None,
) -> BuildResult:
    """Builds every model of `sql_dir` as a view in `schema` on the pipeline's destination.

    Args:
        pipeline: the pipeline whose dataset holds the raw tables; its destination gets the views.
        sql_dir: the SQL folder; the one shipped with runsteps by default.
        schema: the schema for the views and `model_prices` (created when missing).
        price_overrides: an overrides CSV to use instead of the SQL folder's
            `seeds/price_overrides.csv`.
        deployments: a deployments CSV (`deployment,model`) to use instead of the SQL folder's
            `seeds/deployments.csv`: Foundry and Azure report deployment names, priced as their model.

    Returns:
        The models built in order with their timings, and the price snapshot.

    Raises:
        ModelDependencyError: the SQL cannot be ordered (unknown reference, cycle, bad file).
        PriceOverridesError: the overrides file cannot be used.
        dlt's DatabaseException: the destination refused a statement; nothing was committed.
    """
    started = time.perf_counter()
    folder = resolve_sql_dir(sql_dir)
    models = ordered_models(folder)
    overrides_path = Path(price_overrides) if price_overrides is not None else default_overrides_path(folder)
    overrides = read_price_overrides(overrides_path)
    mapping = read_deployments(Path(deployments) if deployments is not None else default_deployments_path(folder))
    sources = sorted(set(RUN_TABLES) | {s for m in models for s in m.sources})

    timings: List[ModelTiming] = []
    with pipeline.sql_client() as client:
        target = target_for(client, models_schema=schema, sources=sources)
        if target.missing_sources:
            logger.warning(
                "raw tables not loaded yet, read as empty: %s", ", ".join(sorted(target.missing_sources))
            )
        with client.begin_transaction():
            client.execute_sql(render_statement(f"CREATE SCHEMA IF NOT EXISTS {MODELS_SCHEMA}", target))
            _drop_views(client, models, target)
            prices = snapshot_prices(client, target, overrides, recreate=True, deployments=mapping)
            for model in models:
                model_started = time.perf_counter()
                client.execute_sql(render_create_view(model.name, model.expression, target))
                timings.append(ModelTiming(model.name, model.file.layer, time.perf_counter() - model_started))

    return BuildResult(
        schema=schema,
        dialect=target.dialect,
        models=timings,
        prices=prices,
        missing_sources=sorted(target.missing_sources),
        seconds=time.perf_counter() - started,
    )
