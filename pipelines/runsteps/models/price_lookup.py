"""The per-million-token prices of a model at a moment: the overrides file first, then genai-prices.

Pure lookups, no database. `prices.py` asks `price_intervals` for every (model, day) present in the
runs and writes the answers to the `model_prices` table: one row per model and interval
[starts_at, ends_at) over which the price does not change.

genai-prices prices can change at a start date (from 00:00 UTC of that day) and, for some models
(deepseek's off-peak hours), at times of day. A day is therefore cut at every time-of-day boundary
the model's prices name, each piece priced at its first instant, and equal neighbours merged.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import genai_prices
from genai_prices import data_snapshot, types

# The Assistants API is OpenAI's: its model names are looked up under OpenAI first. A name OpenAI
# does not know (a compatible server's open model, say) gets genai-prices' own provider matching.
PRIMARY_PROVIDER = "openai"
GENAI_PRICES_SOURCE = f"genai-prices {genai_prices.__version__}"
OVERRIDE_SOURCE = "override"

DEPLOYMENT_COLUMNS = ("deployment", "model")
OVERRIDE_COLUMNS = ("model", "valid_from", "valid_to", "input_usd_per_mtok", "output_usd_per_mtok", "note")
_REQUIRED_OVERRIDE_COLUMNS = ("model", "input_usd_per_mtok", "output_usd_per_mtok")
# Optional override columns: per-call prices of the tools billed per call. Empty means no price
# (those calls are listed as unpriced), never $0.
TOOL_PRICE_COLUMNS = ("web_search_usd_per_kcall", "file_search_usd_per_kcall")
# genai-prices' price keys for those tools (per 1,000 calls): `web_searches` and `storage_searches`
# (OpenAI's file search) in its unit registry.
GENAI_TOOL_PRICE_KEYS = {"web_search_usd_per_kcall": "web_searches_kcount",
                         "file_search_usd_per_kcall": "storage_searches_kcount"}


@dataclass(frozen=True)
class Price:
    """The prices of one model in effect at a moment.

    Attributes:
        input_usd_per_mtok: USD per million prompt (input) tokens.
        output_usd_per_mtok: USD per million completion (output) tokens.
        cached_input_usd_per_mtok: USD per million input tokens read from cache, when the price
            list has one (None: cached tokens are priced at the input price).
        web_search_usd_per_kcall, file_search_usd_per_kcall: USD per 1,000 web search and file
            search tool calls (genai-prices' `web_searches_kcount` and `storage_searches_kcount`);
            None when the price list has none for the model (those calls are then unpriced).
        price_source: `genai-prices <version>` or `override`.
        priced_as: the model the price belongs to: genai-prices' model id (a dated snapshot
            name such as `gpt-4o-2024-08-06` resolves to `gpt-4o`), or the override's model.
        note: why this price needs a second look (a tiered price, another provider), or the
            override's note.
    """

    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    price_source: str
    priced_as: str
    note: Optional[str] = None
    cached_input_usd_per_mtok: Optional[Decimal] = None
    web_search_usd_per_kcall: Optional[Decimal] = None
    file_search_usd_per_kcall: Optional[Decimal] = None


@dataclass(frozen=True)
class PriceInterval:
    """The price of a model over [starts_at, ends_at); `price` None when it has none then."""

    model: str
    starts_at: datetime
    ends_at: datetime
    price: Optional[Price]


@dataclass(frozen=True)
class PriceOverride:
    """One row of `seeds/price_overrides.csv`: a negotiated or Azure price for a date range.

    `valid_from` and `valid_to` are inclusive UTC dates; None leaves that end open. The tool
    prices are optional: None means the override gives none, and those calls are unpriced.
    """

    model: str
    valid_from: Optional[date]
    valid_to: Optional[date]
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    note: Optional[str]
    line: int
    web_search_usd_per_kcall: Optional[Decimal] = None
    file_search_usd_per_kcall: Optional[Decimal] = None

    def covers(self, model: str, day: date) -> bool:
        """Says whether this override sets the price of `model` on `day`."""
        return (
            self.model == model
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )


class PriceOverridesError(ValueError):
    """The overrides file cannot be used; the message names the file, the line and the value."""


def _parse_date(path: Path, line: int, column: str, value: str) -> Optional[date]:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PriceOverridesError(f"{path}:{line}: {column} {value!r} is not a date like 2025-06-10") from None


def _parse_price(path: Path, line: int, column: str, value: str) -> Decimal:
    # An empty price would be a silent $0 (or a silent null): both are refused.
    try:
        price = Decimal(value)
    except InvalidOperation:
        raise PriceOverridesError(
            f"{path}:{line}: {column} {value!r} is not a price in USD per "
            + ("1,000 calls" if column.endswith("_kcall") else "million tokens")
        ) from None
    if not price.is_finite() or price < 0:
        raise PriceOverridesError(f"{path}:{line}: {column} {value!r} must be a number >= 0")
    return price


def read_price_overrides(path: Path) -> List[PriceOverride]:
    """Reads the overrides CSV. A missing file means no overrides.

    Raises:
        PriceOverridesError: a required column is missing, a value does not parse, a range is
            reversed, or two rows price the same model on the same day.
    """
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in _REQUIRED_OVERRIDE_COLUMNS if c not in header]
        if missing:
            raise PriceOverridesError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(OVERRIDE_COLUMNS)}")
        overrides = []
        for row in reader:
            line = reader.line_num
            values = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if not any(values.values()):
                continue  # a blank line
            if not values["model"]:
                raise PriceOverridesError(f"{path}:{line}: model is empty")
            override = PriceOverride(
                model=values["model"],
                valid_from=_parse_date(path, line, "valid_from", values.get("valid_from", "")),
                valid_to=_parse_date(path, line, "valid_to", values.get("valid_to", "")),
                input_usd_per_mtok=_parse_price(path, line, "input_usd_per_mtok", values["input_usd_per_mtok"]),
                output_usd_per_mtok=_parse_price(path, line, "output_usd_per_mtok", values["output_usd_per_mtok"]),
                note=values.get("note") or None,
                line=line,
                **{column: _parse_price(path, line, column, values[column]) if values.get(column) else None
                   for column in TOOL_PRICE_COLUMNS},
            )
            if override.valid_from and override.valid_to and override.valid_from > override.valid_to:
                raise PriceOverridesError(f"{path}:{line}: valid_from is after valid_to")
            overrides.append(override)
    _refuse_overlaps(path, overrides)
    return overrides


def read_deployments(path: Path) -> Dict[str, str]:
    """Reads the deployments CSV (`deployment,model`): the model each deployment name serves, as
    Foundry and Azure report a deployment name instead of a model. A missing file means none.

    Raises:
        PriceOverridesError: a column is missing, a value is empty, or a deployment is listed twice
            with different models.
    """
    if not path.is_file():
        return {}
    mapping: Dict[str, str] = {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in DEPLOYMENT_COLUMNS if c not in header]
        if missing:
            raise PriceOverridesError(f"{path}: missing column(s) {', '.join(missing)}; expected {', '.join(DEPLOYMENT_COLUMNS)}")
        for row in reader:
            values = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if not any(values.values()):
                continue
            deployment, model = values["deployment"], values["model"]
            if not deployment or not model:
                raise PriceOverridesError(f"{path}:{reader.line_num}: deployment and model must both be set")
            if mapping.get(deployment, model) != model:
                raise PriceOverridesError(f"{path}:{reader.line_num}: deployment {deployment!r} is mapped twice")
            mapping[deployment] = model
    return mapping


def _refuse_overlaps(path: Path, overrides: Sequence[PriceOverride]) -> None:
    # Two prices for one model-day would make the cost depend on file order: refuse them.
    lowest, highest = date.min, date.max
    for i, a in enumerate(overrides):
        for b in overrides[i + 1 :]:
            if a.model != b.model:
                continue
            if (a.valid_from or lowest) <= (b.valid_to or highest) and (b.valid_from or lowest) <= (a.valid_to or highest):
                raise PriceOverridesError(
                    f"{path}: lines {a.line} and {b.line} both price {a.model!r} on some of the same days"
                )


def _find_model(model: str) -> Optional[Tuple[types.Provider, types.ModelInfo]]:
    # genai-prices caches its own lookups per snapshot, so an updated snapshot is honoured.
    snapshot = data_snapshot.get_snapshot()
    for provider_id in (PRIMARY_PROVIDER, None):
        try:
            return snapshot.find_provider_model(model, None, provider_id, None)
        except LookupError:
            continue
    return None


def _base(value: object) -> Tuple[Optional[Decimal], bool]:
    """Returns a price key's flat price, and whether it is a tiered price cut down to its base."""
    if isinstance(value, types.TieredPrices):
        return value.base, True
    if isinstance(value, Decimal):
        return value, False
    return None, False


