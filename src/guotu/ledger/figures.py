"""Figures for a period: the registry every family plugs into, and the land-flow figures.

**The registry.** A figure function takes a :class:`PeriodContext` and returns a list of
:class:`~guotu.ledger.model.Figure`; ``@register_figures`` adds it to :data:`FIGURES`.
:func:`compute_figures` imports every module ``guotu.ledger.figures_*`` (so a family's figures module
registers itself by being there), runs the functions in registration order and refuses two figures
with one id. The context reads each record kind once and caches what several functions share
(:meth:`PeriodContext.memo`), e.g. the measured :class:`~guotu.ledger.flow.LandFlow`.

**Conventions of the land-flow figures.** The period [start, end] includes both days; a record belongs
to it when the date its definition names falls in it (quotas: received_on; allocations: allocated_on;
batches and their parcels: the batch's approved_on; supplies: signed_on; completions: the first
``completed`` event; disposals: decided_on). "As of the period end" figures (quota balance, unsupplied
land, idle land, overdue contracts) look at every record dated on or before ``end``. With a town, only
records whose ``town_code`` is that town count (allocations through their quota, progress and
disposals through their supply); records without a town code then do not count, and a batch counts
when one of its parcels lies in the town (its area: those parcels only). Areas come from geometry in
the metric zone and are reported in mu (:func:`guotu.core.units.report_mu`, 4 decimals, from the
unrounded m² sum); typed quota amounts are rounded the same way; 万元 to 2 decimals; percentages to 2.
Each figure lists the ids of the records behind it, of the kind its definition names.
"""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import shapely

from guotu.core.errors import InputError, NotFoundError
from guotu.core.features import FeatureBatch
from guotu.core.messages import tr
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import DECIMALS_MU, report_mu, report_percent, round_half_up
from guotu.ledger import rules
from guotu.ledger.flow import NEW_CONSTRUCTION, LandFlow, land_categories
from guotu.ledger.kinds.landflow import SUPPLY_METHODS, USE_TYPES
from guotu.ledger.model import Figure, Record, kinds
from guotu.ledger.repository import choice_label, read_records
from guotu.store.base import Store

DECIMALS_WAN = 2  # 万元 to 2 decimals (100 yuan), as the project figures
BUSINESS_USES = ("commercial", "residential", "commercial_residential")  # 经营性用地

T = TypeVar("T")


@dataclass(frozen=True)
class FigureParams:
    """Parameters of the land-flow figures.

    ``stock_from_year``–``stock_to_year``: the approval years of the earlier stock whose absorption is
    reported apart (default up to the year before the period starts); ``supply_rate_years``: the supply
    rate covers parcels approved in that many years ending with the period end's year;
    ``due_within_days``: contracts due for completion within that many days of the period end;
    ``survey_layer``: the survey layer whose land classes give new construction land.
    """

    stock_from_year: int = 2009
    stock_to_year: int | None = None
    supply_rate_years: int = 5
    due_within_days: int = 90
    survey_layer: str = "survey"


