"""The server store: one PostgreSQL schema with PostGIS, which QGIS and GDAL open as it is.

Each layer is a table ``fid bigserial primary key, geom geometry(<type>, 4490), guotu_edition bigint
references guotu_editions, <fields>`` with a GiST index on ``geom`` and an index on ``guotu_edition``.
guotu's own tables sit beside the layers in the same schema: ``guotu_layers`` (schema and bounds),
``guotu_editions`` (plan editions with validity dates), ``guotu_audit`` (append-only: a trigger raises
on UPDATE, DELETE and TRUNCATE), ``guotu_users``, ``guotu_sessions`` and ``guotu_meta``.

The semantics are those of :mod:`guotu.store.gpkg`, the reference: the same checks, errors and message
keys, the same audit actions and detail shapes, the same edition rules, reads ordered by fid and the
same Python types back (the name, field and geometry-type rules are imported from there, so they
cannot drift apart). Differences a user can see, all inherent to a server:

* fids and audit ids come from sequences, which a rolled-back transaction does not give back, so
  they may have gaps (GeoPackage reuses them after a rollback);
* ``DATETIME`` fields are ISO-8601 text, as GeoPackage stores them (``::timestamptz`` in SQL);
* session times come back as aware datetimes in UTC (a naive datetime is taken as UTC);
* NaN or infinite numbers in an audit detail are stored as JSON null (jsonb has no NaN).

Connections come from a ``psycopg_pool`` pool; ``transaction()`` takes one connection for its whole
duration and commits or rolls back on it. Reads made by the same thread or task while its transaction
is open go through that transaction's connection (as with the single GeoPackage connection), so a
use case sees its own uncommitted writes; other readers see only committed data.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import math
import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import psycopg
import shapely
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from guotu.core.crs import CGCS2000
from guotu.core.errors import ConflictError, InputError, NotFoundError, StoreError
from guotu.core.features import FeatureBatch
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
from guotu.store.geometries import StoreGeometries
from guotu.store.gpkg import GEOM_COLUMN, _check_name, _columns, _conform, _to_promote
from guotu.store.pgnotify import CHANNEL, RevisionFeed
from guotu.store.updates import boxes_of, changed_boxes, prepare_update, update_detail

Connection = psycopg.Connection[tuple[Any, ...]]

SCHEMA_VERSION = "1"
DEFAULT_SCHEMA = "guotu"
_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_PG_TYPES = {"TEXT": "text", "INTEGER": "bigint", "REAL": "double precision", "DATE": "date",
             "DATETIME": "text", "BOOLEAN": "boolean"}
_AT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_COPY_CHUNK = 10_000  # features encoded at a time while COPY streams
_AHEAD = 3  # chunks being prepared while one is sent

# The connection of the transaction open in this thread or task, per store (id(store) → connection).
_T = TypeVar("_T")
_ACTIVE: contextvars.ContextVar[Mapping[int, Connection] | None] = contextvars.ContextVar("guotu_pg_tx", default=None)

_DDL = """
CREATE TABLE {s}.guotu_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE {s}.guotu_layers (id bigserial PRIMARY KEY, name text NOT NULL UNIQUE,
  title text NOT NULL DEFAULT '', geometry_type text NOT NULL, versioned boolean NOT NULL DEFAULT false,
  fields json NOT NULL DEFAULT '{{}}', min_x double precision, min_y double precision,
  max_x double precision, max_y double precision,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE {s}.guotu_editions (id bigserial PRIMARY KEY, layer text NOT NULL, name text NOT NULL,
  status text NOT NULL CHECK (status IN ('draft', 'approved', 'superseded')), valid_from date NOT NULL,
  valid_to date, approved_on date, document text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(), UNIQUE (layer, name));
CREATE TABLE {s}.guotu_audit (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL, action text NOT NULL, layer text, detail json NOT NULL DEFAULT '{{}}');
CREATE INDEX guotu_audit_layer_idx ON {s}.guotu_audit (layer, id);
CREATE TABLE {s}.guotu_users (name text PRIMARY KEY, password_hash text NOT NULL, roles text[] NOT NULL,
  display_name text NOT NULL DEFAULT '', active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE TABLE {s}.guotu_sessions (token_hash text PRIMARY KEY,
  user_name text NOT NULL REFERENCES {s}.guotu_users (name),
  created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL);
CREATE FUNCTION {s}.guotu_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'guotu_audit is append-only'; END $$;
CREATE TRIGGER guotu_audit_no_update_delete BEFORE UPDATE OR DELETE ON {s}.guotu_audit
  FOR EACH ROW EXECUTE FUNCTION {s}.guotu_audit_append_only();
CREATE TRIGGER guotu_audit_no_truncate BEFORE TRUNCATE ON {s}.guotu_audit
  FOR EACH STATEMENT EXECUTE FUNCTION {s}.guotu_audit_append_only();
"""


def split_schema(url: str) -> tuple[str, str | None]:
    """The URL without its ``schema`` query parameter, and that parameter (None when absent).

    >>> split_schema("postgresql://u@h:5432/db?schema=pinghu&sslmode=disable")
    ('postgresql://u@h:5432/db?sslmode=disable', 'pinghu')
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = None
    kept = []
    for key, value in query:
        if key == "schema":
            schema = value
        else:
            kept.append((key, value))
    return urlunsplit(parts._replace(query=urlencode(kept))), schema


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (for messages and ``location``).

    >>> mask_url("postgresql://guotu:secret@db.example:5432/gis")
    'postgresql://guotu:***@db.example:5432/gis'
    """
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def _now_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime(_AT_FORMAT)


def _first_line(exc: BaseException) -> str:
    """psycopg's message on one line (with its CONTEXT line, which names the COPY row and column)."""
    text = str(exc).strip()
    return " ".join(line.strip() for line in text.splitlines() if line.strip()) or type(exc).__name__


def _connect_error(exc: BaseException) -> str:
    """libpq's reason for a failed connection, without its generic hint (our message gives one)."""
    text = str(exc).strip().removeprefix("connection failed: ").removeprefix("connection is bad: ")
    return text.splitlines()[0].strip() if text else type(exc).__name__


class PostgisStore:
    """A Store on one schema of a PostgreSQL database with PostGIS. Thread-safe (a connection pool)."""

    def __init__(self, url: str, *, schema: str = DEFAULT_SCHEMA, create: bool = False,
                 pool_size: int = 8) -> None:
        url, in_url = split_schema(url) if "?" in url else (url, None)
        schema = in_url or schema
        if not _SCHEMA_NAME.match(schema):
            raise StoreError("store_postgis.bad_schema", schema=schema)
        self.url = url
        self.schema = schema
        self.location = mask_url(url) + ("" if schema == DEFAULT_SCHEMA else f"?schema={schema}")
        try:
            params = conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:
            raise StoreError("store_postgis.bad_url", url=mask_url(url), detail=_first_line(exc)) from exc
        self.host = str(params.get("host") or params.get("hostaddr") or "localhost")
        self.port = str(params.get("port") or "5432")
        self.database = str(params.get("dbname") or params.get("user") or "")
        self._s = sql.Identifier(schema).as_string(None)
        self._search_path = ""
        conn = self._connect()
        try:
            self._prepare(conn, create)
        finally:
            conn.close()
        self._pool: ConnectionPool[Connection] = ConnectionPool(
            url, min_size=1, max_size=max(1, pool_size), kwargs={"autocommit": True},
            configure=self._configure, check=ConnectionPool.check_connection, open=True,
            name=f"guotu-{schema}", timeout=30,
        )
        self._closed = False
        self._feed: RevisionFeed | None = None
        self._feed_lock = threading.Lock()
        self._meta: dict[tuple[str, str], tuple[int, Any]] = {}  # (kind, layer) -> (revision, value)

    # --- set-up ---------------------------------------------------------------------------------
    def _connect(self) -> Connection:
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.ProgrammingError as exc:
            raise StoreError("store_postgis.bad_url", url=mask_url(self.url), detail=_first_line(exc)) from exc
        except psycopg.OperationalError as exc:
            text = str(exc)
            if "invalid" in text and "connection option" in text:
                raise StoreError("store_postgis.bad_url", url=mask_url(self.url), detail=_connect_error(exc)) from exc
            if re.search(r'database ".*" does not exist', text):
                raise StoreError("store_postgis.no_database", host=self.host, port=self.port,
                                 database=self.database) from exc
            raise StoreError("store_postgis.connect_failed", host=self.host, port=self.port,
                             database=self.database, detail=_connect_error(exc)) from exc

    def _configure(self, conn: Connection) -> None:
        conn.execute(f"SET TimeZone = 'UTC'; SET search_path = {self._search_path}")

    def _prepare(self, conn: Connection, create: bool) -> None:
        """Check PostGIS and the schema; create what is missing when ``create``."""
        try:
            ext = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
                               " WHERE e.extname = 'postgis'").fetchone()
            if ext is None:
                available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone()
                if available is None:
                    major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
                    raise StoreError("store_postgis.postgis_not_installed", host=self.host, port=self.port,
                                     database=self.database, package=f"postgresql-{major}-postgis-3")
                if not create:
                    raise StoreError("store_postgis.postgis_not_created", database=self.database, detail="")
                try:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
                except psycopg.Error as exc:
                    raise StoreError("store_postgis.postgis_not_created", database=self.database,
                                     detail=f" ({_first_line(exc)})") from exc
                ext = conn.execute("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                                   " ON n.oid = e.extnamespace WHERE e.extname = 'postgis'").fetchone()
            assert ext is not None
            # PostGIS's schema first (its types and functions), then ours; our own tables are always qualified.
            self._search_path = ", ".join(sql.Identifier(n).as_string(conn) for n in dict.fromkeys(
                [str(ext[0]), self.schema]))
            self._configure(conn)
            with conn.transaction():
                # Two processes creating the same schema at once: the second waits, then finds it.
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"guotu schema {self.schema}",))
                has_schema = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s",
                                          (self.schema,)).fetchone()
                if has_schema is None and not create:
                    raise NotFoundError("store_postgis.no_schema", schema=self.schema, location=self.location)
                has_layers = has_schema is not None and conn.execute(
                    "SELECT to_regclass(%s)", (f"{self._s}.guotu_layers",)).fetchone() not in (None, (None,))
                if not has_layers:
                    if not create:
                        raise StoreError("store_postgis.not_guotu", schema=self.schema, location=self.location)
                    conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self._s}")
                    conn.execute(_DDL.format(s=self._s))
                    conn.execute(f"INSERT INTO {self._s}.guotu_meta VALUES ('schema_version', %s)",
                                 (SCHEMA_VERSION,))
        except psycopg.Error as exc:
            raise StoreError("store_postgis.query_failed", location=self.location, detail=_first_line(exc)) from exc

    # --- connections ----------------------------------------------------------------------------
    @contextmanager
    def _conn(self) -> Iterator[Connection]:
        """The open transaction's connection in this thread/task, or one from the pool (autocommit)."""
        active = (_ACTIVE.get() or {}).get(id(self))
        if active is not None:
            yield active
            return
        try:
            with self._pool.connection() as conn:
                try:
                    yield conn
                except psycopg.OperationalError as exc:
                    raise StoreError("store_postgis.connection_lost", location=self.location,
                                     detail=_first_line(exc)) from exc
                except psycopg.Error as exc:
                    raise StoreError("store_postgis.query_failed", location=self.location,
                                     detail=_first_line(exc)) from exc
        except psycopg.OperationalError as exc:  # the pool could not give a connection
            raise StoreError("store_postgis.connection_lost", location=self.location,
                             detail=_first_line(exc)) from exc

    def _table(self, layer: str) -> str:
        return f'{self._s}."{layer}"'

    # --- reads ----------------------------------------------------------------------------------
    def layers(self) -> list[LayerInfo]:
        with self._conn() as conn:
            names = [r[0] for r in conn.execute(f"SELECT name FROM {self._s}.guotu_layers ORDER BY id")]
        return [self.layer(n) for n in names]

    def layer(self, name: str) -> LayerInfo:
        info = self._schema(name)
        with self._conn() as conn:
            count = conn.execute(f"SELECT count(*) FROM {self._table(name)}").fetchone()
            b = conn.execute(f"SELECT min_x, min_y, max_x, max_y FROM {self._s}.guotu_layers WHERE name = %s",
                             (name,)).fetchone()
        bounds = None if b is None or b[0] is None else (float(b[0]), float(b[1]), float(b[2]), float(b[3]))
        return LayerInfo(info.name, info.title, info.geometry_type, info.fields, info.versioned,
                         int(count[0]) if count else 0, bounds)

    def _known_revision(self, layer: str) -> int | None:
        """The layer's revision if the notification feed already knows it and no transaction of this
        store is open here (its uncommitted changes are not in any revision yet)."""
        if self._feed is None or (_ACTIVE.get() or {}).get(id(self)) is not None:
            return None
        return self._feed.known(layer)[0]

    def _remembered(self, kind: str, layer: str, load: Callable[[], _T]) -> _T:
        """A layer's definition or editions, kept while its revision stands (every change of either is
        an audit event of the layer): a cold tile or a review then costs one query, not five."""
        revision = self._known_revision(layer)
        if revision is not None:
            hit = self._meta.get((kind, layer))
            if hit is not None and hit[0] == revision:
                return cast(_T, hit[1])
        value = load()
        if revision is not None:
            self._meta[(kind, layer)] = (revision, value)
        return value

    def _schema(self, name: str) -> LayerInfo:
        def load() -> LayerInfo:
            with self._conn() as conn:
                row = conn.execute(
                    f"SELECT name, title, geometry_type, versioned, fields FROM {self._s}.guotu_layers"
                    " WHERE name = %s", (name,),
                ).fetchone()
            if row is None:
                raise NotFoundError("store.unknown_layer", layer=name, path=self.location)
            return LayerInfo(row[0], row[1], row[2], dict(row[4]), bool(row[3]))

        return self._remembered("schema", name, load)

    def editions(self, layer: str) -> list[Edition]:
        def load() -> list[Edition]:
            self._schema(layer)
            with self._conn() as conn:
                rows = conn.execute(
                    "SELECT id, layer, name, status, valid_from, valid_to, approved_on, document"
                    f" FROM {self._s}.guotu_editions WHERE layer = %s ORDER BY valid_from, id",
                    (layer,),
                ).fetchall()
            return [Edition(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7] or "") for r in rows]

        return list(self._remembered("editions", layer, load))

    def read(
        self, layer: str, *, bbox: BBox | None = None, as_of: dt.date | None = None,
        fids: Sequence[int] | None = None, where: Mapping[str, Any] | None = None,
    ) -> FeatureBatch:
        info = self._schema(layer)
        names = list(info.fields)
        cols = "".join(f', t."{n}"' for n in names)
        query = (f'SELECT t.fid, ST_AsBinary(t."{GEOM_COLUMN}"), e.name{cols} FROM {self._table(layer)} t'
                 f' LEFT JOIN {self._s}.guotu_editions e ON e.id = t."{EDITION_COLUMN}"')
        clauses: list[str] = []
        params: list[Any] = []
        if bbox is not None:
            clauses.append(f't."{GEOM_COLUMN}" && ST_MakeEnvelope(%s, %s, %s, %s, {CGCS2000})')
            params += [float(v) for v in bbox]
        if as_of is not None:
            in_force = [e.id for e in self.editions(layer) if e.in_force(as_of)]
            clauses.append(f'(t."{EDITION_COLUMN}" IS NULL OR t."{EDITION_COLUMN}" = ANY(%s))')
            params.append(in_force)
        if fids is not None:
            clauses.append("t.fid = ANY(%s)")
            params.append([int(f) for f in fids])
        for key, value in (where or {}).items():
            if key not in info.fields and key != EDITION_COLUMN:
                raise InputError("store.unknown_field", layer=layer, field=key)
            kind = "INTEGER" if key == EDITION_COLUMN else info.fields[key]
            ok, converted = _where_value(value, kind)
            if not ok:
                clauses.append("false")  # SQLite compares and finds nothing; so do we
                continue
            clauses.append(f't."{key}" = %s::{_PG_TYPES[kind]}')
            params.append(converted)
        if clauses:
            query += " WHERE " + " AND ".join(clauses)
        query += " ORDER BY t.fid"
        with self._conn() as conn:
            rows = conn.execute(query, params).fetchall()
        geometry = shapely.from_wkb([r[1] for r in rows]) if rows else np.empty(0, dtype=object)
        attrs: dict[str, list[Any]] = {n: [r[3 + k] for r in rows] for k, n in enumerate(names)}
        return FeatureBatch(geometry, attrs, dict(info.fields), CGCS2000, [int(r[0]) for r in rows],
                            editions=[r[2] for r in rows])

    def revision(self, layer: str) -> int:
        return self.revisions([layer])[layer]

    def revisions(self, layers: Sequence[str]) -> dict[str, int]:
        """:meth:`revision` of several layers: from the notification feed (:mod:`guotu.store.pgnotify`)
        when it knows them, else in one query (a warm review checks five per request)."""
        feed = self._revision_feed()
        out: dict[str, int] = {}
        generation = -1
        for name in layers:
            value, generation = feed.known(name)
            if value is not None:
                out[name] = value
        missing = [name for name in layers if name not in out]
        if missing:
            with self._conn() as conn:
                # One max() per layer: each is a single step down the (layer, id) index.
                rows = conn.execute(f"SELECT l, (SELECT max(id) FROM {self._s}.guotu_audit WHERE layer = l)"
                                    " FROM unnest(%s::text[]) AS l", (missing,)).fetchall()
            found = {r[0]: int(r[1] or 0) for r in rows}
            for name in missing:
                out[name] = found.get(name, 0)
                feed.learn(name, out[name], generation)
        return {name: out[name] for name in layers}

    def _revision_feed(self) -> RevisionFeed:
        """The listener of this schema's audit notifications, started on first use."""
        with self._feed_lock:
            if self._feed is None:
                self._feed = RevisionFeed(self.schema, self._connect)
            return self._feed

    def get_user(self, name: str) -> User | None:
        with self._conn() as conn:
            row = conn.execute(
                f"SELECT name, password_hash, roles, display_name, active FROM {self._s}.guotu_users WHERE name = %s",
                (name,),
            ).fetchone()
        return None if row is None else User(row[0], row[1], tuple(row[2]), row[3], bool(row[4]))

    def users(self) -> list[User]:
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT name, password_hash, roles, display_name, active FROM {self._s}.guotu_users ORDER BY name"
            ).fetchall()
        return [User(r[0], r[1], tuple(r[2]), r[3], bool(r[4])) for r in rows]

    def get_session(self, token_hash: str) -> Session | None:
        with self._conn() as conn:
            row = conn.execute(
                f"SELECT token_hash, user_name, created_at, expires_at FROM {self._s}.guotu_sessions"
                " WHERE token_hash = %s",
                (token_hash,),
            ).fetchone()
        return None if row is None else Session(row[0], row[1], row[2], row[3])

    def audit_events(self, since_id: int = 0) -> list[AuditEvent]:
        with self._conn() as conn:
            rows = conn.execute(
                f"SELECT id, at, actor, action, layer, detail FROM {self._s}.guotu_audit WHERE id > %s ORDER BY id",
                (since_id,),
            ).fetchall()
        return [AuditEvent(int(r[0]), _now_text(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    # --- writes ---------------------------------------------------------------------------------
    @contextmanager
    def transaction(self, actor: str = "system") -> Iterator[PostgisTransaction]:
        active = _ACTIVE.get() or {}
        if id(self) in active:
            raise StoreError("store.nested_transaction", path=self.location)
        try:
            with self._pool.connection() as conn:
                token = _ACTIVE.set({**active, id(self): conn})
                try:
                    with conn.transaction():
                        tx = PostgisTransaction(self, conn, actor)
                        yield tx
                        tx._index_new_layers()
                    if self._feed is not None and tx.audited:
                        self._feed.committed(tx.audited)  # this process sees its own edit at once
                except psycopg.OperationalError as exc:
                    raise StoreError("store_postgis.connection_lost", location=self.location,
                                     detail=_first_line(exc)) from exc
                except psycopg.Error as exc:
                    raise StoreError("store.write_failed", path=self.location, detail=_first_line(exc)) from exc
                finally:
                    _ACTIVE.reset(token)
        except psycopg.OperationalError as exc:  # no connection to be had
            raise StoreError("store_postgis.connection_lost", location=self.location,
                             detail=_first_line(exc)) from exc

    def close(self) -> None:
        if not getattr(self, "_closed", True):
            self._closed = True
            if self._feed is not None:
                self._feed.close()
            self._pool.close()

    def __enter__(self) -> PostgisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PostgisTransaction:
    """Writes inside one PostgreSQL transaction of a PostgisStore."""

    def __init__(self, store: PostgisStore, conn: Connection, actor: str) -> None:
        self.store = store
        self.actor = actor
        self.conn = conn
        self._s = store._s
        self.audited: dict[str, int] = {}  # the latest audit id written per layer
        # Layers created in this transaction whose indexes wait for their first write (a bulk build
        # after COPY is several times faster than maintaining GiST row by row); built before COMMIT.
        self._unindexed: set[str] = set()

    def audit(self, action: str, layer: str | None, detail: Mapping[str, Any]) -> None:
        text = json.dumps(dict(detail), ensure_ascii=False, default=str)
        if "NaN" in text or "Infinity" in text:
            text = json.dumps(_finite(json.loads(text)), ensure_ascii=False)
        # One round trip: the event, and its notification (sent at commit) for servers' revision feeds.
        row = self.conn.execute(
            f"WITH a AS (INSERT INTO {self._s}.guotu_audit (actor, action, layer, detail)"
            " VALUES (%s, %s, %s, %s::json) RETURNING id)"
            " SELECT a.id, pg_notify(%s, %s || a.id || %s) FROM a",
            (self.actor, action, layer, text, CHANNEL, f"{self.store.schema}\t", f"\t{layer or ''}"),
        ).fetchone()
        if layer is not None and row is not None:
            self.audited[layer] = max(self.audited.get(layer, 0), int(row[0]))

    def create_layer(
        self, name: str, geometry_type: str, fields: Mapping[str, str], *, title: str = "",
        versioned: bool = False,
    ) -> LayerInfo:
        _check_name(name, "layer")
        geometry_type = geometry_type.upper()
        if geometry_type not in GEOMETRY_TYPES:
            raise InputError("store.bad_geometry_type", layer=name, geometry_type=geometry_type)
        exists = self.conn.execute(
            "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = %s AND lower(c.relname) = lower(%s)",
            (self.store.schema, name),
        ).fetchone() or self.conn.execute(
            f"SELECT 1 FROM {self._s}.guotu_layers WHERE lower(name) = lower(%s)", (name,)).fetchone()
        if exists:
            raise ConflictError("store.layer_exists", layer=name, path=self.store.location)
        columns = _columns(name, fields)
        table = self.store._table(name)
        self.conn.execute(
            # The primary key, the edition's foreign key and the indexes come with the first write (_index).
            f'CREATE TABLE {table} (fid bigserial NOT NULL, "{GEOM_COLUMN}" geometry({geometry_type}, {CGCS2000}),'
            f' "{EDITION_COLUMN}" bigint'
            + "".join(f', "{n}" {_PG_TYPES[t]}' for n, t in columns.items()) + ")"
        )
        self._unindexed.add(name)
        if title:
            self.conn.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(
                sql.Identifier(self.store.schema, name), sql.Literal(title)))
        self.conn.execute(
            f"INSERT INTO {self._s}.guotu_layers (name, title, geometry_type, versioned, fields)"
            " VALUES (%s, %s, %s, %s, %s::json)",
            (name, title, geometry_type, versioned, json.dumps(columns, ensure_ascii=False)),
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
            self.conn.execute(f'ALTER TABLE {self.store._table(layer)} ADD COLUMN "{n}" {_PG_TYPES[t]}')
        merged = {**info.fields, **new}
        self.conn.execute(f"UPDATE {self._s}.guotu_layers SET fields = %s::json WHERE name = %s",
                          (json.dumps(merged, ensure_ascii=False), layer))
        self.audit("add_fields", layer, {"fields": new})

    def add_edition(
        self, layer: str, name: str, *, valid_from: dt.date, status: str = "approved",
        valid_to: dt.date | None = None, approved_on: dt.date | None = None, document: str = "",
    ) -> Edition:
        info = self.store._schema(layer)
        # Serialise edition changes of one layer: the overlap check below reads, then writes.
        self.conn.execute(f"SELECT 1 FROM {self._s}.guotu_layers WHERE name = %s FOR UPDATE", (layer,))
        for e in plan_new_edition(self.store.editions(layer), layer, name, status, valid_from, valid_to):
            # A newer edition supersedes the open one from its first day.
            self.conn.execute(
                f"UPDATE {self._s}.guotu_editions SET valid_to = %s, status = 'superseded' WHERE id = %s",
                (valid_from, e.id),
            )
            self.audit("supersede_edition", layer, {"edition": e.name, "valid_to": valid_from})
        if not info.versioned:
            self.conn.execute(f"UPDATE {self._s}.guotu_layers SET versioned = true WHERE name = %s", (layer,))
        row = self.conn.execute(
            f"INSERT INTO {self._s}.guotu_editions (layer, name, status, valid_from, valid_to, approved_on,"
            " document) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (layer, name, status, valid_from, valid_to, approved_on, document),
        ).fetchone()
        self.audit("add_edition", layer, {"edition": name, "status": status, "valid_from": valid_from,
                                          "valid_to": valid_to, "document": document})
        return Edition(int(row[0]) if row else 0, layer, name, status, valid_from, valid_to, approved_on, document)

    def write(self, layer: str, batch: FeatureBatch, *, edition: str | None = None,
              fids: Sequence[int] | None = None) -> list[int]:
        """Append ``batch`` (with COPY); ``fids`` gives the features' ids instead of new ones (a copy).

        A batch in another CRS is reprojected chunk by chunk while COPY streams, so the server parses
        one chunk while this process reprojects and encodes the next."""
        info = self.store._schema(layer)
        edition_id = None
        if edition is not None:
            row = self.conn.execute(
                f"SELECT id FROM {self._s}.guotu_editions WHERE layer = %s AND name = %s", (layer, edition)
            ).fetchone()
            if row is None:
                raise NotFoundError("store.unknown_edition", layer=layer, edition=edition)
            edition_id = int(row[0])
        unknown = [k for k in batch.attributes if k not in info.fields]
        if unknown:
            raise InputError("store.unknown_field", layer=layer, field=", ".join(unknown))
        if fids is not None and len(fids) != len(batch):
            raise InputError("store.fids_mismatch", layer=layer, fids=len(fids), rows=len(batch))
        geoms = StoreGeometries(batch)  # in CGCS2000
        single = _to_promote(geoms.type_ids(), info.geometry_type, layer, batch.ids or [])  # refuses wrong types
        table = self.store._table(layer)
        n = len(batch)
        fresh = layer in self._unindexed  # created in this transaction: no other session sees it
        if fresh and fids is None:  # fresh: not written yet, so its sequence starts at 1
            out = list(range(1, n + 1))  # setval below
        elif fids is None:
            new = self.conn.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'fid')) FROM generate_series(1, %s)", (table, n)
            ).fetchall()
            out = sorted(int(r[0]) for r in new)
        else:
            out = [int(f) for f in fids]
        names = list(batch.attributes)
        values = [_column_to_pg(batch.attributes[k], info.fields[k]) for k in names]
        columns = ", ".join(["fid", f'"{GEOM_COLUMN}"', f'"{EDITION_COLUMN}"', *(f'"{k}"' for k in names)])
        from guotu.store import pgcopy  # compiled loops (numba): loaded when features are first written

        ids = batch.ids or list(range(1, n + 1))

        def rows(lo: int) -> bytes:
            """The COPY rows of features lo … lo + _COPY_CHUNK (reprojected and encoded here)."""
            hi = min(n, lo + _COPY_CHUNK)
            return pgcopy.copy_rows([
                pgcopy.int8_column(out[lo:hi]),
                pgcopy.buffer_column(*geoms.wkb(lo, hi, single)),
                pgcopy.constant_int8_column(edition_id, hi - lo),
                *(pgcopy.value_column(col[lo:hi], info.fields[k],
                                      lambda i, k=k, lo=lo: (layer, k, ids[lo + i]))  # type: ignore[misc]
                  for k, col in zip(names, values, strict=True)),
            ])

        with (self.conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT binary)") as copy,
              ThreadPoolExecutor(2) as executor):
            copy.write(pgcopy.HEADER)
            # In chunks, prepared on two threads a few chunks ahead (reprojection and encoding release
            # the GIL) while this thread sends them in order and the server stores the previous ones.
            pending = deque(executor.submit(rows, lo) for lo in range(0, min(n, _AHEAD * _COPY_CHUNK), _COPY_CHUNK))
            for lo in range(_AHEAD * _COPY_CHUNK, n + _AHEAD * _COPY_CHUNK, _COPY_CHUNK):
                if not pending:
                    break
                chunk = pending.popleft().result()
                if lo < n:
                    pending.append(executor.submit(rows, lo))
                copy.write(chunk)
            copy.write(pgcopy.TRAILER)
        if (fids is not None or fresh) and n:
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, 'fid'), (SELECT max(fid) FROM {table}))", (table,))
        if fresh:
            self._index(layer)
        bounds = geoms.bounds()
        if n and not np.isnan(bounds).all():
            b = (np.nanmin(bounds[:, 0]), np.nanmin(bounds[:, 1]), np.nanmax(bounds[:, 2]), np.nanmax(bounds[:, 3]))
            self.conn.execute(
                f"UPDATE {self._s}.guotu_layers SET min_x = least(min_x, %s), min_y = least(min_y, %s),"
                " max_x = greatest(max_x, %s), max_y = greatest(max_y, %s) WHERE name = %s",
                (*(float(v) for v in b), layer),
            )
        self.audit("write", layer, {"count": n, "edition": edition, "fids": [out[0], out[-1]] if out else [],
                                    "boxes": boxes_of(bounds)})
        return out

    def update(self, layer: str, fids: Sequence[int], batch: FeatureBatch) -> None:
        info, before, batch = prepare_update(self.store, layer, fids, batch)
        geoms = _conform(batch.geometry, info.geometry_type, layer, list(fids))
        wkb = _ewkb_hex(geoms)
        names = list(batch.attributes)
        values = [_column_to_pg(batch.attributes[n], info.fields[n]) for n in names]
        sets = ", ".join([f'"{GEOM_COLUMN}" = %s::geometry', *(f'"{n}" = %s' for n in names)])
        rows = [[wkb[i], *(col[i] for col in values), int(fids[i])] for i in range(len(batch))]
        with self.conn.cursor() as cur:
            cur.executemany(f"UPDATE {self.store._table(layer)} SET {sets} WHERE fid = %s", rows)
        self._recompute_bounds(layer)
        self.audit("update", layer, update_detail(before, batch, fids))

    def put_user(self, user: User) -> None:
        exists = self.store.get_user(user.name) is not None
        self.conn.execute(
            f"INSERT INTO {self._s}.guotu_users (name, password_hash, roles, display_name, active)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,"
            " roles = excluded.roles, display_name = excluded.display_name, active = excluded.active",
            (user.name, user.password_hash, list(user.roles), user.display_name, bool(user.active)),
        )
        self.audit("update_user" if exists else "add_user", None,
                   {"user": user.name, "roles": list(user.roles), "active": user.active})

    def add_session(self, session: Session) -> None:
        self.conn.execute(
            f"INSERT INTO {self._s}.guotu_sessions (token_hash, user_name, created_at, expires_at)"
            " VALUES (%s, %s, %s, %s)",
            (session.token_hash, session.user, _aware(session.created_at), _aware(session.expires_at)),
        )
        self.audit("login", None, {"user": session.user})

    def delete_session(self, token_hash: str) -> None:
        row = self.conn.execute(
            f"DELETE FROM {self._s}.guotu_sessions WHERE token_hash = %s RETURNING user_name", (token_hash,)
        ).fetchone()
        if row is not None:
            self.audit("logout", None, {"user": row[0]})

    def delete(self, layer: str, fids: Sequence[int]) -> int:
        self.store._schema(layer)
        ids = [int(f) for f in fids]
        gone = self.store.read(layer, fids=ids).geometry
        cur = self.conn.execute(f"DELETE FROM {self.store._table(layer)} WHERE fid = ANY(%s)", (ids,))
        count = max(cur.rowcount, 0)
        self._recompute_bounds(layer)
        self.audit("delete", layer, {"fids": ids, "count": count, "boxes": changed_boxes(gone)})
        return count

    def drop_layer(self, layer: str) -> None:
        self.store._schema(layer)
        self._unindexed.discard(layer)
        self.conn.execute(f"DROP TABLE {self.store._table(layer)}")
        self.conn.execute(f"DELETE FROM {self._s}.guotu_editions WHERE layer = %s", (layer,))
        self.conn.execute(f"DELETE FROM {self._s}.guotu_layers WHERE name = %s", (layer,))
        self.audit("drop_layer", layer, {})

    def _index(self, layer: str) -> None:
        """The constraints and indexes of a layer created in this transaction, built after its bulk load
        (checking a primary key and a foreign key row by row made COPY half as fast again)."""
        self._unindexed.discard(layer)
        table = self.store._table(layer)
        self.conn.execute(f'ALTER TABLE {table} ADD PRIMARY KEY (fid), ADD FOREIGN KEY ("{EDITION_COLUMN}")'
                          f" REFERENCES {self._s}.guotu_editions (id)")
        self.conn.execute(f'CREATE INDEX ON {table} USING gist ("{GEOM_COLUMN}")')
        self.conn.execute(f'CREATE INDEX ON {table} ("{EDITION_COLUMN}")')

    def _index_new_layers(self) -> None:
        """Before COMMIT: index the layers created in this transaction and never written."""
        for layer in sorted(self._unindexed):
            self._index(layer)

    def _recompute_bounds(self, layer: str) -> None:
        self.conn.execute(
            f"UPDATE {self._s}.guotu_layers SET (min_x, min_y, max_x, max_y) = (SELECT ST_XMin(b), ST_YMin(b),"
            f' ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Extent("{GEOM_COLUMN}") AS b FROM {self.store._table(layer)}) x)'
            " WHERE name = %s",
            (layer,),
        )


