"""Compliance review on a small hand-built county whose answers are known by construction."""

import datetime as dt
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from guotu.core.crs import transform_geometries
from guotu.core.errors import GeometryError
from guotu.core.features import FeatureBatch
from guotu.core.policy import DEFAULT_POLICY
from guotu.onemap.compliance import review_json, review_site
from guotu.onemap.report import render_text
from guotu.store import Store
from guotu.store.gpkg import GpkgStore
from guotu.store.postgis import PostgisStore

E, N = 600000.0, 3398000.0  # EPSG:4549, inside Pinghu


def metric(*boxes: tuple[float, float, float, float]) -> np.ndarray:
    return np.array([shapely.box(E + a, N + b, E + c, N + d) for a, b, c, d in boxes], dtype=object)


def geo(geoms: np.ndarray) -> np.ndarray:
    return transform_geometries(geoms, 4549, 4490)


def build(store: Store) -> None:
    """Permanent farmland on x 0–1000, eco red line on x 2000–3000, dev boundary on x 1000–2000
    (edition A) and x 1000–2500 minus the red line (edition B from 2024-06-28); survey: a 500 m grid
    of farmland (0101) west of x = 1000, industrial (0601) elsewhere; zones mirror the lines."""
    with store.transaction("test") as tx:
        for name in ("permanent_farmland", "eco_redline", "dev_boundary", "zones"):
            fields = {"zone_type": "TEXT", "zone_name": "TEXT"} if name == "zones" else {"name": "TEXT"}
            tx.create_layer(name, "MULTIPOLYGON", fields, versioned=True)
            tx.add_edition(name, "A", valid_from=dt.date(2022, 10, 14))
            tx.add_edition(name, "B", valid_from=dt.date(2024, 6, 28))
        for ed, dev in (("A", (1000, 0, 2000, 3000)), ("B", (1000, 0, 2000, 3000))):
            tx.write("permanent_farmland", FeatureBatch(geo(metric((0, 0, 1000, 3000))), {"name": ["基本农田1"]}),
                     edition=ed)
            tx.write("eco_redline", FeatureBatch(geo(metric((2000, 0, 3000, 3000))), {"name": ["湿地"]}),
                     edition=ed)
            extra = [(2000, 3000, 2500, 4000)] if ed == "B" else []
            tx.write("dev_boundary", FeatureBatch(geo(metric(dev, *extra)), {"name": ["城区"] * (1 + len(extra))}),
                     edition=ed)
            thirds = metric((0, 0, 1000, 3000), (1000, 0, 2000, 3000), (2000, 0, 3000, 3000))
            tx.write("zones", FeatureBatch(geo(thirds),
                                           {"zone_type": ["farmland_protection", "urban_development",
                                                          "ecological_protection"],
                                            "zone_name": ["农田保护区", "城镇发展区", "生态保护区"]}), edition=ed)
        cells = [(x, y, x + 500, y + 500) for x in range(0, 3000, 500) for y in range(0, 4000, 500)]
        classes = ["0101" if c[0] < 1000 else "0601" for c in cells]
        tx.create_layer("survey", "MULTIPOLYGON", {"land_class": "TEXT", "land_class_edition": "TEXT"})
        tx.write("survey", FeatureBatch(geo(metric(*cells)), {"land_class": classes,
                                                               "land_class_edition": ["gbt21010-2017"] * len(cells)}))


@pytest.fixture
def county(store: Store) -> Store:
    build(store)
    return store


def site(*boxes: tuple[float, float, float, float]) -> FeatureBatch:
    return FeatureBatch(metric(*boxes), {"name": [f"地块{i + 1}" for i in range(len(boxes))]}, epsg=4549)


def test_site_inside_the_boundary_passes(county: Store) -> None:
    r = review_site(county, site((1200, 200, 1300, 300)), date=dt.date(2025, 1, 1))
    doc = review_json(r)
    assert doc["site_area_m2"] == 10000.0 and doc["site_area_mu"] == 15.0
    assert doc["control_lines"]["dev_boundary"] == {**doc["control_lines"]["dev_boundary"], "area_m2": 10000.0,
                                                    "area_mu": 15.0, "percent": 100.0}
    assert doc["control_lines"]["permanent_farmland"]["area_m2"] == 0.0
    assert {x["id"]: x["verdict"] for x in doc["rules"]} == {
        "CL-DB-001": "pass", "CL-ER-001": "pass", "CL-PF-001": "pass", "LU-FL-001": "pass", "ZN-001": "pass"}
    assert doc["verdict"] == "pass"