def _as_moment(moment: date | datetime) -> datetime:
    """A UTC datetime; a date means 00:00 UTC of that day, a naive datetime is UTC."""
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return datetime.combine(moment, time(0, 0), tzinfo=UTC)


def genai_price(model: str, moment: date | datetime) -> Optional[Price]:
    """The genai-prices price of `model` in effect at `moment` (a date: 00:00 UTC), or None.

    Prices with a start date apply from that UTC day on, and time-of-day prices in their hours, as
    genai-prices applies them. A model without both an input and an output token price has no
    price: never a silent 0.
    """
    found = _find_model(model)
    if found is None:
        return None
    provider, info = found
    model_price = info.get_prices(_as_moment(moment))
    input_price, input_tiered = _base(getattr(model_price, "input_mtok", None))
    output_price, output_tiered = _base(getattr(model_price, "output_mtok", None))
    cached_price, _ = _base(getattr(model_price, "cache_read_mtok", None))
    tool_prices = {column: _base(getattr(model_price, key, None))[0] for column, key in GENAI_TOOL_PRICE_KEYS.items()}
    if input_price is None or output_price is None:
        return None
    notes = []
    if input_tiered or output_tiered:
        # A tier applies per request, and a run's usage sums many requests: its tier is unknowable.
        notes.append("tiered price: base tier used")
    if provider.id != PRIMARY_PROVIDER:
        notes.append(f"provider {provider.id}")
    return Price(
        input_usd_per_mtok=input_price,
        output_usd_per_mtok=output_price,
        price_source=GENAI_PRICES_SOURCE,
        priced_as=info.id,
        note="; ".join(notes) or None,
        cached_input_usd_per_mtok=cached_price,
        **tool_prices,
    )


