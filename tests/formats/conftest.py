"""Fixtures of the importer tests: the store with one layer already in it, and its logical dump (GeoPackage
file or PostGIS schema)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from guotu.onemap.service import import_file
from guotu.store import Store
from guotu.store.gpkg import GpkgStore

Dump = dict[str, Any]


def logical_dump(path: Path) -> Dump:
    """Everything a user could observe in the file: schema, every row of every table (audit included)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out: Dump = {
            "application_id": con.execute("PRAGMA application_id").fetchone()[0],
            "user_version": con.execute("PRAGMA user_version").fetchone()[0],
            "sqlite_master": con.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
            ).fetchall(),
        }
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for name in tables:
            try:
                rows = con.execute(f'SELECT rowid, * FROM "{name}"').fetchall()
            except sqlite3.OperationalError:  # a table without rowid
                rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
        assert "guotu_audit" in out, f"{path} has no audit table"
        return out
    finally:
        con.close()


def pg_logical_dump(url: str, schema: str) -> Dump:
    """Everything a user could observe in a PostGIS store: the tables and columns of its schema, every row
    of every table (audit included) and the sequences' positions."""
    with psycopg.connect(url, autocommit=True) as con:
        out: Dump = {
            "columns": con.execute(
                "SELECT table_name, column_name, data_type, udt_name, ordinal_position FROM information_schema.columns"
                " WHERE table_schema = %s ORDER BY table_name, ordinal_position", (schema,)).fetchall(),
            "relations": con.execute(
                "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = %s ORDER BY c.relname", (schema,)).fetchall(),
        }
        tables = [r[0] for r in con.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s ORDER BY tablename", (schema,))]
        for name in tables:
            rows = con.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
        for (seq,) in con.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = %s", (schema,)).fetchall():
            out[f"sequence {seq}"] = con.execute(f'SELECT last_value, is_called FROM "{schema}"."{seq}"').fetchone()
    assert "guotu_audit" in out, f"{schema} has no audit table"
    return out


def store_dump(target: Store | Path) -> Dump:
    """The logical dump of a store (or of a GeoPackage file given by its path)."""
    if isinstance(target, Path):
        return logical_dump(target)
    if isinstance(target, GpkgStore):
        return logical_dump(Path(target.location))
    from guotu.store.postgis import PostgisStore

    assert isinstance(target, PostgisStore)
    return pg_logical_dump(target.url, target.schema)


def _polygon_feature(fid: Any, rings: list[list[list[float]]], **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": fid, "properties": props, "geometry": {"type": "Polygon", "coordinates": rings}}


def _square(x: float, y: float, side: float = 0.001) -> list[list[float]]:
    """A closed counterclockwise ring (lon/lat or metres)."""
    return [[x, y], [x + side, y], [x + side, y + side], [x, y + side], [x, y]]


def _feature_collection(features: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}, ensure_ascii=False)


@pytest.fixture
def dump() -> Callable[[Store | Path], Dump]:
    return store_dump


@pytest.fixture
def seeded(store: Store, tmp_path: Path) -> Store:
    """The project's ``store`` (tests/conftest.py) with one small layer ``existing`` already in it, so that
    "the store is unchanged" is not trivially true of an empty file."""
    src = tmp_path / "existing.geojson"
    src.write_text(
        _feature_collection([
            _polygon_feature("E1", [_square(121.03, 30.70)], dlmc="水田", bsm=1),
            _polygon_feature("E2", [_square(121.04, 30.70)], dlmc="旱地", bsm=2),
        ]),
        encoding="utf-8",
    )
    import_file(store, src, "existing")
    return store


@pytest.fixture
def refused(seeded: Store, dump: Callable[[Store | Path], Dump]) -> Callable[..., Any]:
    """Import ``path`` into the seeded store expecting exactly ``exc_type``; check the store is unchanged."""

    def check(path: Path | str, exc_type: type[Exception], layer: str = "incoming", **kwargs: Any) -> Any:
        before = dump(seeded)
        with pytest.raises(exc_type) as info:
            import_file(seeded, path, layer, **kwargs)
        assert type(info.value) is exc_type, f"expected {exc_type.__name__}, got {type(info.value).__name__}"
        assert dump(seeded) == before, "a refused import changed the store"
        assert layer not in [i.name for i in seeded.layers()]
        return info.value

    return check
