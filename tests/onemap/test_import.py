"""import_file end to end: the dispatcher, all-or-nothing (even when killed), editions, and the CLI."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio.raw
import pytest
import shapely

from guotu.core.errors import ConflictError, FormatError, InputError, NotFoundError
from guotu.core.geometry import area_m2
from guotu.onemap.service import import_file
from guotu.store.gpkg import GpkgStore

DATA = Path(__file__).resolve().parents[1] / "data"
LON, LAT = 121.02, 30.70


# --- helpers ------------------------------------------------------------------------------------


def logical_dump(path: Path) -> dict[str, Any]:
    """Schema and every row of every table (audit included), in a stable order."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out: dict[str, Any] = {
            "application_id": con.execute("PRAGMA application_id").fetchone()[0],
            "user_version": con.execute("PRAGMA user_version").fetchone()[0],
            "sqlite_master": con.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall(),
        }
        for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetchall():
            try:
                rows = con.execute(f'SELECT rowid, * FROM "{name}"').fetchall()
            except sqlite3.OperationalError:
                rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
        assert "guotu_audit" in out
        return out
    finally:
        con.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ring(x: float, y: float, side: float = 0.001) -> list[list[float]]:
    return [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]


def write_geojson(path: Path, features: list[tuple[Any, dict[str, Any], dict[str, Any]]]) -> Path:
    """features: (id, properties, geometry)."""
    doc = {"type": "FeatureCollection",
           "features": [{"type": "Feature", "id": i, "properties": p, "geometry": g} for i, p, g in features]}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def squares_file(path: Path, codes: list[str], x0: float, **extra: Any) -> Path:
    return write_geojson(path, [
        (c, {"code": c, **extra}, {"type": "Polygon", "coordinates": [ring(x0 + 0.002 * k, LAT)]})
        for k, c in enumerate(codes)
    ])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store file holding one small layer ``existing``."""
    path = tmp_path / "store.gpkg"
    store = GpkgStore(path, create=True)
    try:
        import_file(store, squares_file(tmp_path / "existing.geojson", ["E1", "E2"], 121.03, dlmc="水田"), "existing")
    finally:
        store.close()
    return path


def run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GUOTU_DEBUG", "GUOTU_LANG")}
    return subprocess.run([sys.executable, "-m", "guotu.cli", *args], capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout, env=env)


# --- 4. coordinate txt through the dispatcher ---------------------------------------------------


def test_coordinate_txt_through_the_dispatcher(db: Path) -> None:
    store = GpkgStore(db)
    try:
        result = import_file(store, DATA / "site_sample.txt", "site")
        assert (result.count, result.source_epsg, result.created) == (1, 4528, True)
        assert result.encoding == "gb18030"  # detected (the sample is GBK)
        batch = store.read("site")
        assert batch.attributes["name"] == ["平湖示例地块"]
        assert batch.attributes["land_class_code"] == ["0601"]
        assert float(area_m2(batch.geometry, 4490)[0]) == pytest.approx(90_000.0, abs=0.01)
        lon0, lat0, lon1, lat1 = batch.bounds()
        assert 121.0 < lon0 < lon1 < 121.2 and 30.6 < lat0 < lat1 < 30.8
    finally:
        store.close()


# --- 5. all or nothing --------------------------------------------------------------------------


def _write_big_gpkg(path: Path, n: int) -> None:
    k = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x = 121.0 + (i % k) * 0.0002
    y = 30.65 + (i // k) * 0.0002
    geoms = shapely.box(x, y, x + 0.00015, y + 0.00015)
    pyogrio.raw.write(str(path), shapely.to_wkb(geoms), [i.astype(np.int64)], ["bsm"], layer="big",
                      driver="GPKG", geometry_type="Polygon", crs="EPSG:4490")


@pytest.mark.parametrize("moment", ["journal", "spilled"])
def test_import_killed_half_way_leaves_the_store_as_it_was(db: Path, tmp_path: Path, moment: str) -> None:
    """Kill -9 the CLI import once its write transaction has begun ("journal": the rollback journal
    exists) or once it has already overwritten the database file itself ("spilled": SQLite spilled
    dirty pages, so only the hot journal can restore the file)."""
    big = tmp_path / "big.gpkg"
    _write_big_gpkg(big, 200_000)  # the write transaction then lasts several seconds
    before, digest, size = logical_dump(db), sha256(db), db.stat().st_size
    journal = db.with_name(db.name + "-journal")
    assert not journal.exists()

    def reached() -> bool:
        return journal.exists() and (moment == "journal" or db.stat().st_size != size)

    log = tmp_path / "import.stderr"
    with log.open("wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "guotu.cli", "import", str(big), "--db", str(db),
                                 "--layer", "big"], stdout=subprocess.DEVNULL, stderr=err)
    seen = False
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if reached():
                seen = True
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.001)
    finally:
        if proc.poll() is None and not seen:
            proc.kill()
        proc.wait(timeout=30)
    if not seen:
        pytest.fail(f"the import ended (exit {proc.returncode}) before the moment {moment!r} was seen; "
                    f"make the file bigger. stderr: {log.read_text(encoding='utf-8', errors='replace')[-500:]}")
    assert proc.returncode == -signal.SIGKILL, f"the import was not killed but ended with {proc.returncode}"
    assert journal.exists(), "the killed import left no journal: did it commit?"
    if moment == "spilled":
        assert sha256(db) != digest  # the file really is half-written now

    store = GpkgStore(db)  # SQLite rolls a hot journal back on first access
    try:
        if moment == "spilled":
            assert not journal.exists(), "the hot journal was not rolled back"
        assert [info.name for info in store.layers()] == ["existing"]
        with pytest.raises(NotFoundError):
            store.layer("big")
        assert store.read("existing").attributes["code"] == ["E1", "E2"]
    finally:
        store.close()
    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()
    assert logical_dump(db) == before
    assert sha256(db) == digest  # the rollback restores the very bytes


def test_exception_inside_a_transaction_leaves_the_store_unchanged(db: Path) -> None:
    before = logical_dump(db)
    store = GpkgStore(db)
    try:
        batch = store.read("existing")
        batch.ids = ["X1", "X2"]
        with pytest.raises(RuntimeError, match="boom"), store.transaction("tester") as tx:
            tx.create_layer("half", "MULTIPOLYGON", {"code": "TEXT"})
            tx.add_fields("existing", {"note": "TEXT"})
            tx.add_edition("existing", "2024", valid_from=dt.date(2024, 1, 1))
            fids = tx.write("existing", batch, edition="2024")
            assert fids == [3, 4]
            assert store.layer("existing").count == 4  # visible inside the transaction
            raise RuntimeError("boom")
        assert logical_dump(db) == before
        # The store is still usable after the rollback.
        with store.transaction("tester") as tx:
            tx.write("existing", batch)
        assert store.layer("existing").count == 4
    finally:
        store.close()


def test_failure_inside_the_import_transaction_rolls_back_new_fields(db: Path, tmp_path: Path) -> None:
    points = write_geojson(tmp_path / "points.geojson", [
        ("PT-1", {"code": "PT-1", "note": "新字段"}, {"type": "Point", "coordinates": [LON, LAT]}),
    ])
    before = logical_dump(db)
    store = GpkgStore(db)
    try:
        with pytest.raises(InputError) as info:
            import_file(store, points, "existing")  # add_fields runs, then the write refuses points
        assert info.value.key == "store.wrong_geometry_type"
        assert info.value.params["record"] == "PT-1"
        assert "existing" in info.value.message and "PT-1" in info.value.message
        assert "note" not in store.layer("existing").fields
    finally:
        store.close()
    assert logical_dump(db) == before


# --- 6. editions --------------------------------------------------------------------------------


def test_editions_through_import_file(db: Path, tmp_path: Path) -> None:
    first = squares_file(tmp_path / "plan2020.geojson", ["A1", "A2"], 121.00)
    second = squares_file(tmp_path / "plan2024.geojson", ["B1", "B2", "B3"], 121.05)
    store = GpkgStore(db)
    try:
        r1 = import_file(store, first, "plan", edition="2020版", valid_from=dt.date(2020, 1, 1),
                         document="平政发〔2020〕1号")
        assert (r1.created, r1.edition, r1.count) == (True, "2020版", 2)
        assert store.layer("plan").versioned
        r2 = import_file(store, second, "plan", edition="2024版", valid_from=dt.date(2024, 3, 1))
        assert (r2.created, r2.edition, r2.count) == (False, "2024版", 3)

        editions = {e.name: e for e in store.editions("plan")}
        assert editions["2020版"].status == "superseded"
        old = editions["2020版"]
        assert (old.valid_from, old.valid_to) == (dt.date(2020, 1, 1), dt.date(2024, 3, 1))
        assert editions["2020版"].document == "平政发〔2020〕1号"
        assert (editions["2024版"].status, editions["2024版"].valid_to) == ("approved", None)

        expected = {
            dt.date(2019, 12, 31): [],
            dt.date(2020, 1, 1): ["A1", "A2"],
            dt.date(2024, 2, 29): ["A1", "A2"],
            dt.date(2024, 3, 1): ["B1", "B2", "B3"],
            dt.date(2035, 1, 1): ["B1", "B2", "B3"],
        }
        for day, codes in expected.items():
            batch = store.read("plan", as_of=day)
            assert batch.attributes["code"] == codes, day
            assert batch.editions == [("2020版" if c.startswith("A") else "2024版") for c in codes]
        assert store.read("plan").attributes["code"] == ["A1", "A2", "B1", "B2", "B3"]  # history is kept
    finally:
        store.close()


def test_edition_without_valid_from_is_refused(db: Path, tmp_path: Path) -> None:
    src = squares_file(tmp_path / "plan.geojson", ["A1"], 121.00)
    before = logical_dump(db)
    store = GpkgStore(db)
    try:
        with pytest.raises(InputError) as info:
            import_file(store, src, "plan", edition="2020版")
        assert type(info.value) is InputError
        assert info.value.key == "import.edition_needs_date"
        assert "2020版" in info.value.message and "--valid-from" in info.value.message
    finally:
        store.close()
    assert logical_dump(db) == before


def test_overlapping_or_repeated_edition_is_refused_whole(db: Path, tmp_path: Path) -> None:
    store = GpkgStore(db)
    try:
        import_file(store, squares_file(tmp_path / "a.geojson", ["A1"], 121.00), "plan", edition="2020版",
                    valid_from=dt.date(2020, 1, 1))
        import_file(store, squares_file(tmp_path / "b.geojson", ["B1"], 121.05), "plan", edition="2024版",
                    valid_from=dt.date(2024, 1, 1))
    finally:
        store.close()
    before = logical_dump(db)
    # A new field makes add_fields write before add_edition refuses: that must be rolled back too.
    middle = squares_file(tmp_path / "c.geojson", ["C1"], 121.08, extra="新字段")
    store = GpkgStore(db)
    try:
        with pytest.raises(ConflictError) as info:
            import_file(store, middle, "plan", edition="2022版", valid_from=dt.date(2022, 1, 1))
        assert info.value.key == "store.edition_overlap"
        assert "2022版" in info.value.message
        with pytest.raises(ConflictError) as info:
            import_file(store, middle, "plan", edition="2024版", valid_from=dt.date(2030, 1, 1))
        assert info.value.key == "store.edition_exists"
        assert "extra" not in store.layer("plan").fields
    finally:
        store.close()
    assert logical_dump(db) == before


# --- 7. the command line ------------------------------------------------------------------------


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path | str, str]]:
    """name → (file argument, a substring the one-line error must contain)."""
    broken = tmp_path / "broken.geojson"
    broken.write_text('{"type": "FeatureCollection",\n "features": [,]}\n', encoding="utf-8")
    bowtie = write_geojson(tmp_path / "bowtie.geojson", [("BT-7", {}, {"type": "Polygon", "coordinates": [
        [[121.05, 30.70], [121.051, 30.701], [121.051, 30.70], [121.05, 30.701], [121.05, 30.70]]]})])
    shp = tmp_path / "noprj.shp"
    pyogrio.raw.write(str(shp), shapely.to_wkb([shapely.box(605_000, 3_398_000, 605_100, 3_398_100)]),
                      [np.array(["水田"], dtype=object)], ["DLMC"], driver="ESRI Shapefile",
                      geometry_type="Polygon", crs="EPSG:4549", encoding="UTF-8")
    shp.with_suffix(".prj").unlink()
    big = tmp_path / "whole.gpkg"
    _write_big_gpkg(big, 2000)
    cut = tmp_path / "cut.gpkg"
    cut.write_bytes(big.read_bytes()[: big.stat().st_size // 2])
    kml = tmp_path / "site.kml"
    kml.write_text("<kml/>", encoding="utf-8")
    return {
        "malformed-json": (broken, "第 2 行"),
        "bowtie": (bowtie, "BT-7"),
        "missing-prj": (shp, ".prj"),
        "truncated-gpkg": (cut, "截断"),
        "unknown-suffix": (kml, ".kml"),
        "no-such-file": (tmp_path / "missing.geojson", "不存在"),
    }


@pytest.mark.parametrize(
    "case", ["malformed-json", "bowtie", "missing-prj", "truncated-gpkg", "unknown-suffix", "no-such-file"]
)
def test_cli_bad_file_one_line_exit_2(db: Path, tmp_path: Path, case: str) -> None:
    path, expected = _bad_files(tmp_path)[case]
    before = logical_dump(db)
    proc = run_cli("import", str(path), "--db", str(db), "--layer", "incoming")
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("错误：")
    assert str(path) in lines[0] and expected in lines[0]
    assert proc.stdout == ""
    assert logical_dump(db) == before


def test_cli_english_and_edition_without_date(db: Path, tmp_path: Path) -> None:
    src = squares_file(tmp_path / "plan.geojson", ["A1"], 121.00)
    before = logical_dump(db)
    proc = run_cli("--lang", "en", "import", str(src), "--db", str(db), "--layer", "plan", "--edition", "2020")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.splitlines() == ["error: importing edition 2020 needs its first day with --valid-from"]
    assert logical_dump(db) == before


def test_cli_good_import(db: Path) -> None:
    proc = run_cli("import", str(DATA / "site_sample.txt"), "--db", str(db), "--layer", "site")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.startswith("已导入 1 个要素到图层 site")
    assert "EPSG:4528" in proc.stdout
    store = GpkgStore(db)
    try:
        assert [i.name for i in store.layers()] == ["existing", "site"]
    finally:
        store.close()


def test_cli_missing_store_without_create(tmp_path: Path) -> None:
    src = squares_file(tmp_path / "a.geojson", ["A1"], 121.00)
    db = tmp_path / "nowhere.gpkg"
    proc = run_cli("import", str(src), "--db", str(db), "--layer", "a")
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1 and str(db) in proc.stderr
    assert not db.exists()


def test_format_error_is_an_input_error() -> None:
    # The CLI maps every GuotuError to exit 2; importers' errors must stay in that hierarchy.
    assert issubclass(FormatError, InputError)