def price_on(model: str, moment: date | datetime, overrides: Iterable[PriceOverride],
             deployments: Optional[Mapping[str, str]] = None) -> Optional[Price]:
    """The price of `model` at `moment` (a date: 00:00 UTC): an override covering its UTC day, else
    genai-prices', else None. A deployment name (a key of `deployments`) is priced as the model it
    serves, unless an override names the deployment itself."""
    at = _as_moment(moment)
    overrides = list(overrides)
    served = (deployments or {}).get(model)
    for name in (model, served) if served else (model,):
        for override in overrides:
            if override.covers(name, at.date()):
                return Price(
                    input_usd_per_mtok=override.input_usd_per_mtok,
                    output_usd_per_mtok=override.output_usd_per_mtok,
                    price_source=OVERRIDE_SOURCE,
                    priced_as=override.model,
                    note=override.note if name == model else _join(f"deployment of {served}", override.note),
                    web_search_usd_per_kcall=override.web_search_usd_per_kcall,
                    file_search_usd_per_kcall=override.file_search_usd_per_kcall,
                )
    if served is None:
        return genai_price(model, at)
    price = genai_price(served, at)
    if price is None:
        return None
    return replace(price, note=_join(f"deployment of {served}", price.note))


def _join(*notes: Optional[str]) -> str:
    return "; ".join(n for n in notes if n)


def _utc_time_of_day(value: time) -> time:
    """A time-of-day boundary in UTC, without tzinfo (naive means UTC, as genai-prices reads it)."""
    if value.tzinfo is None:
        return value
    return datetime.combine(date(1970, 1, 1), value).astimezone(UTC).time()


def day_breakpoints(model: str, day: date) -> List[datetime]:
    """The instants of `day` (UTC) where the model's genai-prices price may change, from 00:00 on.

    Start dates change prices at 00:00 UTC, which every day starts with; time-of-day prices
    change at their start and end times.
    """
    start = datetime.combine(day, time(0, 0), tzinfo=UTC)
    points = {start}
    found = _find_model(model)
    if found is not None:
        _, info = found
        conditions = info.prices if isinstance(info.prices, list) else []
        for condition in conditions:
            constraint = condition.constraint
            if isinstance(constraint, types.TimeOfDateConstraint):
                for boundary in (constraint.start_time, constraint.end_time):
                    points.add(datetime.combine(day, _utc_time_of_day(boundary), tzinfo=UTC))
    return sorted(points)


def price_intervals(pairs: Iterable[Tuple[str, date]], overrides: Sequence[PriceOverride],
                    deployments: Optional[Mapping[str, str]] = None) -> List[PriceInterval]:
    """The price of every model over every day given, as intervals that do not overlap.

    Each day is cut at its breakpoints; each piece gets the price at its first instant (None when
    there is none); neighbouring pieces with the same price are merged, across days too.

    Args:
        pairs: (model, UTC day) pairs, e.g. every pair present in the runs.
        overrides: the overrides, which win over genai-prices on the days they cover.
        deployments: deployment name -> the model it serves (seeds/deployments.csv); an unmapped
            deployment name is looked up as it is, and usually has no price.
    """
    deployments = deployments or {}
    out: List[PriceInterval] = []
    for model, day in sorted(set(pairs)):
        points = day_breakpoints(deployments.get(model, model), day)
        ends = points[1:] + [datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=UTC)]
        for starts_at, ends_at in zip(points, ends):
            price = price_on(model, starts_at, overrides, deployments)
            last = out[-1] if out else None
            if last is not None and last.model == model and last.ends_at == starts_at and last.price == price:
                out[-1] = PriceInterval(model, last.starts_at, ends_at, price)
            else:
                out.append(PriceInterval(model, starts_at, ends_at, price))
    return out


def override_matches(override: PriceOverride, pairs: Iterable[Tuple[str, date]]) -> bool:
    """Whether the override prices any of the (model, day) pairs."""
    return any(override.covers(model, day) for model, day in pairs)


def similar_models(name: str, models: Iterable[str]) -> List[str]:
    """Models of the data that an override named `name` was probably meant for: `gpt-4o` for
    `gpt-4o-2024-08-06` (the names runs report), or the other way round."""
    lower = name.lower()
    return sorted({m for m in models if m != name and (m.lower().startswith(lower) or lower.startswith(m.lower()))})
