"""A year of ledger activity for the demo county: 2024, with the stock of 2019–2023 behind it.

:func:`build_ledger_activity` returns ledger records (:class:`guotu.ledger.model.Record`) that pass
every check of :func:`guotu.ledger.repository.add_records` and make every ledger figure for 2024
non-zero. The **story is fixed** (the tables below: which batch is approved when, which parcel is
supplied when and how, which supply is idle, fined, recovered, exempt…), so record ids and dates are
the same for every seed and can be named in docs/demo.md; the **geometry and the amounts** (where
each parcel lies, its area, prices, investments, progress figures) come from the county and from
``seed``, so the same county and seed give identical records and another seed different ones.

Geometry is drawn on the county itself, in CGCS2000 (EPSG:4490, as stored), measured in the metric
zone:

- batch parcels lie inside the development boundary (edition A; the 2024-09 batch in edition B's
  林埭镇 addition), each a whole survey patch (or two) or a rotated box clipped to the boundary's
  patches, mostly on farmland and other agricultural land, some on construction land (so new
  construction land is less than the approved area); parcels never overlap;
- supplies are a whole parcel, or one side of a cut through it (``part``) and the other side
  (``rest``), so they lie on their parcels exactly; two are stock land (``land_source=stock``) on
  construction patches outside every parcel;
- redevelopment lies on industrial and urban construction land, reclamation and new farmland on
  village land, orchards, forest and grassland outside the three control lines, consolidation on the
  fields of 独山港镇 (comprehensive) and the permanent farmland of 新埭镇 (contiguity), sea use on
  rectangles offshore in Hangzhou Bay, clear of the county outline.

Nothing here reads or writes a store: :func:`guotu.demo.save.write_demo` writes the records.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException

from guotu.core.crs import CGCS2000, transform_geometries, transformer
from guotu.core.geometry import find_problems
from guotu.core.policy import DEFAULT_POLICY
from guotu.core.units import M2_PER_HA, m2_to_mu
from guotu.demo.landscape import COAST_FROM, COAST_TO, PORTS
from guotu.demo.model import DemoCounty
from guotu.demo.plans import EDITION_A, EDITION_B
from guotu.demo.towns import TOWN_CODES, TOWN_NAMES
from guotu.ledger.flow import KINDS, NEW_CONSTRUCTION, land_category
from guotu.ledger.kinds.projects import PROJECT_KINDS
from guotu.ledger.model import Record
from guotu.ledger.repository import ID_FIELD, make_records

GeomArray = npt.NDArray[Any]
Mask = npt.NDArray[np.bool_]
D = dt.date

DEMO_YEAR = 2024
YEAR_END = D(DEMO_YEAR, 12, 31)
STOCK_FROM_YEAR = 2019
METRIC = DEFAULT_POLICY.metric_epsg
_STREAM = 6  # random stream of the ledger (the county's stages use 1–5, see guotu.demo.generate)
MIN_PART_M2 = 20.0  # polygon parts smaller than this are dropped from a drawn geometry
MIN_HOLE_M2 = 0.5  # and holes smaller than this
OVERLAP_M2 = 0.5  # a drawn geometry may touch used land, and overlap it by no more than this
AGRICULTURAL = ("farmland", "other_agricultural")
SHI = "（示例）"


# --- the story -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class BatchSpec:
    """A land-flow batch: id, approval date, number of parcels, type and where its parcels go.

    ``where``: ``fields`` (agricultural land in the development boundary, edition A), ``addition``
    (edition B's 林埭镇 addition, approved after B came into force) or ``village`` (collective
    construction land in the boundary: an expropriation of land already built on).
    """

    id: str
    approved_on: dt.date
    parcels: int
    batch_type: str = "conversion_and_expropriation"
    where: str = "fields"


BATCHES: tuple[BatchSpec, ...] = (
    BatchSpec("B2019-1", D(2019, 4, 16), 3),
    BatchSpec("B2019-2", D(2019, 8, 20), 3),
    BatchSpec("B2019-3", D(2019, 11, 12), 2, "conversion"),
    BatchSpec("B2020-1", D(2020, 3, 24), 3),
    BatchSpec("B2020-2", D(2020, 7, 14), 2),
    BatchSpec("B2020-3", D(2020, 10, 27), 3),
    BatchSpec("B2021-1", D(2021, 4, 13), 3),
    BatchSpec("B2021-2", D(2021, 9, 7), 3),
    BatchSpec("B2022-1", D(2022, 3, 15), 3),
    BatchSpec("B2022-2", D(2022, 6, 21), 3, "conversion"),
    BatchSpec("B2022-3", D(2022, 11, 8), 2),
    BatchSpec("B2023-1", D(2023, 2, 21), 3),
    BatchSpec("B2023-2", D(2023, 6, 13), 3),
    BatchSpec("B2023-3", D(2023, 10, 24), 3),
    BatchSpec("B2024-1", D(2024, 2, 27), 3),
    BatchSpec("B2024-2", D(2024, 3, 26), 3),
    BatchSpec("B2024-3", D(2024, 4, 23), 2, "conversion"),
    BatchSpec("B2024-4", D(2024, 6, 18), 3),
    BatchSpec("B2024-5", D(2024, 8, 13), 3),  # in the block development plan; expropriation EB2024-1
    BatchSpec("B2024-6", D(2024, 9, 10), 2, where="addition"),
    BatchSpec("B2024-7", D(2024, 11, 5), 2, "expropriation", "village"),  # expropriation EB2024-2
    BatchSpec("B2024-8", D(2024, 12, 10), 2),
)


@dataclass(frozen=True)
class SupplySpec:
    """A supply: id, land (a parcel id, or ``stock``), the piece of the parcel, signing, use, method.

    ``piece``: ``all`` (the whole parcel), ``part`` (one side of a cut through the parcel) or
    ``rest`` (the other side). ``case`` names a planted case (see :func:`_events`); ``completed_on``
    fixes the completion of an ordinary supply.
    """

    id: str
    land: str
    piece: str
    signed_on: dt.date
    use: str
    method: str = "sale"
    case: str = ""
    completed_on: dt.date | None = None


SUPPLIES: tuple[SupplySpec, ...] = (
    SupplySpec("S2019-01", "B2019-1-1", "all", D(2019, 8, 26), "industrial"),
    SupplySpec("S2019-02", "B2019-2-1", "all", D(2019, 12, 17), "residential"),
    SupplySpec("S2020-01", "B2019-1-2", "all", D(2020, 1, 14), "industrial"),
    SupplySpec("S2020-02", "B2019-2-2", "part", D(2020, 5, 19), "public", "allocation"),
    SupplySpec("S2020-03", "B2019-2-3", "all", D(2020, 6, 15), "industrial", case="recovered"),
    SupplySpec("S2020-04", "B2019-3-1", "all", D(2020, 9, 8), "commercial"),
    SupplySpec("S2020-05", "B2020-1-1", "all", D(2020, 8, 18), "industrial"),
    SupplySpec("S2020-06", "B2020-2-1", "all", D(2020, 12, 15), "residential"),
    SupplySpec("S2021-01", "B2020-1-2", "part", D(2021, 3, 16), "industrial"),
    SupplySpec("S2021-02", "B2020-1-2", "rest", D(2021, 5, 11), "infrastructure", "allocation"),
    SupplySpec("S2021-03", "B2020-1-3", "all", D(2021, 2, 23), "industrial", case="overdue"),
    SupplySpec("S2021-04", "B2020-2-2", "part", D(2021, 6, 15), "industrial", completed_on=D(2024, 4, 23)),
    SupplySpec("S2021-05", "B2020-3-1", "all", D(2021, 4, 20), "industrial", case="late"),
    SupplySpec("S2021-06", "B2020-3-2", "all", D(2021, 8, 17), "public", "allocation"),
    SupplySpec("S2021-07", "B2021-1-1", "all", D(2021, 9, 10), "industrial", case="stopped"),
    SupplySpec("S2022-01", "B2021-1-2", "all", D(2022, 1, 18), "industrial", completed_on=D(2024, 6, 18)),
    SupplySpec("S2022-02", "B2021-1-3", "part", D(2022, 3, 22), "commercial", completed_on=D(2024, 8, 27)),
    SupplySpec("S2022-03", "B2021-2-1", "all", D(2022, 5, 20), "industrial", case="fined"),
    SupplySpec("S2022-04", "B2021-2-2", "all", D(2022, 6, 10), "industrial", case="exempt"),
    SupplySpec("S2022-05", "B2021-2-3", "part", D(2022, 8, 16), "residential"),
    SupplySpec("S2022-06", "B2022-1-1", "all", D(2022, 7, 19), "industrial", case="due_soon"),
    SupplySpec("S2022-07", "B2022-2-1", "all", D(2022, 9, 13), "infrastructure", "allocation",
               completed_on=D(2024, 5, 14)),
    SupplySpec("S2022-08", "stock", "all", D(2022, 11, 15), "commercial"),
    SupplySpec("S2023-01", "B2022-1-2", "all", D(2023, 2, 20), "industrial", case="idle"),
    SupplySpec("S2023-02", "B2022-2-2", "all", D(2023, 3, 15), "industrial", case="extension"),
    SupplySpec("S2023-03", "B2022-2-3", "part", D(2023, 5, 16), "commercial"),
    SupplySpec("S2023-04", "B2022-3-1", "all", D(2023, 4, 18), "residential"),
    SupplySpec("S2023-05", "B2023-1-1", "all", D(2023, 6, 20), "industrial"),
    SupplySpec("S2023-06", "B2023-1-3", "part", D(2023, 9, 12), "public", "allocation", case="overdue_public"),
    SupplySpec("S2023-07", "B2023-2-2", "all", D(2023, 11, 14), "industrial"),
    # 2024: the first eight absorb land approved in 2019–2023 and not supplied before (消化批而未供).
    SupplySpec("S2024-01", "B2019-1-3", "all", D(2024, 1, 16), "industrial"),
    SupplySpec("S2024-02", "B2020-3-3", "all", D(2024, 2, 27), "industrial"),
    SupplySpec("S2024-03", "B2020-2-2", "rest", D(2024, 3, 19), "commercial_residential"),
    SupplySpec("S2024-04", "B2022-1-3", "all", D(2024, 4, 16), "industrial"),
    SupplySpec("S2024-05", "B2022-2-3", "rest", D(2024, 5, 21), "commercial"),
    SupplySpec("S2024-06", "B2023-1-2", "all", D(2024, 5, 28), "industrial"),
    SupplySpec("S2024-07", "B2023-2-1", "all", D(2024, 6, 18), "residential"),
    SupplySpec("S2024-08", "B2023-3-1", "all", D(2024, 7, 16), "industrial"),
    SupplySpec("S2024-09", "B2024-1-1", "all", D(2024, 6, 25), "industrial"),
    SupplySpec("S2024-10", "B2024-1-2", "part", D(2024, 7, 23), "infrastructure", "allocation"),
    SupplySpec("S2024-11", "B2024-2-1", "all", D(2024, 8, 20), "industrial"),
    SupplySpec("S2024-12", "B2024-2-2", "all", D(2024, 9, 10), "public", "allocation"),
    SupplySpec("S2024-13", "B2024-3-1", "all", D(2024, 9, 24), "other", "allocation"),
    SupplySpec("S2024-14", "B2019-2-3", "all", D(2024, 10, 15), "industrial", case="resupplied"),
    SupplySpec("S2024-15", "B2024-4-1", "all", D(2024, 11, 12), "industrial"),
    SupplySpec("S2024-16", "stock", "all", D(2024, 11, 26), "industrial", case="redeveloped"),
)

# Months from signing to the agreed start, and from the agreed start to the agreed completion.
START_MONTHS = 3
BUILD_MONTHS = {"industrial": 36, "commercial": 36, "residential": 36, "commercial_residential": 36,
                "public": 24, "infrastructure": 24, "other": 24}
# 万元 per 亩: land price of a sale, planned investment (ranges drawn from the seed).
PRICE_PER_MU = {"industrial": (28.0, 45.0), "commercial": (150.0, 260.0), "residential": (380.0, 620.0),
                "commercial_residential": (300.0, 450.0)}
INVESTMENT_PER_MU = {"industrial": (250.0, 450.0), "commercial": (400.0, 800.0), "residential": (600.0, 1000.0),
                     "commercial_residential": (500.0, 900.0)}
PUBLIC_INVESTMENT_PER_MU = (150.0, 300.0)
PROGRAMME = {"reclamation": "复垦", "new_farmland": "垦造", "farmland_restoration": "恢复"}

LAND_USERS = {
    "industrial": ("浙江平湖新材料科技有限公司", "平湖市精工机械制造有限公司", "嘉兴港区智能装备有限公司",
                   "平湖光电科技有限公司", "浙江乍浦化工新材料有限公司", "平湖市恒达汽车零部件有限公司",
                   "浙江独山港物流装备有限公司", "平湖市锦泰纺织科技有限公司"),
    "commercial": ("平湖市商贸发展有限公司", "平湖东湖商业管理有限公司"),
    "residential": ("平湖市城发置业有限公司", "嘉兴湖景房地产开发有限公司"),
    "commercial_residential": ("平湖新城开发建设有限公司",),
    "public": ("平湖市教育局", "平湖市卫生健康局", "平湖市文化广电旅游体育局"),
    "infrastructure": ("平湖市交通运输局", "平湖市水务投资有限公司"),
    "other": ("平湖市人民武装部",),
}
PROJECT_OF_USE = {"industrial": "产业项目", "commercial": "商业服务业设施项目", "residential": "住宅项目",
                  "commercial_residential": "商住综合体项目", "public": "公共服务设施项目",
                  "infrastructure": "交通和公用设施项目", "other": "特殊用地项目"}


# --- geometry helpers ------------------------------------------------------------------------------
def _to_metric(geom: Any) -> Any:
    return transform_geometries(np.array([geom], dtype=object), CGCS2000, METRIC)[0]


def _to_geo(geom_m: Any) -> Any:
    return transform_geometries(np.array([shapely.segmentize(geom_m, 50.0)], dtype=object), METRIC, CGCS2000)[0]


def _areas(geoms: GeomArray) -> npt.NDArray[np.float64]:
    if not len(geoms):
        return np.zeros(0)
    return shapely.area(transform_geometries(np.asarray(geoms, dtype=object), CGCS2000, METRIC))  # type: ignore[no-any-return]


def _area(geom: Any) -> float:
    return float(_areas(np.array([geom], dtype=object))[0])


def _polygons(geom: Any) -> list[Any]:
    """The polygons of any geometry (collections and multi-parts flattened; lines and points dropped)."""
    out: list[Any] = []
    stack = [geom]
    while stack:
        g = stack.pop()
        if g is None or shapely.is_empty(g):
            continue
        kind = shapely.get_type_id(g)
        if kind == 3:
            out.append(g)
        elif kind in (6, 7):
            stack.extend(reversed(shapely.get_parts(g).tolist()))
    return out


def _clean(geom: Any) -> Any | None:
    """A valid MultiPolygon of the polygonal parts of ``geom``, or None when nothing is left or the result
    would fail the ledger's geometry checks. Parts under MIN_PART_M2 are dropped, and so are holes under
    MIN_HOLE_M2 (overlay leaves degenerate slivers of holes that later overlays misread)."""
    parts = _polygons(geom)
    if not parts:
        return None
    areas = _areas(np.array(parts, dtype=object))
    kept = []
    for p, a in zip(parts, areas.tolist(), strict=True):
        if a < MIN_PART_M2:
            continue
        holes = [shapely.get_interior_ring(p, i) for i in range(shapely.get_num_interior_rings(p))]
        if holes:
            hole_areas = _areas(shapely.polygons(np.array(holes, dtype=object)))
            kept_holes = [h for h, ha in zip(holes, hole_areas.tolist(), strict=True) if ha >= MIN_HOLE_M2]
            p = shapely.polygons(shapely.get_exterior_ring(p), holes=kept_holes)
        kept.append(p)
    if not kept:
        return None
    out = shapely.multipolygons(kept)
    if not shapely.is_valid(out) or find_problems(np.array([out], dtype=object)):
        return None
    return out


def _box(centre: tuple[float, float], area_m2: float, aspect: float, angle: float) -> Any:
    """A rotated rectangle of ``area_m2`` in the metric zone."""
    w = math.sqrt(area_m2 * aspect)
    h = area_m2 / w
    local = np.array([(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)])
    c, s = math.cos(angle), math.sin(angle)
    xy = local @ np.array([[c, s], [-s, c]]) + np.asarray(centre)
    return shapely.polygons(np.vstack([xy, xy[:1]]))


def _largest_share(geom: Any) -> float:
    parts = _polygons(geom)
    areas = _areas(np.array(parts, dtype=object))
    return float(areas.max() / areas.sum()) if len(parts) and areas.sum() > 0 else 0.0


# --- the county as the generator sees it -------------------------------------------------------------
class _Land:
    """Survey patches (EPSG:4490) with their land category, town and control-line flags."""

    def __init__(self, county: DemoCounty) -> None:
        survey = county.layers["survey"].batch
        self.geoms: GeomArray = np.asarray(survey.geometry, dtype=object)
        self.codes = np.asarray(survey.attributes["land_class"], dtype=str)
        self.town = np.asarray(survey.attributes["town_code"], dtype=object)
        self.tree = shapely.STRtree(self.geoms)
        categories = {c: land_category(c) for c in np.unique(self.codes).tolist()}
        self.category = np.array([categories[c] for c in self.codes.tolist()], dtype=object)
        self.points = shapely.point_on_surface(self.geoms)
        x, y = transformer(CGCS2000, METRIC).transform(*shapely.get_coordinates(self.points).T)
        self.xy_m = np.column_stack([x, y])  # the inner points in the metric zone
        self.dev_a = self._inside(county, "dev_boundary", EDITION_A.name)
        self.dev_b = self._inside(county, "dev_boundary", EDITION_B.name)
        self.farmland_line = self._inside(county, "permanent_farmland", EDITION_B.name)
        self.eco = self._inside(county, "eco_redline", EDITION_B.name)
        self.outside_lines = ~self.dev_b & ~self.farmland_line & ~self.eco
        self.agricultural = np.isin(self.category, AGRICULTURAL)
        self.boundary = county.boundary
        self.taken = np.zeros(len(self.geoms), dtype=bool)  # patches under something already drawn
        self._area: dict[int, float] = {}

    def _inside(self, county: DemoCounty, layer: str, edition: str) -> Mask:
        """Patches whose inner point lies in the features of ``layer``'s ``edition``."""
        polygons = np.asarray(county.layers[layer].in_force_on(self._day(county, layer, edition)).geometry,
                              dtype=object)
        mask = np.zeros(len(self.geoms), dtype=bool)
        if len(polygons):
            points, _ = shapely.STRtree(polygons).query(self.points, predicate="within")
            mask[points] = True
        return mask

    @staticmethod
    def _day(county: DemoCounty, layer: str, edition: str) -> dt.date:
        return county.layers[layer].edition(edition).valid_from

    def patch_area(self, k: int) -> float:
        if k not in self._area:
            self._area[k] = _area(self.geoms[k])
        return self._area[k]

    def clip(self, shape: Any, mask: Mask) -> Any | None:
        """The union of the selected patches clipped to ``shape`` (both EPSG:4490)."""
        idx = self.tree.query(shape, predicate="intersects")
        idx = idx[mask[idx]]
        if not len(idx):
            return None
        return shapely.union_all(shapely.intersection(self.geoms[idx], shape))

    def composition(self, geom: Any) -> tuple[dict[str, float], str]:
        """Area (m²) of ``geom`` on each land category, and the town holding most of it."""
        idx = self.tree.query(geom, predicate="intersects")
        pieces = shapely.intersection(self.geoms[idx], geom)
        areas = _areas(pieces)
        by_category: dict[str, float] = {}
        by_town: dict[str, float] = {}
        for k, a in zip(idx.tolist(), areas.tolist(), strict=True):
            by_category[str(self.category[k])] = by_category.get(str(self.category[k]), 0.0) + a
            by_town[str(self.town[k])] = by_town.get(str(self.town[k]), 0.0) + a
        town = max(sorted(by_town), key=lambda t: by_town[t]) if by_town else TOWN_CODES[0]
        return by_category, town

    def mark(self, geom: Any) -> None:
        idx = self.tree.query(geom, predicate="intersects")
        inside = shapely.contains(geom, self.points[idx]) if len(idx) else np.zeros(0, dtype=bool)
        self.taken[idx[inside]] = True


