"""Rules of the project families (consolidation, reclamation, redevelopment, sea use, resettlement).

Pure functions on records: no store, no clock. Every date is inclusive — an event dated D has
happened "on D" — and every area is computed in the county's metric zone (``policy.metric_epsg``).

Conventions (also in docs/ledger.md, "Projects, sea use and expropriation"):

* **Project status on a date D** (:func:`project_status`): ``None`` before the approval (立项) date;
  then the first that holds of ``accepted`` (a passed acceptance dated ≤ D), ``completed`` (completion
  date ≤ D), ``overdue`` (a due date before D, i.e. D > due date, and not completed), ``in_progress``
  (start date ≤ D), ``approved``. The due date itself is not overdue; a completed project is never
  overdue, even if it was completed late.
* **Progress** is a percentage rounded half-up to 2 decimals (``guotu.core.units``), or ``None`` when
  the whole is missing or zero (there is nothing to measure progress against). Investment progress is
  not capped: an overrun shows as more than 100 %. Area progress cannot exceed 100 % (the accepted
  area is clipped to the project area).
* **Progress events are cumulative snapshots**: a ``consolidation_progress`` or
  ``resettlement_progress`` record states the totals reached by its date; the progress on D is the
  latest snapshot dated ≤ D (none: zero).
* **Sea-use permits**: ``valid_to`` is the last valid day. On D a permit is ``not_yet_valid`` when
  D < valid_from, ``expired`` when D > valid_to, ``expiring`` when 0 ≤ valid_to − D ≤ N days, else
  ``valid``.
* **Counted once**: an area (new farmland, accepted consolidation area) counts in the period that holds
  the date it was accepted, never at approval or completion, and land already counted by an earlier
  record (earlier acceptance date, then smaller record id) is not counted again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import shapely

from guotu.core.crs import CGCS2000
from guotu.core.geometry import to_metric
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import DECIMALS_PERCENT, round_half_up
from guotu.ledger.model import Record

Status = Literal["approved", "in_progress", "completed", "accepted", "overdue"]
STATUSES: tuple[Status, ...] = ("approved", "in_progress", "completed", "accepted", "overdue")
STATUS_LABELS: dict[str, str] = {
    "approved": "已立项", "in_progress": "实施中", "completed": "已竣工", "accepted": "已验收", "overdue": "逾期未竣工",
}

PermitState = Literal["not_yet_valid", "valid", "expiring", "expired"]
PERMIT_LABELS: dict[str, str] = {
    "not_yet_valid": "未到期始", "valid": "有效", "expiring": "即将到期", "expired": "已到期",
}

PASSED = "passed"


# --- status -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Milestones:
    """The dates that decide a project's status; only ``approved_on`` is required."""

    approved_on: dt.date
    started_on: dt.date | None = None
    completed_on: dt.date | None = None
    accepted_on: dt.date | None = None
    due_on: dt.date | None = None


def _reached(day: dt.date | None, on: dt.date) -> bool:
    return day is not None and day <= on


def project_status(m: Milestones, on: dt.date) -> Status | None:
    """The status on ``on`` (see the module notes); ``None`` before the project was approved.

    >>> m = Milestones(dt.date(2024, 1, 10), due_on=dt.date(2024, 12, 31))
    >>> project_status(m, dt.date(2024, 1, 9)), project_status(m, dt.date(2024, 1, 10))
    (None, 'approved')
    >>> project_status(m, dt.date(2024, 12, 31)), project_status(m, dt.date(2025, 1, 1))
    ('approved', 'overdue')
    """
    if on < m.approved_on:
        return None
    if _reached(m.accepted_on, on):
        return "accepted"
    if _reached(m.completed_on, on):
        return "completed"
    if m.due_on is not None and on > m.due_on:
        return "overdue"
    if _reached(m.started_on, on):
        return "in_progress"
    return "approved"