class PeriodContext:
    """What a figure function reads: the store, the period, the town, parameters, cached records."""

    def __init__(self, store: Store, start: dt.date, end: dt.date, town: str | None = None,
                 params: FigureParams | None = None, policy: GeometryPolicy = DEFAULT_POLICY) -> None:
        if start > end:
            raise InputError("ledger.bad_period", start=start, end=end)
        self.store, self.start, self.end, self.town, self.policy = store, start, end, town, policy
        self.params = params or FigureParams()
        last = self.stock_window[1]
        if self.params.stock_from_year > last:
            raise InputError("ledger.bad_stock_window", first=self.params.stock_from_year, last=last)
        self._records: dict[str, list[Record]] = {}
        self._memo: dict[str, Any] = {}

    @property
    def stock_window(self) -> tuple[int, int]:
        last = self.params.stock_to_year if self.params.stock_to_year is not None else self.start.year - 1
        return self.params.stock_from_year, last

    def records(self, kind: str) -> list[Record]:
        """Every record of ``kind`` (whatever its date or town), read once."""
        if kind not in self._records:
            self._records[kind] = read_records(self.store, kind)
        return self._records[kind]

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A value shared by figure functions, built once per context."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[no-any-return]

    def within(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def by_end(self, day: dt.date | None) -> bool:
        return day is not None and day <= self.end

    def in_town(self, record: Record | None) -> bool:
        return record is not None and (self.town is None or record.get("town_code") == self.town)

    @property
    def flow(self) -> LandFlow:
        return self.memo("landflow", lambda: LandFlow.load(self.records, self.policy))


FigureFunction = Callable[[PeriodContext], list[Figure]]
FIGURES: list[FigureFunction] = []


def register_figures(fn: FigureFunction) -> FigureFunction:
    """Add a figure function to the registry (a decorator; each function once)."""
    if fn not in FIGURES:
        FIGURES.append(fn)
    return fn


def _discover() -> None:
    import guotu.ledger as package

    kinds()
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("figures_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def compute_figures(ctx: PeriodContext) -> list[Figure]:
    """Every registered figure for the context, in registration order."""
    _discover()
    out: list[Figure] = []
    seen: set[str] = set()
    for fn in FIGURES:
        for f in fn(ctx):
            if f.id in seen:
                raise RuntimeError(f"figure {f.id} produced twice (by {fn.__module__}.{fn.__qualname__})")
            seen.add(f.id)
            out.append(f)
    return out


def figures_for(store: Store, start: dt.date, end: dt.date, town: str | None = None,
                params: FigureParams | None = None, policy: GeometryPolicy = DEFAULT_POLICY) -> list[Figure]:
    """Every figure for [start, end] (and ``town``) from the records in ``store``."""
    return compute_figures(PeriodContext(store, start, end, town, params, policy))


# --- helpers -----------------------------------------------------------------------------------
def _fig(ctx: PeriodContext, id: str, value: float | int, unit: str, records: Iterable[Record | str],
         key: str | None = None, breakdown: Sequence[tuple[str, float | int]] = (), **params: Any) -> Figure:
    """A figure whose label and definition come from ``ledger.figure.<key>`` (default: the id)."""
    name = key or id
    town = tr("ledger.figure_town", town=ctx.town) if ctx.town else ""
    ids = tuple(dict.fromkeys(r if isinstance(r, str) else r.id for r in records))
    return Figure(id, tr(f"ledger.figure.{name}", **params), value, unit,
                  tr(f"ledger.figure_definition.{name}", **params) + town, ids, tuple(breakdown))


def _typed_mu(value: float) -> float:
    return round_half_up(value, DECIMALS_MU)


def _wan(value: float) -> float:
    return round_half_up(value, DECIMALS_WAN)


def _sum_by(items: Iterable[tuple[str, float]]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in items:
        out[k] = out.get(k, 0.0) + v
    return out


# --- quotas ------------------------------------------------------------------------------------
@register_figures
def quota_figures(ctx: PeriodContext) -> list[Figure]:
    quotas = [q for q in ctx.records("quota") if ctx.in_town(q)]
    by_id = {q.id: q for q in quotas}
    allocations = [a for a in ctx.records("quota_allocation") if str(a.get("quota")) in by_id]
    batches = ctx.flow.batches
    received = [q for q in quotas if ctx.within(q.date("received_on"))]
    allocated = [a for a in allocations if ctx.within(a.date("allocated_on"))]
    used = [a for a in allocations if a.get("batch") is not None
            and ctx.within(batches[str(a.get("batch"))].date("approved_on"))]
    held = [q for q in quotas if ctx.by_end(q.date("received_on"))]
    drawn = [a for a in allocations if ctx.by_end(a.date("allocated_on"))]
    balance = rules.quota_balance(sum(float(q.get("amount_mu")) for q in held),
                                  [float(a.get("amount_mu")) for a in drawn])
    by_source = _sum_by((choice_label("quota", "source", q.get("source")), float(q.get("amount_mu"))) for q in received)
    return [
        _fig(ctx, "quota.received", _typed_mu(sum(float(q.get("amount_mu")) for q in received)), "亩", received,
             breakdown=[(k, _typed_mu(v)) for k, v in sorted(by_source.items())]),
        _fig(ctx, "quota.allocated", _typed_mu(sum(float(a.get("amount_mu")) for a in allocated)), "亩", allocated),
        _fig(ctx, "quota.used", _typed_mu(sum(float(a.get("amount_mu")) for a in used)), "亩", used),
        _fig(ctx, "quota.balance", _typed_mu(balance), "亩", held),
    ]


# --- approval ----------------------------------------------------------------------------------
def _parcels_in_period(ctx: PeriodContext) -> list[int]:
    flow = ctx.flow
    return [k for k, p in enumerate(flow.parcels) if ctx.in_town(p) and ctx.within(flow.approved_on(p))]


def parcel_categories(ctx: PeriodContext) -> list[dict[str, float]]:
    """Per parcel of the flow, its area (m²) on each survey land category, from the survey as it stood
    on the batch's approval date (all ``unknown`` when there is no survey layer)."""
    def build() -> list[dict[str, float]]:
        flow = ctx.flow
        out = land_categories(flow.parcel_m, FeatureBatch(np.empty(0, dtype=object)), ctx.policy)
        approved = flow.parcel_approved()
        for day in sorted({d for d in approved if d is not None}):
            rows = np.array([k for k, d in enumerate(approved) if d == day and flow.parcel_m[k] is not None],
                            dtype=np.intp)
            if not len(rows):
                continue
            geoms = np.array([flow.parcels[k].geometry for k in rows], dtype=object)
            x0, y0, x1, y1 = (float(v) for v in shapely.total_bounds(geoms))
            try:
                survey = ctx.store.read(ctx.params.survey_layer, bbox=(x0, y0, x1, y1), as_of=day)
            except NotFoundError:
                return out
            for k, row in zip(rows.tolist(), land_categories(flow.parcel_m[rows], survey, ctx.policy), strict=True):
                out[k] = row
        return out

    return ctx.memo("parcel_categories", build)


@register_figures
def approval_figures(ctx: PeriodContext) -> list[Figure]:
    flow = ctx.flow
    rows = _parcels_in_period(ctx)
    parcels = [flow.parcels[k] for k in rows]
    batch_ids = {str(p.get("batch")) for p in parcels}
    if ctx.town is None:  # a batch without parcels still counts county-wide
        batch_ids |= {b.id for b in flow.batches.values() if ctx.within(b.date("approved_on"))}
    batches = [b for b in flow.batches.values() if b.id in batch_ids]
    area = float(sum(flow.parcel_area[k] for k in rows))
    batch_type = {b.id: choice_label("batch", "batch_type", b.get("batch_type")) for b in flow.batches.values()}
    by_type = _sum_by((batch_type[str(flow.parcels[k].get("batch"))], float(flow.parcel_area[k])) for k in rows)
    categories = parcel_categories(ctx)
    new = {c: sum(categories[k][c] for k in rows) for c in NEW_CONSTRUCTION}
    on_new = [flow.parcels[k] for k in rows if sum(categories[k][c] for c in NEW_CONSTRUCTION) > 0]
    return [
        _fig(ctx, "approval.batches", len(batches), "个", batches),
        _fig(ctx, "approval.parcels", len(parcels), "宗", parcels),
        _fig(ctx, "approval.area", report_mu(area), "亩", parcels,
             breakdown=[(k, report_mu(v)) for k, v in sorted(by_type.items())]),
        _fig(ctx, "approval.new_construction", report_mu(sum(new.values())), "亩", on_new,
             breakdown=[(tr(f"ledger.land_category.{c}"), report_mu(v)) for c, v in new.items()]),
    ]


# --- supply ------------------------------------------------------------------------------------
def _supplies_in_period(ctx: PeriodContext) -> list[int]:
    return [i for i, s in enumerate(ctx.flow.supplies) if ctx.in_town(s) and ctx.within(s.date("signed_on"))]


@register_figures
def supply_figures(ctx: PeriodContext) -> list[Figure]:
    flow = ctx.flow
    rows = _supplies_in_period(ctx)

    def pick(name: str | None = None, values: tuple[str, ...] = ()) -> tuple[list[Record], float]:
        chosen = [i for i in rows if name is None or flow.supplies[i].get(name) in values]
        return [flow.supplies[i] for i in chosen], float(sum(flow.supply_area[i] for i in chosen))

    everything, total = pick()
    count_by_use: dict[str, int] = {}
    area_by_use: dict[str, float] = {}
    for i in rows:
        label = choice_label("supply", "use_type", flow.supplies[i].get("use_type"))
        count_by_use[label] = count_by_use.get(label, 0) + 1
        area_by_use[label] = area_by_use.get(label, 0.0) + float(flow.supply_area[i])
    out = [
        _fig(ctx, "supply.count", len(everything), "宗", everything, breakdown=sorted(count_by_use.items())),
        _fig(ctx, "supply.area", report_mu(total), "亩", everything,
             breakdown=[(k, report_mu(v)) for k, v in sorted(area_by_use.items())]),
    ]
    # (figure id prefix, catalog key, field, the values it counts, label parameters)
    groups: list[tuple[str, str, str, tuple[str, ...], dict[str, Any]]] = [
        (f"supply.{use}", "supply.use", "use_type", (use,), {"use": choice_label("supply", "use_type", use)})
        for use in USE_TYPES]
    groups.append(("supply.business", "supply.business", "use_type", BUSINESS_USES, {}))
    groups += [(f"supply.{m}", "supply.method", "method", (m,), {"method": choice_label("supply", "method", m)})
               for m in SUPPLY_METHODS]
    for prefix, key, name, values, params in groups:
        chosen, area = pick(name, values)
        out.append(_fig(ctx, f"{prefix}.count", len(chosen), "宗", chosen, key=f"{key}.count", **params))
        out.append(_fig(ctx, f"{prefix}.area", report_mu(area), "亩", chosen, key=f"{key}.area", **params))
    sales, _ = pick("method", ("sale",))
    out.append(_fig(ctx, "supply.sale.price", _wan(sum(float(s.get("price_wan") or 0.0) for s in sales)), "万元",
                    sales))
    return out


# --- approved but unsupplied -------------------------------------------------------------------
@register_figures
def unsupplied_figures(ctx: PeriodContext) -> list[Figure]:
    flow = ctx.flow
    approved = flow.parcel_approved()
    in_period = np.zeros(len(flow.supplies), dtype=bool)
    in_period[_supplies_in_period(ctx)] = True
    earlier = flow.signed_mask(on_or_before=ctx.start - dt.timedelta(days=1))
    before = np.array([d is not None and d < ctx.start for d in approved], dtype=bool)
    first, last = ctx.stock_window
    window = np.array([d is not None and d < ctx.start and first <= d.year <= last for d in approved], dtype=bool)
    absorbed, used, _ = flow.absorbed(in_period, before, earlier)
    absorbed_window, used_window, _ = flow.absorbed(in_period, window, earlier)

    # As of the period end: parcels approved by then, less what supplies signed by then cover.
    supplied, unsupplied = flow.supplied_on_parcels(flow.signed_mask(on_or_before=ctx.end))
    held = [k for k, p in enumerate(flow.parcels) if ctx.in_town(p) and ctx.by_end(approved[k])]
    left = [k for k in held if unsupplied[k] > ctx.policy.sliver_m2]
    by_year = _sum_by((str((approved[k] or dt.date.min).year), float(unsupplied[k])) for k in held)

    years = ctx.params.supply_rate_years
    rate_first = ctx.end.year - years + 1
    rated = [k for k in held if rate_first <= (approved[k] or dt.date.min).year]
    rate_supplied = float(sum(supplied[k] for k in rated))
    rate_approved = float(sum(flow.parcel_area[k] for k in rated))
    return [
        _fig(ctx, "unsupplied.absorbed", report_mu(absorbed), "亩", [flow.supplies[i] for i in used]),
        _fig(ctx, "unsupplied.absorbed_stock", report_mu(absorbed_window), "亩",
             [flow.supplies[i] for i in used_window], first=first, last=last),
        _fig(ctx, "unsupplied.area", report_mu(float(sum(unsupplied[k] for k in held))), "亩",
             [flow.parcels[k] for k in left],
             breakdown=[(y, report_mu(v)) for y, v in sorted(by_year.items())]),
        _fig(ctx, "supply.rate", report_percent(rate_supplied, rate_approved), "%",
             [flow.parcels[k] for k in rated], first=rate_first, last=ctx.end.year),
    ]


# --- completion, idle land, contract supervision -----------------------------------------------
@register_figures
def contract_figures(ctx: PeriodContext) -> list[Figure]:
    flow = ctx.flow
    local = [i for i, s in enumerate(flow.supplies) if ctx.in_town(s) and ctx.by_end(s.date("signed_on"))]

    def first_completed(i: int) -> dt.date | None:
        days = [e.on for e in flow.events(flow.supplies[i].id) if e.event == "completed"]
        return min(days) if days else None

    def area(rows: Iterable[int]) -> float:
        return float(sum(flow.supply_area[i] for i in rows))

    completed = [i for i in local if ctx.within(first_completed(i))]
    statuses = {i: flow.idle_status(i, ctx.end) for i in local}
    idle = [i for i in local if statuses[i].is_idle]
    idle_by_due = _sum_by((tr(f"ledger.idle_due.{statuses[i].due}"), float(flow.supply_area[i])) for i in idle)
    local_ids = {flow.supplies[i].id: i for i in local}
    disposals = [d for d in flow.disposals if str(d.get("supply")) in local_ids and ctx.within(d.date("decided_on"))]
    recovered = sorted({local_ids[str(d.get("supply"))] for d in disposals if d.get("action") == "recovery"})
    fees = [d for d in disposals if d.get("action") == "fee"]
    fined = sorted({local_ids[str(d.get("supply"))] for d in fees})
    supervised = {i: flow.supervision(i, ctx.end, ctx.params.due_within_days) for i in local}
    overdue = [i for i in local if supervised[i].state == "overdue"]
    due_soon = [i for i in local if supervised[i].state == "due_soon"]

    def rec(rows: Iterable[int]) -> list[Record]:
        return [flow.supplies[i] for i in rows]

    days = ctx.params.due_within_days
    return [
        _fig(ctx, "completion.count", len(completed), "宗", rec(completed)),
        _fig(ctx, "completion.area", report_mu(area(completed)), "亩", rec(completed)),
        _fig(ctx, "idle.count", len(idle), "宗", rec(idle)),
        _fig(ctx, "idle.area", report_mu(area(idle)), "亩", rec(idle),
             breakdown=[(k, report_mu(v)) for k, v in sorted(idle_by_due.items())]),
        _fig(ctx, "idle.recovered.count", len(recovered), "宗", rec(recovered)),
        _fig(ctx, "idle.recovered.area", report_mu(area(recovered)), "亩", rec(recovered)),
        _fig(ctx, "idle.fee.count", len(fined), "宗", rec(fined)),
        _fig(ctx, "idle.fee.amount", _wan(sum(float(d.get("fee_wan") or 0.0) for d in fees)), "万元", rec(fined)),
        _fig(ctx, "supervision.overdue", len(overdue), "宗", rec(overdue)),
        _fig(ctx, "supervision.due_soon", len(due_soon), "宗", rec(due_soon), days=days),
    ]
