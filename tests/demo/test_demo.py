"""Tests of the seeded demo county (guotu.demo): determinism, geometry, shares, lines, editions, sites."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from pyproj import Geod

from guotu.core.codes import is_construction, load_edition
from guotu.core.crs import CGCS2000, transform_geometries
from guotu.core.geometry import overlay
from guotu.demo.boundary import BOUNDARY_FILE, load_boundary, load_boundary_gcj02
from guotu.demo.generate import build_demo
from guotu.demo.model import LAYER_ORDER, DemoCounty, DemoLayer
from guotu.demo.plans import ADJUSTED_TOWN, ADJUSTMENT_NOTE, EDITION_A, EDITION_B, ZONES

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "pinghu"
METRIC = 4549
SEED = 2024
SMALL = 3000
MEDIUM = 60_000
REL = 1e-6
CONTROL_LINES = ("permanent_farmland", "eco_redline", "dev_boundary")
URBAN_CODES = ("0701", "0501", "0505", "0601", "0604", "0801", "0803", "0805", "0809", "0810", "1004")
WATER_CODES = ("1101", "1104", "1107")


@pytest.fixture(scope="module")
def county() -> DemoCounty:
    return build_demo(SEED, SMALL)


@pytest.fixture(scope="module")
def medium() -> DemoCounty:
    return build_demo(SEED, MEDIUM)


def metric(geoms: Any) -> Any:
    return transform_geometries(np.asarray(geoms, dtype=object), CGCS2000, METRIC)


def rows_of(layer: DemoLayer, edition: str) -> Any:
    """Metric geometries of one edition of a layer."""
    return metric(layer.batch.geometry[layer.edition(edition).index])


def overlap_m2(left: Any, right: Any) -> float:
    return float(overlay(left, right).area_m2.sum())


def boundary_area_m2(county: DemoCounty) -> float:
    """The county's area in EPSG:4549.

    A boundary edge is straight in lon/lat, and patches that meet it have extra vertices on it; a
    straight lon/lat edge bends slightly once projected, so the boundary is densified (~50 m)
    before projection to measure the same polygon (otherwise 3 km edges differ by ~2e-6).
    """
    return float(shapely.area(metric([shapely.segmentize(county.boundary, 0.0005)])[0]))


def survey_shares(county: DemoCounty) -> dict[str, float]:
    survey = county.layers["survey"].batch
    area = shapely.area(metric(survey.geometry))
    codes = np.array(survey.attributes["land_class"])
    table = load_edition("gbt21010-2017")
    construction = np.array([is_construction(table.by_code(c)) for c in codes])
    total = float(area.sum())

    def share(mask: Any) -> float:
        return float(area[mask].sum()) / total

    return {
        "farmland": share(np.char.startswith(codes, "01")),
        "construction": share(construction),
        "water": share(np.isin(codes, WATER_CODES)),
        "tidal_flat": share(codes == "1105"),
        "garden": share(np.char.startswith(codes, "02")),
        "forest": share(np.char.startswith(codes, "03")),
    }


def check_shares(county: DemoCounty) -> None:
    shares = survey_shares(county)
    assert 0.44 <= shares["farmland"] <= 0.50, shares
    assert 0.27 <= shares["construction"] <= 0.33, shares
    assert 0.09 <= shares["water"] <= 0.125, shares
    assert 0.03 <= shares["tidal_flat"] <= 0.08, shares
    assert shares["garden"] >= 0.01 and shares["forest"] >= 0.005, shares


def check_tiling(county: DemoCounty) -> None:
    survey = county.layers["survey"].batch.geometry
    area = shapely.area(metric(survey))
    whole = boundary_area_m2(county)
    assert abs(area.sum() - whole) <= REL * whole
    assert shapely.coverage_is_valid(survey)
    union = shapely.area(metric([shapely.coverage_union_all(survey)])[0])
    assert abs(union - area.sum()) <= REL * whole  # no overlaps


# --- structure and determinism ----------------------------------------------------------------


def test_layers_in_order_with_editions(county: DemoCounty) -> None:
    assert tuple(county.layers) == LAYER_ORDER
    for name, layer in county.layers.items():
        assert layer.name == name and layer.title_zh
        assert layer.batch.epsg == CGCS2000
    for name in ("survey", "towns", "sites"):
        assert county.layers[name].editions == []
    for name in CONTROL_LINES:
        editions = county.layers[name].editions
        assert [e.name for e in editions] == [EDITION_A.name, EDITION_B.name]
        rows = np.concatenate([e.index for e in editions])
        assert sorted(rows.tolist()) == list(range(len(county.layers[name].batch)))
        assert all(e.index.dtype.kind == "i" for e in editions)
    assert [e.name for e in county.layers["zones"].editions] == [EDITION_B.name]


def test_editions_dates_and_status(county: DemoCounty) -> None:
    a, b = county.layers["dev_boundary"].editions
    assert (a.status, a.valid_from, a.valid_to) == ("superseded", dt.date(2022, 10, 14), dt.date(2024, 6, 28))
    assert (b.status, b.approved_on, b.valid_from, b.valid_to) == (
        "approved",
        dt.date(2024, 6, 28),
        dt.date(2024, 6, 28),
        None,
    )
    assert b.name == "平湖市国土空间总体规划（2021-2035年）" and a.name == "三区三线划定成果（2022年）"
    assert "(demo)" in a.document and "(demo)" in b.document
    layer = county.layers["dev_boundary"]
    assert len(layer.in_force_on(dt.date(2024, 6, 27))) == len(a.index)
    assert len(layer.in_force_on(dt.date(2024, 6, 28))) == len(b.index)
    assert len(layer.in_force_on(dt.date(2021, 1, 1))) == 0
    assert len(county.layers["survey"].in_force_on(dt.date(2000, 1, 1))) == len(county.layers["survey"].batch)


def snapshot(county: DemoCounty) -> dict[str, Any]:
    return {
        name: (
            shapely.to_wkb(layer.batch.geometry).tolist(),
            layer.batch.attributes,
            layer.batch.fields,
            [(e.name, e.status, e.valid_from, e.valid_to, e.approved_on, e.document, e.index.tolist())
             for e in layer.editions],
        )
        for name, layer in county.layers.items()
    }  # fmt: skip


def test_same_seed_same_county(county: DemoCounty) -> None:
    again = build_demo(SEED, SMALL)
    assert snapshot(again) == snapshot(county)


def test_other_seed_other_county(county: DemoCounty) -> None:
    other = build_demo(SEED + 1, SMALL)
    for name in ("survey", "permanent_farmland", "dev_boundary", "sites"):
        assert (
            shapely.to_wkb(other.layers[name].batch.geometry).tolist()
            != shapely.to_wkb(county.layers[name].batch.geometry).tolist()
        )


@pytest.mark.parametrize(("seed", "patches"), [(-1, SMALL), (SEED, 10), (SEED, 1_000_000)])
def test_bad_arguments(seed: int, patches: int) -> None:
    with pytest.raises(ValueError):
        build_demo(seed, patches)


# --- geometry ------------------------------------------------------------------------------------


def test_geometries_valid_and_inside_county(county: DemoCounty) -> None:
    inside = shapely.buffer(county.boundary, 1e-8)  # about 1 mm: reprojection noise on shared edges
    shapely.prepare(inside)
    for name, layer in county.layers.items():
        geoms = layer.batch.geometry
        assert len(geoms) > 0, name
        assert shapely.is_valid(geoms).all(), name
        assert np.isin(shapely.get_type_id(geoms), (3, 6)).all(), name
        assert shapely.covered_by(geoms, inside).all(), name


def test_survey_tiles_county(county: DemoCounty) -> None:
    check_tiling(county)
    survey = county.layers["survey"].batch
    assert abs(len(survey) - SMALL) <= 0.02 * SMALL
    assert "area_m2" not in survey.attributes


def test_survey_attributes(county: DemoCounty) -> None:
    survey = county.layers["survey"].batch
    table = load_edition("gbt21010-2017")
    numbers = survey.attributes["patch_no"]
    assert len(set(numbers)) == len(numbers)
    assert all(re.fullmatch(r"330482-\d{6}", n) for n in numbers)
    assert numbers[0] == "330482-000001"
    for code, name in zip(survey.attributes["land_class"], survey.attributes["land_class_name"], strict=True):
        assert table.by_code(code).name == name and len(code) == 4
    assert set(survey.attributes["land_class_edition"]) == {"gbt21010-2017"}
    codes = {row["code"] for row in town_rows()}
    assert set(survey.attributes["town_code"]) == codes


def test_land_class_shares(county: DemoCounty) -> None:
    check_shares(county)


def test_medium_size_holds_shares_tiling_and_towns(medium: DemoCounty) -> None:
    assert abs(len(medium.layers["survey"].batch) - MEDIUM) <= 0.01 * MEDIUM
    check_shares(medium)
    check_tiling(medium)
    check_towns(medium)
    check_control_lines(medium)
    check_sites(medium)


def test_finer_survey_has_smaller_patches_in_towns(county: DemoCounty) -> None:
    survey = county.layers["survey"].batch
    area = shapely.area(metric(survey.geometry))
    codes = np.array(survey.attributes["land_class"])
    assert np.median(area[codes == "0701"]) < 0.5 * np.median(area[codes == "0101"])


def test_coast_is_tidal_flat() -> None:
    """Tidal flats lie on the southern shore, facing Hangzhou Bay."""
    county = build_demo(SEED, 1500)
    survey = county.layers["survey"].batch
    codes = np.array(survey.attributes["land_class"])
    lat = shapely.get_y(shapely.centroid(survey.geometry))
    assert lat[codes == "1105"].max() < 30.70 < np.median(lat[np.char.startswith(codes, "01")])


# --- towns ---------------------------------------------------------------------------------------


def town_rows() -> list[dict[str, str]]:
    with (SHARED / "townships_2023.csv").open(encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["level"] == "4"]


def check_towns(county: DemoCounty) -> None:
    towns = county.layers["towns"].batch
    expected = town_rows()
    assert towns.attributes["town_code"] == [r["code"] for r in expected]
    assert towns.attributes["town_name"] == [r["name"] for r in expected]
    assert set(towns.attributes["derived"]) == {1}
    assert set(towns.attributes["note"]) == {"由镇政府驻地推算的示意边界，非法定行政界线"}
    survey = county.layers["survey"].batch
    patch_area = shapely.area(metric(survey.geometry))
    patch_town = np.array(survey.attributes["town_code"])
    town_area = shapely.area(metric(towns.geometry))
    whole = boundary_area_m2(county)
    for code, area in zip(towns.attributes["town_code"], town_area, strict=True):
        assert abs(area - patch_area[patch_town == code].sum()) <= REL * whole
        assert area > 0.02 * whole
    assert abs(town_area.sum() - whole) <= REL * whole
    assert shapely.coverage_is_valid(towns.geometry)
    inside = shapely.contains_xy(
        towns.geometry, np.array(towns.attributes["seat_lon"]), np.array(towns.attributes["seat_lat"])
    )
    assert inside.all()  # every seat lies in its own town


def test_towns(county: DemoCounty) -> None:
    check_towns(county)


# --- control lines, editions, zones ----------------------------------------------------------------


def check_control_lines(county: DemoCounty) -> None:
    for edition in (EDITION_A.name, EDITION_B.name):
        lines = {name: rows_of(county.layers[name], edition) for name in CONTROL_LINES}
        for i, a in enumerate(CONTROL_LINES):
            for b in CONTROL_LINES[i + 1 :]:
                assert overlap_m2(lines[a], lines[b]) <= 1e-3, (edition, a, b)

    survey = county.layers["survey"].batch
    codes = np.array(survey.attributes["land_class"])
    patches = metric(survey.geometry)
    farmland = np.char.startswith(codes, "01")
    pf = rows_of(county.layers["permanent_farmland"], EDITION_B.name)
    pf_area = float(shapely.area(pf).sum())
    assert overlap_m2(pf, patches[~farmland]) <= REL * pf_area
    for edition in (EDITION_A.name, EDITION_B.name):
        dev = rows_of(county.layers["dev_boundary"], edition)
        outside = float(shapely.area(patches[farmland]).sum()) - overlap_m2(patches[farmland], dev)
        assert 0.78 <= pf_area / outside <= 0.87, edition
        urban = patches[np.isin(codes, URBAN_CODES)]
        assert overlap_m2(urban, dev) >= 0.85 * float(shapely.area(urban).sum()), edition
    grades = county.layers["permanent_farmland"].batch.attributes["quality_grade"]
    assert set(grades) <= set(range(4, 10))
    assert 100 <= len(pf) <= 5000


def test_control_lines(county: DemoCounty) -> None:
    check_control_lines(county)


def test_control_line_attributes(county: DemoCounty) -> None:
    pf = county.layers["permanent_farmland"].batch.attributes
    assert len(set(pf["block_no"])) == len(pf["block_no"]) // 2  # stored once per edition
    eco = county.layers["eco_redline"].batch.attributes
    assert "杭州湾北岸滨海湿地生态保护红线" in eco["name"] and all(eco["category"])
    dev = county.layers["dev_boundary"].batch.attributes
    assert set(dev["kind"]) == {"城镇集中建设区", "城镇弹性发展区"}
    assert all(code in {r["code"] for r in town_rows()} for code in dev["town_code"] + pf["town_code"])


def test_edition_b_differs_from_a_only_by_the_adjustment(county: DemoCounty) -> None:
    for name in ("permanent_farmland", "eco_redline"):
        layer = county.layers[name]
        a, b = (layer.batch.take(e.index) for e in layer.editions)
        assert shapely.to_wkb(a.geometry).tolist() == shapely.to_wkb(b.geometry).tolist()
        assert a.attributes == b.attributes

    layer = county.layers["dev_boundary"]
    a_idx, b_idx = (e.index for e in layer.editions)
    batch = layer.batch
    n = len(a_idx)
    assert shapely.to_wkb(batch.geometry[b_idx[:n]]).tolist() == shapely.to_wkb(batch.geometry[a_idx]).tolist()
    extra = b_idx[n:]
    assert len(extra) >= 1
    assert {batch.attributes["note"][i] for i in extra} == {ADJUSTMENT_NOTE}
    assert {batch.attributes["note"][i] for i in a_idx} == {""}
    assert {batch.attributes["name"][i] for i in extra} == {f"{ADJUSTED_TOWN}城镇开发边界"}
    added = metric(batch.geometry[extra])
    added_m2 = float(shapely.area(added).sum())
    assert 200_000 <= added_m2 <= 2_000_000
    assert overlap_m2(added, metric(batch.geometry[a_idx])) <= 1e-3
    for edition in (EDITION_A.name, EDITION_B.name):
        assert overlap_m2(added, rows_of(county.layers["permanent_farmland"], edition)) <= 1e-3
    assert ADJUSTMENT_NOTE in county.notes["editions"]


def test_zones_tile_county_and_follow_the_lines(county: DemoCounty) -> None:
    zones = county.layers["zones"].batch
    ydyh = load_edition("ydyh-2023")
    names = dict(ZONES)
    for zone_type, zone_name, planned, edition in zip(
        zones.attributes["zone_type"],
        zones.attributes["zone_name"],
        zones.attributes["planned_class"],
        zones.attributes["planned_class_edition"],
        strict=True,
    ):
        assert names[zone_type] == zone_name
        assert edition == "ydyh-2023" and ydyh.by_code(planned).level == 1
    area = shapely.area(metric(zones.geometry))
    whole = boundary_area_m2(county)
    assert abs(area.sum() - whole) <= REL * whole
    assert shapely.coverage_is_valid(zones.geometry)
    zone_type = np.array(zones.attributes["zone_type"])
    for zone, line in (
        ("urban_development", "dev_boundary"),
        ("farmland_protection", "permanent_farmland"),
        ("ecological_protection", "eco_redline"),
    ):
        line_area = float(shapely.area(rows_of(county.layers[line], EDITION_B.name)).sum())
        assert abs(area[zone_type == zone].sum() - line_area) <= REL * whole, zone
    assert {"rural_development", "ecological_control", "marine_development"} <= set(zone_type)
    planned = dict(zip(zones.attributes["zone_type"], zones.attributes["planned_class"], strict=True))
    assert planned["farmland_protection"] == "01"


# --- sites ---------------------------------------------------------------------------------------


def check_sites(county: DemoCounty) -> None:
    sites = county.layers["sites"].batch
    assert len(sites) == 12
    cases = sites.attributes["demo_case"]
    for case, least in (
        ("inside_dev_boundary", 4), ("crosses_permanent_farmland", 3), ("crosses_eco_redline", 2),
        ("crosses_dev_boundary_edge", 1), ("inside_edition_b_addition", 1),
    ):  # fmt: skip
        assert cases.count(case) >= least, case
    geoms = metric(sites.geometry)
    area = shapely.area(geoms)
    assert ((area >= 15_000) & (area <= 300_000)).all()
    lines = {
        (name, e): rows_of(county.layers[name], e)
        for name in CONTROL_LINES for e in (EDITION_A.name, EDITION_B.name)
    }  # fmt: skip
    a, b = EDITION_A.name, EDITION_B.name

    def over(k: int, name: str, edition: str) -> float:
        return overlap_m2(geoms[k : k + 1], lines[(name, edition)])

    for k, case in enumerate(cases):
        whole = float(area[k])
        if case == "inside_dev_boundary":
            assert over(k, "dev_boundary", a) >= whole * (1 - REL) and over(k, "dev_boundary", b) >= whole * (1 - REL)
        elif case == "crosses_permanent_farmland":
            assert over(k, "permanent_farmland", b) >= 100.0
        elif case == "crosses_eco_redline":
            assert over(k, "eco_redline", b) >= 100.0
        elif case == "crosses_dev_boundary_edge":
            for edition in (a, b):
                assert 0.05 * whole <= over(k, "dev_boundary", edition) <= 0.95 * whole
        elif case == "inside_edition_b_addition":
            assert over(k, "dev_boundary", b) >= whole * (1 - REL)
            assert over(k, "dev_boundary", a) <= 1e-3
        elif case == "outside_dev_boundary":
            for name in CONTROL_LINES:
                assert over(k, name, b) <= 1e-3 and over(k, name, a) <= 1e-3
        else:
            pytest.fail(f"unknown demo case {case}")


def test_sites(county: DemoCounty) -> None:
    check_sites(county)
    sites = county.layers["sites"].batch.attributes
    assert len(set(sites["site_no"])) == 12
    assert set(sites["use"]) <= {"industrial", "logistics", "road", "residential", "public"}
    assert all(sites["name"]) and all(sites["applicant"])


# --- the boundary --------------------------------------------------------------------------------


def test_packaged_boundary_is_the_shared_copy() -> None:
    packaged = (resources.files("guotu") / "data" / BOUNDARY_FILE).read_bytes()
    assert packaged == (SHARED / "pinghu_330482_gcj02.geojson").read_bytes()


def test_boundary_conversion_matches_shared_wgs84() -> None:
    with (SHARED / "pinghu_330482_wgs84.geojson").open(encoding="utf-8") as f:
        reference = shapely.geometry.shape(json.load(f)["features"][0]["geometry"])
    ours, theirs = metric([load_boundary(), reference])
    a, b = shapely.get_coordinates(ours), shapely.get_coordinates(theirs)
    assert a.shape == b.shape
    assert np.hypot(*(a - b).T).max() < 0.5
    assert shapely.hausdorff_distance(ours, theirs) < 0.5


def test_geodesic_areas_match_measurements() -> None:
    with (SHARED / "pinghu_measurements.json").open(encoding="utf-8") as f:
        measured = json.load(f)
    geod = Geod(ellps="GRS80")
    for geometry, key in ((load_boundary_gcj02(), "pinghu_anzhou2021"), (load_boundary(), "pinghu_anzhou2021_gcj2wgs")):
        area, _ = geod.geometry_area_perimeter(geometry)
        assert abs(abs(area) / 1e6 - measured[key]["geodesic_area_km2_CGCS2000(GRS80)"]) <= 0.001, key
    assert measured["pinghu_anzhou2021"]["geodesic_area_km2_CGCS2000(GRS80)"] == pytest.approx(581.639)
    assert measured["pinghu_anzhou2021_gcj2wgs"]["geodesic_area_km2_CGCS2000(GRS80)"] == pytest.approx(580.9192)