def first_passed_acceptance(kind: str, target: str, acceptances: Iterable[Record],
                            on: dt.date | None = None) -> Record | None:
    """The earliest passed acceptance of ``kind`` record ``target`` (dated ≤ ``on`` when given)."""
    found = [a for a in acceptances
             if a.get("target_kind") == kind and a.get("target") == target and a.get("result") == PASSED
             and (on is None or _reached(a.date("accepted_on"), on))]
    return min(found, key=lambda a: (a.date("accepted_on") or dt.date.max, a.id), default=None)


def consolidation_milestones(project: Record, acceptances: Iterable[Record]) -> Milestones:
    """A consolidation project's milestones; accepted on its first passed project-level acceptance."""
    first = first_passed_acceptance("consolidation_project", project.id, acceptances)
    return _milestones(project, accepted_on=None if first is None else first.date("accepted_on"))


def reclamation_milestones(record: Record) -> Milestones:
    """A reclamation project's milestones, all from its own fields."""
    return _milestones(record, accepted_on=record.date("accepted_on"))


def redevelopment_milestones(record: Record) -> Milestones:
    """A redevelopment case counts as approved and started on its start date."""
    started = record.date("started_on")
    assert started is not None  # a required field
    return Milestones(started, started, record.date("completed_on"), None, record.date("due_on"))


def record_status(record: Record, on: dt.date, acceptances: Iterable[Record] = ()) -> Status | None:
    """The status on ``on`` of a consolidation project (given its acceptances), reclamation or redevelopment."""
    if record.kind == "consolidation_project":
        return project_status(consolidation_milestones(record, acceptances), on)
    if record.kind == "reclamation":
        return project_status(reclamation_milestones(record), on)
    if record.kind == "redevelopment":
        return project_status(redevelopment_milestones(record), on)
    raise ValueError(f"no project status for kind {record.kind}")


def _milestones(record: Record, accepted_on: dt.date | None) -> Milestones:
    approved = record.date("approved_on")
    assert approved is not None  # a required field of every project kind
    return Milestones(approved, record.date("started_on"), record.date("completed_on"), accepted_on,
                      record.date("due_on"))


# --- percentages and snapshots -------------------------------------------------------------------
def percent(part: float, whole: float | None) -> float | None:
    """``part`` as a percentage of ``whole``, rounded half-up to 2 decimals; ``None`` if whole is 0/None.

    >>> percent(1, 3), percent(5, 0), percent(0, 10), percent(12, 10)
    (33.33, None, 0.0, 120.0)
    """
    if whole is None or whole <= 0:
        return None
    return round_half_up(100.0 * part / whole, DECIMALS_PERCENT)


def latest(events: Iterable[Record], on: dt.date, link: str, target: str, date_field: str = "on") -> Record | None:
    """The latest event of ``target`` (through field ``link``) dated ≤ ``on``; ties go to the larger id."""
    found = [e for e in events if e.get(link) == target and _reached(e.date(date_field), on)]
    return max(found, key=lambda e: (e.date(date_field) or dt.date.min, e.id), default=None)


# --- consolidation progress ------------------------------------------------------------------------
@dataclass(frozen=True)
class ConsolidationProgress:
    """A consolidation project's progress on a date: accepted area and investment done."""

    project: str
    on: dt.date
    area_m2: float
    accepted_m2: float
    investment_planned_wan: float | None
    investment_done_wan: float
    acceptances: tuple[str, ...]

    @property
    def area_percent(self) -> float | None:
        return percent(self.accepted_m2, self.area_m2)

    @property
    def investment_percent(self) -> float | None:
        return percent(self.investment_done_wan, self.investment_planned_wan)


def acceptance_geometry(acceptance: Record, targets: dict[tuple[str, str], Record]) -> Any:
    """The area an acceptance covers (CGCS2000): its own geometry, else its target's (None if neither)."""
    if acceptance.geometry is not None:
        return acceptance.geometry
    target = targets.get((str(acceptance.get("target_kind")), str(acceptance.get("target"))))
    return None if target is None else target.geometry


