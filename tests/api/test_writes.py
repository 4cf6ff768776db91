"""Writes over HTTP: roles, one audited transaction, validation before anything is written."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from guotu.store import Store

Login = Callable[[TestClient, str], dict[str, str]]
Expect = Callable[..., dict[str, str]]


def square(x: float = 121.05, y: float = 30.70, d: float = 0.001) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]}


def feature(props: dict[str, Any] | None = None, geometry: dict[str, Any] | None = None, fid: Any = None
            ) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "Feature", "properties": props or {}, "geometry": geometry or square()}
    if fid is not None:
        out["id"] = fid
    return out


BOWTIE = {"type": "Polygon", "coordinates": [[[121.0, 30.7], [121.01, 30.71], [121.01, 30.7], [121.0, 30.71],
                                              [121.0, 30.7]]]}

# Every write endpoint: method, path, JSON body.
WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/api/layers/sites/features", feature({"name": "新项目"})),
    ("PUT", "/api/layers/sites/features/1", feature({"name": "改名"})),
    ("DELETE", "/api/layers/sites/features/1", None),
    ("POST", "/api/layers/zones/editions", {"name": "草案", "valid_from": "2026-01-01"}),
    ("POST", "/api/users", {"name": "someone", "password": "long-enough-1", "roles": ["viewer"]}),
    ("PATCH", "/api/users/viewer", {"roles": ["administrator"]}),
]


def snapshot(store: Store) -> tuple[int, dict[str, int], list[str]]:
    return (len(store.audit_events()), {i.name: i.count for i in store.layers()},
            [e.name for e in store.editions("zones")])


@pytest.mark.parametrize(("method", "path", "body"), WRITES, ids=[f"{m} {p}" for m, p, _ in WRITES])
def test_writes_need_a_login_and_the_role(rw_client: TestClient, rw_store: Store, login_as: Login,
                                          expect_error: Expect, method: str, path: str, body: Any) -> None:
    viewer = login_as(rw_client, "viewer")
    before = snapshot(rw_store)
    expect_error(rw_client.request(method, path, json=body), 401, "auth.login_required")
    expect_error(rw_client.request(method, path, json=body, headers={"Authorization": "Bearer nope"}), 401)
    denied = expect_error(rw_client.request(method, path, json=body, headers=viewer), 403, "auth.forbidden")
    assert "viewer" in denied["message"]
    if path.startswith("/api/users"):
        expect_error(rw_client.request(method, path, json=body, headers=login_as(rw_client, "planner")), 403)
        before = snapshot(rw_store)  # the planner's login is an audit event of its own
    assert snapshot(rw_store) == before


def test_a_planners_edits_land_in_the_audit_trail(rw_client: TestClient, rw_store: Store, login_as: Login) -> None:
    planner = login_as(rw_client, "planner")
    since = rw_store.audit_events()[-1].id
    r = rw_client.post("/api/layers/sites/features", headers=planner,
                       json={"type": "FeatureCollection", "features": [feature({"name": "新项目", "site_no": "N-1"}),
                                                                       feature({"name": "另一个"}, square(121.06))]})
    assert r.status_code == 201, r.text
    fids = r.json()["fids"]
    assert len(fids) == 2 and r.json()["revision"] == rw_store.revision("sites")
    got = rw_client.get(f"/api/layers/sites/features/{fids[0]}").json()
    assert got["properties"]["name"] == "新项目" and got["properties"]["site_no"] == "N-1"
    r = rw_client.put(f"/api/layers/sites/features/{fids[0]}", headers=planner,
                      json=feature({"name": "改名后"}, square(121.05, 30.70, 0.002)))
    assert r.status_code == 200, r.text
    got = rw_client.get(f"/api/layers/sites/features/{fids[0]}").json()
    assert got["properties"]["name"] == "改名后" and got["properties"]["site_no"] == "N-1"
    assert rw_client.delete(f"/api/layers/sites/features/{fids[1]}", headers=planner).json()["count"] == 1
    r = rw_client.post("/api/layers/zones/editions", headers=planner,
                       json={"name": "2026年修编草案", "valid_from": "2026-03-01", "document": "草案"})
    assert r.status_code == 201 and r.json()["status"] == "draft"
    events = [e for e in rw_store.audit_events(since) if e.action != "login"]
    assert [(e.action, e.actor, e.layer) for e in events] == [
        ("write", "planner", "sites"), ("update", "planner", "sites"), ("delete", "planner", "sites"),
        ("add_edition", "planner", "zones")]
    assert events[1].detail["features"][0]["before"]["name"] == "新项目"


def test_bad_features_are_refused_and_nothing_is_written(rw_client: TestClient, rw_store: Store, login_as: Login,
                                                         expect_error: Expect) -> None:
    planner = login_as(rw_client, "planner")
    before = snapshot(rw_store)
    url = "/api/layers/sites/features"
    batch = {"type": "FeatureCollection",
             "features": [feature({"name": "好的"}), feature({"name": "坏的"}, BOWTIE, "B-7")]}
    err = expect_error(rw_client.post(url, json=batch, headers=planner), 422, "geometry.problem")
    assert "B-7" in err["message"] and "自相交" in err["message"] and "self" in err["message_en"]
    err = expect_error(rw_client.put("/api/layers/sites/features/1", json=feature({}, BOWTIE), headers=planner), 422)
    assert err["key"] == "geometry.problem"
    line = {"type": "LineString", "coordinates": [[121.0, 30.7], [121.01, 30.7]]}
    expect_error(rw_client.post(url, json=feature({}, line), headers=planner), 422, "edit.wrong_geometry_type")
    expect_error(rw_client.post(url, json=feature({"nope": 1}), headers=planner), 422, "edit.unknown_field")
    expect_error(rw_client.post("/api/layers/permanent_farmland/features?edition=平湖市国土空间总体规划（2021-2035年）",
                                json=feature({"quality_grade": "高"}), headers=planner), 422, "edit.bad_value")
    far = square(2.35, 48.85)  # Paris: not a lon/lat in China
    expect_error(rw_client.post(url, json=feature({}, far), headers=planner), 422, "crs.outside_china")
    expect_error(rw_client.post(url, json={"type": "Feature", "geometry": {"type": "Polygon"}}, headers=planner), 422)
    expect_error(rw_client.post(url, json={"type": "Banana"}, headers=planner), 422, "geojson.unknown_type")
    json_header = {**planner, "Content-Type": "application/json"}
    expect_error(rw_client.post(url, content=b'{"type": "Feature",', headers=json_header), 400, "api.bad_json")
    expect_error(rw_client.post(url, json=[1, 2], headers=planner), 422, "api.invalid_request")
    expect_error(rw_client.post("/api/layers/nope/features", json=feature(), headers=planner), 404,
                 "store.unknown_layer")
    expect_error(rw_client.put("/api/layers/sites/features/99999", json=feature(), headers=planner), 404)
    expect_error(rw_client.delete("/api/layers/sites/features/99999", headers=planner), 404)
    expect_error(rw_client.post("/api/layers/zones/features", json=feature(), headers=planner), 400,
                 "edit.edition_required")
    superseded = "三区三线划定成果（2022年）"
    fid = rw_store.read("dev_boundary", where={"guotu_edition": rw_store.editions("dev_boundary")[0].id})
    expect_error(rw_client.post(f"/api/layers/dev_boundary/features?edition={superseded}", json=feature(),
                                headers=planner), 409, "edit.edition_superseded")
    if len(fid):
        expect_error(rw_client.delete(f"/api/layers/dev_boundary/features/{fid.ids[0]}", headers=planner), 409)
    expect_error(rw_client.post("/api/layers/zones/editions", headers=planner,
                                json={"name": "x", "valid_from": "2026-13-01"}), 422, "api.invalid_request")
    existing = {"name": "平湖市国土空间总体规划（2021-2035年）", "valid_from": "2026-01-01"}
    expect_error(rw_client.post("/api/layers/zones/editions", headers=planner, json=existing), 409)
    after = snapshot(rw_store)
    assert after[1:] == before[1:]
    assert [e.action for e in rw_store.audit_events(before[0])] == []


JUNK: list[bytes] = [json.dumps(x).encode() for x in (
    "x", 1e308, [], {}, None, {"type": "Feature"}, {"type": "FeatureCollection", "features": [1]},
    {"geometry": {"type": "Point", "coordinates": ["a", "b"]}}, {"name": {"a": 1}, "roles": "x"},
    {"type": "Feature", "properties": {"name": "x"}, "geometry": {"type": "Point", "coordinates": [121, 30.7]}},
)] + [b'{"type": "Polygon", "coordinates": [[[1e400, 30.7], [121, 30.8], [121.1, 30.7], [1e400, 30.7]]]}',
      b'{"geometry": {"type": "Polygon", "coordinates": [[[NaN, 30.7], [121, 30.8], [121.1, 30.7], [NaN, 30.7]]]}}',
      b"[" * 5000, "\u7ea2".encode() * 3]


def test_no_write_route_answers_500_to_junk(rw_client: TestClient, rw_store: Store, login_as: Login) -> None:
    admin = login_as(rw_client, "admin")
    routes = [(m, p.replace("/1", "/99999999999999999999")) for m, p, _ in WRITES] + [
        ("POST", "/api/compliance"), ("POST", "/api/measure"), ("POST", "/api/auth/login")]
    for method, path in routes:
        for body in JUNK:
            r = rw_client.request(method, path, content=body, headers={**admin, "Content-Type": "application/json"})
            assert r.status_code < 500, (method, path, body, r.text)
            assert r.status_code == 200 or "error" in r.json()
