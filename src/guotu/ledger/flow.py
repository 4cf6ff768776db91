"""The land flow in memory: quota → approval → supply → unsupplied → idle, measured by geometry.

A :class:`LandFlow` holds the records of the land-flow kinds (read from a store, or seen by a kind check
during validation), their geometries in the county's metric zone and the areas, and answers the spatial
questions every part of the ledger asks the same way: how much of a supply lies outside the approved
parcels, which supplies overlap, how much of each parcel is supplied as of a date. Kind checks,
reconciliation and figures all use it, so a figure, a refusal and a reconciliation problem can never
disagree about the same land. No I/O here: the caller reads the records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.codes import category, is_farmland, load_edition
from guotu.core.crs import CGCS2000
from guotu.core.errors import CodeError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import overlay, to_metric
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.ledger import rules
from guotu.ledger.model import Record

GeomArray = npt.NDArray[Any]

KINDS = ("quota", "quota_allocation", "batch", "batch_parcel", "supply", "progress", "idle_disposal")
# Land categories of the survey an approved parcel lies on (新增建设用地 = all but construction).
LAND_CATEGORIES = ("farmland", "other_agricultural", "unused", "construction", "unknown")
NEW_CONSTRUCTION = ("farmland", "other_agricultural", "unused")


def _metric(records: Sequence[Record], policy: GeometryPolicy) -> GeomArray:
    geoms = np.array([r.geometry for r in records], dtype=object)
    out = np.empty(len(records), dtype=object)
    present = ~shapely.is_missing(geoms) if len(geoms) else np.zeros(0, dtype=bool)
    if present.any():
        out[present] = to_metric(geoms[present], CGCS2000, policy)
    return out


def _area(geoms: GeomArray) -> npt.NDArray[np.float64]:
    out = np.zeros(len(geoms))
    present = ~shapely.is_missing(geoms) if len(geoms) else np.zeros(0, dtype=bool)
    out[present] = shapely.area(geoms[present])
    return out


@dataclass(frozen=True)
class Overlap:
    """Two records of one kind whose land overlaps by ``area_m2`` (``a`` and ``b`` are indexes)."""

    a: int
    b: int
    area_m2: float


@dataclass
class LandFlow:
    """The land-flow records with their metric geometries and areas (see the module notes)."""

    policy: GeometryPolicy
    quotas: list[Record]
    allocations: list[Record]
    batches: dict[str, Record]
    parcels: list[Record]
    supplies: list[Record]
    progress: list[Record]
    disposals: list[Record]
    parcel_m: GeomArray = field(init=False)
    parcel_area: npt.NDArray[np.float64] = field(init=False)
    supply_m: GeomArray = field(init=False)
    supply_area: npt.NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        self.parcel_m = _metric(self.parcels, self.policy)
        self.parcel_area = _area(self.parcel_m)
        self._parcel_tree = shapely.STRtree(self.parcel_m)
        self.supply_m = _metric(self.supplies, self.policy)
        self.supply_area = _area(self.supply_m)
        self._supply_index = {r.id: i for i, r in enumerate(self.supplies)}
        self._events: dict[str, list[rules.Event]] = {}
        for r in self.progress:
            self._events.setdefault(str(r.get("supply")), []).append(rules.Event(
                r.get("on"), r.get("event"), r.get("developed_area_m2"), r.get("investment_wan")))
        self._disposals: dict[str, list[rules.Disposal]] = {}
        for r in self.disposals:
            self._disposals.setdefault(str(r.get("supply")), []).append(rules.Disposal(
                r.get("decided_on"), r.get("action"), r.get("cause"), r.get("extended_start_on"),
                r.get("extended_completion_on"), r.get("fee_wan")))

    @classmethod
    def load(cls, records: Callable[[str], list[Record]], policy: GeometryPolicy = DEFAULT_POLICY) -> LandFlow:
        """The flow from a function giving the records of a kind (``Lookup.records`` or a store reader)."""
        return cls(policy, records("quota"), records("quota_allocation"),
                   {r.id: r for r in records("batch")}, records("batch_parcel"), records("supply"),
                   records("progress"), records("idle_disposal"))

    # --- dates and links ---------------------------------------------------------------------
    def approved_on(self, parcel: Record) -> dt.date | None:
        """A parcel's approval date: its batch's."""
        batch = self.batches.get(str(parcel.get("batch")))
        return None if batch is None else batch.date("approved_on")

    def parcel_approved(self) -> list[dt.date | None]:
        return [self.approved_on(p) for p in self.parcels]

    def supply_index(self, supply_id: str) -> int | None:
        return self._supply_index.get(supply_id)

    def recovered_on(self, supply_id: str) -> dt.date | None:
        """The date a supply was recovered (收回), or None."""
        days = [d.decided_on for d in self._disposals.get(supply_id, []) if d.action == "recovery"]
        return min(days) if days else None

    def contract(self, i: int) -> rules.Contract:
        s = self.supplies[i]
        return rules.Contract(s.get("signed_on"), s.get("agreed_start_on"), s.get("agreed_completion_on"),
                              float(self.supply_area[i]), s.get("price_wan"), s.get("planned_investment_wan"))

    def events(self, supply_id: str) -> list[rules.Event]:
        return self._events.get(supply_id, [])

    def disposals_of(self, supply_id: str) -> list[rules.Disposal]:
        return self._disposals.get(supply_id, [])

    def idle_status(self, i: int, on: dt.date) -> rules.IdleStatus:
        sid = self.supplies[i].id
        return rules.idle_status(self.contract(i), self.events(sid), self.disposals_of(sid), on)

    def supervision(self, i: int, on: dt.date, within_days: int = 90) -> rules.Supervision:
        sid = self.supplies[i].id
        return rules.supervision(self.contract(i), self.events(sid), self.disposals_of(sid), on, within_days)

    def tolerance(self, area_m2: float) -> float:
        return rules.tolerance_m2(area_m2, self.policy.sliver_m2)

    # --- space -------------------------------------------------------------------------------
    def outside_approved(self, i: int) -> tuple[float, float]:
        """Area of supply ``i`` outside every parcel approved on or before its signing date, and the
        part of that area lying on parcels approved only after it (signed before approval)."""
        geom = self.supply_m[i]
        signed = self.supplies[i].date("signed_on")
        if geom is None or signed is None:
            return 0.0, 0.0
        near = self.parcels_near(geom)
        approved = self.parcel_approved()
        before = [k for k in near if (approved[k] or dt.date.max) <= signed]
        later = [k for k in near if k not in before]
        rest = geom if not before else shapely.difference(geom, shapely.union_all(self.parcel_m[before]))
        outside = float(shapely.area(rest))
        on_later = float(shapely.area(shapely.intersection(rest, shapely.union_all(self.parcel_m[later])))) \
            if later and outside > 0 else 0.0
        return outside, on_later

    def parcels_near(self, geom: Any) -> list[int]:
        """Indexes of the parcels that intersect ``geom`` (metric), in order."""
        return sorted(int(k) for k in self._parcel_tree.query(geom, predicate="intersects"))

    def supply_overlaps(self) -> list[Overlap]:
        """Pairs of supplies on the same land beyond the tolerance (of the smaller one), ``a`` signed first,
        where ``a`` was not recovered on or before ``b`` was signed (re-supplying recovered land is fine)."""
        out = []
        for a, b, area in self._self_overlaps(self.supply_m, self.supply_area):
            sa, sb = self.supplies[a], self.supplies[b]
            if (sb.get("signed_on"), b) < (sa.get("signed_on"), a):
                a, b, sa, sb = b, a, sb, sa
            recovered = self.recovered_on(sa.id)
            if recovered is not None and recovered <= sb.get("signed_on"):
                continue
            out.append(Overlap(a, b, area))
        return out

    def parcel_overlaps(self) -> list[Overlap]:
        """Pairs of parcels on the same land beyond the tolerance (land approved twice)."""
        return [Overlap(a, b, area) for a, b, area in self._self_overlaps(self.parcel_m, self.parcel_area)]

    def _self_overlaps(self, geoms: GeomArray, areas: npt.NDArray[np.float64]) -> list[tuple[int, int, float]]:
        present = np.flatnonzero(~shapely.is_missing(geoms)) if len(geoms) else np.zeros(0, dtype=np.intp)
        if len(present) < 2:
            return []
        o = overlay(geoms[present], geoms[present])
        out = []
        for left, right, area in zip(o.left.tolist(), o.right.tolist(), o.area_m2.tolist(), strict=True):
            a, b = int(present[left]), int(present[right])
            if a < b and area > self.tolerance(float(min(areas[a], areas[b]))):
                out.append((a, b, float(area)))
        return out

    def supplied_on_parcels(self, supplies: npt.NDArray[np.bool_] | None = None) -> tuple[
            npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Per parcel, the area covered by the selected supplies (all by default), counted once where
        supplies overlap, and the area not covered — computed apart (intersection and difference), so
        approved = supplied + unsupplied is a check, not a definition."""
        mask = np.ones(len(self.supplies), dtype=bool) if supplies is None else supplies
        chosen = np.flatnonzero(mask & ~shapely.is_missing(self.supply_m)) if len(self.supplies) else \
            np.zeros(0, dtype=np.intp)
        supplied = np.zeros(len(self.parcels))
        unsupplied = self.parcel_area.copy()
        if not len(chosen) or not len(self.parcels):
            return supplied, unsupplied
        present = np.flatnonzero(~shapely.is_missing(self.parcel_m))
        o = overlay(self.parcel_m[present], self.supply_m[chosen])
        groups: dict[int, list[int]] = {}
        for left, right in zip(o.left.tolist(), o.right.tolist(), strict=True):
            groups.setdefault(int(present[left]), []).append(int(chosen[right]))
        for k, cover in groups.items():
            union = shapely.union_all(self.supply_m[cover])
            supplied[k] = float(shapely.area(shapely.intersection(self.parcel_m[k], union)))
            unsupplied[k] = float(shapely.area(shapely.difference(self.parcel_m[k], union)))
        return supplied, unsupplied

    def signed_mask(self, *, on_or_before: dt.date | None = None, after: dt.date | None = None) -> npt.NDArray[
            np.bool_]:
        """Supplies signed on or before a date and/or after another."""
        out = np.ones(len(self.supplies), dtype=bool)
        for i, s in enumerate(self.supplies):
            day = s.date("signed_on")
            if day is None or (on_or_before is not None and day > on_or_before) or (after is not None and day <= after):
                out[i] = False
        return out

    def absorbed(self, supplies: npt.NDArray[np.bool_], parcels: npt.NDArray[np.bool_],
                 earlier: npt.NDArray[np.bool_]) -> tuple[float, list[int], list[int]]:
        """Area of the selected supplies lying on the selected parcels and not on ``earlier`` supplies
        (land already supplied before is not absorbed twice), counted once; with the supplies and
        parcels that contribute (indexes)."""
        chosen = np.flatnonzero(supplies & ~shapely.is_missing(self.supply_m)) if len(self.supplies) else \
            np.zeros(0, dtype=np.intp)
        stock = np.flatnonzero(parcels & ~shapely.is_missing(self.parcel_m)) if len(self.parcels) else \
            np.zeros(0, dtype=np.intp)
        if not len(chosen) or not len(stock):
            return 0.0, [], []
        o = overlay(self.supply_m[chosen], self.parcel_m[stock], keep_geometry=True)
        assert o.geometry is not None
        if not len(o.left):
            return 0.0, [], []
        pieces = o.geometry
        before = np.flatnonzero(earlier & ~shapely.is_missing(self.supply_m))
        if len(before):
            pieces = shapely.difference(pieces, shapely.union_all(self.supply_m[before]))
        areas = shapely.area(pieces)
        keep = areas > 0
        if not keep.any():
            return 0.0, [], []
        total = float(shapely.area(shapely.union_all(pieces[keep])))
        used_supplies = sorted({int(chosen[k]) for k in o.left[keep].tolist()})
        used_parcels = sorted({int(stock[k]) for k in o.right[keep].tolist()})
        return total, used_supplies, used_parcels


