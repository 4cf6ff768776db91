"""The embedded store: one GeoPackage file that QGIS and GDAL open as it is.

Feature layers are proper GeoPackage feature tables (``gpkg_contents``, ``gpkg_geometry_columns``,
CGCS2000 rows in ``gpkg_spatial_ref_sys``, the ``gpkg_rtree_index`` extension with its triggers).
guotu's own tables are GeoPackage attribute tables: ``guotu_layers`` (schema), ``guotu_editions``
(plan editions with validity dates) and ``guotu_audit`` (append-only: triggers refuse UPDATE and
DELETE). Every write runs in one SQLite transaction (rollback journal, synchronous=FULL), so an import
that fails or is killed half-way leaves the file as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from pyproj.enums import WktVersion

from guotu.core.crs import CGCS2000, crs_from_epsg
from guotu.core.errors import ConflictError, InputError, NotFoundError, StoreError
from guotu.core.features import FIELD_TYPES, FeatureBatch
from guotu.store import gpkgbin
from guotu.store.base import (
    EDITION_COLUMN,
    GEOMETRY_TYPES,
    AuditEvent,
    BBox,
    Edition,
    LayerInfo,
    Session,
    User,
)
from guotu.store.editions import plan_new_edition
from guotu.store.geometries import StoreGeometries, promoted
from guotu.store.gpkg_rtree import bulk_fill
from guotu.store.updates import boxes_of, changed_boxes, prepare_update, update_detail

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10400  # GeoPackage 1.4
GEOM_COLUMN = "geom"
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_RESERVED = {"fid", GEOM_COLUMN, EDITION_COLUMN}
_SQL_TYPES = {"TEXT": "TEXT", "INTEGER": "INTEGER", "REAL": "REAL", "DATE": "DATE",
              "DATETIME": "DATETIME", "BOOLEAN": "BOOLEAN"}

_CORE_DDL = """
CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL,
  description TEXT);
CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
  identifier TEXT UNIQUE, description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL,
  definition TEXT NOT NULL, scope TEXT NOT NULL,
  CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
CREATE TABLE guotu_layers (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL DEFAULT '', geometry_type TEXT NOT NULL, versioned INTEGER NOT NULL DEFAULT 0,
  fields TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL);
CREATE TABLE guotu_editions (id INTEGER PRIMARY KEY AUTOINCREMENT, layer TEXT NOT NULL,
  name TEXT NOT NULL, status TEXT NOT NULL, valid_from DATE NOT NULL, valid_to DATE,
  approved_on DATE, document TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
  UNIQUE (layer, name));
CREATE TABLE guotu_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL,
  action TEXT NOT NULL, layer TEXT, detail TEXT NOT NULL DEFAULT '{}');
CREATE INDEX guotu_audit_layer_idx ON guotu_audit (layer, id);
CREATE TABLE guotu_users (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, roles TEXT NOT NULL,
  display_name TEXT NOT NULL DEFAULT '', active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);
CREATE TABLE guotu_sessions (token_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES guotu_users(name),
  created_at TEXT NOT NULL, expires_at TEXT NOT NULL);
CREATE TRIGGER guotu_audit_no_update BEFORE UPDATE ON guotu_audit
  BEGIN SELECT RAISE(ABORT, 'guotu_audit is append-only'); END;
CREATE TRIGGER guotu_audit_no_delete BEFORE DELETE ON guotu_audit
  BEGIN SELECT RAISE(ABORT, 'guotu_audit is append-only'); END;
