"""What only the GeoPackage store does: a file that GDAL reads and writes, SQLite's append-only audit,
refusing truncated or foreign files. The backend-neutral contract is in test_store.py."""

import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely

from guotu.core.errors import NotFoundError, StoreError
from guotu.store.gpkg import APPLICATION_ID, GpkgStore
from storetest import make_layer, squares


def test_audit_table_is_append_only(tmp_path: Path) -> None:
    s = GpkgStore(tmp_path / "a.gpkg", create=True)
    make_layer(s)
    s.close()
    con = sqlite3.connect(tmp_path / "a.gpkg")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE guotu_audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM guotu_audit")


def test_gdal_opens_the_file_as_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    s = GpkgStore(path, create=True)
    make_layer(s, n=7)
    s.close()
    layers = {str(n): t for n, t in pyogrio.list_layers(path)}
    assert layers["parcels"] == "MultiPolygon"
    info = pyogrio.read_info(path, layer="parcels")
    assert info["crs"] == "EPSG:4490"
    assert info["features"] == 7
    assert info["capabilities"]["fast_spatial_filter"]  # GDAL found our R-tree
    g = squares(7)
    x0, y0, x1, y1 = g[3].bounds
    _, fids, _, _ = pyogrio.raw.read(path, layer="parcels", bbox=(x0 + 1e-4, y0 + 1e-4, x1 - 1e-4, y1 - 1e-4),
                                     return_fids=True)[:4]
    assert fids.tolist() == [4]
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert con.execute("SELECT count(*) FROM rtree_parcels_geom").fetchone()[0] == 7
    assert con.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='parcels'").fetchone()[0] == 4490
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_features_written_by_gdal_are_read_by_guotu(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    s = GpkgStore(path, create=True)
    make_layer(s, n=2)
    s.close()
    wkb = shapely.to_wkb(shapely.multipolygons([shapely.box(121.05, 30.75, 121.06, 30.76)]))
    pyogrio.raw.write(path, np.array([wkb]), [np.array(["gdal"], dtype=object)], ["name"], layer="parcels",
                      driver="GPKG", append=True, geometry_type="MultiPolygon", crs="EPSG:4490")
    s = GpkgStore(path)
    batch = s.read("parcels", bbox=(121.054, 30.754, 121.056, 30.756))
    assert batch.attributes["name"] == ["gdal"]
    s.close()


def test_truncated_store_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "t.gpkg"
    s = GpkgStore(path, create=True)
    make_layer(s, n=3000)
    s.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError) as err:
        GpkgStore(path)
    assert err.value.key == "store.truncated"
    assert str(path) in err.value.message


def test_not_a_geopackage_and_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.gpkg"
    bad.write_text("hello")
    with pytest.raises(StoreError) as err:
        GpkgStore(bad)
    assert err.value.key == "store.not_sqlite"
    empty = tmp_path / "e.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(StoreError) as err:
        GpkgStore(empty)
    assert err.value.key == "store.empty_file"
    with pytest.raises(NotFoundError):
        GpkgStore(tmp_path / "none.gpkg")
