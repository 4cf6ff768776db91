"""The three control lines (三条控制线) and the planning zones, drawn on the survey patches.

Every line is a union of whole survey patches, so the lines never overlap one another, permanent
farmland lies on farmland patches only, and the zones tile the county exactly.

- 城镇开发边界 (``dev_boundary``): the patches whose inner point lies in the closed-up town cores
  (城镇集中建设区), plus fringe blobs (城镇弹性发展区); never tidal flats or the eco red line.
- 生态保护红线 (``eco_redline``): the bay's tidal flats away from the ports, the 九龙山 hills, the
  islets, and the two largest pond clusters outside the development boundary.
- 永久基本农田 (``permanent_farmland``): about 82 % (by area) of the farmland outside the
  development boundary of edition B, leaving out the farmland nearest the villages; grouped into
  blocks by town and village, one polygon per contiguous piece.

Edition A (三区三线, 2022) and edition B (the master plan approved on 2024-06-28) differ in one
documented way: B adds to 林埭镇's development boundary an area that was outside it in A. That
area holds no permanent farmland in either edition, so farmland and the red line are identical in
both editions. The zones belong to the master plan and exist in edition B only.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely

from guotu.core.crs import CGCS2000, transform_geometries
from guotu.core.features import FeatureBatch
from guotu.demo.landscape import Frame, Landscape
from guotu.demo.landuse import LandUse, fill_by_score
from guotu.demo.model import DemoEdition
from guotu.demo.survey import Tessellation
from guotu.demo.towns import TOWN_CODES, TOWN_NAMES, TOWN_NOTE, TOWNS, town_index

GeomArray = npt.NDArray[Any]
Mask = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class EditionSpec:
    name: str
    status: str
    valid_from: dt.date
    valid_to: dt.date | None
    approved_on: dt.date | None
    document: str

    def with_index(self, index: npt.NDArray[np.intp]) -> DemoEdition:
        return DemoEdition(
            self.name,
            self.status,
            self.valid_from,
            self.valid_to,
            self.approved_on,
            self.document,
            np.asarray(index, dtype=np.intp),
        )


EDITION_A = EditionSpec(
    "三区三线划定成果（2022年）",
    "superseded",
    dt.date(2022, 10, 14),
    dt.date(2024, 6, 28),
    dt.date(2022, 10, 14),
    "自然资源部办公厅关于启用“三区三线”划定成果的函 (demo)",
)
EDITION_B = EditionSpec(
    "平湖市国土空间总体规划（2021-2035年）",
    "approved",
    dt.date(2024, 6, 28),
    None,
    dt.date(2024, 6, 28),
    "浙政函〔2024〕…号 (demo)",
)

CORE = "城镇集中建设区"
ELASTIC = "城镇弹性发展区"
ADJUSTED_TOWN = "林埭镇"
ADJUSTMENT_NOTE = "2024年总体规划调整新增：林埭镇产业功能区扩展，原三区三线成果中位于城镇开发边界外，且不含永久基本农田"
PF_SHARE = 0.82
PORT_ZONE_M = 2500.0  # tidal flats this close to a port are port waters, not red line

ZONES = (
    ("ecological_protection", "生态保护区"),
    ("ecological_control", "生态控制区"),
    ("farmland_protection", "农田保护区"),
    ("urban_development", "城镇发展区"),
    ("rural_development", "乡村发展区"),
    ("marine_development", "海洋发展区"),
)
ZONE_EDITION = "ydyh-2023"
# The ydyh-2023 first-level class that each survey class (GB/T 21010-2017) is planned as.
YDYH_OF: dict[str, str] = {
    "01": "01", "02": "02", "03": "03", "04": "04", "05": "09", "0601": "10", "0604": "11", "07": "07",
    "08": "08", "0809": "13", "0810": "14", "1003": "12", "1004": "12", "1008": "12", "1006": "06",
    "1101": "17", "1104": "17", "1107": "17", "1105": "05", "1202": "06",
}  # fmt: skip


@dataclass(frozen=True, eq=False)
class ControlLines:
    """Per patch: development boundary (A and B, with kind), permanent farmland, red line, zone."""

    dev_a: Mask
    dev_b: Mask
    dev_kind: npt.NDArray[np.str_]
    added: Mask  # in B only: the documented adjustment
    farmland: Mask  # permanent farmland
    eco: npt.NDArray[np.intp]  # index into eco_names, -1 outside the red line
    eco_names: tuple[tuple[str, str], ...]  # (name, category)
    zone: npt.NDArray[np.intp]  # index into ZONES
    grade: npt.NDArray[np.int64]  # farmland quality grade (耕地质量等别) per patch


def draw_lines(
    rng: np.random.Generator, frame: Frame, land: Landscape, tess: Tessellation, use: LandUse
) -> ControlLines:
    """Draw the three lines (both editions) and the zones on the patches."""
    xy = tess.xy
    area = tess.area_m2
    code = use.code
    noise = {name: land.noise[name](xy) for name in ("elastic", "farmland", "quality")}
    no_build = (code == "1105") | tess.islet | use.jiulongshan

    # Development boundary A: closed-up town cores, plus fringe blobs.
    core_m = shapely.simplify(tess.union_m(use.urban), 25.0)  # fewer vertices: a much faster buffer
    closed = shapely.buffer(shapely.buffer(core_m, 300.0, quad_segs=4), -300.0, quad_segs=4)
    parts = shapely.get_parts(closed)
    region = shapely.union_all(parts[shapely.area(parts) >= 300_000.0])
    shapely.prepare(region)
    in_core = shapely.contains_xy(region, xy[:, 0], xy[:, 1]) & ~no_build
    ring = shapely.difference(shapely.buffer(region, 350.0, quad_segs=4), region)
    shapely.prepare(ring)
    in_ring = shapely.contains_xy(ring, xy[:, 0], xy[:, 1]) & (noise["elastic"] > 0.5) & ~no_build & ~in_core
    dev_a = in_core | in_ring
    dev_kind = np.where(in_core, CORE, np.where(in_ring, ELASTIC, ""))

    added = _adjustment(rng, frame, tess, use, dev_a, no_build)
    dev_b = dev_a | added
    dev_kind = np.where(added, CORE, dev_kind)

    # Eco red line: coastal flats away from the ports, 九龙山, the islets, the two largest pond clusters.
    port_d = np.min([np.hypot(xy[:, 0] - p.x, xy[:, 1] - p.y) for p in land.ports], axis=0)
    eco = np.full(len(xy), -1, dtype=np.intp)
    names: list[tuple[str, str]] = [
        ("杭州湾北岸滨海湿地生态保护红线", "滨海湿地"),
        ("九龙山生态保护红线", "生物多样性维护"),
        ("杭州湾海岛生态保护红线", "海岛"),
    ]
    eco[(code == "1105") & (port_d > PORT_ZONE_M)] = 0
    eco[use.jiulongshan] = 1
    eco[tess.islet] = 2
    ponds = (code == "1104") & ~dev_b
    if ponds.any():
        clusters = shapely.get_parts(tess.union_m(ponds))
        largest = np.argsort(-shapely.area(clusters), kind="stable")[:2]
        for k, c in enumerate(largest):
            members = ponds & shapely.contains_xy(clusters[c], xy[:, 0], xy[:, 1])
            town = TOWN_NAMES[int(np.bincount(use.town[members], weights=area[members]).argmax())]
            names.append((f"{town}{('大', '白')[k]}荡湿地生态保护红线", "湿地"))
            eco[members] = len(names) - 1

    # Permanent farmland: most farmland outside the development boundary (B), not near villages.
    candidates = np.char.startswith(code, "01") & ~dev_b & (eco < 0)
    keep_score = use.village_d / 400.0 + 0.8 * noise["farmland"]
    farmland = fill_by_score(keep_score, candidates, area, PF_SHARE * float(area[candidates].sum()))

    coast_factor = 1.5 * np.exp(-use.coast_d / 4000.0)
    grade = np.clip(np.rint(6.3 + 1.2 * noise["quality"] + coast_factor), 4, 9).astype(np.int64)

    zone = np.full(len(xy), 4, dtype=np.intp)  # rural development
    zone[(code == "1101") | np.char.startswith(code, "03")] = 1
    zone[(code == "1105") | (code == "1008")] = 5
    zone[dev_b] = 3
    zone[farmland] = 2
    zone[eco >= 0] = 0
    return ControlLines(dev_a, dev_b, dev_kind, added, farmland, eco, tuple(names), zone, grade)


def _adjustment(
    rng: np.random.Generator, frame: Frame, tess: Tessellation, use: LandUse, dev_a: Mask, no_build: Mask
) -> Mask:
    """Edition B's addition: patches of 林埭镇 in a disc just outside its development boundary A."""
    xy = tess.xy
    k = town_index(ADJUSTED_TOWN)
    seat = frame.seats[k]
    mine = dev_a & (use.town == k)
    town_dev = tess.union_m(mine)
    start = rng.uniform(0.0, 2.0 * math.pi)
    best: Mask | None = None
    for step in range(24):
        angle = start + step * 2.0 * math.pi / 24
        direction = np.array([math.cos(angle), math.sin(angle)])
        ray = shapely.linestrings(np.vstack([seat, seat + 6000.0 * direction]))
        cut = shapely.get_coordinates(shapely.intersection(ray, shapely.boundary(town_dev)))
        if len(cut) == 0:
            continue
        edge = cut[int(np.argmax(np.hypot(*(cut - seat).T)))]
        centre = edge + 450.0 * direction
        disc = shapely.buffer(shapely.points(centre), 560.0)
        if not shapely.contains(frame.mainland_m, disc):
            continue
        inside = np.hypot(xy[:, 0] - centre[0], xy[:, 1] - centre[1]) < 560.0
        added: Mask = inside & ~dev_a & ~no_build & (use.town == k)
        if best is None or tess.area_m2[added].sum() > tess.area_m2[best].sum():
            best = added
        if tess.area_m2[added].sum() >= 600_000.0:
            return added
    if best is None or not best.any():
        raise RuntimeError("no room for the edition B adjustment")
    return best