class _Used:
    """Land already drawn on (parcels, stock supplies, projects): new geometry is cut away from it."""

    def __init__(self) -> None:
        self.geoms: list[Any] = []

    def _near(self, geom: Any) -> GeomArray:
        if not self.geoms:
            return np.empty(0, dtype=object)
        arr = np.array(self.geoms, dtype=object)
        near: GeomArray = arr[shapely.intersects(arr, geom)]
        return near

    def subtract(self, geom: Any) -> Any:
        near = self._near(geom)
        return shapely.difference(geom, shapely.union_all(near)) if len(near) else geom

    def overlap_m2(self, geom: Any) -> float:
        """The area ``geom`` shares with used land, measured pair by pair in the metric zone (a check on
        :meth:`subtract`: overlay in degrees can misread nearly degenerate input)."""
        near = self._near(geom)
        if not len(near):
            return 0.0
        pieces = shapely.intersection(transform_geometries(near, CGCS2000, METRIC), _to_metric(geom))
        return float(shapely.area(pieces).sum())

    def add(self, geom: Any) -> None:
        self.geoms.append(geom)


@dataclass
class _Drawn:
    """A geometry placed on the county, with its area, land categories and town."""

    geom: Any
    area_m2: float
    categories: dict[str, float]
    town: str

    def share(self, categories: tuple[str, ...]) -> float:
        return sum(self.categories.get(c, 0.0) for c in categories) / self.area_m2 if self.area_m2 else 0.0

    @property
    def mu(self) -> float:
        return m2_to_mu(self.area_m2)