def _ewkb_hex(geoms: np.ndarray) -> list[str | None]:
    """Hex EWKB with SRID 4490 (what COPY and ``::geometry`` accept), None for missing geometries."""
    if len(geoms) == 0:
        return []
    with_srid = shapely.set_srid(geoms, CGCS2000)
    out = shapely.to_wkb(with_srid, hex=True, output_dimension=2, byte_order=1, include_srid=True)
    return out.tolist()  # type: ignore[no-any-return]


def _aware(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def _column_to_pg(values: Sequence[Any], kind: str) -> list[Any]:
    if kind == "TEXT" and all(type(v) is str or v is None for v in values):
        return list(values)  # what _to_pg would return, value by value
    return [_to_pg(v, kind) for v in values]


def _to_pg(value: Any, kind: str) -> Any:
    """A Python value as the column of ``kind`` holds it, converting as SQLite's column affinity does."""
    if value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if kind == "BOOLEAN":
        return bool(value)
    if isinstance(value, bool):
        return {"INTEGER": int(value), "REAL": float(value)}.get(kind, str(int(value)))
    if kind == "DATE" and isinstance(value, dt.datetime):
        return value.date()
    if kind == "DATETIME" and isinstance(value, dt.date):
        return value.isoformat()
    return value


def _where_value(value: Any, kind: str) -> tuple[bool, Any]:
    """``(True, value)`` to compare with a column of ``kind``, or ``(False, None)`` when it cannot equal
    any stored value (SQLite's comparison would find nothing; PostgreSQL would raise)."""
    if value is None:
        return False, None
    if isinstance(value, np.generic):
        value = value.item()
    try:
        if kind in ("TEXT", "DATETIME"):
            if isinstance(value, bool):
                return True, str(int(value))
            return True, value.isoformat() if isinstance(value, dt.date) else str(value)
        if kind == "INTEGER":
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, float) and not number.is_integer():
                return False, None
            return True, int(number)
        if kind == "REAL":
            return True, float(value)
        if kind == "BOOLEAN":
            if isinstance(value, str):
                return (True, bool(int(value))) if value in ("0", "1") else (False, None)
            return (True, bool(value)) if value in (0, 1) else (False, None)
        if kind == "DATE":
            if isinstance(value, dt.datetime):
                return False, None
            if isinstance(value, dt.date):
                return True, value
            return True, dt.date.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError):
        return False, None
    return True, value