# --- layers ---------------------------------------------------------------------------------------


def _union_groups(
    geoms: GeomArray, groups: int, members: npt.NDArray[np.intp], explode: bool = True
) -> tuple[GeomArray, npt.NDArray[np.intp]]:
    """Coverage union of the patches of each group (exploded into polygons unless ``explode`` is
    false): the geometries and the group number of each, in group order.

    Groups are unioned on threads (shapely releases the GIL); the result does not depend on them.
    """
    rows = np.flatnonzero(members >= 0)
    rows = rows[np.argsort(members[rows], kind="stable")]
    bounds = np.searchsorted(members[rows], np.arange(groups + 1))
    chunks = [geoms[rows[bounds[g] : bounds[g + 1]]] for g in range(groups)]
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        unions = np.array(list(pool.map(shapely.coverage_union_all, chunks)), dtype=object)
    if not explode:
        return unions, np.arange(groups, dtype=np.intp)
    parts, owner = shapely.get_parts(unions, return_index=True)
    return parts, owner.astype(np.intp)


def _groups(*columns: npt.NDArray[Any], mask: Mask) -> tuple[list[tuple[Any, ...]], npt.NDArray[np.intp]]:
    """Distinct key tuples among the masked rows (sorted) and each row's group number (-1 outside)."""
    rows = np.flatnonzero(mask)
    stacked = np.rec.fromarrays([c[rows] for c in columns]) if len(rows) else None
    members = np.full(len(mask), -1, dtype=np.intp)
    if stacked is None:
        return [], members
    keys, inverse = np.unique(stacked, return_inverse=True)
    members[rows] = inverse.ravel()
    return [tuple(k.tolist()) for k in keys], members


