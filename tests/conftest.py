"""Shared fixtures. Every test that touches storage takes ``store``, parametrised over the backends.

The PostGIS backend uses the database of ``GUOTU_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/guotu_test``, which ``scripts/setup.d/postgis.sh`` creates): each
test gets a new schema, dropped afterwards. If the server or PostGIS is missing, the tests FAIL with
the reason (they are never skipped: CI has both).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from guotu.store import Store
from guotu.store.gpkg import GpkgStore
from guotu.store.postgis import PostgisStore
from pgtest import PG_URL, drop_pg_schema, new_pg_schema, open_pg_store

BACKENDS = ["gpkg", "postgis"]


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh schema name in the PostGIS test database, dropped after the test."""
    schema = new_pg_schema()
    yield schema
    drop_pg_schema(schema)


@pytest.fixture
def pg_url() -> str:
    """The URL of the PostGIS test database (without a schema)."""
    return PG_URL


@pytest.fixture
def pg_store(pg_schema: str) -> Iterator[PostgisStore]:
    """A new, empty PostGIS store (its own schema, dropped afterwards)."""
    s = open_pg_store(pg_schema)
    yield s
    s.close()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """A new, empty store of each backend."""
    if request.param == "gpkg":
        s: Store = GpkgStore(tmp_path / "store.gpkg", create=True)
        yield s
        s.close()
        return
    schema = new_pg_schema()
    s = open_pg_store(schema)
    try:
        yield s
    finally:
        s.close()
        drop_pg_schema(schema)