Accept = Callable[[_Drawn], bool]  # whether a drawn geometry will do


def _anything(drawn: _Drawn) -> bool:
    return True


# --- the builder ---------------------------------------------------------------------------------------
def _rec(kind: str, rid: str, geometry: Any = None, **attrs: Any) -> Record:
    return make_records(kind, [{ID_FIELD: rid, **attrs}], [geometry] if geometry is not None else None)[0]


def _months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return D(year, month, min(d, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def _days(day: dt.date, n: int) -> dt.date:
    return day + dt.timedelta(days=n)


def _round(value: float, decimals: int = 2) -> float:
    return float(round(value, decimals))


class _Builder:
    def __init__(self, county: DemoCounty, seed: int) -> None:
        self.rng = np.random.default_rng([seed, _STREAM])
        self.land = _Land(county)
        self.used = _Used()
        self.records: list[Record] = []
        self.parcels: dict[str, _Drawn] = {}
        self.batch_names: dict[str, str] = {}
        self.cuts: dict[str, tuple[Any, Any]] = {}
        self.prices: dict[str, float | None] = {}
        self.redevelopment: _Drawn | None = None
        self.reclaimed: dict[str, _Drawn] = {}

    # --- placing geometry ------------------------------------------------------------------------
    def _candidates(self, mask: Mask, near: Any = None, radius: float = 0.0, town: str | None = None) -> npt.NDArray[
            np.intp]:
        chosen = mask & ~self.land.taken
        if town is not None:
            in_town = chosen & (self.land.town == town)
            chosen = in_town if in_town.any() else chosen
        idx = np.flatnonzero(chosen)
        if near is not None and len(idx):
            x, y = self.land.xy_m[idx].T
            cx, cy = near
            close = idx[np.hypot(x - cx, y - cy) <= radius]
            idx = close if len(close) else idx
        return idx

    def _draw(self, idx: npt.NDArray[np.intp], clip_mask: Mask, target_m2: float, accept: Accept,
              tries: int = 60) -> _Drawn | None:
        """A geometry around a random candidate patch: the patch itself (with a neighbour) when its size
        suits, else a rotated box clipped to the ``clip_mask`` patches; cut away from used land."""
        land = self.land
        if not len(idx):
            return None
        for _ in range(tries):
            k = int(idx[self.rng.integers(len(idx))])
            patch_area = land.patch_area(k)
            geom: Any
            if 0.35 * target_m2 <= patch_area <= 1.4 * target_m2 and self.rng.random() < 0.7:
                geom = land.geoms[k]
                if patch_area < 0.7 * target_m2:
                    touching = land.tree.query(geom, predicate="touches")
                    touching = touching[clip_mask[touching] & ~land.taken[touching]]
                    if len(touching):
                        union = shapely.union_all([geom, land.geoms[int(touching[0])]])
                        geom = union if shapely.get_type_id(union) == 3 else geom
            else:
                centre = self._point_in(_to_metric(land.geoms[k]))
                box = _box(centre, target_m2 * 1.15, float(self.rng.uniform(1.0, 1.8)),
                           float(self.rng.uniform(0.0, math.pi)))
                geom = land.clip(_to_geo(box), clip_mask)
                if geom is None:
                    continue
            try:
                geom = _clean(self.used.subtract(geom))
                if geom is None or _largest_share(geom) < 0.9 or self.used.overlap_m2(geom) > OVERLAP_M2:
                    continue
            except GEOSException:
                continue
            categories, town = land.composition(geom)
            drawn = _Drawn(geom, float(sum(categories.values())), categories, town)
            if not 0.4 * target_m2 <= drawn.area_m2 <= 1.6 * target_m2 or not accept(drawn):
                continue
            self.used.add(geom)
            land.mark(geom)
            return drawn
        return None

    def _place(self, attempts: Sequence[tuple[Mask, Mask, Accept]], target_m2: float,
               near: Any = None, radius: float = 0.0, town: str | None = None, what: str = "") -> _Drawn:
        """Draw with the first (candidates, clip, accept) that works, near a point or in a town first."""
        for candidates, clip_mask, accept in attempts:
            for scale in (1.0, 0.6, 0.35):
                for localised in ((near, town), (None, town), (None, None)):
                    idx = self._candidates(candidates, localised[0], radius, localised[1])
                    drawn = self._draw(idx, clip_mask, target_m2 * scale, accept)
                    if drawn is not None:
                        return drawn
        raise RuntimeError(f"no room on the demo county for {what}")

    def _point_in(self, polygon_m: Any) -> tuple[float, float]:
        """A random point inside a metric polygon (its inner point if ten draws miss)."""
        x0, y0, x1, y1 = shapely.bounds(polygon_m)
        for _ in range(10):
            x, y = self.rng.uniform(x0, x1), self.rng.uniform(y0, y1)
            if shapely.contains_xy(polygon_m, x, y):
                return float(x), float(y)
        x, y = shapely.get_coordinates(shapely.point_on_surface(polygon_m))[0]
        return float(x), float(y)

    def _cut(self, geom: Any, fraction: float) -> tuple[Any, Any]:
        """``geom`` cut across its longer (else its shorter) axis into a part of about ``fraction`` of its
        area and the rest, both valid and each mostly in one piece when that can be had."""
        g_m = _to_metric(geom)
        total = float(shapely.area(g_m))
        ring = shapely.get_coordinates(shapely.oriented_envelope(g_m))[:4]
        edges = sorted((ring[1] - ring[0], ring[2] - ring[1]), key=lambda e: -float(np.hypot(*e)))
        coords = shapely.get_coordinates(g_m)
        found: list[tuple[Any, Any]] = []
        for axis in edges:
            u = axis / float(np.hypot(*axis))
            v = np.array([-u[1], u[0]])
            t = coords @ u
            lo, hi = float(t.min()), float(t.max())
            middle = float((coords @ v).mean())
            span = float(np.abs(coords @ v - middle).max()) + 100.0

            def half(at: float, u: Any = u, v: Any = v, lo: float = lo, middle: float = middle,
                     span: float = span) -> Any:
                """The half-plane (a large rectangle) on the low side of ``at`` along ``u``."""
                corners = [s * u + (middle + w) * v for s, w in ((lo - 100.0, -span), (at, -span), (at, span),
                                                                 (lo - 100.0, span))]
                return shapely.polygons(np.vstack([*corners, corners[0]]))

            for want in (fraction, 0.5, 0.4, 0.6, 0.3, 0.7):
                a, b = lo, hi
                for _ in range(30):
                    mid = (a + b) / 2
                    share = float(shapely.area(shapely.intersection(g_m, half(mid)))) / total
                    a, b = (mid, b) if share < want else (a, mid)
                plane = _to_geo(half((a + b) / 2))
                try:
                    part, rest = _clean(shapely.intersection(geom, plane)), _clean(shapely.difference(geom, plane))
                except GEOSException:
                    continue
                if part is None or rest is None:
                    continue
                if _largest_share(part) >= 0.8 and _largest_share(rest) >= 0.8:
                    return part, rest
                found.append((part, rest))
        if found:
            return found[0]
        raise RuntimeError("a demo parcel could not be cut in two")

    def _drawn(self, geom: Any) -> _Drawn:
        categories, town = self.land.composition(geom)
        return _Drawn(geom, float(sum(categories.values())), categories, town)

    def _target(self, mean_ha: float, low: float, high: float) -> float:
        return float(np.clip(self.rng.lognormal(math.log(mean_ha), 0.35), low, high)) * M2_PER_HA

    # --- land flow ----------------------------------------------------------------------------------
    def batches(self) -> None:
        land = self.land
        fields = land.dev_a & land.agricultural
        towns = [t for t in TOWN_CODES if (fields & (land.town == t)).any()] or list(TOWN_CODES)
        order = [towns[int(i)] for i in self.rng.permutation(len(towns))]

        def mostly_agricultural(d: _Drawn) -> bool:
            return d.share(AGRICULTURAL) >= 0.6

        for n, spec in enumerate(BATCHES):
            town = order[n % len(order)]
            if spec.where == "addition":
                added = land.dev_b & ~land.dev_a
                attempts = [(added & land.agricultural, land.dev_b, mostly_agricultural),
                            (added, land.dev_b, _anything), (fields, land.dev_a, mostly_agricultural),
                            (land.dev_a, land.dev_a, _anything)]
            elif spec.where == "village":
                built = land.dev_a & (land.category == "construction")
                attempts = [(built & (land.codes == "0702"), land.dev_a, lambda d: d.share(("construction",)) >= 0.5),
                            (built, land.dev_a, _anything)]
            else:
                attempts = [(fields, land.dev_a, mostly_agricultural), (fields, land.dev_a, _anything),
                            (land.dev_a, land.dev_a, _anything)]
            first: Any = None
            drawn: list[_Drawn] = []
            for j in range(1, spec.parcels + 1):
                d = self._place(attempts, self._target(2.2, 0.8, 5.0), near=first, radius=2500.0, town=town,
                                what=f"{spec.id}-{j}")
                if first is None:
                    first = shapely.get_coordinates(shapely.centroid(_to_metric(d.geom)))[0]
                drawn.append(d)
                self.parcels[f"{spec.id}-{j}"] = d
            self._batch_records(spec, drawn)

    def _batch_records(self, spec: BatchSpec, drawn: list[_Drawn]) -> None:
        year, k = spec.id[1:5], spec.id.split("-")[1]
        towns = [d.town for d in drawn]
        town_name = TOWN_NAMES[TOWN_CODES.index(max(sorted(set(towns)), key=towns.count))]
        name = f"平湖市{year}年度第{k}批次城镇建设用地（{town_name}）"
        self.batch_names[spec.id] = name
        area = sum(d.area_m2 for d in drawn)
        authority = "浙江省人民政府"
        self.records.append(_rec(
            "batch", spec.id, batch_no=f"平湖{year}-{int(k):02d}", name=name, batch_type=spec.batch_type,
            authority=authority, approved_on=spec.approved_on,
            document=f"浙政土字〔{year}〕{40 + 9 * int(k) + int(year) % 7}号{SHI}",
            document_area_ha=_round(area / M2_PER_HA, 4)))
        for j, d in enumerate(drawn, start=1):
            self.records.append(_rec("batch_parcel", f"{spec.id}-{j}", d.geom, batch=spec.id, parcel_no=f"{j:02d}",
                                     town_code=d.town))

    def quotas(self) -> None:
        """Quotas received each year from several sources, allocated to the batches (never overdrawn)."""
        needs: list[tuple[dt.date, str, float, str | None]] = []  # (allocated on, project, mu, batch)
        for spec in BATCHES:
            drawn = [d for pid, d in self.parcels.items() if pid.startswith(spec.id + "-")]
            new_mu = m2_to_mu(sum(sum(d.categories.get(c, 0.0) for c in NEW_CONSTRUCTION) for d in drawn))
            if new_mu >= 0.01:
                amount = math.ceil(new_mu * 100) / 100
                needs.append((_days(spec.approved_on, -int(self.rng.integers(25, 45))), self.batch_names[spec.id],
                              amount, spec.id))
        needs += [(D(2024, 6, 12), "2024年度农村村民建房用地" + SHI, _round(float(self.rng.uniform(18, 30))), None),
                  (D(2024, 11, 20), "省重大产业项目预留用地" + SHI, _round(float(self.rng.uniform(60, 90))), None)]
        needs.sort(key=lambda n: n[0])
        per_year: dict[int, float] = {}
        for day, _, amount, _ in needs:
            per_year[day.year] = per_year.get(day.year, 0.0) + amount
        reclaimed = self.reclaimed["RC2023-1"]
        quotas: list[tuple[str, str, int, float, dt.date, str | None, str]] = []
        for year in range(STOCK_FROM_YEAR, DEMO_YEAR + 1):
            amount = math.ceil(per_year.get(year, 0.0) * 1.1 / 10.0) * 10.0 + 60.0
            quotas.append((f"Q{year}-P", "provincial_plan", year, amount, D(year, 1, 20), None,
                           f"浙自然资发〔{year}〕{8 + year % 10}号{SHI}"))
        quotas += [
            ("Q2021-L", "linkage", 2021, _round(float(self.rng.uniform(30, 45))), D(2021, 8, 17), TOWN_CODES[5],
             "嘉自然资〔2021〕增减挂钩节余指标" + SHI),
            ("Q2022-R", "reward", 2022, 100.0, D(2022, 9, 15), None, "浙自然资〔2022〕集约利用奖励指标" + SHI),
            ("Q2023-L", "linkage", 2023, _round(float(self.rng.uniform(40, 60))), D(2023, 7, 11), TOWN_CODES[6],
             "嘉自然资〔2023〕增减挂钩节余指标" + SHI),
            ("Q2024-R", "reward", 2024, 150.0, D(2024, 4, 10), None, "浙自然资〔2024〕集约利用考核优秀奖励指标" + SHI),
            ("Q2024-O", "other", 2024, 120.0, D(2024, 7, 9), None, "浙自然资〔2024〕省重大产业项目单列指标" + SHI),
            ("Q2024-L", "linkage", 2024, _round(reclaimed.mu), D(2024, 9, 24), reclaimed.town,
             "增减挂钩：建设用地复垦项目 RC2023-1 验收节余" + SHI),
        ]
        quotas.sort(key=lambda q: (q[4], q[0]))
        balance = {q[0]: q[3] for q in quotas}
        for rid, source, year, amount, received, town, document in quotas:
            self.records.append(_rec("quota", rid, source=source, year=year, amount_mu=amount, received_on=received,
                                     town_code=town, document=document))
        counter: dict[int, int] = {}
        for day, project, amount, batch in needs:
            left = amount
            for rid, *_, received, _, _ in quotas:
                if left <= 1e-9:
                    break
                if received > day or balance[rid] <= 1e-9:
                    continue
                take = _round(min(left, balance[rid]))
                if take <= 0:
                    continue
                balance[rid] = _round(balance[rid] - take, 6)
                left = _round(left - take, 6)
                counter[day.year] = counter.get(day.year, 0) + 1
                self.records.append(_rec("quota_allocation", f"A{day.year}-{counter[day.year]:02d}", quota=rid,
                                         project=project, amount_mu=take, allocated_on=day, batch=batch))
            if left > 1e-9:
                raise RuntimeError(f"the demo quotas do not cover {project}")

    def supplies_and_progress(self) -> None:
        cut_fraction: dict[str, float] = {}
        for spec in SUPPLIES:
            if spec.piece in ("part", "rest") and spec.land not in cut_fraction:
                cut_fraction[spec.land] = float(self.rng.uniform(0.45, 0.7))
        for pid in sorted(cut_fraction):
            self.cuts[pid] = self._cut(self.parcels[pid].geom, cut_fraction[pid])
        counters: dict[str, int] = {}
        for spec in SUPPLIES:
            if spec.land == "stock":
                drawn = self._stock(spec)
            else:
                parcel = self.parcels[spec.land]
                geom = parcel.geom if spec.piece == "all" else self.cuts[spec.land][spec.piece == "rest"]
                drawn = self._drawn(geom)
                drawn.town = parcel.town
            planned = self._supply_record(spec, drawn, counters)
            self._events(spec, drawn, planned)

    def _stock(self, spec: SupplySpec) -> _Drawn:
        land = self.land
        if spec.case == "redeveloped":
            assert self.redevelopment is not None
            part, _ = self._cut(self.redevelopment.geom, 0.6)
            return self._drawn(part)
        built = land.dev_a & (land.category == "construction")
        commercial = built & np.isin(land.codes, ("0501", "0505", "0701"))
        return self._place([(commercial, built, lambda d: d.share(("construction",)) >= 0.9),
                            (built, built, lambda d: d.share(("construction",)) >= 0.7)],
                           self._target(1.2, 0.5, 2.5), what=spec.id)

    def _supply_record(self, spec: SupplySpec, drawn: _Drawn, counters: dict[str, int]) -> float:
        """The supply record (its price and planned investment drawn from the seed); returns the investment."""
        year = spec.signed_on.year
        key = f"{spec.method}-{year}"
        counters[key] = counters.get(key, 0) + 1
        mu = drawn.mu
        if spec.method == "sale":
            lo, hi = PRICE_PER_MU[spec.use]
            price: float | None = _round(mu * float(self.rng.uniform(lo, hi)))
            contract = f"330482{year}A{counters[key]:03d}"
        else:
            price = None
            contract = f"平湖划拨〔{year}〕{counters[key]}号"
        lo, hi = INVESTMENT_PER_MU.get(spec.use, PUBLIC_INVESTMENT_PER_MU)
        investment = _round(mu * float(self.rng.uniform(lo, hi)))
        self.prices[spec.id] = price
        users = LAND_USERS[spec.use]
        user = users[int(self.rng.integers(len(users)))] + SHI
        town_name = TOWN_NAMES[TOWN_CODES.index(drawn.town)]
        start, completion = self._agreed(spec)
        self.records.append(_rec(
            "supply", spec.id, drawn.geom, contract_no=contract, method=spec.method, use_type=spec.use,
            land_user=user, project=f"{town_name}{PROJECT_OF_USE[spec.use]}（{spec.id}）", price_wan=price,
            signed_on=spec.signed_on, agreed_start_on=start, agreed_completion_on=completion,
            planned_investment_wan=investment, town_code=drawn.town,
            land_source="stock" if spec.land == "stock" else "approved"))
        return investment

    @staticmethod
    def _agreed(spec: SupplySpec) -> tuple[dt.date, dt.date]:
        """The agreed start and completion dates (the planted cases fix theirs)."""
        fixed = {"recovered": (D(2020, 10, 1), D(2023, 10, 1)), "overdue": (D(2021, 5, 24), D(2023, 6, 1)),
                 "stopped": (D(2021, 12, 1), D(2024, 12, 1)), "fined": (D(2022, 9, 1), D(2025, 9, 1)),
                 "exempt": (D(2022, 10, 1), D(2025, 10, 1)), "due_soon": (D(2022, 10, 17), D(2025, 2, 28)),
                 "idle": (D(2023, 6, 1), D(2026, 6, 1)), "extension": (D(2023, 7, 1), D(2026, 7, 1)),
                 "overdue_public": (D(2023, 10, 15), D(2024, 10, 31))}
        if spec.case in fixed:
            return fixed[spec.case]
        start = _months(spec.signed_on, START_MONTHS)
        return start, _months(start, BUILD_MONTHS[spec.use])

    def _events(self, spec: SupplySpec, drawn: _Drawn, planned: float) -> None:
        """Progress events and idle-land disposals of a supply (see docs/demo.md for the planted cases)."""
        sid = spec.id
        area = drawn.area_m2
        price = self.prices[sid]
        start, completion = self._agreed(spec)
        events: list[tuple[str, dt.date, float | None, float | None, str | None]] = []
        disposals: list[dict[str, Any]] = []

        def developed(share: float) -> float:
            return _round(math.floor(area * share * 100) / 100)

        def invested(share: float) -> float:
            return _round(planned * share)

        case = spec.case
        if case == "recovered":
            disposals += [
                {"action": "fee", "decided_on": D(2021, 11, 23), "fee_wan": _round(0.2 * (price or 0.0)),
                 "document": "平自然资闲〔2021〕3号" + SHI, "reason": "超过约定动工日期满一年未动工开发"},
                {"action": "recovery", "decided_on": D(2024, 6, 18), "document": "平自然资闲〔2024〕1号" + SHI,
                 "reason": "超过约定动工日期满两年未动工开发，无偿收回国有建设用地使用权"},
            ]
        elif case == "fined":
            disposals.append({"action": "fee", "decided_on": D(2024, 3, 15), "fee_wan": _round(0.2 * (price or 0.0)),
                              "document": "平自然资闲〔2024〕2号" + SHI, "reason": "超过约定动工日期满一年未动工开发"})
        elif case == "exempt":
            disposals.append({"action": "exception", "decided_on": D(2023, 8, 20), "cause": "government",
                              "document": "平自然资闲〔2023〕5号" + SHI,
                              "reason": "园区控制性详细规划调整，政府未按约定期限交付土地（第八条）"})
        elif case == "extension":
            disposals.append({"action": "extension", "decided_on": D(2024, 5, 10), "cause": "government",
                              "extended_start_on": D(2024, 10, 1), "extended_completion_on": D(2027, 10, 1),
                              "document": "平自然资闲〔2024〕4号" + SHI,
                              "reason": "征地拆迁未完成，延长动工开发期限（第十二条）"})
            events.append(("started", D(2024, 10, 20), None, invested(0.05), "延期后动工"))
        elif case == "stopped":
            events += [("started", D(2022, 1, 10), None, invested(0.03), None),
                       ("developed", D(2022, 9, 15), developed(0.22), invested(0.12), None),
                       ("stopped", D(2023, 5, 20), developed(0.22), invested(0.12), "资金链断裂停工")]
        elif case == "overdue":
            events += [("started", D(2021, 6, 10), None, invested(0.05), None),
                       ("developed", D(2022, 8, 16), developed(0.45), invested(0.4), None),
                       ("developed", D(2024, 4, 9), developed(0.75), invested(0.7), "逾期未竣工，已约谈")]
        elif case == "overdue_public":
            events += [("started", D(2023, 11, 6), None, invested(0.05), None),
                       ("developed", D(2024, 8, 20), developed(0.6), invested(0.55), None)]
        elif case == "due_soon":
            events += [("started", D(2022, 11, 2), None, invested(0.05), None),
                       ("developed", D(2024, 9, 3), developed(0.6), invested(0.65), None)]
        elif case in ("idle", "fined"):
            pass
        else:  # ordinary: started on time, half developed half-way, completed on time (one late)
            begin = _days(start, int(self.rng.integers(-20, 30)))
            if begin <= YEAR_END:
                events.append(("started", begin, None, invested(0.05), None))
            if case == "late":
                done = _days(completion, 88)
            elif spec.completed_on is not None:
                done = spec.completed_on
            else:
                done = _days(completion, -int(self.rng.integers(0, 90)))
            middle = begin + (done - begin) / 2
            if begin < middle <= YEAR_END:
                events.append(("developed", middle, developed(0.5), invested(0.5), None))
            if done <= YEAR_END:
                events.append(("completed", done, developed(1.0), invested(float(self.rng.uniform(0.95, 1.15))),
                               None))
                check = _days(done, int(self.rng.integers(20, 60)))
                if check <= YEAR_END:
                    events.append(("inspected", check, developed(1.0), None, "竣工核验通过"))
        for n, (event, on, dev, inv, note) in enumerate(events, start=1):
            self.records.append(_rec("progress", f"{sid}-E{n}", supply=sid, event=event, on=on,
                                     developed_area_m2=dev, investment_wan=inv, note=note))
        for d in disposals:
            self.records.append(_rec("idle_disposal", f"{sid}-{d['action']}", supply=sid, **d))

    # --- projects --------------------------------------------------------------------------------------
    def redevelopments(self) -> None:
        land = self.land
        built = land.dev_a & (land.category == "construction")
        industrial = built & (land.codes == "0601")
        rd1 = self._place([(industrial, industrial, lambda d: d.share(("construction",)) >= 0.95),
                           (built, built, _anything)], self._target(3.0, 2.0, 4.5), what="RD2023-1")
        self.redevelopment = rd1
        urban = built & np.isin(land.codes, ("0701", "0702"))
        rd2 = self._place([(urban, urban, lambda d: d.share(("construction",)) >= 0.95), (built, built, _anything)],
                          self._target(2.0, 1.0, 3.5), what="RD2024-1")
        for rid, d, attrs in (
            ("RD2023-1", rd1, {"category": "industrial", "started_on": D(2023, 3, 15), "due_on": D(2024, 12, 31),
                               "completed_on": D(2024, 9, 20), "before_use": "gbt21010-2017:0601",
                               "after_use": "ydyh-2023:1001", "name": "低效工业用地整治提升项目"}),
            ("RD2024-1", rd2, {"category": "urban", "started_on": D(2024, 4, 16), "due_on": D(2026, 6, 30),
                               "before_use": "gbt21010-2017:0701", "after_use": "ydyh-2023:0701",
                               "name": "城镇老旧片区有机更新项目"}),
        ):
            town_name = TOWN_NAMES[TOWN_CODES.index(d.town)]
            self.records.append(_rec("redevelopment", rid, d.geom, case_no=f"平湖再开发〔{rid[2:6]}〕{rid[-1]}号",
                                     town_code=d.town, investment_wan=_round(d.mu * float(self.rng.uniform(60, 120))),
                                     **{**attrs, "name": f"{town_name}{attrs['name']}{SHI}"}))

    def sea_use(self) -> None:
        boundary_m = _to_metric(self.land.boundary)
        coast = transform_geometries(shapely.points([COAST_FROM, COAST_TO]), CGCS2000, METRIC)
        (x0, y0), (x1, y1) = shapely.get_coordinates(coast)
        along = np.array([x1 - x0, y1 - y0]) / math.hypot(x1 - x0, y1 - y0)
        seaward = np.array([along[1], -along[0]])  # to the right of the coast heading south-west: the bay
        if seaward[1] > 0:
            seaward = -seaward
        ports = {name: shapely.get_coordinates(transform_geometries(shapely.points([(lon, lat)]), CGCS2000,
                                                                     METRIC))[0] for name, lon, lat in PORTS}
        specs = (  # id, port, shift along the coast (m), length along, width seaward, use, dates, years, project
            ("SU2022-1", "乍浦港区", 0.0, 900.0, 420.0, "ydyh-2023:2001", D(2022, 8, 16), 40,
             "乍浦港区多用途码头工程", "嘉兴港乍浦港务有限公司", TOWN_CODES[3]),
            ("SU2024-1", "独山港区", -600.0, 1100.0, 380.0, "ydyh-2023:2001", D(2024, 4, 25), 40,
             "独山港区散货码头扩建工程", "嘉兴港独山港务有限公司", TOWN_CODES[8]),
            ("SU2024-2", "独山港区", 1400.0, 70.0, 2200.0, "ydyh-2023:1906", D(2024, 9, 12), 30,
             "独山港区海底输水管道工程", "平湖市水务投资有限公司", TOWN_CODES[8]),
            ("SU2024-3", "乍浦港区", 2600.0, 1300.0, 150.0, "ydyh-2023:2203", D(2024, 11, 19), 25,
             "乍浦海塘安澜加固工程（海岸防护）", "平湖市水利局", TOWN_CODES[3]),
        )
        angle = math.atan2(along[1], along[0])
        drawn: list[Any] = []
        for rid, port, shift, length, width, code, approved, years, project, applicant, town in specs:
            base = ports[port] + shift * along
            found = None
            for step in range(0, 12000, 50):
                centre = base + (step + width / 2) * seaward
                rect = _box((float(centre[0]), float(centre[1])), length * width, length / width, angle)
                if not shapely.intersects(shapely.buffer(rect, 80.0), boundary_m) and not any(
                        shapely.intersects(shapely.buffer(rect, 30.0), g) for g in drawn):
                    found = rect
                    break
            if found is None:
                raise RuntimeError(f"no offshore room for {rid}")
            drawn.append(found)
            geom = _clean(_to_geo(found))
            assert geom is not None
            valid_from = _days(approved, 15)
            valid_to = _days(D(valid_from.year + years, valid_from.month, valid_from.day), -1)
            area_mu = m2_to_mu(float(shapely.area(found)))
            self.records.append(_rec(
                "sea_use", rid, geom, approval_no=f"平海审〔{approved.year}〕{rid[-1]}号{SHI}", project=project + SHI,
                applicant=applicant + SHI, use_code=code, approved_on=approved, valid_from=valid_from,
                valid_to=valid_to, term_years=years, fee_wan=_round(area_mu * float(self.rng.uniform(0.6, 1.2))),
                town_code=town))

    def consolidation(self) -> None:
        land = self.land
        # Comprehensive (全域土地综合整治): the fields of 独山港镇 around a farmland patch, whole patches.
        town = TOWN_CODES[TOWN_NAMES.index("独山港镇")]
        rural = land.outside_lines | land.farmland_line
        comprehensive = self._area_of_patches(rural & (land.town == town), land.agricultural, 1300.0, "CP2022-1")
        contiguity_town = TOWN_CODES[TOWN_NAMES.index("新埭镇")]
        contiguity = self._area_of_patches(land.farmland_line & (land.town == contiguity_town), land.farmland_line,
                                           800.0, "CP2024-1")
        for d in (comprehensive, contiguity):
            self.used.add(d.geom)
            land.mark(d.geom)
        cp1, cp2 = "CP2022-1", "CP2024-1"
        planned1 = _round(comprehensive.mu * float(self.rng.uniform(1.0, 1.6)))
        planned2 = _round(contiguity.mu * float(self.rng.uniform(0.25, 0.4)))
        self.records += [
            _rec("consolidation_project", cp1, comprehensive.geom, project_no="平湖整治〔2022〕1号",
                 name="独山港镇全域土地综合整治与生态修复工程" + SHI, category="comprehensive", town_code=town,
                 approved_on=D(2022, 6, 15), started_on=D(2022, 9, 6), due_on=D(2025, 12, 31),
                 planned_investment_wan=planned1, target_new_farmland_mu=_round(comprehensive.mu * 0.04)),
            _rec("consolidation_project", cp2, contiguity.geom, project_no="平湖整治〔2024〕1号",
                 name="新埭镇永久基本农田集中连片整治项目" + SHI, category="farmland_contiguity",
                 town_code=contiguity_town, approved_on=D(2024, 2, 20), started_on=D(2024, 3, 15),
                 due_on=D(2024, 12, 31), completed_on=D(2024, 10, 30), planned_investment_wan=planned2,
                 target_new_farmland_mu=_round(contiguity.mu * 0.02)),
        ]
        # Sub-projects: the project area in four sectors around its centre.
        g_m = _to_metric(comprehensive.geom)
        c = shapely.get_coordinates(shapely.centroid(g_m))[0]
        reach = 20000.0
        subs = (("SP2022-1-1", "农田整理与高标准农田建设子项目", "farmland_consolidation", D(2023, 11, 20)),
                ("SP2022-1-2", "农村建设用地复垦子项目", "construction_land_reclamation", D(2024, 8, 20)),
                ("SP2022-1-3", "河道水系生态修复子项目", "ecological_restoration", None),
                ("SP2022-1-4", "农村道路与配套设施子项目", "other", None))
        sub_geoms: dict[str, Any] = {}
        for q, (rid, name, category, completed) in enumerate(subs):
            a0 = q * math.pi / 2 + 0.3
            sector = shapely.polygons([c, c + reach * np.array([math.cos(a0), math.sin(a0)]),
                                       c + reach * np.array([math.cos(a0 + math.pi / 4), math.sin(a0 + math.pi / 4)]),
                                       c + reach * np.array([math.cos(a0 + math.pi / 2), math.sin(a0 + math.pi / 2)]),
                                       c])
            piece = _clean(shapely.intersection(comprehensive.geom, _to_geo(sector)))
            sub_geoms[rid] = piece
            self.records.append(_rec("consolidation_subproject", rid, piece, project=cp1, name=name + SHI,
                                     category=category, investment_wan=_round(planned1 / 4), completed_on=completed))
        accepted = [(rid, day) for rid, day in (("SP2022-1-1", D(2023, 12, 15)), ("SP2022-1-2", D(2024, 9, 26)))
                    if sub_geoms[rid] is not None]
        for n, (rid, day) in enumerate(accepted, start=1):
            self.records.append(_rec("acceptance", f"AC-{rid}", target_kind="consolidation_subproject", target=rid,
                                     accepted_on=day, level="county", result="passed",
                                     note=f"子项目竣工验收（第{n}个）"))
        self.records.append(_rec("acceptance", f"AC-{cp2}", target_kind="consolidation_project", target=cp2,
                                 accepted_on=D(2024, 11, 26), level="county", result="passed",
                                 new_farmland_mu=_round(contiguity.mu * 0.018), note="项目整体竣工验收"))
        for n, (day, share) in enumerate(((D(2022, 12, 31), 0.08), (D(2023, 6, 30), 0.22), (D(2023, 12, 31), 0.38),
                                          (D(2024, 6, 30), 0.55), (D(2024, 12, 31), 0.71)), start=1):
            self.records.append(_rec("consolidation_progress", f"{cp1}-I{n}", project=cp1, on=day,
                                     investment_done_wan=_round(planned1 * share)))
        for n, (day, share) in enumerate(((D(2024, 6, 30), 0.45), (D(2024, 10, 31), 0.96)), start=1):
            self.records.append(_rec("consolidation_progress", f"{cp2}-I{n}", project=cp2, on=day,
                                     investment_done_wan=_round(planned2 * share)))

    def _area_of_patches(self, mask: Mask, seed_mask: Mask, radius: float, what: str) -> _Drawn:
        """Whole patches of ``mask`` whose inner point lies within ``radius`` of a random ``seed_mask`` patch
        (the largest connected piece)."""
        land = self.land
        idx = np.flatnonzero(mask & seed_mask & ~land.taken)
        if not len(idx):
            idx = np.flatnonzero(mask & ~land.taken)
        if not len(idx):
            idx = np.flatnonzero(land.outside_lines & ~land.taken)
        xy = land.xy_m
        for _ in range(20):
            k = int(idx[self.rng.integers(len(idx))])
            near = np.flatnonzero(mask & ~land.taken & (np.hypot(xy[:, 0] - xy[k, 0], xy[:, 1] - xy[k, 1]) <= radius))
            if k not in near:
                near = np.append(near, k)
            union = shapely.coverage_union_all(land.geoms[near])
            parts = _polygons(union)
            largest = max(parts, key=lambda p: float(shapely.area(p)))
            geom = _clean(self.used.subtract(largest))
            if geom is not None and _area(geom) >= 20_000.0 and self.used.overlap_m2(geom) <= OVERLAP_M2:
                return self._drawn(geom)
        raise RuntimeError(f"no room on the demo county for {what}")

    def reclamation(self) -> None:
        land = self.land
        rural = land.outside_lines & ~land.taken
        village = rural & (land.codes == "0702")
        spare = rural & np.isin(land.codes, ("0404", "0201", "0204", "0307", "1006"))
        restorable = rural & np.isin(land.codes, ("0201", "0301", "0307", "1104"))
        anything = land.outside_lines

        def on(codes: tuple[str, ...], least: float) -> Callable[[_Drawn], bool]:
            def accept(d: _Drawn) -> bool:
                hits = land.tree.query(d.geom, predicate="intersects")
                wanted = hits[np.isin(land.codes[hits], codes)]
                if not len(wanted):
                    return False
                share = float(_areas(shapely.intersection(land.geoms[wanted], d.geom)).sum()) / d.area_m2
                return share >= least
            return accept

        specs = (  # id, category, mask, codes, approved, started, completed, accepted, target ha, name
            ("RC2022-1", "reclamation", village, ("0702",), D(2022, 4, 12), D(2022, 6, 1), D(2023, 5, 16),
             D(2023, 7, 20), 1.2, "农村宅基地复垦项目"),
            ("RC2023-1", "reclamation", village, ("0702",), D(2023, 3, 21), D(2023, 5, 10), D(2024, 6, 20),
             D(2024, 8, 15), 1.5, "农村建设用地复垦项目"),
            ("RC2023-2", "reclamation", village, ("0702",), D(2023, 9, 5), D(2023, 11, 1), D(2024, 10, 22), None,
             1.0, "废弃工矿用地复垦项目"),
            ("RC2024-1", "reclamation", village, ("0702",), D(2024, 3, 19), D(2024, 5, 6), None, None, 1.3,
             "农村宅基地复垦项目"),
            ("RC2024-2", "reclamation", village, ("0702",), D(2024, 8, 27), None, None, None, 0.9,
             "零星建设用地复垦项目"),
            ("NF2023-1", "new_farmland", spare, ("0404", "0201", "0204", "0307", "1006"), D(2023, 4, 11),
             D(2023, 6, 5), D(2024, 5, 28), D(2024, 7, 18), 2.0, "垦造耕地项目"),
            ("NF2024-1", "new_farmland", spare, ("0404", "0201", "0204", "0307", "1006"), D(2024, 5, 14),
             D(2024, 7, 1), None, None, 1.5, "垦造耕地项目"),
            ("FR2024-1", "farmland_restoration", restorable, ("0201", "0301", "0307", "1104"), D(2024, 3, 5),
             D(2024, 4, 8), D(2024, 9, 30), D(2024, 11, 19), 1.8, "耕地功能恢复项目"),
        )
        for rid, category, mask, codes, approved, started, completed, accepted, ha, name in specs:
            d = self._place([(mask, mask, on(codes, 0.6)), (anything, anything, _anything)],
                            self._target(ha, 0.5 * ha, 1.5 * ha), what=rid)
            self.reclaimed[rid] = d
            town_name = TOWN_NAMES[TOWN_CODES.index(d.town)]
            self.records.append(_rec(
                "reclamation", rid, d.geom, project_no=f"平湖{PROGRAMME[category]}〔{rid[2:6]}〕{rid[-1]}号",
                name=f"{town_name}{name}{SHI}", category=category, town_code=d.town, approved_on=approved,
                started_on=started, due_on=_months(approved, 18), completed_on=completed, accepted_on=accepted,
                quality_grade=int(self.rng.integers(5, 9)),
                investment_wan=_round(d.mu * float(self.rng.uniform(3.0, 6.0)))))

    def expropriation(self) -> None:
        """The block development plan around batch B2024-5, its expropriation and resettlement."""
        parcels = [d.geom for pid, d in self.parcels.items() if pid.startswith("B2024-5-")]
        hull_m = shapely.buffer(shapely.convex_hull(_to_metric(shapely.union_all(parcels))), 150.0, quad_segs=4)
        plan_geom = _clean(self.land.clip(_to_geo(hull_m), self.land.dev_a))
        assert plan_geom is not None
        town = self.parcels["B2024-5-1"].town
        town_name = TOWN_NAMES[TOWN_CODES.index(town)]
        town7 = self.parcels["B2024-7-1"].town
        self.records += [
            _rec("block_development_plan", "BP2024-1", plan_geom, plan_no="平湖成片〔2024〕1号",
                 name=f"平湖市{town_name}2024年度土地征收成片开发方案{SHI}", approved_on=D(2024, 3, 28),
                 authority="浙江省人民政府", town_code=town, public_interest_percent=42.5,
                 expected_completion=D(2027, 12, 31)),
            _rec("expropriation_batch", "EB2024-1", batch_no="平湖征〔2024〕5号", name=self.batch_names["B2024-5"],
                 approved_on=D(2024, 8, 13), authority="province", approval_doc=f"浙政土字〔2024〕征5号{SHI}",
                 town_code=town, landflow_batch="B2024-5", block_plan="BP2024-1"),
            _rec("expropriation_batch", "EB2024-2", batch_no="平湖征〔2024〕7号", name=self.batch_names["B2024-7"],
                 approved_on=D(2024, 11, 5), authority="province", approval_doc=f"浙政土字〔2024〕征7号{SHI}",
                 town_code=town7, landflow_batch="B2024-7"),
        ]
        plans = (("RP2024-1", "EB2024-1", D(2024, 6, 11), 46, 152, 8650.0,
                  ((D(2024, 7, 15), 30, 2100.0), (D(2024, 9, 30), 41, 5300.0), (D(2024, 12, 20), 44, 7420.0))),
                 ("RP2024-2", "EB2024-2", D(2024, 9, 3), 18, 61, 3120.0,
                  ((D(2024, 11, 29), 9, 1100.0), (D(2024, 12, 27), 13, 1980.0))))
        for rid, batch, announced, households, persons, compensation, snapshots in plans:
            scale = float(self.rng.uniform(0.85, 1.15))
            total = _round(compensation * scale)
            self.records.append(_rec("resettlement_plan", rid, plan_no=f"平湖征补〔2024〕{rid[-1]}号", batch=batch,
                                     announced_on=announced, households=households, persons=persons,
                                     compensation_wan=total))
            for n, (day, signed, paid) in enumerate(snapshots, start=1):
                self.records.append(_rec("resettlement_progress", f"{rid}-P{n}", plan=rid, on=day,
                                         households_signed=signed, compensation_paid_wan=_round(paid * scale)))


def build_ledger_activity(county: DemoCounty, seed: int) -> list[Record]:
    """A year (2024) of ledger activity on ``county``, with the stock of 2019–2023 (see the module notes).

    Deterministic: the same county and seed give the same records (ids, attributes and geometries).
    """
    b = _Builder(county, seed)
    b.batches()
    b.redevelopments()
    b.consolidation()
    b.reclamation()
    b.quotas()
    b.supplies_and_progress()
    b.sea_use()
    b.expropriation()
    order = {kind: n for n, kind in enumerate((*KINDS, *PROJECT_KINDS))}
    return sorted(b.records, key=lambda r: order[r.kind])