def consolidation_progress(project: Record, subprojects: Sequence[Record], acceptances: Sequence[Record],
                           events: Sequence[Record], on: dt.date,
                           policy: GeometryPolicy = DEFAULT_POLICY) -> ConsolidationProgress:
    """Accepted area ÷ project area and investment done ÷ planned, on ``on``.

    The accepted area is the union of the areas of every passed acceptance dated ≤ ``on`` of the
    project or of one of its sub-projects, clipped to the project area (so an area accepted twice —
    county then province level, or a sub-project and then the whole project — counts once). The
    investment done is that of the latest ``consolidation_progress`` snapshot dated ≤ ``on``.
    """
    mine = [s for s in subprojects if s.get("project") == project.id]
    targets = {("consolidation_project", project.id): project} | {("consolidation_subproject", s.id): s for s in mine}
    used = [a for a in acceptances
            if (str(a.get("target_kind")), str(a.get("target"))) in targets and a.get("result") == PASSED
            and _reached(a.date("accepted_on"), on)]
    area_geom = _metric([project.geometry], policy)[0]
    pieces = [g for g in (acceptance_geometry(a, targets) for a in used) if g is not None]
    accepted = 0.0
    if pieces and area_geom is not None:
        union = shapely.union_all(_metric(pieces, policy))
        accepted = float(shapely.area(shapely.intersection(union, area_geom)))
    snapshot = latest(events, on, "project", project.id)
    planned = project.get("planned_investment_wan")
    return ConsolidationProgress(
        project.id, on, 0.0 if area_geom is None else float(shapely.area(area_geom)), accepted,
        None if planned is None else float(planned),
        0.0 if snapshot is None else float(snapshot.get("investment_done_wan") or 0.0),
        tuple(sorted(a.id for a in used)),
    )


# --- resettlement progress ----------------------------------------------------------------------------
@dataclass(frozen=True)
class ResettlementProgress:
    """A resettlement plan's progress on a date, from its latest progress snapshot."""

    plan: str
    on: dt.date
    households: int
    households_signed: int
    compensation_wan: float
    compensation_paid_wan: float
    snapshot: str | None

    @property
    def signed_percent(self) -> float | None:
        return percent(self.households_signed, self.households)

    @property
    def paid_percent(self) -> float | None:
        return percent(self.compensation_paid_wan, self.compensation_wan)


def resettlement_progress(plan: Record, events: Sequence[Record], on: dt.date) -> ResettlementProgress:
    """Households signed ÷ households and compensation paid ÷ compensation, on ``on``."""
    snapshot = latest(events, on, "plan", plan.id)
    return ResettlementProgress(
        plan.id, on, int(plan.get("households") or 0),
        0 if snapshot is None else int(snapshot.get("households_signed") or 0),
        float(plan.get("compensation_wan") or 0.0),
        0.0 if snapshot is None else float(snapshot.get("compensation_paid_wan") or 0.0),
        None if snapshot is None else snapshot.id,
    )


# --- sea-use permits ----------------------------------------------------------------------------------
def permit_state(valid_from: dt.date, valid_to: dt.date, on: dt.date, within_days: int) -> PermitState:
    """The state of a permit valid from ``valid_from`` through ``valid_to`` (inclusive) on ``on``.

    >>> d = dt.date
    >>> [permit_state(d(2020, 1, 1), d(2024, 12, 31), day, 30)
    ...  for day in (d(2019, 12, 31), d(2024, 12, 1), d(2024, 12, 31), d(2025, 1, 1), d(2024, 11, 30))]
    ['not_yet_valid', 'expiring', 'expiring', 'expired', 'valid']
    """
    if within_days < 0:
        raise ValueError("within_days must be ≥ 0")
    if on < valid_from:
        return "not_yet_valid"
    if on > valid_to:
        return "expired"
    if (valid_to - on).days <= within_days:
        return "expiring"
    return "valid"


def _sea_state(record: Record, on: dt.date, within_days: int) -> PermitState:
    start, end = record.date("valid_from"), record.date("valid_to")
    assert start is not None and end is not None  # required fields
    return permit_state(start, end, on, within_days)