"""

_RTREE_TRIGGERS = [
    """CREATE TRIGGER "rtree_{t}_{c}_insert" AFTER INSERT ON "{t}" WHEN (new."{c}" NOT NULL AND NOT
    ST_IsEmpty(NEW."{c}")) BEGIN INSERT OR REPLACE INTO "rtree_{t}_{c}" VALUES (NEW."fid",
    ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END""",
    """CREATE TRIGGER "rtree_{t}_{c}_update6" AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."fid" = NEW."fid"
    AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}")) AND (OLD."{c}" NOTNULL AND NOT
    ST_IsEmpty(OLD."{c}")) BEGIN UPDATE "rtree_{t}_{c}" SET minx = ST_MinX(NEW."{c}"),
    maxx = ST_MaxX(NEW."{c}"), miny = ST_MinY(NEW."{c}"), maxy = ST_MaxY(NEW."{c}")
    WHERE id = NEW."fid"; END""",
    """CREATE TRIGGER "rtree_{t}_{c}_update7" AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."fid" = NEW."fid"
    AND (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}")) AND (OLD."{c}" ISNULL OR
    ST_IsEmpty(OLD."{c}")) BEGIN INSERT INTO "rtree_{t}_{c}" VALUES (NEW."fid", ST_MinX(NEW."{c}"),
    ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END""",
    """CREATE TRIGGER "rtree_{t}_{c}_update2" AFTER UPDATE OF "{c}" ON "{t}" WHEN OLD."fid" = NEW."fid"
    AND (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "rtree_{t}_{c}"
    WHERE id = OLD."fid"; END""",
    """CREATE TRIGGER "rtree_{t}_{c}_update5" AFTER UPDATE ON "{t}" WHEN OLD."fid" != NEW."fid" AND
    (NEW."{c}" NOTNULL AND NOT ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "rtree_{t}_{c}"
    WHERE id = OLD."fid"; INSERT OR REPLACE INTO "rtree_{t}_{c}" VALUES (NEW."fid",
    ST_MinX(NEW."{c}"), ST_MaxX(NEW."{c}"), ST_MinY(NEW."{c}"), ST_MaxY(NEW."{c}")); END""",
    """CREATE TRIGGER "rtree_{t}_{c}_update4" AFTER UPDATE ON "{t}" WHEN OLD."fid" != NEW."fid" AND
    (NEW."{c}" ISNULL OR ST_IsEmpty(NEW."{c}")) BEGIN DELETE FROM "rtree_{t}_{c}"
    WHERE id IN (OLD."fid", NEW."fid"); END""",
    """CREATE TRIGGER "rtree_{t}_{c}_delete" AFTER DELETE ON "{t}" WHEN old."{c}" NOT NULL
    BEGIN DELETE FROM "rtree_{t}_{c}" WHERE id = OLD."fid"; END""",
]


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _register_functions(con: sqlite3.Connection) -> None:
    """The ST_ functions the GeoPackage R-tree triggers call (GDAL registers its own)."""

    def _bound(k: int) -> Any:
        def fn(blob: bytes | None) -> float | None:
            env = gpkgbin.envelope(blob)
            return None if env is None else env[k]

        return fn

    con.create_function("ST_MinX", 1, _bound(0), deterministic=True)
    con.create_function("ST_MaxX", 1, _bound(1), deterministic=True)
    con.create_function("ST_MinY", 1, _bound(2), deterministic=True)
    con.create_function("ST_MaxY", 1, _bound(3), deterministic=True)
    con.create_function("ST_IsEmpty", 1, gpkgbin.is_empty, deterministic=True)


def check_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a complete SQLite database before SQLite touches it."""
    size = path.stat().st_size
    if size == 0:
        raise StoreError("store.empty_file", path=str(path))
    with path.open("rb") as fh:
        header = fh.read(100)
    if len(header) < 100 or not header.startswith(b"SQLite format 3\x00"):
        raise StoreError("store.not_sqlite", path=str(path))
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    journal = path.with_name(path.name + "-journal")
    if pages and page_size * pages > size and not journal.exists():
        raise StoreError("store.truncated", path=str(path), expected=page_size * pages, actual=size)


class GpkgStore:
    """A Store on one GeoPackage file. Thread-safe through one connection and a lock."""

    def __init__(self, path: str | os.PathLike[str], *, create: bool = False) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        exists = self.path.exists()
        if not exists and not create:
            raise NotFoundError("store.no_file", path=self.location)
        if exists:
            check_sqlite_file(self.path)
        self._lock = threading.RLock()
        try:
            self._con = sqlite3.connect(self.location, isolation_level=None, check_same_thread=False)
            _register_functions(self._con)
            self._con.execute("PRAGMA foreign_keys = ON")
            self._con.execute("PRAGMA synchronous = FULL")
            if exists:
                self._check_schema()
            else:
                self._initialise()
        except sqlite3.DatabaseError as exc:
            raise StoreError("store.corrupt", path=self.location, detail=str(exc)) from exc
        self._in_tx = False

    # --- set-up ---------------------------------------------------------------------------------
    def _initialise(self) -> None:
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        try:
            con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            con.execute(f"PRAGMA user_version = {USER_VERSION}")
            for statement in _statements(_CORE_DDL):
                con.execute(statement)
            self._add_srs(con, -1, "Undefined Cartesian SRS", "NONE", -1, "undefined",
                          "undefined Cartesian coordinate reference system")
            self._add_srs(con, 0, "Undefined geographic SRS", "NONE", 0, "undefined",
                          "undefined geographic coordinate reference system")
            for code in (4326, CGCS2000):
                self._add_epsg(con, code)
            for table in ("guotu_layers", "guotu_editions", "guotu_audit"):
                con.execute(
                    "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change)"
                    " VALUES (?, 'attributes', ?, ?, ?)",
                    (table, table, "guotu metadata", _now()),
                )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    @staticmethod
    def _add_srs(con: sqlite3.Connection, srs_id: int, name: str, org: str, org_id: int,
                 definition: str, description: str) -> None:
        con.execute(
            "INSERT OR IGNORE INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)",
            (name, srs_id, org, org_id, definition, description),
        )

    def _add_epsg(self, con: sqlite3.Connection, code: int) -> None:
        crs = crs_from_epsg(code)
        wkt = crs.to_wkt(WktVersion.WKT1_GDAL)
        self._add_srs(con, code, crs.name, "EPSG", code, wkt or "undefined", crs.name)

    def _check_schema(self) -> None:
        tables = {r[0] for r in self._con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = {"gpkg_contents", "gpkg_geometry_columns", "gpkg_spatial_ref_sys"} - tables
        if missing:
            raise StoreError("store.not_geopackage", path=self.location, missing=", ".join(sorted(missing)))
        if "guotu_layers" not in tables:
            raise StoreError("store.not_guotu", path=self.location)

    # --- reads ----------------------------------------------------------------------------------
    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._con
            except sqlite3.DatabaseError as exc:
                raise StoreError("store.corrupt", path=self.location, detail=str(exc)) from exc

    def layers(self) -> list[LayerInfo]:
        with self._reading() as con:
            names = [r[0] for r in con.execute("SELECT name FROM guotu_layers ORDER BY id")]
        return [self.layer(n) for n in names]

    def layer(self, name: str) -> LayerInfo:
        info = self._schema(name)
        with self._reading() as con:
            count = con.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
            b = con.execute(
                "SELECT min_x, min_y, max_x, max_y FROM gpkg_contents WHERE table_name = ?", (name,)
            ).fetchone()
        bounds = None if b is None or b[0] is None else (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        return LayerInfo(info.name, info.title, info.geometry_type, info.fields, info.versioned, int(count), bounds)

    def _schema(self, name: str) -> LayerInfo:
        """A layer's schema without its count and bounds (cheap: one row of guotu_layers)."""
        with self._reading() as con:
            row = con.execute(
                "SELECT name, title, geometry_type, versioned, fields FROM guotu_layers WHERE name = ?",
                (name,),
            ).fetchone()
        if row is None:
            raise NotFoundError("store.unknown_layer", layer=name, path=self.location)
        return LayerInfo(row[0], row[1], row[2], json.loads(row[4]), bool(row[3]))

    def editions(self, layer: str) -> list[Edition]:
        self._schema(layer)
        with self._reading() as con:
            rows = con.execute(
                "SELECT id, layer, name, status, valid_from, valid_to, approved_on, document"
                " FROM guotu_editions WHERE layer = ? ORDER BY valid_from, id",
                (layer,),
            ).fetchall()
        return [_edition(r) for r in rows]

    def read(
        self, layer: str, *, bbox: BBox | None = None, as_of: dt.date | None = None,
        fids: Sequence[int] | None = None, where: Mapping[str, Any] | None = None,
    ) -> FeatureBatch:
        info = self._schema(layer)
        names = list(info.fields)
        cols = ", ".join(f't."{n}"' for n in names)
        sql = f't.fid, t."{GEOM_COLUMN}", e.name' + (f", {cols}" if cols else "")
        sql = f'SELECT {sql} FROM "{layer}" t LEFT JOIN guotu_editions e ON e.id = t."{EDITION_COLUMN}"'
        clauses: list[str] = []
        params: list[Any] = []
        if bbox is not None:
            x0, y0, x1, y1 = bbox
            # A sub-query makes SQLite drive the read from the R-tree (a join lets the planner
            # start from the edition index and scan the R-tree for every row: 250× slower).
            clauses.append(f't.fid IN (SELECT id FROM "rtree_{layer}_{GEOM_COLUMN}" '
                           "WHERE minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?)")
            params += [x1, x0, y1, y0]
        if as_of is not None:
            in_force = [e.id for e in self.editions(layer) if e.in_force(as_of)]
            marks = ",".join("?" * len(in_force))
            clauses.append(f't."{EDITION_COLUMN}" IS NULL' + (
                f' OR t."{EDITION_COLUMN}" IN ({marks})' if in_force else ""))
            clauses[-1] = f"({clauses[-1]})"
            params += in_force
        if fids is not None:
            marks = ",".join("?" * len(fids))
            clauses.append(f"t.fid IN ({marks})")
            params += [int(f) for f in fids]
        for key, value in (where or {}).items():
            if key not in info.fields and key != EDITION_COLUMN:
                raise InputError("store.unknown_field", layer=layer, field=key)
            clauses.append(f't."{key}" = ?')
            params.append(value)
        if clauses:
            sql += " WHERE " + " AND ".join(clauses)
        sql += " ORDER BY t.fid"
        with self._reading() as con:
            rows = con.execute(sql, params).fetchall()
        geometry = gpkgbin.decode([r[1] for r in rows])
        attrs: dict[str, list[Any]] = {n: [_from_sql(r[3 + k], info.fields[n]) for r in rows]
                                       for k, n in enumerate(names)}
        return FeatureBatch(geometry, attrs, dict(info.fields), CGCS2000, [int(r[0]) for r in rows],
                            editions=[r[2] for r in rows])

    def revision(self, layer: str) -> int:
        return self.revisions([layer])[layer]

    def revisions(self, layers: Sequence[str]) -> dict[str, int]:
        """:meth:`revision` of several layers in one query (a warm review checks five per request)."""
        if not layers:
            return {}
        # One scalar sub-query per layer: each is a single step down the (layer, id) index.
        one = "(SELECT max(id) FROM guotu_audit WHERE layer = ?)"
        with self._reading() as con:
            row = con.execute("SELECT " + ", ".join([one] * len(layers)), list(layers)).fetchone()
        return {name: int(v or 0) for name, v in zip(layers, row, strict=True)}

    def get_user(self, name: str) -> User | None:
        with self._reading() as con:
            row = con.execute(
                "SELECT name, password_hash, roles, display_name, active FROM guotu_users WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else User(row[0], row[1], tuple(json.loads(row[2])), row[3], bool(row[4]))

    def users(self) -> list[User]:
        with self._reading() as con:
            names = [r[0] for r in con.execute("SELECT name FROM guotu_users ORDER BY name")]
        return [u for u in (self.get_user(n) for n in names) if u is not None]

    def get_session(self, token_hash: str) -> Session | None:
        with self._reading() as con:
            row = con.execute(
                "SELECT token_hash, user, created_at, expires_at FROM guotu_sessions WHERE token_hash = ?",
                (token_hash,),
            ).fetchone()
        if row is None:
            return None
        return Session(row[0], row[1], dt.datetime.fromisoformat(row[2]), dt.datetime.fromisoformat(row[3]))

    def audit_events(self, since_id: int = 0) -> list[AuditEvent]:
        with self._reading() as con:
            rows = con.execute(
                "SELECT id, at, actor, action, layer, detail FROM guotu_audit WHERE id > ? ORDER BY id",
                (since_id,),
            ).fetchall()
        return [AuditEvent(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    # --- writes ---------------------------------------------------------------------------------
    @contextmanager
    def transaction(self, actor: str = "system") -> Iterator[GpkgTransaction]:
        with self._lock:
            if self._in_tx:
                raise StoreError("store.nested_transaction", path=self.location)
            self._in_tx = True
            try:
                self._con.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                self._in_tx = False
                raise StoreError("store.corrupt", path=self.location, detail=str(exc)) from exc
            tx = GpkgTransaction(self, actor)
            try:
                yield tx
                tx._trigger_new_layers()
                self._con.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._con.execute("ROLLBACK")
                raise StoreError("store.write_failed", path=self.location, detail=str(exc)) from exc
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            finally:
                self._in_tx = False

    def close(self) -> None:
        with self._lock:
            self._con.close()

    def __enter__(self) -> GpkgStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class GpkgTransaction:
    """Writes inside one SQLite transaction of a GpkgStore."""

    def __init__(self, store: GpkgStore, actor: str) -> None:
        self.store = store
        self.actor = actor
        self.con = store._con
        # Layers created in this transaction whose R-tree triggers wait for the first write: it fills
        # the R-tree in one statement instead of a trigger call per row. Created before COMMIT.
        self._untriggered: set[str] = set()

    def audit(self, action: str, layer: str | None, detail: Mapping[str, Any]) -> None:
        self.con.execute(
            "INSERT INTO guotu_audit (at, actor, action, layer, detail) VALUES (?, ?, ?, ?, ?)",
            (_now(), self.actor, action, layer, json.dumps(dict(detail), ensure_ascii=False, default=str)),
        )

    def create_layer(
        self, name: str, geometry_type: str, fields: Mapping[str, str], *, title: str = "",
        versioned: bool = False,
    ) -> LayerInfo:
        _check_name(name, "layer")
        geometry_type = geometry_type.upper()
        if geometry_type not in GEOMETRY_TYPES:
            raise InputError("store.bad_geometry_type", layer=name, geometry_type=geometry_type)
        exists = self.con.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        if exists:
            raise ConflictError("store.layer_exists", layer=name, path=self.store.location)
        columns = _columns(name, fields)
        self.con.execute(
            f'CREATE TABLE "{name}" (fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, '
            f'"{GEOM_COLUMN}" {geometry_type}, "{EDITION_COLUMN}" INTEGER REFERENCES guotu_editions(id)'
            + "".join(f', "{n}" {_SQL_TYPES[t]}' for n, t in columns.items()) + ")"
        )
        self.con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, last_change, srs_id)"
            " VALUES (?, 'features', ?, ?, ?, ?)",
            (name, name, title, _now(), CGCS2000),
        )
        self.con.execute(
            "INSERT INTO gpkg_geometry_columns VALUES (?, ?, ?, ?, 0, 0)",
            (name, GEOM_COLUMN, geometry_type, CGCS2000),
        )
        self.con.execute(
            f'CREATE VIRTUAL TABLE "rtree_{name}_{GEOM_COLUMN}" USING rtree(id, minx, maxx, miny, maxy)'
        )
        self._untriggered.add(name)
        self.con.execute(
            "INSERT INTO gpkg_extensions VALUES (?, ?, 'gpkg_rtree_index', "
            "'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            (name, GEOM_COLUMN),
        )
        self.con.execute(f'CREATE INDEX "{name}_edition_idx" ON "{name}" ("{EDITION_COLUMN}")')
        self.con.execute(
            "INSERT INTO guotu_layers (name, title, geometry_type, versioned, fields, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (name, title, geometry_type, int(versioned), json.dumps(columns, ensure_ascii=False), _now()),
        )
        self.audit("create_layer", name, {"geometry_type": geometry_type, "fields": columns,
                                          "versioned": versioned})
        return self.store.layer(name)

    def add_fields(self, layer: str, fields: Mapping[str, str]) -> None:
        info = self.store._schema(layer)
        new = {k: v for k, v in _columns(layer, fields).items() if k not in info.fields}
        if not new:
            return
        for n, t in new.items():
            self.con.execute(f'ALTER TABLE "{layer}" ADD COLUMN "{n}" {_SQL_TYPES[t]}')
        merged = {**info.fields, **new}
        self.con.execute("UPDATE guotu_layers SET fields = ? WHERE name = ?",
                         (json.dumps(merged, ensure_ascii=False), layer))
        self.audit("add_fields", layer, {"fields": new})

    def add_edition(
        self, layer: str, name: str, *, valid_from: dt.date, status: str = "approved",
        valid_to: dt.date | None = None, approved_on: dt.date | None = None, document: str = "",
    ) -> Edition:
        info = self.store._schema(layer)
        for e in plan_new_edition(self.store.editions(layer), layer, name, status, valid_from, valid_to):
            # A newer edition supersedes the open one from its first day.
            self.con.execute("UPDATE guotu_editions SET valid_to = ?, status = 'superseded' WHERE id = ?",
                             (valid_from.isoformat(), e.id))
            self.audit("supersede_edition", layer, {"edition": e.name, "valid_to": valid_from})
        if not info.versioned:
            self.con.execute("UPDATE guotu_layers SET versioned = 1 WHERE name = ?", (layer,))
        cur = self.con.execute(
            "INSERT INTO guotu_editions (layer, name, status, valid_from, valid_to, approved_on, document,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (layer, name, status, valid_from.isoformat(), valid_to.isoformat() if valid_to else None,
             approved_on.isoformat() if approved_on else None, document, _now()),
        )
        self.audit("add_edition", layer, {"edition": name, "status": status, "valid_from": valid_from,
                                          "valid_to": valid_to, "document": document})
        return Edition(int(cur.lastrowid or 0), layer, name, status, valid_from, valid_to, approved_on,
                       document)

    def write(self, layer: str, batch: FeatureBatch, *, edition: str | None = None,
              fids: Sequence[int] | None = None) -> list[int]:
        info = self.store._schema(layer)
        if fids is not None and len(fids) != len(batch):
            raise InputError("store.fids_mismatch", layer=layer, fids=len(fids), rows=len(batch))
        edition_id = None
        if edition is not None:
            row = self.con.execute(
                "SELECT id FROM guotu_editions WHERE layer = ? AND name = ?", (layer, edition)
            ).fetchone()
            if row is None:
                raise NotFoundError("store.unknown_edition", layer=layer, edition=edition)
            edition_id = int(row[0])
        unknown = [k for k in batch.attributes if k not in info.fields]
        if unknown:
            raise InputError("store.unknown_field", layer=layer, field=", ".join(unknown))
        geoms = StoreGeometries(batch)  # in CGCS2000
        blobs = geoms.gpkg_blobs(_to_promote(geoms.type_ids(), info.geometry_type, layer, batch.ids or []))
        names = list(batch.attributes)
        given = [] if fids is None else ["fid"]  # explicit fids: a copy keeping the source's ids
        columns = [*given, f'"{GEOM_COLUMN}"', f'"{EDITION_COLUMN}"', *(f'"{n}"' for n in names)]
        sql = f'INSERT INTO "{layer}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
        values = [_column_to_sql(batch.attributes[n], info.fields[n]) for n in names]
        lead = [[int(f)] for f in fids] if fids is not None else [[]] * len(batch)
        rows = ([*lead[i], blobs[i], edition_id, *(col[i] for col in values)] for i in range(len(batch)))
        bounds = geoms.bounds()
        before = self.con.execute(f'SELECT coalesce(max(fid), 0) FROM "{layer}"').fetchone()[0]
        self.con.executemany(sql, rows)
        out = [int(f) for f in fids] if fids is not None else [int(r[0]) for r in self.con.execute(
            f'SELECT fid FROM "{layer}" WHERE fid > ? ORDER BY fid', (before,))]
        if layer in self._untriggered:  # a new layer's first write: fill its R-tree in bulk
            self._fill_rtree(layer, out, bounds)
            self._trigger(layer)
        self._touch(layer)
        self.audit("write", layer, {"count": len(batch), "edition": edition,
                                    "fids": [out[0], out[-1]] if out else [], "boxes": boxes_of(bounds)})
        return out

    def update(self, layer: str, fids: Sequence[int], batch: FeatureBatch) -> None:
        info, before, batch = prepare_update(self.store, layer, fids, batch)
        geoms = _conform(batch.geometry, info.geometry_type, layer, list(fids))
        blobs = gpkgbin.encode(geoms, CGCS2000)
        names = list(batch.attributes)
        sets = ", ".join([f'"{GEOM_COLUMN}" = ?', *(f'"{n}" = ?' for n in names)])
        rows = [[blobs[i], *(_to_sql(batch.attributes[n][i], info.fields[n]) for n in names), int(fids[i])]
                for i in range(len(batch))]
        self.con.executemany(f'UPDATE "{layer}" SET {sets} WHERE fid = ?', rows)
        self._touch(layer)
        self.audit("update", layer, update_detail(before, batch, fids))

    def put_user(self, user: User) -> None:
        exists = self.store.get_user(user.name) is not None
        self.con.execute(
            "INSERT INTO guotu_users (name, password_hash, roles, display_name, active, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET password_hash = excluded.password_hash,"
            " roles = excluded.roles, display_name = excluded.display_name, active = excluded.active",
            (user.name, user.password_hash, json.dumps(list(user.roles)), user.display_name, int(user.active), _now()),
        )
        self.audit("update_user" if exists else "add_user", None,
                   {"user": user.name, "roles": list(user.roles), "active": user.active})

    def add_session(self, session: Session) -> None:
        self.con.execute(
            "INSERT INTO guotu_sessions (token_hash, user, created_at, expires_at) VALUES (?, ?, ?, ?)",
            (session.token_hash, session.user, session.created_at.isoformat(), session.expires_at.isoformat()),
        )
        self.audit("login", None, {"user": session.user})

    def delete_session(self, token_hash: str) -> None:
        row = self.con.execute("SELECT user FROM guotu_sessions WHERE token_hash = ?", (token_hash,)).fetchone()
        self.con.execute("DELETE FROM guotu_sessions WHERE token_hash = ?", (token_hash,))
        if row is not None:
            self.audit("logout", None, {"user": row[0]})

    def delete(self, layer: str, fids: Sequence[int]) -> int:
        self.store._schema(layer)
        gone = self.store.read(layer, fids=[int(f) for f in fids]).geometry
        marks = ",".join("?" * len(fids))
        cur = self.con.execute(f'DELETE FROM "{layer}" WHERE fid IN ({marks})', [int(f) for f in fids])
        self._touch(layer)
        self.audit("delete", layer, {"fids": [int(f) for f in fids], "count": cur.rowcount,
                                     "boxes": changed_boxes(gone)})
        return int(cur.rowcount)

    def drop_layer(self, layer: str) -> None:
        self.store._schema(layer)
        self._untriggered.discard(layer)
        for sql in (
            f'DROP TABLE "{layer}"',
            f'DROP TABLE "rtree_{layer}_{GEOM_COLUMN}"',
        ):
            self.con.execute(sql)
        for table in ("gpkg_geometry_columns", "gpkg_extensions", "gpkg_contents"):
            self.con.execute(f"DELETE FROM {table} WHERE table_name = ?", (layer,))
        self.con.execute("DELETE FROM guotu_editions WHERE layer = ?", (layer,))
        self.con.execute("DELETE FROM guotu_layers WHERE name = ?", (layer,))
        self.audit("drop_layer", layer, {})

    def _fill_rtree(self, layer: str, fids: Sequence[int], b: npt.NDArray[np.float64]) -> None:
        """The R-tree rows the insert trigger would have written (non-empty geometries), packed in one
        go (:mod:`guotu.store.gpkg_rtree`); ``b`` holds each geometry's bounds, NaN for missing and
        empty ones, which the trigger skips."""
        bulk_fill(self.con, f"rtree_{layer}_{GEOM_COLUMN}", np.asarray(fids, dtype=np.int64), b)

    def _trigger(self, layer: str) -> None:
        """Create the R-tree triggers of a layer created in this transaction."""
        self._untriggered.discard(layer)
        for trigger in _RTREE_TRIGGERS:
            self.con.execute(trigger.format(t=layer, c=GEOM_COLUMN))

    def _trigger_new_layers(self) -> None:
        """Before COMMIT: the R-tree triggers of the layers created in this transaction and never written."""
        for layer in sorted(self._untriggered):
            self._trigger(layer)

    def _touch(self, layer: str) -> None:
        b = self.con.execute(
            f'SELECT min(minx), min(miny), max(maxx), max(maxy) FROM "rtree_{layer}_{GEOM_COLUMN}"'
        ).fetchone()
        self.con.execute(
            "UPDATE gpkg_contents SET last_change = ?, min_x = ?, min_y = ?, max_x = ?, max_y = ?"
            " WHERE table_name = ?",
            (_now(), *b, layer),
        )


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers keep their inner semicolons)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return out


def _edition(r: Sequence[Any]) -> Edition:
    return Edition(
        int(r[0]), r[1], r[2], r[3], dt.date.fromisoformat(r[4]),
        dt.date.fromisoformat(r[5]) if r[5] else None,
        dt.date.fromisoformat(r[6]) if r[6] else None, r[7] or "",
    )


def _check_name(name: str, what: str) -> None:
    if not _NAME.match(name) or name.lower().startswith(("gpkg_", "rtree_", "sqlite_", "guotu_")):
        raise InputError("store.bad_name", what=what, name=name)


def _columns(layer: str, fields: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, kind in fields.items():
        _check_name(name, "field")
        if name.lower() in _RESERVED:
            raise InputError("store.reserved_field", layer=layer, field=name)
        kind = kind.upper()
        if kind not in FIELD_TYPES:
            raise InputError("store.bad_field_type", layer=layer, field=name, kind=kind)
        out[name] = kind
    return out


def _conform(geoms: np.ndarray, geometry_type: str, layer: str, ids: Sequence[Any]) -> np.ndarray:
    """Promote single to multi types where the layer is a multi type; refuse other types."""
    return promoted(geoms, _to_promote(shapely.get_type_id(geoms), geometry_type, layer, ids))


def _to_promote(
    types: npt.NDArray[Any], geometry_type: str, layer: str, ids: Sequence[Any]
) -> npt.NDArray[np.bool_] | None:
    """Refuse geometries the layer's type cannot hold (``types``: shapely type ids, -1 for a missing
    geometry); the mask of single geometries a multi-type layer holds as one-part multis (None when
    the layer is not a multi type)."""
    if geometry_type == "GEOMETRY":
        return None
    allowed = {
        "POINT": (0,), "LINESTRING": (1,), "POLYGON": (3,),
        "MULTIPOINT": (0, 4), "MULTILINESTRING": (1, 5), "MULTIPOLYGON": (3, 6),
    }[geometry_type]
    bad = np.flatnonzero(~np.isin(types, allowed) & (types >= 0))
    if bad.size:
        i = int(bad[0])
        raise InputError("store.wrong_geometry_type", layer=layer, record=ids[i] if ids else i + 1,
                         expected=geometry_type, actual=int(types[i]))
    if not geometry_type.startswith("MULTI"):
        return None
    return types == allowed[0]  # type: ignore[no-any-return]


def _column_to_sql(values: Sequence[Any], kind: str) -> list[Any]:
    if kind == "TEXT" and all(type(v) is str or v is None for v in values):
        return list(values)  # what _to_sql would return, value by value
    return [_to_sql(v, kind) for v in values]


def _to_sql(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if kind in ("DATE", "DATETIME") and isinstance(value, dt.date):
        return value.isoformat()
    if kind == "BOOLEAN":
        return int(bool(value))
    if isinstance(value, np.generic):
        return value.item()
    return value


def _from_sql(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "DATE" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return value
    if kind == "BOOLEAN":
        return bool(value)
    return value