def test_site_across_farmland_is_a_conflict_with_areas(county: Store) -> None:
    # 200 m × 100 m: half on permanent farmland (x 900–1000), half in the boundary (x 1000–1100)
    r = review_site(county, site((900, 100, 1100, 200)), date=dt.date(2025, 1, 1))
    doc = review_json(r)
    pf = doc["control_lines"]["permanent_farmland"]
    assert (pf["area_m2"], pf["area_mu"], pf["percent"]) == (10000.0, 15.0, 50.0)
    assert doc["farmland"]["area_m2"] == 10000.0
    survey = {g["group"]: g for g in doc["survey"]}
    assert survey["0101"]["label"] == "水田" and survey["0101"]["area_m2"] == 10000.0
    assert survey["0601"]["area_m2"] == 10000.0
    verdicts = {x["id"]: x["verdict"] for x in doc["rules"]}
    assert verdicts["CL-PF-001"] == "conflict"
    assert verdicts["CL-DB-001"] == "attention" and verdicts["LU-FL-001"] == "attention"
    assert doc["verdict"] == "conflict"
    rule = next(x for x in doc["rules"] if x["id"] == "CL-PF-001")
    assert "第三十五条" in rule["basis"] and "15.0" in rule["detail"]


def test_the_review_date_selects_the_edition(county: Store) -> None:
    s = site((2100, 3100, 2200, 3200))  # inside edition B's extension only
    before = review_json(review_site(county, s, date=dt.date(2024, 6, 27)))
    after = review_json(review_site(county, s, date=dt.date(2024, 6, 28)))
    assert before["control_lines"]["dev_boundary"]["area_m2"] == 0.0
    assert after["control_lines"]["dev_boundary"]["area_m2"] == 10000.0
    assert {e["name"] for e in before["editions"]} == {"A"}
    assert {e["name"] for e in after["editions"]} == {"B"}


def test_no_edition_in_force_is_reported_not_passed(county: Store) -> None:
    doc = review_json(review_site(county, site((100, 100, 200, 200)), date=dt.date(2020, 1, 1)))
    assert doc["control_lines"]["permanent_farmland"]["loaded"] is False
    pf = next(x for x in doc["rules"] if x["id"] == "CL-PF-001")
    assert pf["verdict"] == "attention" and "没有生效的版本" in pf["detail"]
    assert doc["layers"]["permanent_farmland"]["reason"] == "rules.no_edition_in_force"


def test_slivers_are_listed_apart_and_never_conflict(county: Store) -> None:
    # overlaps the farmland by 0.5 m × 1 m = 0.5 m², under the 1 m² tolerance
    s = site((999.5, 100, 1099.5, 101))
    doc = review_json(review_site(county, s, date=dt.date(2025, 1, 1)))
    assert doc["control_lines"]["permanent_farmland"]["area_m2"] == 0.0
    assert [x["layer"] for x in doc["slivers"]].count("permanent_farmland") == 1
    assert next(x for x in doc["rules"] if x["id"] == "CL-PF-001")["verdict"] == "pass"
    strict = review_json(review_site(county, s, date=dt.date(2025, 1, 1), policy=DEFAULT_POLICY.with_(sliver_m2=0.1)))
    assert next(x for x in strict["rules"] if x["id"] == "CL-PF-001")["verdict"] == "conflict"


def test_per_feature_figures(county: Store) -> None:
    doc = review_json(review_site(county, site((100, 100, 200, 200), (2100, 100, 2200, 200)),
                                  date=dt.date(2025, 1, 1)))
    a, b = doc["features"]
    assert a["label"] == "地块1" and a["overlaps"]["permanent_farmland"][0]["area_m2"] == 10000.0
    assert "permanent_farmland" not in b["overlaps"] and b["overlaps"]["eco_redline"][0]["percent"] == 100.0
    assert doc["site_area_m2"] == 20000.0


def test_invalid_site_is_refused(county: Store) -> None:
    bow = shapely.Polygon([(E, N), (E + 100, N + 100), (E + 100, N), (E, N + 100)])
    with pytest.raises(GeometryError):
        review_site(county, FeatureBatch(np.array([bow]), epsg=4549, ids=["红线1"]), source="x.txt")


