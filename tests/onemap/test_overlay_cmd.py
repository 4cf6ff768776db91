"""`guotu overlay`: areas per group of one file inside each group of another, in the metric zone."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

E, N = 600000.0, 3398000.0


def write(path: Path, boxes: list[tuple[float, float, float, float]], field: str, values: list[str], epsg: int) -> None:
    geoms = np.array([shapely.box(E + a, N + b, E + c, N + d) for a, b, c, d in boxes], dtype=object)
    if epsg != 4549:
        from guotu.core.crs import transform_geometries

        geoms = transform_geometries(geoms, 4549, epsg)
    pyogrio.raw.write(path, shapely.to_wkb(geoms), [np.array(values, dtype=object)], [field], driver="GPKG",
                      layer=path.stem, crs=f"EPSG:{epsg}", geometry_type="Polygon")


def test_overlay_groups_in_mu_whatever_the_input_crs(tmp_path: Path) -> None:
    # survey in lon/lat (EPSG:4490): four 100 m cells, two farmland (0101), two industrial (0601)
    survey = tmp_path / "survey.gpkg"
    write(survey, [(0, 0, 100, 100), (100, 0, 200, 100), (200, 0, 300, 100), (300, 0, 400, 100)], "land_class",
          ["0101", "0101", "0601", "0601"], 4490)
    # farmland blocks in EPSG:4549: block A over the first cell and half the second, block B over the third
    farmland = tmp_path / "farmland.gpkg"
    write(farmland, [(0, 0, 150, 100), (200, 0, 300, 100)], "block", ["A", "B"], 4549)
    r = subprocess.run([sys.executable, "-m", "guotu.cli", "overlay", f"{survey}:survey", f"{farmland}:farmland",
                        "--group-by", "land_class", "--overlay-group", "block", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    got = {(g["group"], g["overlay_group"]): (g["area_m2"], g["area_mu"]) for g in doc["groups"]}
    # the survey went through lon/lat and back: cells sharing an edge with a block may overlap it by a
    # sliver of floating-point noise, never more than a few cm²
    slivers = {k: v for k, v in got.items() if k not in {("0101", "A"), ("0601", "B")}}
    assert all(area < 0.01 for area, _ in slivers.values())
    assert {("0101", "A"), ("0601", "B")} <= got.keys()
    assert abs(got[("0101", "A")][0] - 15000.0) < 0.02 and got[("0101", "A")][1] == 22.5
    assert abs(got[("0601", "B")][0] - 10000.0) < 0.02 and got[("0601", "B")][1] == 15.0
    assert abs(doc["total_area_m2"] - 25000.0) < 0.05


def test_overlay_unknown_field_is_one_clear_line(tmp_path: Path) -> None:
    a = tmp_path / "a.gpkg"
    write(a, [(0, 0, 100, 100)], "land_class", ["0101"], 4549)
    r = subprocess.run([sys.executable, "-m", "guotu.cli", "overlay", str(a), str(a), "--group-by", "nope"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "nope" in r.stderr and len(r.stderr.strip().splitlines()) == 1