def twice(batch: FeatureBatch) -> tuple[FeatureBatch, list[DemoEdition]]:
    """The same features stored once per edition (A rows first), with each edition's index."""
    n = len(batch)
    doubled = batch.take(np.concatenate([np.arange(n), np.arange(n)]))
    return FeatureBatch(doubled.geometry, doubled.attributes, doubled.fields, doubled.epsg), [
        EDITION_A.with_index(np.arange(n)),
        EDITION_B.with_index(np.arange(n, 2 * n)),
    ]


def farmland_layer(tess: Tessellation, use: LandUse, lines: ControlLines) -> tuple[FeatureBatch, list[DemoEdition]]:
    """Permanent farmland blocks: the farmland of one town and village, one feature per contiguous piece."""
    keys, members = _groups(use.town, use.village, mask=lines.farmland)
    polygons, owner = _union_groups(tess.geoms, len(keys), members)
    rows = members >= 0
    area = np.bincount(members[rows], weights=tess.area_m2[rows], minlength=len(keys))
    graded = np.bincount(members[rows], weights=tess.area_m2[rows] * lines.grade[rows], minlength=len(keys))
    grade = np.rint(graded / np.maximum(area, 1e-9)).astype(int)
    town = np.array([k[0] for k in keys], dtype=np.intp)[owner]
    counters = [0] * len(TOWNS)
    block_no: list[str] = []
    for t in town.tolist():
        counters[t] += 1
        block_no.append(f"{TOWN_CODES[t]}-{counters[t]:04d}")
    batch = FeatureBatch(
        polygons,
        {
            "block_no": block_no,
            "town_code": [TOWN_CODES[t] for t in town.tolist()],
            "quality_grade": grade[owner].tolist(),
        },
    )
    return twice(batch)


