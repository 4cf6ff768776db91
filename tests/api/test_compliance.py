"""POST /api/compliance: uploads and GeoJSON bodies, reviewed exactly as `guotu check --json` does."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient

from guotu.formats.geojson import parse_geojson, to_features
from guotu.onemap.compliance import review_json, review_site
from guotu.onemap.report import render_text
from guotu.onemap.service import check_file, export_layer
from guotu.store import Store

Expect = Callable[..., dict[str, str]]
DAY = "2025-01-01"
URL = f"/api/compliance?date={DAY}"


def without_source(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "source"}


@pytest.fixture(scope="module")
def site_txt(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site_crossing.txt"
    export_layer(demo_store, "sites", out, where={"demo_case": "crosses_permanent_farmland"}, limit=1)
    return out


def upload(client: TestClient, path: Path, url: str = URL, name: str | None = None) -> Any:
    return client.post(url, files={"file": (name or path.name, path.read_bytes(), "application/octet-stream")})


def test_upload_of_a_coordinate_txt_equals_guotu_check(client: TestClient, demo_store: Store, site_txt: Path) -> None:
    r = upload(client, site_txt)
    assert r.status_code == 200, r.text
    doc = r.json()
    expected = json.loads(json.dumps(review_json(check_file(demo_store, site_txt, date=dt.date(2025, 1, 1)), "zh"),
                                     ensure_ascii=False, default=str))
    assert without_source(doc) == without_source(expected)
    assert doc["source"] == "site_crossing.txt"  # the user's name, never the temporary path
    assert doc["verdict"] == "conflict" and doc["control_lines"]["permanent_farmland"]["area_m2"] > 0


def test_geojson_body_equals_review_json(client: TestClient, demo_store: Store) -> None:
    site = demo_store.read("sites", where={"demo_case": "inside_dev_boundary"}).take([0])
    body = to_features(site)[0]  # coordinates rounded to 1e-9°: review exactly what is sent
    r = client.post(URL, json=body)
    assert r.status_code == 200, r.text
    sent = parse_geojson(body).batch
    expected = review_json(review_site(demo_store, sent, date=dt.date(2025, 1, 1), source="GeoJSON"), "zh")
    assert without_source(r.json()) == without_source(json.loads(json.dumps(expected, default=str)))
    assert r.json()["control_lines"]["dev_boundary"]["percent"] == 100.0
    bare = client.post(URL, json=json.loads(shapely.to_geojson(site.geometry[0]))).json()  # a bare geometry
    assert bare["site_area_m2"] == pytest.approx(r.json()["site_area_m2"], abs=0.05)


def test_geometry_for_the_map(client: TestClient, site_txt: Path) -> None:
    doc = upload(client, site_txt, URL + "&geometry=true").json()
    site, overlaps = doc["geometry"]["site"], doc["geometry"]["overlaps"]
    assert site["type"] == overlaps["type"] == "FeatureCollection" and len(site["features"]) == 1
    assert site["features"][0]["properties"]["area_m2"] == doc["site_area_m2"]
    pf = [f for f in overlaps["features"] if f["properties"]["layer"] == "permanent_farmland"]
    assert pf and {"layer", "group", "area_m2", "label"} <= set(pf[0]["properties"])
    assert sum(f["properties"]["area_m2"] for f in pf) == pytest.approx(
        doc["control_lines"]["permanent_farmland"]["area_m2"], abs=0.05)
    lon, lat = pf[0]["geometry"]["coordinates"][0][0][0][:2] if pf[0]["geometry"]["type"] == "MultiPolygon" else (
        pf[0]["geometry"]["coordinates"][0][0][:2])
    assert 120 < lon < 122 and 30 < lat < 31
    assert "geometry" not in upload(client, site_txt).json()


def test_html_report_is_printable_and_escaped(client: TestClient, demo_store: Store, site_txt: Path) -> None:
    r = upload(client, site_txt, URL + "&format=html")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    doc = upload(client, site_txt).json()
    page = r.text
    assert "建设项目用地合规性审查报告" in page and "永久基本农田" in page and "@media print" in page
    assert f"{doc['site_area_m2']:.2f}" in page and f"{doc['site_area_mu']:.4f}" in page
    assert f"{doc['control_lines']['permanent_farmland']['area_m2']:.2f}" in page
    assert "<script" not in page and "http" not in page.split("</style>")[0]  # self-contained
    sites = demo_store.read("sites", where={"demo_case": "inside_dev_boundary"}).take([0, 1])
    sites.attributes = {"name": ['<script>alert("x")</script>', "A & B"]}
    sites.fields = {"name": "TEXT"}
    body = {"type": "FeatureCollection", "features": to_features(sites)}
    page = client.post(URL + "&format=html", json=body).text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "A &amp; B" in page


def test_text_report_is_a_download(client: TestClient, demo_store: Store, site_txt: Path) -> None:
    r = upload(client, site_txt, URL + "&format=txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert r.headers["content-disposition"].startswith("attachment;") and "filename*=UTF-8''" in r.headers[
        "content-disposition"]
    review = check_file(demo_store, site_txt, date=dt.date(2025, 1, 1))
    review.source = "site_crossing.txt"
    assert r.text == render_text(review, "zh")


@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_other_upload_formats(client: TestClient, demo_store: Store, tmp_path: Path, site_txt: Path) -> None:
    reference = without_source(upload(client, site_txt).json())
    shp = tmp_path / "红线.shp"
    export_layer(demo_store, "sites", shp, where={"demo_case": "crosses_permanent_farmland"}, limit=1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for part in tmp_path.glob("红线.*"):
            zf.write(part, f"data/{part.name}")
    r = client.post(URL, files={"file": ("红线.zip", buffer.getvalue(), "application/zip")})
    assert r.status_code == 200, r.text
    assert r.json()["source"] == "红线.zip/data/红线.shp"
    assert r.json()["site_area_m2"] == pytest.approx(reference["site_area_m2"], abs=0.1)
    gpkg = tmp_path / "site.gpkg"
    export_layer(demo_store, "sites", gpkg, where={"demo_case": "crosses_permanent_farmland"}, limit=1)
    assert upload(client, gpkg).json()["site_area_m2"] == pytest.approx(reference["site_area_m2"], abs=0.1)
    gj = tmp_path / "site.geojson"
    export_layer(demo_store, "sites", gj, where={"demo_case": "crosses_permanent_farmland"}, limit=1)
    assert upload(client, gj).json()["verdict"] == reference["verdict"]


def test_bad_input_is_4xx_and_writes_nothing(client: TestClient, demo_store: Store, site_txt: Path, tmp_path: Path,
                                             expect_error: Expect) -> None:
    events = len(demo_store.audit_events())
    raw = site_txt.read_bytes().decode("gbk")
    err = expect_error(client.post(URL, files={"file": ("utf16.txt", raw.encode("utf-16-le"))}), 400,
                       "coordtxt.undecodable")
    assert "utf16.txt" in err["message"] and "guotu-upload" not in err["message"] and "GBK" in err["message"]
    expect_error(client.post(URL, content=b'{"type": "Polygon", "coordinates": [[[121, 30.7]', headers={
        "Content-Type": "application/json"}), 400, "api.bad_json")
    expect_error(client.post(URL, json={"type": "Polygon", "coordinates": [[[121, 30.7], [121.1, 30.7]]]}), 422,
                 "geojson.ring_too_short")
    expect_error(client.post(URL, json={"type": "Point", "coordinates": [121, 30.7]}), 400,
                 "compliance.site_not_polygon")
    expect_error(client.post(URL, json={"hello": "world"}), 422, "geojson.not_geojson")
    bowtie = {"type": "Polygon", "coordinates": [[[121.0, 30.7], [121.01, 30.71], [121.01, 30.7], [121.0, 30.71],
                                                  [121.0, 30.7]]]}
    expect_error(client.post(URL, json=bowtie), 422, "geometry.problem")
    expect_error(client.post(URL, files={"file": ("site.exe", b"MZ")}), 422, "upload.bad_suffix")
    expect_error(client.post(URL, files={"file": ("site.zip", b"not a zip")}), 422, "archive.bad_zip")
    expect_error(client.post(URL, files={"file": ("empty.txt", b"")}), 422)
    expect_error(client.post(URL, files={"other": ("site.txt", b"x")}), 400, "upload.no_file")
    expect_error(client.post(URL, content=b"x", headers={"Content-Type": "text/plain"}), 400,
                 "upload.bad_content_type")
    expect_error(client.post("/api/compliance?date=2025-02-30", json=bowtie), 400, "query.bad_date")
    expect_error(client.post(URL + "&format=pdf", json=bowtie), 422, "api.invalid_request")
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../evil.geojson", "{}")
    expect_error(client.post(URL, files={"file": ("evil.zip", evil.getvalue())}), 422, "archive.unsafe_name")
    assert len(demo_store.audit_events()) == events


def test_upload_limit(demo_store: Store, site_txt: Path, expect_error: Expect) -> None:
    from guotu.api import create_app
    from guotu.api.settings import Settings

    with TestClient(create_app(Settings(db="", max_upload_mb=0.001), store=demo_store)) as small:
        big = site_txt.read_bytes() * 4  # > 1 KiB
        err = expect_error(small.post(URL, files={"file": ("site.txt", big)}), 413, "upload.too_large")
        assert "GUOTU_MAX_UPLOAD_MB" in err["message"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
            yield b'{"type": "Polygon", "coordinates": '
            for _ in range(100):
                yield b" " * 100

        expect_error(small.post(URL, content=chunks(), headers={"Content-Type": "application/json"}), 413,
                     "upload.too_large")
        expect_error(small.post("/api/measure", content=chunks(), headers={"Content-Type": "application/json"}), 413)
        assert small.post(URL, json={"type": "Point", "coordinates": [121, 30.7]}).status_code == 400  # small is fine
