"""PostGIS test database helpers shared by every conftest (importable: pytest's pythonpath has tests/).

The database is ``GUOTU_TEST_PG`` (default ``postgresql://postgres@127.0.0.1:5432/guotu_test``, which
``scripts/setup.d/postgis.sh`` creates); each user of it works in a schema of its own, dropped after.
If the server or PostGIS is missing, tests FAIL with the reason (never skipped: CI has both).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest

from guotu.core.errors import StoreError
from guotu.store.copy import copy_store
from guotu.store.gpkg import GpkgStore
from guotu.store.postgis import PostgisStore

PG_URL = os.environ.get("GUOTU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/guotu_test")


def new_pg_schema() -> str:
    return f"test_{uuid.uuid4().hex[:16]}"


def drop_pg_schema(schema: str) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def open_pg_store(schema: str, *, create: bool = True) -> PostgisStore:
    """A PostgisStore on ``schema`` of the test database, or a test failure saying why there is none."""
    try:
        return PostgisStore(PG_URL, schema=schema, create=create)
    except StoreError as exc:
        pytest.fail(f"PostGIS test database unavailable ({PG_URL}): {exc.message_in('en')}. "
                    "Run `bash scripts/setup-system.sh` (installs PostGIS, creates guotu_test) or set GUOTU_TEST_PG.",
                    pytrace=False)


def pg_copy_of(gpkg: Path, actor: str = "test") -> tuple[PostgisStore, str]:
    """A new schema holding a copy of the GeoPackage store ``gpkg``: (open store, schema name)."""
    schema = new_pg_schema()
    target = open_pg_store(schema)
    source = GpkgStore(gpkg)
    try:
        copy_store(source, target, actor)
    finally:
        source.close()
    return target, schema
