"""Reading layers, editions and features over HTTP; identify and measure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient

from guotu.core.geometry import area_m2
from guotu.core.units import report_m2, report_mu
from guotu.store import Store

Expect = Callable[..., dict[str, str]]
LAYERS = ["survey", "permanent_farmland", "eco_redline", "dev_boundary", "zones", "towns", "sites"]


def test_layers_with_schema_bounds_and_editions(client: TestClient, demo_store: Store) -> None:
    doc = client.get("/api/layers").json()
    assert [x["name"] for x in doc] == LAYERS
    by_name = {x["name"]: x for x in doc}
    assert by_name["sites"]["count"] == demo_store.layer("sites").count
    assert by_name["sites"]["geometry_type"] == "MULTIPOLYGON" and "demo_case" in by_name["sites"]["fields"]
    assert len(by_name["sites"]["bounds"]) == 4
    eds = by_name["dev_boundary"]["editions"]
    assert [e["status"] for e in eds] == ["superseded", "approved"] and eds[1]["valid_from"] == "2024-06-28"
    assert client.get("/api/layers/dev_boundary/editions").json() == eds
    assert client.get("/api/layers/towns").json()["count"] == 9


def test_feature_pages_for_the_attribute_table(client: TestClient, demo_store: Store) -> None:
    total = demo_store.layer("survey").count
    first = client.get("/api/layers/survey/features", params={"limit": 50}).json()
    assert first["type"] == "FeatureCollection"
    assert first["numberMatched"] == total and first["numberReturned"] == 50
    second = client.get("/api/layers/survey/features", params={"limit": 50, "offset": 50}).json()
    ids = [f["id"] for f in first["features"]] + [f["id"] for f in second["features"]]
    assert len(set(ids)) == 100 and ids == sorted(ids)
    last = client.get("/api/layers/survey/features", params={"limit": 50, "offset": total - 10}).json()
    assert last["numberReturned"] == 10
    one = client.get("/api/layers/sites/features", params={"demo_case": "crosses_eco_redline"}).json()
    assert one["numberMatched"] == 2 and {f["properties"]["demo_case"] for f in one["features"]} == {
        "crosses_eco_redline"}
    feature = client.get(f"/api/layers/sites/features/{one['features'][0]['id']}").json()
    assert feature["properties"] == one["features"][0]["properties"]
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_bbox_and_as_of(client: TestClient, demo_store: Store) -> None:
    box = (121.0, 30.6, 121.05, 30.65)
    doc = client.get("/api/layers/survey/features", params={"bbox": ",".join(map(str, box)), "limit": 1000}).json()
    batch = demo_store.read("survey", bbox=box)
    expected = int(shapely.intersects(batch.geometry, shapely.box(*box)).sum())
    assert doc["numberMatched"] == expected > 0
    old = client.get("/api/layers/dev_boundary/features", params={"as_of": "2024-06-27", "limit": 1}).json()
    new = client.get("/api/layers/dev_boundary/features", params={"as_of": "2024-06-28", "limit": 1}).json()
    assert old["numberMatched"] == len(demo_store.read("dev_boundary", as_of=dt.date(2024, 6, 27)))
    assert old["numberMatched"] != new["numberMatched"]
    assert old["features"][0]["edition"] == "三区三线划定成果（2022年）"


@pytest.mark.parametrize(("params", "status", "key"), [
    ({"bbox": "121.2,30,121,31"}, 400, "query.bbox_swapped"),
    ({"bbox": "121,31,121.2,30"}, 400, "query.bbox_swapped"),
    ({"bbox": "121,30,abc,31"}, 400, "query.bad_bbox"),
    ({"bbox": "121,30,122"}, 400, "query.bad_bbox"),
    ({"as_of": "2024-13-01"}, 400, "query.bad_date"),
    ({"limit": 0}, 422, "api.invalid_request"),
    ({"limit": 10**6}, 400, "query.bad_limit"),
    ({"offset": -1}, 422, "api.invalid_request"),
    ({"no_such_field": "1"}, 400, "store.unknown_field"),
])
def test_bad_parameters_are_4xx_with_a_message(client: TestClient, expect_error: Expect, params: dict[str, object],
                                               status: int, key: str) -> None:
    err = expect_error(client.get("/api/layers/sites/features", params=params), status, key)
    if key == "query.bbox_swapped":
        assert "最小值大于最大值" in err["message"] and "minimum exceeds" in err["message_en"]


def test_unknown_things_are_404(client: TestClient, expect_error: Expect) -> None:
    expect_error(client.get("/api/layers/nope"), 404, "store.unknown_layer")
    err = expect_error(client.get("/api/layers/nope/features"), 404, "store.unknown_layer")
    assert ".gpkg" not in err["message"]  # the server's paths are not shown
    expect_error(client.get("/api/layers/sites/features/99999"), 404, "store.unknown_feature")
    expect_error(client.get("/api/layers/sites/features/abc"), 422)
    expect_error(client.get("/api/nothing-here"), 404, "api.not_found")


def test_identify_a_point(client: TestClient, demo_store: Store, expect_error: Expect) -> None:
    sites = demo_store.read("sites")
    p = shapely.point_on_surface(sites.geometry[0])
    doc = client.get("/api/identify", params={"lon": p.x, "lat": p.y, "as_of": "2025-01-01"}).json()
    hits = {x["layer"]: x["features"] for x in doc["layers"]}
    assert [f["id"] for f in hits["sites"]] == [sites.record_id(0)]
    assert len(hits["survey"]) >= 1 and len(hits["towns"]) == 1
    only = client.get("/api/identify", params={"lon": p.x, "lat": p.y, "layers": "sites,towns"}).json()
    assert [x["layer"] for x in only["layers"]] == ["sites", "towns"]
    expect_error(client.get("/api/identify", params={"lon": 500, "lat": 30}), 400, "query.bad_point")
    expect_error(client.get("/api/identify", params={"lon": 121, "lat": 30, "layers": "nope"}), 404)
    expect_error(client.get("/api/identify", params={"lon": "x", "lat": 30}), 422)


def test_measure_in_the_metric_zone(client: TestClient, expect_error: Expect) -> None:
    ring = [[121.0, 30.7], [121.01, 30.7], [121.01, 30.71], [121.0, 30.71], [121.0, 30.7]]
    doc = client.post("/api/measure", json={"geometry": {"type": "Polygon", "coordinates": [ring]}}).json()
    m2 = float(area_m2(np.array([shapely.Polygon(ring)]), 4490)[0])
    assert doc == {"area_m2": report_m2(m2), "area_mu": report_mu(m2), "length_m": pytest.approx(doc["length_m"]),
                   "metric_epsg": 4549}
    assert 1.0e6 < doc["area_m2"] < 1.1e6 and doc["area_mu"] == pytest.approx(doc["area_m2"] * 15 / 10000, abs=1e-3)
    line = client.post("/api/measure", json={"geometry": {"type": "LineString", "coordinates": ring[:2]}}).json()
    assert line["area_m2"] == 0 and 950 < line["length_m"] < 970
    bowtie = [[121.0, 30.7], [121.01, 30.71], [121.01, 30.7], [121.0, 30.71], [121.0, 30.7]]
    expect_error(client.post("/api/measure", json={"geometry": {"type": "Polygon", "coordinates": [bowtie]}}), 422,
                 "geometry.problem")
    expect_error(client.post("/api/measure", json={}), 422, "api.invalid_request")
    expect_error(client.post("/api/measure", json={"geometry": {"type": "Polygon", "coordinates": "x"}}), 422)


@pytest.mark.parametrize("junk", ["", "x", "-1", "1e309", "%00", "../../etc/passwd", "121,30,121", "9" * 40])
def test_no_get_route_answers_500_to_junk(client: TestClient, junk: str) -> None:
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        if "get" not in item:
            continue
        url = path.replace("{layer}", "sites").replace("{tms}", "WebMercatorQuad")
        for name in ("fid", "z", "y", "x", "name"):
            url = url.replace("{" + name + "}", junk or "0")
        params = {p["name"]: junk for p in item["get"].get("parameters", []) if p["in"] == "query"}
        r = client.get(url, params=params)
        assert r.status_code < 500, (url, params, r.text)
        if r.status_code >= 400:
            assert set(r.json()["error"]) >= {"key", "message", "message_en"}
