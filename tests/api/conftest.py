"""Fixtures of the web API tests: the demo county (seed 5, 2000 patches) in each backend, served by
the app through FastAPI's TestClient, with three accounts (administrator, planner, viewer).

``demo_store`` is shared by the read-only tests of a module; ``rw_store`` is a fresh copy per test for
the tests that write. Both are parametrised over the backends, like the root ``store`` fixture.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from guotu.api import create_app
from guotu.api.settings import Settings
from guotu.demo.generate import build_demo
from guotu.demo.save import write_demo
from guotu.platform.auth import add_user
from guotu.store import Store
from guotu.store.gpkg import GpkgStore
from pgtest import drop_pg_schema, pg_copy_of

BACKENDS = ["gpkg", "postgis"]
PASSWORD = "correct-horse-9"
ACCOUNTS = {"admin": ("administrator",), "planner": ("planner",), "viewer": ("viewer",)}


@pytest.fixture(scope="session")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county as a GeoPackage, with the three accounts."""
    out = write_demo(build_demo(seed=5, patches=2000), tmp_path_factory.mktemp("demo") / "demo.gpkg")
    store = GpkgStore(out)
    try:
        for name, roles in ACCOUNTS.items():
            add_user(store, name, PASSWORD, roles, display_name=f"{name} 用户", actor="test")
    finally:
        store.close()
    return out


def _open(backend: str, demo_file: Path, folder: Path) -> Iterator[Store]:
    if backend == "gpkg":
        path = folder / "county.gpkg"
        shutil.copy(demo_file, path)
        gs = GpkgStore(path)
        yield gs
        gs.close()
        return
    ps, schema = pg_copy_of(demo_file)
    try:
        yield ps
    finally:
        ps.close()
        drop_pg_schema(schema)


@pytest.fixture(scope="module", params=BACKENDS)
def demo_store(request: pytest.FixtureRequest, demo_file: Path, tmp_path_factory: pytest.TempPathFactory
               ) -> Iterator[Store]:
    """The demo county in each backend, shared by a module's tests: do not write to it."""
    yield from _open(request.param, demo_file, tmp_path_factory.mktemp(request.param))


@pytest.fixture(params=BACKENDS)
def rw_store(request: pytest.FixtureRequest, demo_file: Path, tmp_path: Path) -> Iterator[Store]:
    """A fresh copy of the demo county in each backend, for one test that writes."""
    yield from _open(request.param, demo_file, tmp_path)


def make_client(store: Store, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(db="", **settings), store=store))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(demo_store: Store) -> Iterator[TestClient]:
    with make_client(demo_store) as c:
        yield c


@pytest.fixture
def rw_client(rw_store: Store) -> Iterator[TestClient]:
    with make_client(rw_store) as c:
        yield c


def _login(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"username": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def login_as() -> Callable[[TestClient, str], dict[str, str]]:
    """``login_as(client, "planner")`` → the Authorization header of a fresh login."""
    return _login


def _expect_error(response: object, status: int, key: str | None = None) -> dict[str, str]:
    """The response is an error of ``status`` in the one JSON shape (and the given key)."""
    r = response
    assert r.status_code == status, (r.status_code, r.text)  # type: ignore[attr-defined]
    body = r.json()["error"]  # type: ignore[attr-defined]
    assert set(body) >= {"key", "message", "message_en"}, body
    assert body["message"] and body["message_en"]
    if key is not None:
        assert body["key"] == key, body
    return body  # type: ignore[no-any-return]


@pytest.fixture
def expect_error() -> Callable[..., dict[str, str]]:
    """``expect_error(response, 404, "store.unknown_layer")`` checks the status and the error shape."""
    return _expect_error