def permits_expiring(records: Iterable[Record], on: dt.date, within_days: int) -> list[Record]:
    """Sea-use permits still valid on ``on`` whose last valid day is at most ``within_days`` later."""
    found = [r for r in records if _sea_state(r, on, within_days) == "expiring"]
    return sorted(found, key=lambda r: (r.date("valid_to") or dt.date.max, r.id))


def permits_expired(records: Iterable[Record], on: dt.date) -> list[Record]:
    """Sea-use permits whose last valid day is before ``on``."""
    found = [r for r in records if _sea_state(r, on, 0) == "expired"]
    return sorted(found, key=lambda r: (r.date("valid_to") or dt.date.min, r.id))


# --- block development plans -------------------------------------------------------------------------
# 《土地征收成片开发标准》: the share of infrastructure, public-service and other public-interest land in
# the plan area is in general not below 40 % (一般不低于40%). Below it is reported, not refused.
PUBLIC_INTEREST_MIN_PERCENT = 40.0


def meets_public_interest_standard(plan: Record, minimum: float = PUBLIC_INTEREST_MIN_PERCENT) -> bool:
    """Whether a block development plan's public-interest share is at least ``minimum`` % (40 % exactly meets it)."""
    share = plan.get("public_interest_percent")
    return share is not None and float(share) >= minimum


# --- counted once ----------------------------------------------------------------------------------------
def counted_once(items: Sequence[tuple[dt.date, str, Any]], policy: GeometryPolicy = DEFAULT_POLICY,
                 clip: Sequence[Any] | None = None) -> dict[str, float]:
    """The area (m²) each item adds to what earlier items already cover.

    ``items`` are (date, id, CGCS2000 geometry or None); they are taken in order of date, then id,
    and each counts only the part of its geometry not covered by an earlier one. ``clip`` (one
    CGCS2000 geometry per item, or None) limits each item's geometry first. Items without geometry
    count 0. The sum of the values is the area of the union.

    >>> a = shapely.box(121.0, 30.70, 121.01, 30.71); b = shapely.box(121.005, 30.70, 121.015, 30.71)
    >>> out = counted_once([(dt.date(2024, 5, 1), "B", b), (dt.date(2024, 1, 1), "A", a)])
    >>> round(out["A"] / out["B"], 3)
    2.0
    """
    order = sorted(range(len(items)), key=lambda i: (items[i][0], items[i][1]))
    geoms = _metric([items[i][2] for i in order], policy)
    if clip is not None:
        clips = _metric([clip[i] for i in order], policy)
        for k, c in enumerate(clips):
            if geoms[k] is not None and c is not None:
                geoms[k] = shapely.intersection(geoms[k], c)
    out: dict[str, float] = {}
    present = [k for k, g in enumerate(geoms) if g is not None and not shapely.is_empty(g)]
    tree = shapely.STRtree(np.array([geoms[k] for k in present], dtype=object)) if present else None
    position = {k: n for n, k in enumerate(present)}
    for k, i in enumerate(order):
        rid = items[i][1]
        g = geoms[k]
        if g is None or k not in position or tree is None:
            out[rid] = out.get(rid, 0.0)
            continue
        earlier = [present[n] for n in tree.query(g, predicate="intersects").tolist() if present[n] < k]
        area = float(shapely.area(g))
        if earlier:
            covered = shapely.union_all([geoms[j] for j in earlier])
            area -= float(shapely.area(shapely.intersection(g, covered)))
        out[rid] = out.get(rid, 0.0) + max(area, 0.0)
    return out


def _metric(geoms: Sequence[Any], policy: GeometryPolicy) -> list[Any]:
    """Geometries in the metric zone; None stays None."""
    arr = np.array(list(geoms), dtype=object)
    out: list[Any] = [None] * len(arr)
    present = [i for i, g in enumerate(arr) if g is not None]
    if present:
        moved = to_metric(arr[present], CGCS2000, policy)
        for n, i in enumerate(present):
            out[i] = moved[n]
    return out
