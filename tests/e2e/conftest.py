"""Fixtures of the browser tests: a small demo county served by the real app, and Debian's Chromium.

The county is built once per module (seed 11, 2,000 patches; ``ledger_server`` adds the hand-built ledger
of ``tests/ledger_county.py``), the app runs with uvicorn in a background thread on a free loopback port,
and Playwright drives /usr/bin/chromium (never `playwright install`).
If Chromium or the built page is missing the tests FAIL with the fix: `make test` installs Chromium
(scripts/setup.d/browser.sh) and builds the page (web/, `npm run build`).
"""

from __future__ import annotations

import importlib.resources
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import shapely
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from guotu.demo.generate import build_demo
from guotu.demo.save import write_demo
from guotu.onemap.service import export_layer
from guotu.platform.auth import add_user
from guotu.store.gpkg import GpkgStore

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--no-first-run",
]
PLANNER = {"username": "zhang.planner", "password": "guihua-2024!", "display_name": "张规划"}


@dataclass
class DemoServer:
    url: str
    db: Path
    files: Path
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)  # demo_case -> bounds, point, name
    planner: dict[str, str] = field(default_factory=lambda: dict(PLANNER))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _static_dir() -> Path:
    return Path(str(importlib.resources.files("guotu.web") / "static"))


def _sites(db: Path) -> dict[str, dict[str, Any]]:
    store = GpkgStore(db)
    try:
        batch = store.read("sites")
    finally:
        store.close()
    out: dict[str, dict[str, Any]] = {}
    for i, case in enumerate(batch.attributes["demo_case"]):
        if case in out:
            continue
        geom = batch.geometry[i]
        point = shapely.point_on_surface(geom)
        out[case] = {
            "bounds": list(shapely.bounds(geom)),
            "point": [point.x, point.y],
            "name": batch.attributes["name"][i],
        }
    return out


def _static_ready() -> None:
    static = _static_dir()
    if not (static / "index.html").is_file() or not (static / "ledger.html").is_file():
        pytest.fail(f"the web pages are not built ({static} is incomplete): run `make test` or "
                    "`cd web && npm ci && npm run build`")


@contextmanager
def _serve(db: Path, backend: str) -> Iterator[str]:
    """The app on the GeoPackage ``db`` (or a PostGIS copy of it) under uvicorn: its base URL."""
    from guotu.api.main import create_app

    location = str(db)
    schema = None
    if backend == "postgis":
        from pgtest import PG_URL, pg_copy_of

        target, schema = pg_copy_of(db, "e2e")
        target.close()
        location = f"{PG_URL}?schema={schema}"
    app = create_app(store=location)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="guotu-e2e-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the guotu app did not start under uvicorn")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        if schema is not None:
            from pgtest import drop_pg_schema

            drop_pg_schema(schema)


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def demo_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo county served by the app, on the GeoPackage and (copied) on PostGIS."""
    _static_ready()
    root = tmp_path_factory.mktemp("e2e")
    db = write_demo(build_demo(seed=11, patches=2000), root / "demo.gpkg")
    store = GpkgStore(db)
    try:
        add_user(store, PLANNER["username"], PLANNER["password"], ["planner"], display_name=PLANNER["display_name"])
        files = root / "files"
        files.mkdir()
        export_layer(store, "sites", files / "site_pf.txt", where={"demo_case": "crosses_permanent_farmland"}, limit=1)
    finally:
        store.close()
    with _serve(db, request.param) as url:
        yield DemoServer(url, db, files, _sites(db))


@pytest.fixture(scope="module", params=["gpkg", "postgis"])
def ledger_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    """The demo county with the hand-built ledger of ``tests/ledger_county.py`` (added through the
    ledger's checks), served by the app on the GeoPackage and (copied) on PostGIS."""
    from guotu.ledger.repository import add_records
    from ledger_county import county_records

    _static_ready()
    root = tmp_path_factory.mktemp("e2e-ledger")
    db = write_demo(build_demo(seed=11, patches=2000), root / "demo.gpkg")
    store = GpkgStore(db)
    try:
        add_records(store, county_records(), actor="test")
        add_user(store, PLANNER["username"], PLANNER["password"], ["planner"], display_name=PLANNER["display_name"])
    finally:
        store.close()
    with _serve(db, request.param) as url:
        yield DemoServer(url, db, root)


@pytest.fixture(scope="module")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `bash scripts/setup.d/browser.sh` (apt-get install chromium "
                    "fonts-noto-cjk); never `playwright install`")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    try:
        yield browser
    finally:
        browser.close()


class PageErrors(list[str]):
    """Console errors and uncaught exceptions of a page, as they happen."""

    def console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.append(f"console: {message.text} ({message.location.get('url', '')})")


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = PageErrors()
    page.on("console", errors.console)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()
