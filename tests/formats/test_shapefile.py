"""Shapefile import and export: GBK/UTF-8 detection, .cpg, .prj, and refusals naming record and field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely

from guotu.core.crs import epsg_of
from guotu.core.errors import CRSError, EncodingError
from guotu.core.geometry import area_m2
from guotu.formats import read_features
from guotu.onemap.service import export_layer, import_file
from guotu.store import Store

EAST, NORTH = 605_000.0, 3_398_000.0
FIELDS = ["DLBM", "DLMC", "ZLDWMC", "BSM", "TBMJ"]
ROWS = [
    ("0101", "水田", "平湖市当湖街道", 1, 10_000.0),
    ("0103", "旱地", "平湖市乍浦镇", 2, None),
    ("0101", "水田", "平湖市当湖街道", 3, 2_500.0),
]
GEOMS = [
    shapely.box(EAST, NORTH, EAST + 100, NORTH + 100),
    shapely.Polygon(shapely.box(EAST + 200, NORTH, EAST + 300, NORTH + 100).exterior,
                    [shapely.box(EAST + 220, NORTH + 20, EAST + 240, NORTH + 40).exterior]),
    shapely.box(EAST + 400, NORTH, EAST + 450, NORTH + 50),
]


def write_shp(path: Path, rows: list[tuple[Any, ...]], encoding: str, *, cpg: str | None = None,
              prj: bool = True) -> Path:
    """A shapefile in EPSG:4549 written by GDAL with ``encoding``; .cpg as given (None: removed)."""
    columns = [
        np.array([r[0] for r in rows], dtype=object),
        np.array([r[1] for r in rows], dtype=object),
        np.array([r[2] for r in rows], dtype=object),
        np.array([r[3] for r in rows], dtype=np.int64),
        np.array([np.nan if r[4] is None else r[4] for r in rows], dtype=np.float64),
    ]
    pyogrio.raw.write(str(path), shapely.to_wkb(GEOMS[: len(rows)]), columns, FIELDS, driver="ESRI Shapefile",
                      geometry_type="Polygon", crs="EPSG:4549", encoding=encoding)
    cpg_path = path.with_suffix(".cpg")
    cpg_path.unlink(missing_ok=True)
    if cpg is not None:
        cpg_path.write_text(cpg, encoding="ascii")
    if not prj:
        path.with_suffix(".prj").unlink()
    assert path.with_suffix(".prj").exists() is prj
    return path


def expected_attributes(rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    return {name: [r[k] for r in rows] for k, name in enumerate(FIELDS)}


def test_gbk_without_cpg_is_detected(seeded: Store, tmp_path: Path) -> None:
    shp = write_shp(tmp_path / "dltb.shp", ROWS, "GBK")
    dbf = shp.with_suffix(".dbf").read_bytes()
    assert "平湖市当湖街道".encode("gbk") in dbf  # the fixture really is GBK…
    assert "平湖市当湖街道".encode() not in dbf  # …and not UTF-8
    result = import_file(seeded, shp, "dltb")
    assert result.encoding == "gb18030"  # GB18030 is a superset of GBK
    assert result.source_epsg == 4549
    batch = seeded.read("dltb")
    assert batch.attributes == expected_attributes(ROWS)
    np.testing.assert_allclose(area_m2(batch.geometry, 4490), shapely.area(np.array(GEOMS)), rtol=1e-6)


def test_cpg_gbk_is_honoured(tmp_path: Path) -> None:
    shp = write_shp(tmp_path / "dltb.shp", ROWS, "GBK", cpg="GBK")
    read = read_features(shp)
    assert read.encoding == "gbk"
    assert "cpg:GBK" in read.notes
    assert read.batch.attributes == expected_attributes(ROWS)


def _mixed_rows() -> list[tuple[Any, ...]]:
    # Record 1 is pure ASCII (valid in every encoding); the first Chinese text is record 2, field ZLDWMC.
    return [("0101", "ST", "Pinghu", 1, 1.0), ("0103", "HD", "平湖市乍浦镇", 2, 2.0), ROWS[2]]


def test_gbk_read_as_utf8_is_refused_naming_record_and_field(tmp_path: Path, refused: Any) -> None:
    shp = write_shp(tmp_path / "mixed.shp", _mixed_rows(), "GBK")
    exc = refused(shp, EncodingError, encoding="utf-8")
    assert exc.key == "shapefile.wrong_encoding"
    assert (exc.params["record"], exc.params["field"]) == (2, "ZLDWMC")
    assert exc.params["hint"] == "gbk"
    assert str(shp) in exc.message
    assert "第 2 条记录的字段 ZLDWMC" in exc.message
    assert "--encoding gbk" in exc.message


def test_cpg_that_lies_is_refused(tmp_path: Path, refused: Any) -> None:
    shp = write_shp(tmp_path / "mixed.shp", _mixed_rows(), "GBK", cpg="UTF-8")
    exc = refused(shp, EncodingError)
    assert exc.key == "shapefile.wrong_encoding"
    assert (exc.params["record"], exc.params["field"]) == (2, "ZLDWMC")
    assert str(shp) in exc.message


def test_utf8_without_cpg_is_detected(seeded: Store, tmp_path: Path) -> None:
    shp = write_shp(tmp_path / "u8.shp", ROWS, "UTF-8")
    assert "平湖市当湖街道".encode() in shp.with_suffix(".dbf").read_bytes()
    result = import_file(seeded, shp, "u8")
    assert result.encoding == "utf-8"
    assert seeded.read("u8").attributes == expected_attributes(ROWS)


def test_missing_prj_is_refused(tmp_path: Path, refused: Any) -> None:
    shp = write_shp(tmp_path / "noprj.shp", ROWS, "UTF-8", prj=False)
    exc = refused(shp, CRSError)
    assert exc.key == "shapefile.missing_prj"
    assert exc.params["source"] == str(shp)
    assert str(shp) in exc.message and ".prj" in exc.message and "--crs" in exc.message


def test_missing_prj_with_crs_given(seeded: Store, tmp_path: Path) -> None:
    shp = write_shp(tmp_path / "noprj.shp", ROWS, "UTF-8", prj=False)
    result = import_file(seeded, shp, "noprj", crs=4549)
    assert (result.count, result.source_epsg) == (3, 4549)
    batch = seeded.read("noprj")
    np.testing.assert_allclose(area_m2(batch.geometry, 4490), shapely.area(np.array(GEOMS)), rtol=1e-6)
    assert batch.attributes == expected_attributes(ROWS)


@pytest.mark.parametrize(("encoding", "cpg", "codec"), [(None, "UTF-8", "utf-8"), ("GBK", "GBK", "gbk")])
def test_export_round_trip(seeded: Store, tmp_path: Path, encoding: str | None, cpg: str, codec: str) -> None:
    import_file(seeded, write_shp(tmp_path / "src.shp", ROWS, "GBK"), "dltb")
    out = tmp_path / "export" / "dltb_out.shp"
    assert export_layer(seeded, "dltb", out, encoding=encoding) == 3
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        assert out.with_suffix(suffix).exists(), suffix
    assert out.with_suffix(".cpg").read_text(encoding="ascii").strip() == cpg
    assert epsg_of(out.with_suffix(".prj").read_text(encoding="utf-8")) == 4490
    assert "平湖市当湖街道".encode(codec) in out.with_suffix(".dbf").read_bytes()

    result = import_file(seeded, out, "again")
    assert result.encoding == codec and result.source_epsg == 4490
    first, again = seeded.read("dltb"), seeded.read("again")
    assert again.fields == first.fields
    assert again.attributes == first.attributes == expected_attributes(ROWS)
    for a, b in zip(first.geometry, again.geometry, strict=True):
        # Shapefile rings have their own orientation rule; the shape and every vertex must be the same.
        assert shapely.equals_exact(shapely.normalize(a), shapely.normalize(b), tolerance=1e-9), (a.wkt, b.wkt)


def test_unreadable_prj_is_refused_naming_the_file(seeded: Store, tmp_path: Path, refused: Any) -> None:
    shp = write_shp(tmp_path / "oddprj.shp", ROWS, "UTF-8")
    shp.with_suffix(".prj").write_text("not a coordinate system", encoding="ascii")
    exc = refused(shp, CRSError)
    assert exc.key == "shapefile.unknown_prj"
    assert str(shp) in exc.message and "--crs" in exc.message
    assert import_file(seeded, shp, "oddprj", crs=4549).source_epsg == 4549
