"""OGC API – Features at /ogc, checked by hand and read by GDAL's OAPIF driver."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
import shapely
import uvicorn
from fastapi.testclient import TestClient

from guotu.api import create_app
from guotu.api.settings import Settings
from guotu.core.crs import transform_geometries
from guotu.store import Store

Expect = Callable[..., dict[str, str]]
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def test_landing_page_and_conformance(client: TestClient) -> None:
    doc = client.get("/ogc").json()
    rels = {link["rel"]: link for link in doc["links"]}
    assert {"self", "conformance", "data", "service-desc", "service-doc"} <= set(rels)
    assert rels["data"]["href"].endswith("/ogc/collections")
    assert client.get(rels["service-desc"]["href"]).status_code == 200
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    for name in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                 "ogcapi-features-1/1.0/conf/oas30", "ogcapi-features-2/1.0/conf/crs"):
        assert f"http://www.opengis.net/spec/{name}" in classes


def test_collections_with_extents(client: TestClient, demo_store: Store) -> None:
    doc = client.get("/ogc/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == [i.name for i in demo_store.layers()]
    dev = client.get("/ogc/collections/dev_boundary").json()
    assert dev["extent"]["spatial"]["crs"] == CRS84
    assert dev["extent"]["spatial"]["bbox"][0] == pytest.approx(list(demo_store.layer("dev_boundary").bounds or []))
    assert dev["extent"]["temporal"]["interval"] == [["2022-10-14", None]]
    assert "temporal" not in client.get("/ogc/collections/survey").json()["extent"]
    assert set(dev["crs"]) >= {CRS84, EPSG.format(4490), EPSG.format(4549)}
    assert {link["rel"] for link in dev["links"]} >= {"self", "items"}


def test_items_paging(client: TestClient, demo_store: Store) -> None:
    total = demo_store.layer("survey").count
    r = client.get("/ogc/collections/survey/items", params={"limit": 700})
    assert r.headers["content-type"].startswith("application/geo+json")
    assert r.headers["content-crs"] == f"<{CRS84}>"
    seen: list[int] = []
    doc = r.json()
    while True:
        assert doc["numberMatched"] == total and doc["numberReturned"] == len(doc["features"])
        seen += [f["id"] for f in doc["features"]]
        nxt = [link["href"] for link in doc["links"] if link["rel"] == "next"]
        if not nxt:
            break
        doc = client.get(nxt[0]).json()
    assert len(seen) == len(set(seen)) == total
    one = client.get(f"/ogc/collections/survey/items/{seen[5]}").json()
    assert one["id"] == seen[5] and one["type"] == "Feature"


def test_datetime_selects_the_edition_in_force(client: TestClient, demo_store: Store) -> None:
    def count(day: str) -> int:
        doc = client.get("/ogc/collections/dev_boundary/items", params={"datetime": day, "limit": 1}).json()
        return int(doc["numberMatched"])

    assert count("2024-06-27") == len(demo_store.read("dev_boundary", as_of=dt.date(2024, 6, 27)))
    assert count("2024-06-28") == len(demo_store.read("dev_boundary", as_of=dt.date(2024, 6, 28)))
    assert count("2024-06-27") != count("2024-06-28")
    assert count("2024-06-28T08:00:00Z") == count("2024-06-28")
    assert count("2020-01-01") == 0


def test_crs_and_bbox_crs(client: TestClient, demo_store: Store) -> None:
    fid = demo_store.read("sites").record_id(0)
    lonlat = client.get(f"/ogc/collections/sites/items/{fid}").json()["geometry"]["coordinates"][0][0][0]
    r = client.get(f"/ogc/collections/sites/items/{fid}", params={"crs": EPSG.format(4490)})
    assert r.headers["content-crs"] == f"<{EPSG.format(4490)}>"
    assert r.json()["geometry"]["coordinates"][0][0][0] == pytest.approx(lonlat[::-1])  # EPSG:4490 is lat, lon
    gk = client.get(f"/ogc/collections/sites/items/{fid}", params={"crs": EPSG.format(4549)}).json()
    northing, easting = gk["geometry"]["coordinates"][0][0][0]
    expected = transform_geometries(np.array([shapely.Point(lonlat)]), 4490, 4549)[0]
    assert (easting, northing) == pytest.approx((expected.x, expected.y), abs=1e-3)
    box = (121.0, 30.6, 121.05, 30.65)
    plain = client.get("/ogc/collections/survey/items", params={"bbox": ",".join(map(str, box)), "limit": 1}).json()
    latlon = client.get("/ogc/collections/survey/items", params={
        "bbox": f"{box[1]},{box[0]},{box[3]},{box[2]}", "bbox-crs": EPSG.format(4490), "limit": 1}).json()
    assert plain["numberMatched"] == latlon["numberMatched"] > 0
    m = transform_geometries(np.array([shapely.box(*box)]), 4490, 4549)[0].bounds
    metric = client.get("/ogc/collections/survey/items", params={
        "bbox": f"{m[1]},{m[0]},{m[3]},{m[2]}", "bbox-crs": EPSG.format(4549), "limit": 1}).json()
    assert abs(metric["numberMatched"] - plain["numberMatched"]) <= 3  # the same box, drawn in another CRS


def test_ogc_errors(client: TestClient, expect_error: Expect) -> None:
    expect_error(client.get("/ogc/collections/nope"), 404, "store.unknown_layer")
    expect_error(client.get("/ogc/collections/nope/items"), 404, "store.unknown_layer")
    expect_error(client.get("/ogc/collections/sites/items/999999"), 404, "store.unknown_feature")
    expect_error(client.get("/ogc/collections/sites/items/abc"), 404)
    expect_error(client.get("/ogc/collections/sites/items", params={"crs": EPSG.format(3857)}), 400, "api.bad_crs")
    expect_error(client.get("/ogc/collections/sites/items", params={"bbox": "121.2,30.6,121.0,30.7"}), 400,
                 "query.bbox_swapped")
    expect_error(client.get("/ogc/collections/sites/items", params={"datetime": "2024-01-01/2024-12-31"}), 400,
                 "query.datetime_interval")
    expect_error(client.get("/ogc/collections/sites/items", params={"datetime": "yesterday"}), 400, "query.bad_date")


# --- GDAL ---------------------------------------------------------------------------------------------------------

_GDAL_CLIENT = """
import json, sys
import pyogrio, pyogrio.raw
url, layer, bbox = sys.argv[1], sys.argv[2], tuple(json.loads(sys.argv[3]))
info = pyogrio.read_info(url, layer=layer)
meta, fids, geoms, fields = pyogrio.raw.read(url, layer=layer, return_fids=True)[:4]
_, box_fids, _, _ = pyogrio.raw.read(url, layer=layer, bbox=bbox, return_fids=True)[:4]
names = [str(n) for n in pyogrio.list_layers(url)[:, 0]]
print(json.dumps({"layers": names, "count": int(info["features"]), "crs": meta["crs"], "read": len(geoms),
                  "fields": [str(f) for f in meta["fields"]], "bbox_fids": sorted(int(f) for f in box_fids)}))
"""


@pytest.fixture(scope="module")
def server(demo_store: Store) -> Iterator[str]:
    """The app served by uvicorn in a background thread on a free loopback port."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = uvicorn.Config(create_app(Settings(db=""), store=demo_store), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_gdal_reads_a_collection(server: str, demo_store: Store) -> None:
    # GDAL runs in a child process: pyogrio keeps the GIL while it reads, which would stall the server thread.
    box = (121.0, 30.6, 121.05, 30.65)
    r = subprocess.run([sys.executable, "-c", _GDAL_CLIENT, f"OAPIF:{server}/ogc", "survey", json.dumps(box)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout.strip().splitlines()[-1])
    info = demo_store.layer("survey")
    assert doc["layers"] == [i.name for i in demo_store.layers()]
    assert doc["count"] == doc["read"] == info.count
    assert doc["crs"] == "EPSG:4490"
    assert set(info.fields) <= set(doc["fields"])
    batch = demo_store.read("survey", bbox=box)
    inside = shapely.intersects(batch.geometry, shapely.box(*box))
    expected = sorted(int(f) for f, hit in zip(batch.ids or [], inside, strict=True) if hit)
    assert doc["bbox_fids"] == expected and 0 < len(expected) < info.count