def eco_layer(tess: Tessellation, lines: ControlLines) -> tuple[FeatureBatch, list[DemoEdition]]:
    """One feature per named red-line area."""
    unions, _ = _union_groups(tess.geoms, len(lines.eco_names), lines.eco, explode=False)
    present = np.flatnonzero(~shapely.is_empty(unions))
    batch = FeatureBatch(
        unions[present],
        {"name": [lines.eco_names[k][0] for k in present], "category": [lines.eco_names[k][1] for k in present]},
    )
    return twice(batch)


def dev_layer(tess: Tessellation, use: LandUse, lines: ControlLines) -> tuple[FeatureBatch, list[DemoEdition]]:
    """Edition A's polygons by town and kind; edition B repeats them and adds the adjustment."""
    kind_code = np.where(lines.dev_kind == CORE, 0, 1)
    keys, members = _groups(use.town, kind_code, mask=lines.dev_a)
    polygons, owner = _union_groups(tess.geoms, len(keys), members)
    added = shapely.get_parts(shapely.coverage_union_all(tess.geoms[lines.added]))
    n, m = len(polygons), len(added)
    towns = [int(keys[g][0]) for g in owner.tolist()] * 2 + [town_index(ADJUSTED_TOWN)] * m
    attributes = {
        "name": [f"{TOWN_NAMES[t]}城镇开发边界" for t in towns],
        "town_code": [TOWN_CODES[t] for t in towns],
        "kind": [(CORE, ELASTIC)[int(keys[g][1])] for g in owner.tolist()] * 2 + [CORE] * m,
        "note": [""] * (2 * n) + [ADJUSTMENT_NOTE] * m,
    }
    geometry = np.concatenate([polygons, polygons, added])
    return FeatureBatch(geometry, attributes), [
        EDITION_A.with_index(np.arange(n)),
        EDITION_B.with_index(np.arange(n, 2 * n + m)),
    ]


def zone_layer(tess: Tessellation, use: LandUse, lines: ControlLines) -> tuple[FeatureBatch, list[DemoEdition]]:
    """Planning zones of edition B by zone type and town, one feature per contiguous piece."""
    keys, members = _groups(lines.zone, use.town, mask=np.ones(len(tess), dtype=bool))
    polygons, owner = _union_groups(tess.geoms, len(keys), members)
    planned = _planned_classes(use.code, tess.area_m2, members, len(keys))
    fixed = {"farmland_protection": "01", "marine_development": "20"}
    zone = [ZONES[int(keys[g][0])] for g in owner.tolist()]
    batch = FeatureBatch(
        polygons,
        {
            "zone_type": [z[0] for z in zone],
            "zone_name": [z[1] for z in zone],
            "planned_class": [fixed.get(z[0], planned[g]) for z, g in zip(zone, owner.tolist(), strict=True)],
            "planned_class_edition": [ZONE_EDITION] * len(owner),
        },
    )
    return batch, [EDITION_B.with_index(np.arange(len(batch)))]


def _planned_classes(
    code: npt.NDArray[np.str_], area: npt.NDArray[np.float64], members: npt.NDArray[np.intp], groups: int
) -> list[str]:
    """The dominant ydyh-2023 first-level class (by area) of each group's survey patches."""
    labels = sorted(set(YDYH_OF.values()) | {"23"})
    distinct, inverse = np.unique(code, return_inverse=True)
    label_of = np.array([labels.index(YDYH_OF.get(c, YDYH_OF.get(c[:2], "23"))) for c in distinct])
    table = np.zeros((groups, len(labels)))
    np.add.at(table, (members, label_of[inverse]), area)
    return [labels[int(i)] for i in table.argmax(axis=1)]


def town_layer(tess: Tessellation, use: LandUse, frame: Frame) -> FeatureBatch:
    """The nine towns, each the union of its patches (an illustrative, derived boundary)."""
    geoms, _ = _union_groups(tess.geoms, len(TOWNS), use.town, explode=False)
    seats = transform_geometries(shapely.points(frame.seats), frame.metric_epsg, CGCS2000)
    return FeatureBatch(
        geoms,
        {
            "town_code": list(TOWN_CODES),
            "town_name": list(TOWN_NAMES),
            "derived": [1] * len(TOWNS),
            "note": [TOWN_NOTE] * len(TOWNS),
            "seat_lon": [round(float(p.x), 6) for p in seats],
            "seat_lat": [round(float(p.y), 6) for p in seats],
        },
    )
