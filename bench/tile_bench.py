"""W3 of issue #5: MVT tiles of the survey layer, z12–16 — cold rate against PostGIS ST_AsMVT, and
cached tiles over HTTP (uvicorn, `guotu serve`) measured with wrk.

    .venv/bin/python bench/tile_bench.py --sizes 20000 200000 --repeat 3
    .venv/bin/python bench/tile_bench.py --sizes 20000 --no-http          # cold rates only
    .venv/bin/python bench/tile_bench.py --sizes 20000 --profile          # cProfile of one guotu cold run

The survey of the synthetic county (bench/synth.py, EPSG:4549) is moved to CGCS2000 lon/lat and
loaded through guotu's Store API into a GeoPackage (cached in bench/work/) and into a PostGIS store
(a throw-away schema of guotu_test). **Tile set**: every WebMercatorQuad tile of zooms 12–16 whose
box meets the county's lon/lat box (in z order). Per repeat:

- **guotu cold**: a ``TileService`` keeping nothing builds every tile of the set once, on each store;
- **PostGIS ST_AsMVT**: one query per tile over a warm psycopg connection to the same PostGIS table
  the PostGIS store holds — ``ST_AsMVT(ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(z, x, y),
  4096, 64))`` with fid and land_class, the rows picked by the GiST index with the buffered envelope.

The three take turns on chunks of 25 tiles (the machine is shared: load then weighs on all alike).

Both must agree before any time is reported: the same tiles non-empty, and per tile the features
(fids) of guotu within those of PostGIS (features smaller than a pixel may vanish on either side:
at most 0.5 % of all features may differ). **HTTP cached**: `guotu serve` on a copy of the
GeoPackage (and on the PostGIS store) with public reading off, a logged-in bearer token, every tile
requested once to fill the cache, then ``wrk -t1 -c8 -d10s`` cycling through the tile URLs (a Lua
script sets the Authorization header); an unauthenticated request must get 401.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import platform
import pstats
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
import shapely

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import synth  # noqa: E402
from guotu.core.features import FeatureBatch  # noqa: E402
from guotu.core.tiles import tile_range  # noqa: E402
from guotu.onemap.tiles import TileService  # noqa: E402
from guotu.platform.auth import add_user  # noqa: E402
from guotu.store.base import Store  # noqa: E402
from guotu.store.gpkg import GpkgStore  # noqa: E402
from guotu.store.postgis import PostgisStore  # noqa: E402

PG_URL = os.environ.get("GUOTU_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/guotu_test")
ZOOMS = range(12, 17)
LAYER = "survey"
USER, PASSWORD = "bench", "bench-tiles-9"
Tiles = list[tuple[int, int, int]]
CHUNK = 25  # tiles per turn of each engine


def load(store: Store, n: int, seed: int) -> None:
    """The survey of the synthetic county into ``store``, in CGCS2000 as guotu imports it."""
    survey = synth.make_county(n, seed).survey.to_crs(4490)
    batch = FeatureBatch(np.asarray(survey.geometry.values, dtype=object),
                         {"land_class": [str(v) for v in survey["land_class"]]}, {"land_class": "TEXT"}, 4490)
    with store.transaction("bench") as tx:
        tx.create_layer(LAYER, "POLYGON", {"land_class": "TEXT"}, title="survey")
        tx.write(LAYER, batch)
    add_user(store, USER, PASSWORD, ("viewer",), actor="bench")


def gpkg_store(n: int, seed: int) -> Path:
    path = synth.WORK / f"tiles_{seed}_{n}.gpkg"
    if not path.exists():
        tmp = path.with_suffix(".tmp.gpkg")
        tmp.unlink(missing_ok=True)
        s = GpkgStore(tmp, create=True)
        try:
            load(s, n, seed)
        finally:
            s.close()
        tmp.rename(path)
    return path


def tile_set(store: Store) -> Tiles:
    b = store.layer(LAYER).bounds
    assert b is not None
    out: Tiles = []
    for z in ZOOMS:
        x0, y0, x1, y1 = tile_range(b, z)
        out += [(z, x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
    return out


def guotu_cold(service: TileService, tiles: Tiles) -> tuple[float, list[bytes | None]]:
    t = time.perf_counter()
    out = [service.tile(LAYER, z, x, y) for z, x, y in tiles]
    return time.perf_counter() - t, out


MVT_SQL = """
SELECT ST_AsMVT(q, %(layer)s, 4096, 'geom', 'tile_id') FROM (
  SELECT fid AS tile_id, fid, land_class,
         ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope(%(z)s, %(x)s, %(y)s), 4096, 64) AS geom
  FROM {table}
  WHERE geom && ST_Transform(ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => 64.0 / 4096), 4490)
) q WHERE geom IS NOT NULL"""


def postgis_cold(conn: psycopg.Connection[Any], table: str, tiles: Tiles) -> tuple[float, list[bytes | None]]:
    sql = MVT_SQL.format(table=table)
    t = time.perf_counter()
    out: list[bytes | None] = []
    for z, x, y in tiles:
        row = conn.execute(sql, {"layer": LAYER, "z": z, "x": x, "y": y}).fetchone()
        data = bytes(row[0]) if row and row[0] is not None else b""
        out.append(data or None)
    return time.perf_counter() - t, out


def fid_sets(tiles: list[bytes | None]) -> list[set[int]]:
    import mapbox_vector_tile

    return [set() if d is None else
            {int(f["properties"]["fid"]) for f in mapbox_vector_tile.decode(d)[LAYER]["features"]} for d in tiles]


def agree(ours: list[bytes | None], peer: list[bytes | None]) -> dict[str, Any]:
    a, b = fid_sets(ours), fid_sets(peer)
    total = sum(len(s) for s in b)
    differ = sum(len(x ^ y) for x, y in zip(a, b, strict=True))
    return {"features_postgis": total, "features_guotu": sum(len(s) for s in a), "features_differing": differ,
            "share_differing": differ / max(total, 1)}


# --- HTTP --------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(url: str, token: str | None = None, body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json",
                                          **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return int(r.status), bytes(r.read())
    except urllib.error.HTTPError as e:
        return int(e.code), bytes(e.read())


WRK_LUA = """
local urls = {}
for line in io.lines("%s") do urls[#urls + 1] = line end
local i = 0
wrk.headers["Authorization"] = "Bearer %s"
request = function()
  i = i %% #urls + 1
  return wrk.format("GET", urls[i])
end
"""


def http_cached(db: str, tiles: Tiles, seconds: int) -> dict[str, Any]:
    port = free_port()
    env = {**os.environ, "GUOTU_PUBLIC_READ": "false", "GUOTU_TILE_CACHE_ENTRIES": str(len(tiles) + 16)}
    server = subprocess.Popen([str(ROOT / ".venv/bin/guotu"), "serve", "--db", db, "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if http(base + "/ogc")[0] in (200, 401):
                    break
            except OSError:
                time.sleep(0.1)
        path = "/ogc/collections/survey/tiles/WebMercatorQuad/{}/{}/{}"
        urls = [path.format(z, y, x) for z, x, y in tiles]
        anonymous = http(base + urls[-1])[0]
        status, body = http(base + "/api/auth/login", body={"username": USER, "password": PASSWORD})
        assert status == 200, body
        token = json.loads(body)["token"]
        t = time.perf_counter()
        codes = [http(base + u, token)[0] for u in urls]  # fill the cache
        fill = time.perf_counter() - t
        assert set(codes) <= {200, 204}, set(codes)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "urls.txt").write_text("\n".join(urls) + "\n")
            (Path(tmp) / "tiles.lua").write_text(WRK_LUA % (Path(tmp) / "urls.txt", token))
            out = subprocess.run(["wrk", "-t1", "-c8", f"-d{seconds}s", "-s", str(Path(tmp) / "tiles.lua"),
                                  base], capture_output=True, text=True, check=True).stdout
        rate = float(next(line.split()[1] for line in out.splitlines() if line.startswith("Requests/sec")))
        non2xx = next((int(line.split()[-1]) for line in out.splitlines() if "Non-2xx" in line), 0)
        latency = next((line.split()[1] for line in out.splitlines() if line.strip().startswith("Latency")), "")
        return {"tiles_per_s": rate, "non_2xx": non2xx, "latency_avg": latency, "anonymous_status": anonymous,
                "fill_s": fill}
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# --- the run -----------------------------------------------------------------------------------

def run_size(n: int, seed: int, repeat: int, do_http: bool, seconds: int, profile: bool) -> list[dict[str, Any]]:
    gpath = gpkg_store(n, seed)
    schema = f"bench_tiles_{os.getpid()}"
    t = time.perf_counter()
    pg = PostgisStore(PG_URL, schema=schema, create=True)
    rows: list[dict[str, Any]] = []
    try:
        load(pg, n, seed)
        pg_load = time.perf_counter() - t
        gs = GpkgStore(gpath)
        tiles = tile_set(gs)
        print(f"  {n:,} cells: {len(tiles):,} tiles z12–16 (PostGIS load {pg_load:.1f} s)", flush=True)
        if profile:
            prof = cProfile.Profile()
            prof.enable()
            guotu_cold(TileService(gs, entries=0), tiles)
            prof.disable()
            pstats.Stats(prof).sort_stats("tottime").print_stats(35)
            return []
        conn = psycopg.connect(PG_URL, autocommit=True)
        table = f'"{schema}"."{LAYER}"'
        conn.execute(f"ANALYZE {table}")
        postgis_cold(conn, table, tiles[:50])  # warm the connection and the plan
        times: dict[str, list[float]] = {"guotu gpkg": [], "guotu postgis": [], "postgis ST_AsMVT": []}
        for r in range(repeat):
            tg, tp, tm = 0.0, 0.0, 0.0
            ours_g, ours_p, peer = [], [], []
            service_g, service_p = TileService(gs, entries=0), TileService(pg, entries=0)  # cold: nothing kept
            # The engines take turns on chunks of the tile set, so that the load of this shared machine
            # weighs on all of them alike.
            for k in range(0, len(tiles), CHUNK):
                chunk = tiles[k:k + CHUNK]
                t, out = guotu_cold(service_g, chunk)
                tg, ours_g = tg + t, ours_g + out
                t, out = guotu_cold(service_p, chunk)
                tp, ours_p = tp + t, ours_p + out
                t, out = postgis_cold(conn, table, chunk)
                tm, peer = tm + t, peer + out
            if r == 0:
                check = {"gpkg": agree(ours_g, peer), "postgis": agree(ours_p, peer)}
                for name, c in check.items():
                    assert c["share_differing"] <= 0.005, (name, c)
                print(f"  agreement: {check}", flush=True)
            times["guotu gpkg"].append(tg)
            times["guotu postgis"].append(tp)
            times["postgis ST_AsMVT"].append(tm)
        conn.close()
        peer_rate = len(tiles) / statistics.median(times["postgis ST_AsMVT"])
        for name, ts in times.items():
            rate = len(tiles) / statistics.median(ts)
            rows.append({"cells": n, "workload": "cold", "engine": name, "tiles": len(tiles),
                         "median_s": statistics.median(ts), "times_s": ts, "tiles_per_s": rate,
                         "guotu_over_postgis_rate": rate / peer_rate, "agreement": check})
        if do_http:
            gs.close()
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / "serve.gpkg"
                shutil.copy(gpath, copy)
                for name, db in (("gpkg", str(copy)), ("postgis", f"{PG_URL}?schema={schema}")):
                    h = http_cached(db, tiles, seconds)
                    assert h["anonymous_status"] == 401, h
                    rows.append({"cells": n, "workload": "cached over HTTP (wrk -t1 -c8)", "engine": f"guotu {name}",
                                 "tiles": len(tiles), **h})
                    print(f"  HTTP cached ({name}): {h}", flush=True)
        else:
            gs.close()
    finally:
        pg.close()
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=10, help="wrk duration")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    for n in args.sizes:
        rows += run_size(n, args.seed, args.repeat, not args.no_http, args.seconds, args.profile)
    if args.profile:
        return
    print("\n| cells | workload | engine | tiles | median | tiles/s | guotu/PostGIS rate |")
    print("|---:|---|---|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['guotu_over_postgis_rate']:.2f}" if "guotu_over_postgis_rate" in r else "—"
        med = f"{r['median_s']:.2f} s" if "median_s" in r else f"{r.get('latency_avg', '')} avg"
        print(f"| {r['cells']:,} | {r['workload']} | {r['engine']} | {r['tiles']:,} | {med} | "
              f"{r['tiles_per_s']:,.0f} | {ratio} |")
    out = HERE / "results" / f"tiles-{dt.date.today().isoformat()}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                                           "platform": platform.platform()},
                               "seed": args.seed, "repeat": args.repeat, "zooms": [12, 16],
                               "shapely": shapely.__version__, "rows": rows}, indent=1))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