def test_text_report_in_chinese_and_english(county: Store) -> None:
    r = review_site(county, site((900, 100, 1100, 200)), date=dt.date(2025, 1, 1))
    zh = render_text(r)
    assert "建设项目用地合规性审查报告" in zh and "永久基本农田" in zh and "冲突" in zh and "15.0000" in zh
    en = render_text(r, "en")
    assert "Overall verdict: conflict" in en


offset = st.floats(min_value=-500, max_value=3500)
size = st.floats(min_value=1, max_value=800)


@settings(max_examples=60, deadline=None)
@given(x=offset, y=offset, w=size, h=size)
def test_overlaps_never_exceed_the_site_area(x: float, y: float, w: float, h: float, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    store = _shared_county(tmp_path_factory)
    doc = review_json(review_site(store, site((x, y, x + w, y + h)), date=dt.date(2025, 1, 1)))
    whole = doc["site_area_m2"]
    for line in doc["control_lines"].values():
        assert line["area_m2"] <= whole and line["percent"] <= 100.0
    assert sum(line["area_m2"] for line in doc["control_lines"].values()) <= whole + 0.01 * 3
    assert sum(g["area_m2"] for g in doc["survey"]) <= whole + 0.01 * len(doc["survey"])
    for g in doc["zones"]:
        assert g["area_m2"] <= whole


_COUNTY: dict[str, Store] = {}


def _shared_county(factory: pytest.TempPathFactory) -> Store:
    if "s" not in _COUNTY:
        from guotu.store.gpkg import GpkgStore

        s = GpkgStore(factory.mktemp("county") / "c.gpkg", create=True)
        build(s)
        _COUNTY["s"] = s
    return _COUNTY["s"]


def test_gcj02_site_is_shifted_back_before_review(county: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from guotu.core.crs import wgs84_to_gcj02
    from guotu.core.errors import CRSError
    from guotu.formats.geojson import write_geojson
    from guotu.onemap.service import check_file

    true_site = site((1200, 200, 1300, 300)).to_epsg(4490)
    shifted = shapely.transform(true_site.geometry, wgs84_to_gcj02)
    path = tmp_path / "from_web_map.geojson"
    write_geojson(FeatureBatch(shifted, {"name": ["网页地图勾绘"]}), path)
    plain = review_json(check_file(county, path, date=dt.date(2025, 1, 1)))
    fixed = review_json(check_file(county, path, date=dt.date(2025, 1, 1), gcj02=True))
    assert plain["control_lines"]["dev_boundary"]["percent"] < 100.0  # ~500 m off: partly outside
    assert fixed["control_lines"]["dev_boundary"]["percent"] == 100.0
    assert fixed["site_area_m2"] == pytest.approx(10000.0, abs=0.05)
    projected = tmp_path / "projected.geojson"
    ring = [[E + 1200, N + 200], [E + 1300, N + 200], [E + 1300, N + 300], [E + 1200, N + 300], [E + 1200, N + 200]]
    projected.write_text(json.dumps({
        "type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4549"}},
        "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    with pytest.raises(CRSError) as err:
        check_file(county, projected, gcj02=True)
    assert err.value.key == "formats.gcj02_not_geographic"


def differences(a: Any, b: Any, rel: float, path: str = "") -> list[str]:
    """Where two JSON documents differ: structure and text exactly, numbers to ``rel`` relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a)} != {sorted(b)}"]
        return [d for k in a for d in differences(a[k], b[k], rel, f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, rel, f"{path}[{i}]")]
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return [] if math.isclose(a, b, rel_tol=rel, abs_tol=1e-12) else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def test_compliance_json_is_the_same_on_both_stores(tmp_path: Path, pg_store: PostgisStore) -> None:
    gpkg = GpkgStore(tmp_path / "county.gpkg", create=True)
    try:
        build(gpkg)
        build(pg_store)
        sites = [site((1200, 200, 1300, 300)), site((900, 100, 1100, 200)), site((2100, 3100, 2200, 3200)),
                 site((999.5, 100, 1099.5, 101)), site((100, 100, 200, 200), (2100, 100, 2200, 200)),
                 site((-300, -300, 3300, 4300)), site((1733.3, 1234.5, 2461.7, 2999.9))]
        for s in sites:
            for day in (dt.date(2020, 1, 1), dt.date(2024, 6, 27), dt.date(2024, 6, 28), dt.date(2025, 1, 1)):
                a = review_json(review_site(gpkg, s, date=day, source="site"))
                b = review_json(review_site(pg_store, s, date=day, source="site"))
                assert differences(a, b, 1e-9) == [], (day, s.geometry[0].wkt)
    finally:
        gpkg.close()
