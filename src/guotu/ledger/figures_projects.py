"""Figures of the project families for a period [start, end] (both days included) and an optional town.

:func:`project_figures_in` is registered with the ledger's figure registry
(:func:`guotu.ledger.figures.register_figures`), so :func:`guotu.ledger.figures.figures_for` includes
these figures; :func:`project_figures` computes them alone.

Conventions (as the land-flow figures): a record belongs to the period when the date its definition
names falls in it; counts are whole numbers; areas come from the geometries in the metric zone and are
reported in mu (:func:`guotu.core.units.report_mu`, 4 decimals half-up, from the unrounded m² sum);
万元 to 2 decimals; percentages to 2. With a town, only records whose ``town_code`` is that town count —
acceptances and investment progress through their project, resettlement plans through their
expropriation batch — and records without a town code then do not count. Labels and definitions are
in the catalogs (``ledger.figure.<id>``, ``ledger.figure_definition.<id>`` in
``locale/ledger_projects.toml``). ``records`` lists the ids of the records behind each figure, of the
kind its definition names.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol

import shapely

from guotu.core.codes import load_edition, parse_qualified
from guotu.core.errors import InputError
from guotu.core.messages import tr
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import report_mu, round_half_up
from guotu.ledger.figures import register_figures
from guotu.ledger.model import REGISTRY, Figure, Record, kinds
from guotu.ledger.project_rules import (
    PASSED,
    acceptance_geometry,
    counted_once,
    first_passed_acceptance,
    latest,
    meets_public_interest_standard,
    percent,
)
from guotu.ledger.repository import choice_label, read_records, record_area_m2
from guotu.store.base import Store

DECIMALS_WAN = 2  # 万元 to 2 decimals (100 yuan)


class Period(Protocol):
    """What the project figures read; :class:`guotu.ledger.figures.PeriodContext` is one."""

    start: dt.date
    end: dt.date
    town: str | None
    policy: GeometryPolicy

    def records(self, kind: str) -> list[Record]: ...


class StorePeriod:
    """A :class:`Period` over a store (records read once per kind)."""

    def __init__(self, store: Store, start: dt.date, end: dt.date, town: str | None = None,
                 policy: GeometryPolicy = DEFAULT_POLICY) -> None:
        if start > end:
            raise InputError("ledger_projects.bad_period", start=start, end=end)
        self.store, self.start, self.end, self.town, self.policy = store, start, end, town, policy
        self._records: dict[str, list[Record]] = {}

    def records(self, kind: str) -> list[Record]:
        if kind not in self._records:
            self._records[kind] = read_records(self.store, kind)
        return self._records[kind]


def project_figures(store: Store, start: dt.date, end: dt.date, town: str | None = None,
                    policy: GeometryPolicy = DEFAULT_POLICY) -> list[Figure]:
    """The project figures alone for [start, end] (and ``town``), from the records in ``store``."""
    return project_figures_in(StorePeriod(store, start, end, town, policy))


def project_figures_in(period: Period) -> list[Figure]:
    """Every project figure for the period: sea use, redevelopment, consolidation, reclamation,
    expropriation, block development plans, resettlement."""
    kinds()
    ctx = _Ctx(period)
    out: list[Figure] = []
    for build in (_sea_use, _redevelopment, _consolidation, _reclamation, _expropriation, _block_plans,
                  _resettlement):
        out.extend(build(ctx))
    return out


register_figures(project_figures_in)


class _Ctx:
    def __init__(self, period: Period) -> None:
        self.p = period
        self.start, self.end, self.town, self.policy = period.start, period.end, period.town, period.policy

    def of(self, kind: str) -> list[Record]:
        return self.p.records(kind) if kind in REGISTRY else []

    def in_town(self, record: Record | None) -> bool:
        return record is not None and (self.town is None or record.get("town_code") == self.town)

    def within(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day <= self.end

    def by_end(self, day: dt.date | None) -> bool:
        return day is not None and day <= self.end

    def local(self, kind: str) -> list[Record]:
        return [r for r in self.of(kind) if self.in_town(r)]

    def dated(self, kind: str, field: str, keep: Callable[[Record], bool] = lambda r: True) -> list[Record]:
        """Records of ``kind`` in the town whose ``field`` falls in the period."""
        return [r for r in self.local(kind) if self.within(r.date(field)) and keep(r)]

    def area(self, items: Sequence[Record]) -> list[float]:
        return record_area_m2(items, self.policy)

    def fig(self, id: str, value: float | int, unit: str, records: Iterable[Record | str],
            breakdown: Iterable[tuple[str, float | int]] = ()) -> Figure:
        town = tr("ledger_projects.figure_town", town=self.town) if self.town else ""
        ids = tuple(dict.fromkeys(r if isinstance(r, str) else r.id for r in records))
        return Figure(id, tr(f"ledger.figure.{id}"), value, unit, tr(f"ledger.figure_definition.{id}") + town, ids,
                      tuple(breakdown))


def _wan(value: float) -> float:
    return round_half_up(value, DECIMALS_WAN)


def _by(items: Sequence[Record], key: Callable[[Record], str], values: Sequence[float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for r, v in zip(items, values, strict=True):
        out[key(r)] = out.get(key(r), 0.0) + v
    return out


def _mu(parts: Mapping[str, float]) -> list[tuple[str, float | int]]:
    return [(k, report_mu(v)) for k, v in sorted(parts.items())]


def _counts(items: Sequence[Record], key: Callable[[Record], str]) -> list[tuple[str, float | int]]:
    out: dict[str, int] = {}
    for r in items:
        out[key(r)] = out.get(key(r), 0) + 1
    return sorted(out.items())


def _category(r: Record) -> str:
    return choice_label(r.kind, "category", r.get("category"))


def _count_and_area(ctx: _Ctx, prefix: str, unit: str, items: Sequence[Record],
                    key: Callable[[Record], str] = _category) -> list[Figure]:
    areas = ctx.area(items)
    return [ctx.fig(f"{prefix}.count", len(items), unit, items, _counts(items, key)),
            ctx.fig(f"{prefix}.area", report_mu(sum(areas)), "亩", items, _mu(_by(items, key, areas)))]


# --- sea use, redevelopment ------------------------------------------------------------------------
def _sea_class(r: Record) -> str:
    """The first-level sea-use class of a record, e.g. ``20 交通运输用海``."""
    try:
        land_class = parse_qualified(str(r.get("use_code")))
    except InputError:
        return str(r.get("use_code"))
    return str(load_edition(land_class.edition).by_code(land_class.code[:2]))


def _sea_use(ctx: _Ctx) -> list[Figure]:
    return _count_and_area(ctx, "sea_use.approved", "宗", ctx.dated("sea_use", "approved_on"), _sea_class)


def _redevelopment(ctx: _Ctx) -> list[Figure]:
    return _count_and_area(ctx, "redevelopment.completed", "个", ctx.dated("redevelopment", "completed_on"))


# --- consolidation --------------------------------------------------------------------------------------
def _consolidation(ctx: _Ctx) -> list[Figure]:
    projects = ctx.local("consolidation_project")
    by_id = {p.id: p for p in projects}
    subprojects = [s for s in ctx.of("consolidation_subproject") if s.get("project") in by_id]
    targets: dict[tuple[str, str], Record] = {("consolidation_project", p.id): p for p in projects}
    targets |= {("consolidation_subproject", s.id): s for s in subprojects}
    parent = {key: (t if t.kind == "consolidation_project" else by_id[str(t.get("project"))])
              for key, t in targets.items()}
    acceptances = ctx.of("acceptance")

    approved = [p for p in projects if ctx.within(p.date("approved_on"))]
    out = _count_and_area(ctx, "consolidation.approved", "个", approved)
    planned = [float(p.get("planned_investment_wan") or 0.0) for p in approved]
    out.append(ctx.fig("consolidation.approved.investment", _wan(sum(planned)), "万元", approved,
                       [(k, _wan(v)) for k, v in sorted(_by(approved, _category, planned).items())]))

    accepted = [p for p in projects
                if (a := first_passed_acceptance("consolidation_project", p.id, acceptances)) is not None
                and ctx.within(a.date("accepted_on"))]
    out.append(ctx.fig("consolidation.accepted.count", len(accepted), "个", accepted, _counts(accepted, _category)))

    def target(a: Record) -> tuple[str, str]:
        return str(a.get("target_kind")), str(a.get("target"))

    used = [a for a in acceptances if a.get("result") == PASSED and target(a) in targets
            and ctx.by_end(a.date("accepted_on"))]
    added = counted_once([(a.date("accepted_on") or dt.date.max, a.id, acceptance_geometry(a, targets)) for a in used],
                         ctx.policy, clip=[parent[target(a)].geometry for a in used])
    in_period = [a for a in used if ctx.within(a.date("accepted_on"))]
    by_category = _by(in_period, lambda a: _category(parent[target(a)]), [added[a.id] for a in in_period])
    out.append(ctx.fig("consolidation.accepted.area", report_mu(sum(by_category.values())), "亩", in_period,
                       _mu(by_category)))
    contiguous = [a for a in in_period if parent[target(a)].get("category") == "farmland_contiguity"]
    out.append(ctx.fig("consolidation.contiguous.area", report_mu(sum(added[a.id] for a in contiguous)), "亩",
                       contiguous))

    events = ctx.of("consolidation_progress")
    before = ctx.start - dt.timedelta(days=1)
    done: dict[str, float] = {}
    behind: list[Record] = []
    for p in projects:
        now, then = latest(events, ctx.end, "project", p.id), latest(events, before, "project", p.id)
        value = _invested(now) - _invested(then)
        done[_category(p)] = done.get(_category(p), 0.0) + value
        behind.extend(e for e in events if e.get("project") == p.id and ctx.within(e.date("on")))
    out.append(ctx.fig("consolidation.investment", _wan(sum(done.values())), "万元", behind,
                       [(k, _wan(v)) for k, v in sorted(done.items())]))
    return out


def _invested(snapshot: Record | None) -> float:
    return 0.0 if snapshot is None else float(snapshot.get("investment_done_wan") or 0.0)


# --- reclamation ---------------------------------------------------------------------------------------
def _is(category: str) -> Callable[[Record], bool]:
    return lambda r: r.get("category") == category


def _reclamation(ctx: _Ctx) -> list[Figure]:
    out = _count_and_area(ctx, "reclamation.approved", "个",
                          ctx.dated("reclamation", "approved_on", _is("reclamation")))
    out += _count_and_area(ctx, "reclamation.completed", "个",
                           ctx.dated("reclamation", "completed_on", _is("reclamation")))
    candidates = [r for r in ctx.local("reclamation") if r.get("category") in ("new_farmland", "farmland_restoration")
                  and ctx.by_end(r.date("accepted_on"))]
    added = counted_once([(r.date("accepted_on") or dt.date.max, r.id, r.geometry) for r in candidates], ctx.policy)
    accepted = [r for r in candidates if ctx.within(r.date("accepted_on"))]
    parts = _by(accepted, _category, [added[r.id] for r in accepted])
    out.append(ctx.fig("new_farmland.accepted.area", report_mu(sum(parts.values())), "亩", accepted, _mu(parts)))
    return out


# --- expropriation, block development, resettlement -------------------------------------------------------------
def _expropriation(ctx: _Ctx) -> list[Figure]:
    batches = [b for b in ctx.local("expropriation_batch") if ctx.by_end(b.date("approved_on"))]
    parcels: dict[str, list[Any]] = {}
    for p in ctx.of("batch_parcel"):
        if p.geometry is not None:
            parcels.setdefault(str(p.get("batch")), []).append(p.geometry)

    def geometry(b: Record) -> Any:
        if b.geometry is not None:
            return b.geometry
        found = parcels.get(str(b.get("landflow_batch")), [])
        return shapely.union_all(found) if found else None

    added = counted_once([(b.date("approved_on") or dt.date.max, b.id, geometry(b)) for b in batches], ctx.policy)
    items = [b for b in batches if ctx.within(b.date("approved_on"))]
    by_authority = _by(items, lambda b: choice_label(b.kind, "authority", b.get("authority")),
                       [added[b.id] for b in items])
    return [
        ctx.fig("expropriation.batches", len(items), "个", items,
                _counts(items, lambda b: choice_label(b.kind, "authority", b.get("authority")))),
        ctx.fig("expropriation.area", report_mu(sum(by_authority.values())), "亩", items, _mu(by_authority)),
    ]


def _block_plans(ctx: _Ctx) -> list[Figure]:
    def standard(r: Record) -> str:
        return tr("ledger_projects.public_interest." + ("met" if meets_public_interest_standard(r) else "below"))

    return _count_and_area(ctx, "block_plan.approved", "个", ctx.dated("block_development_plan", "approved_on"),
                           standard)


def _resettlement(ctx: _Ctx) -> list[Figure]:
    batches = {b.id: b for b in ctx.of("expropriation_batch")}
    plans = [p for p in ctx.of("resettlement_plan")
             if ctx.in_town(batches.get(str(p.get("batch")))) and ctx.by_end(p.date("announced_on"))]
    events = ctx.of("resettlement_progress")
    households = signed = 0
    compensation = paid = 0.0
    for p in plans:
        snap = latest(events, ctx.end, "plan", p.id)
        households += int(p.get("households") or 0)
        compensation += float(p.get("compensation_wan") or 0.0)
        if snap is not None:
            signed += int(snap.get("households_signed") or 0)
            paid += float(snap.get("compensation_paid_wan") or 0.0)
    return [
        ctx.fig("resettlement.signed", percent(signed, households) or 0.0, "%", plans,
                [(tr("ledger_projects.breakdown.signed"), signed), (tr("ledger_projects.breakdown.households"),
                                                                     households)]),
        ctx.fig("resettlement.paid", percent(paid, compensation) or 0.0, "%", plans,
                [(tr("ledger_projects.breakdown.paid"), _wan(paid)),
                 (tr("ledger_projects.breakdown.compensation"), _wan(compensation))]),
    ]
