"""Foreign GeoPackages (written by GDAL): named layers, damaged files, unknown layers, big files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely

from guotu.core.errors import CRSError, FormatError, InputError
from guotu.formats import read_features
from guotu.onemap.service import export_layer, import_file
from guotu.store import Store


def squares(n: int, side: float = 0.00015, step: float = 0.0002) -> np.ndarray:
    """``n`` small lon/lat squares on a grid over Pinghu."""
    k = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = 121.0 + (i % k) * step
    y = 30.65 + (i // k) * step
    return shapely.box(x, y, x + side, y + side)


def write_layer(path: Path, layer: str, geoms: np.ndarray, crs: str = "EPSG:4490", **columns: Any) -> None:
    pyogrio.raw.write(str(path), shapely.to_wkb(geoms), [np.asarray(v) for v in columns.values()], list(columns),
                      layer=layer, driver="GPKG", geometry_type="Polygon", crs=crs, append=path.exists())


@pytest.fixture
def foreign(tmp_path: Path) -> Path:
    """A GeoPackage of a few hundred KB with two layers, ``dltb`` (2000 features) and ``zone`` (3)."""
    path = tmp_path / "foreign.gpkg"
    n = 2000
    write_layer(path, "dltb", squares(n), dlmc=np.array(["水田", "旱地"] * (n // 2), dtype=object),
                bsm=np.arange(1, n + 1, dtype=np.int64))
    zones = shapely.box([121.05, 121.06, 121.07], 30.70, [121.055, 121.065, 121.075], 30.705)
    write_layer(path, "zone", zones, zone_name=np.array(["城镇开发边界", "永久基本农田", "生态保护红线"], dtype=object),
                code=np.array([10, 20, 30], dtype=np.int64))
    assert path.stat().st_size > 200_000
    return path


def test_named_layer(seeded: Store, foreign: Path) -> None:
    result = import_file(seeded, f"{foreign}:zone", "zones")
    assert (result.count, result.source, result.source_epsg) == (3, f"{foreign}:zone", 4490)
    batch = seeded.read("zones")
    assert batch.attributes == {"zone_name": ["城镇开发边界", "永久基本农田", "生态保护红线"], "code": [10, 20, 30]}
    expected = shapely.box([121.05, 121.06, 121.07], 30.70, [121.055, 121.065, 121.075], 30.705)
    for stored, exp in zip(batch.geometry, expected, strict=True):
        assert shapely.equals_exact(shapely.get_parts(stored)[0], exp, tolerance=1e-12)


def test_first_spatial_layer_by_default(foreign: Path) -> None:
    read = read_features(foreign)
    assert read.source == f"{foreign}:dltb"
    assert len(read.batch) == 2000
    assert read.batch.ids[:3] == [1, 2, 3]  # the GeoPackage fids


def test_projected_layer(seeded: Store, tmp_path: Path) -> None:
    path = tmp_path / "gk.gpkg"
    write_layer(path, "gk", shapely.box([605_000.0], 3_398_000.0, [605_100.0], 3_398_100.0), crs="EPSG:4549",
                bsm=np.array([1], dtype=np.int64))
    result = import_file(seeded, path, "gk")
    assert result.source_epsg == 4549
    lon0, lat0, _, _ = seeded.read("gk").bounds()
    assert 121.0 < lon0 < 121.2 and 30.6 < lat0 < 30.8


def test_truncated_geopackage(tmp_path: Path, foreign: Path, refused: Any) -> None:
    data = foreign.read_bytes()
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(data[: len(data) // 2])
    exc = refused(f"{cut}:dltb", FormatError)
    assert exc.key == "formats.bad_gpkg"
    assert exc.params["source"] == str(cut)
    assert str(cut) in exc.message
    assert "截断" in exc.message  # truncated
    assert f"{len(data)} 字节" in exc.message and f"{len(data) // 2} 字节" in exc.message


@pytest.mark.parametrize(
    "content",
    [b"PK\x03\x04" + b"\x00" * 500, b"SQLite format 3\x00", b"not a database\n" * 100],
    ids=["zip", "header-only", "text"],
)
def test_not_a_sqlite_file(tmp_path: Path, refused: Any, content: bytes) -> None:
    path = tmp_path / "fake.gpkg"
    path.write_bytes(content)
    exc = refused(path, FormatError)
    assert exc.key == "formats.bad_gpkg"
    assert str(path) in exc.message
    assert "不是 GeoPackage/SQLite" in exc.message


def test_unknown_layer_lists_the_available_ones(foreign: Path, refused: Any) -> None:
    exc = refused(f"{foreign}:parcels", FormatError)
    assert exc.key == "formats.no_such_layer"
    assert exc.params["layer"] == "parcels"
    assert exc.params["available"] == "dltb, zone"
    assert str(foreign) in exc.message and "parcels" in exc.message and "dltb, zone" in exc.message


def test_bad_last_record_of_a_big_file_is_named_quickly(tmp_path: Path, refused: Any) -> None:
    n = 100_000
    geoms = squares(n)
    geoms[-1] = shapely.box(30.70, 121.05, 30.701, 121.051)  # lat, lon
    path = tmp_path / "big.gpkg"
    write_layer(path, "big", geoms, bsm=np.arange(n, dtype=np.int64))
    t0 = time.perf_counter()
    exc = refused(path, CRSError)
    elapsed = time.perf_counter() - t0
    assert exc.key == "crs.axes_swapped_geographic"
    assert exc.params["record"] == n  # the fid of the last feature
    assert f"{path}:big" in exc.message
    assert elapsed < 15, f"finding the bad record took {elapsed:.1f} s"


def test_export_to_an_existing_geopackage_replaces_the_layer(seeded: Store, tmp_path: Path) -> None:
    out = tmp_path / "export.gpkg"
    write_layer(out, "other", squares(2), bsm=np.array([1, 2], dtype=np.int64))
    assert export_layer(seeded, "existing", f"{out}:existing") == 2
    assert export_layer(seeded, "existing", f"{out}:existing") == 2  # again: replace, not append
    layers = {str(name) for name, _ in pyogrio.list_layers(out)}
    assert layers == {"other", "existing"}
    again = read_features(f"{out}:existing").batch
    assert len(again) == 2
    assert again.attributes == seeded.read("existing").attributes
    assert pyogrio.read_info(out, layer="other")["features"] == 2


@pytest.mark.parametrize("store", ["gpkg"], indirect=True)  # only a GeoPackage store is a file to export into
@pytest.mark.parametrize("suffix", ["", ":existing", ":copy"])
def test_export_into_the_store_file_itself_is_refused(seeded: Store, dump: Any, suffix: str) -> None:
    location = Path(seeded.location)
    before = dump(location)
    with pytest.raises(InputError) as info:
        export_layer(seeded, "existing", f"{location}{suffix}")
    assert info.value.key == "export.into_store"
    assert str(location) in info.value.message
    assert dump(location) == before