def land_categories(parcel_m: GeomArray, survey: FeatureBatch, policy: GeometryPolicy = DEFAULT_POLICY) -> list[
        dict[str, float]]:
    """Per parcel, its area (m²) on each survey land category: farmland (耕地), other agricultural land,
    unused land, construction land, and ``unknown`` (not covered by the survey, or a class the
    2017 standard's 三大类 does not place). ``survey`` needs ``land_class`` (and ``land_class_edition``,
    default gbt21010-2017)."""
    out = [dict.fromkeys(LAND_CATEGORIES, 0.0) for _ in range(len(parcel_m))]
    present = np.flatnonzero(~shapely.is_missing(parcel_m)) if len(parcel_m) else np.zeros(0, dtype=np.intp)
    for k in present.tolist():
        out[k]["unknown"] = float(shapely.area(parcel_m[k]))
    if not len(present) or not len(survey):
        return out
    patches = to_metric(survey.geometry, survey.epsg, policy)
    codes = survey.attributes.get("land_class", [None] * len(survey))
    editions = survey.attributes.get("land_class_edition", [None] * len(survey))
    o = overlay(parcel_m[present], patches)
    for left, right, area in zip(o.left.tolist(), o.right.tolist(), o.area_m2.tolist(), strict=True):
        k = int(present[left])
        cat = land_category(codes[right], editions[right])
        out[k][cat] += area
        out[k]["unknown"] -= area
    for row in out:
        row["unknown"] = max(0.0, row["unknown"])
    return out


def land_category(code: Any, edition: Any = None) -> str:
    """The ledger's land category of a survey land class (see :func:`land_categories`).

    >>> land_category("0101"), land_category("0301"), land_category("0701"), land_category("1206")
    ('farmland', 'other_agricultural', 'construction', 'unused')
    """
    if code is None:
        return "unknown"
    try:
        cls = load_edition(str(edition or "gbt21010-2017")).by_code(str(code))
    except CodeError:
        return "unknown"
    if is_farmland(cls):
        return "farmland"
    try:
        cat = category(cls)
    except CodeError:
        return "unknown"
    return "other_agricultural" if cat == "agricultural" else str(cat)
