"""`guotu overlay --engine dask`: the same answers as the local engine, on a real LocalCluster.

A seeded county in miniature (Voronoi cells with land classes, farmland blocks made of neighbouring
cells, development blobs cutting across cells) is overlaid by both engines through the CLI; every
(group, overlay group) must agree to 1e-9 relative. An unreachable scheduler is one clear line naming
its address, exit 2, and nothing printed on stdout.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely

E, N = 600000.0, 3398000.0
CLASSES = np.array(["0101", "0102", "0601", "0701", "1101"], dtype=object)


def write(path: Path, geoms: np.ndarray, field: str, values: np.ndarray, epsg: int) -> None:
    if epsg != 4549:
        from guotu.core.crs import transform_geometries

        geoms = transform_geometries(geoms, 4549, epsg)
    pyogrio.raw.write(path, shapely.to_wkb(geoms), [values.astype(object)], [field], driver="GPKG",
                      layer=path.stem, crs=f"EPSG:{epsg}", geometry_type="MultiPolygon", promote_to_multi=True)


def county(tmp_path: Path, cells: int = 3000, seed: int = 7) -> tuple[Path, Path, Path]:
    rng = np.random.default_rng(seed)
    box = shapely.box(E, N, E + 3000, N + 2000)
    pts = shapely.points(rng.uniform([E, N], [E + 3000, N + 2000], (cells, 2)))
    survey = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box, ordered=True))
    survey = shapely.set_precision(shapely.intersection(survey, box), 0.001)
    cluster = rng.integers(0, 150, cells)  # farmland: every third cluster of cells, merged into one block
    farm_ids = np.array([k for k in range(0, 150, 3) if (cluster == k).any()])
    farmland = np.array([shapely.union_all(survey[cluster == k]) for k in farm_ids], dtype=object)
    discs = shapely.buffer(shapely.points(rng.uniform([E, N], [E + 3000, N + 2000], (4, 2))), 400.0)
    paths = (tmp_path / "survey.gpkg", tmp_path / "farmland.gpkg", tmp_path / "dev.gpkg")
    # the survey in lon/lat: the engines must both compute in the metric zone
    write(paths[0], survey, "land_class", rng.choice(CLASSES, cells), 4490)
    write(paths[1], farmland, "block", np.array([f"F{k % 4}" for k in farm_ids]), 4549)
    write(paths[2], discs, "zone", np.array(["Z1", "Z2", "Z1", "Z2"]), 4549)
    return paths


def overlay_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    r = subprocess.run([sys.executable, "-m", "guotu.cli", "overlay", *args, "--json"], capture_output=True,
                       text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


def by_group(doc: dict[str, Any]) -> dict[tuple[str, str], float]:
    return {(g["group"], g["overlay_group"]): g["area_m2"] for g in doc["groups"]}


@pytest.mark.slow  # ~10 s on a quiet 2-core machine: 4 CLI runs, 2 of them starting a local cluster
def test_dask_engine_gives_the_local_answers(tmp_path: Path) -> None:
    survey, farmland, dev = county(tmp_path)
    for other, field in ((farmland, "block"), (dev, "zone")):
        args = (f"{survey}:survey", f"{other}:{other.stem}", "--group-by", "land_class", "--overlay-group", field)
        local = overlay_json(*args, "--engine", "local")
        dask = overlay_json(*args, "--engine", "dask")
        assert local["engine"] == {"name": "local"}
        assert dask["engine"]["name"] == "dask" and dask["engine"]["workers"] == 2
        assert dask["engine"]["partitions"] >= 4  # the survey really was cut and spread
        want, got = by_group(local), by_group(dask)
        assert len(want) >= 8 and want.keys() == got.keys()
        for key, area in want.items():
            assert abs(got[key] - area) <= 1e-9 * area, (key, area, got[key])
        assert abs(dask["total_area_m2"] - local["total_area_m2"]) <= 1e-9 * local["total_area_m2"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_scheduler_is_one_clear_line(tmp_path: Path) -> None:
    survey, farmland, _ = county(tmp_path, cells=50)
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    env = {**os.environ, "GUOTU_DASK_CONNECT_TIMEOUT_S": "2"}
    base = [sys.executable, "-m", "guotu.cli"]
    cmd = ["overlay", str(survey), str(farmland), "--engine", "dask", "--json"]
    r = subprocess.run([*base, *cmd, "--scheduler", address], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and address in r.stderr and "无法连接 Dask 调度器" in r.stderr
    # the same through the setting, in English
    env["GUOTU_DASK_SCHEDULER"] = address
    r = subprocess.run([*base, "--lang", "en", *cmd], capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and f"cannot reach the Dask scheduler at {address}" in r.stderr
    # a malformed address: the same line at once, no traceback from a half-built client
    r = subprocess.run([*base, *cmd, "--scheduler", "scheduler-host:port"], capture_output=True, text=True,
                       timeout=120, env={**os.environ, "GUOTU_DASK_CONNECT_TIMEOUT_S": "2"})
    assert r.returncode == 2 and r.stdout == "" and len(r.stderr.strip().splitlines()) == 1
    assert "scheduler-host:port" in r.stderr
