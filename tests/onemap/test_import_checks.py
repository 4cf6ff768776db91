"""An import checks its geometries while it writes them (inside the store transaction): what is
committed, what is rolled back and what is reported, on both stores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio.raw
import pytest
import shapely

from guotu.core.crs import gcj02_geometries_to_wgs84, transform_geometries, wgs84_to_gcj02
from guotu.core.errors import GeometryError
from guotu.onemap.service import import_file
from guotu.store import Store

X0, Y0 = 40_502_000.0, 3_396_000.0  # EPSG:4528 (zone 40 in the easting) near Pinghu


def squares(n: int, side: float = 20.0) -> np.ndarray:
    i = np.arange(n)
    x, y = X0 + (i % 10) * 30.0, Y0 + (i // 10) * 30.0
    return shapely.box(x, y, x + side, y + side)


def write_gpkg(path: Path, geoms: np.ndarray, crs: str = "EPSG:4528") -> Path:
    codes = np.array([f"R{k:03d}" for k in range(len(geoms))], dtype=object)
    pyogrio.raw.write(str(path), shapely.to_wkb(geoms), [codes], ["code"], layer="parcels", driver="GPKG",
                      geometry_type="Polygon", crs=crs)
    return path


def events(store: Store, layer: str) -> list[str]:
    return [e.action for e in store.audit_events() if e.layer == layer]


def test_a_clean_file_is_committed_once(store: Store, tmp_path: Path) -> None:
    geoms = squares(40)
    result = import_file(store, write_gpkg(tmp_path / "in.gpkg", geoms), "parcels")
    assert (result.count, result.repairs, result.created) == (40, [], True)
    stored = store.read("parcels")
    assert stored.attributes["code"] == [f"R{k:03d}" for k in range(40)]
    back = transform_geometries(stored.geometry, 4490, 4528)
    np.testing.assert_allclose(shapely.area(back), shapely.area(geoms), rtol=1e-9)
    assert events(store, "parcels") == ["create_layer", "write", "import"]


def test_an_invalid_geometry_rolls_back_everything_and_names_the_record(store: Store, tmp_path: Path) -> None:
    geoms = squares(40)
    geoms[17] = shapely.Polygon([(X0, Y0), (X0 + 20, Y0 + 20), (X0 + 20, Y0), (X0, Y0 + 20), (X0, Y0)])  # bow-tie
    before = store.audit_events()
    with pytest.raises(GeometryError) as err:
        import_file(store, write_gpkg(tmp_path / "in.gpkg", geoms), "parcels")
    assert err.value.params["record"] == 18  # the file's fid of the 18th feature
    assert [info.name for info in store.layers()] == []
    assert store.audit_events() == before


def test_a_fixable_problem_is_repaired_and_the_first_attempt_leaves_no_trace(store: Store, tmp_path: Path) -> None:
    geoms = squares(40)
    x, y = X0 + 30.0 * 3, Y0
    geoms[3] = shapely.Polygon([(x, y), (x + 20, y), (x + 20, y), (x + 20, y + 20), (x, y + 20), (x, y)])  # duplicate
    result = import_file(store, write_gpkg(tmp_path / "in.gpkg", geoms), "parcels")
    assert [(n.record, n.fixed) for n in result.repairs] == [(4, ("duplicate_points",))]
    stored = store.read("parcels")
    assert len(stored) == 40
    assert shapely.get_num_coordinates(stored.geometry[3]) == 5  # the repeated point is gone
    assert events(store, "parcels") == ["create_layer", "write", "import"]
    imported = [e for e in store.audit_events() if e.action == "import"]
    assert imported[-1].detail["repaired"] == [4]


def test_a_gcj02_geopackage_is_stored_shifted_back(store: Store, tmp_path: Path) -> None:
    true = transform_geometries(squares(12), 4528, 4490)
    shifted = shapely.transform(true, wgs84_to_gcj02)
    import_file(store, write_gpkg(tmp_path / "web.gpkg", shifted, crs="EPSG:4490"), "parcels", gcj02=True)
    stored = store.read("parcels").geometry
    expected = gcj02_geometries_to_wgs84(shifted)
    np.testing.assert_allclose(shapely.get_coordinates(stored), shapely.get_coordinates(expected), atol=1e-9)
    # and not the shifted coordinates the reader first saw (≈ 500 m away)
    assert np.abs(shapely.get_coordinates(stored) - shapely.get_coordinates(shifted)).max() > 1e-3
