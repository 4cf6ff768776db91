"""Assembles the web app: settings, the store, error handlers, the routers, the static web page.

``create_app()`` reads the settings from the environment (``GUOTU_*``); tests and ``guotu serve`` pass
settings, a store location or an open Store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

import guotu
from guotu.api import errors
from guotu.api.deps import AppContext
from guotu.api.middleware import BodyLimitMiddleware
from guotu.api.routers import auth, compliance, layers, ledger, ogc, tiles, users
from guotu.api.settings import Settings
from guotu.api.tilecache import CachedTiles
from guotu.core.messages import tr
from guotu.store.base import Store

TAGS = [
    {"name": "auth", "description": "登录与会话 — login, logout, the current user"},
    {"name": "users", "description": "账户与审计 — accounts (administrator) and the audit trail"},
    {"name": "layers", "description": "图层、版本、要素 — layers, editions, features; identify, measure"},
    {"name": "compliance", "description": "合规性审查 — compliance review of a project site"},
    {"name": "ledger", "description": "用地“一本账” — the land ledger: records, figures, reconciliation, xlsx"},
    {"name": "OGC API – Features", "description": "OGC API – Features (Part 1 Core, Part 2 CRS)"},
    {"name": "vector tiles", "description": "OGC API – Tiles: MVT, TileJSON, tileset metadata"},
]


def create_app(settings: Settings | None = None, *, store: Store | str | Path | None = None) -> FastAPI:
    """The app on ``store`` (an open Store, which the app does not close, or a location), else GUOTU_DB."""
    settings = settings or Settings()
    ctx = AppContext(settings)
    if isinstance(store, str | Path):
        settings = settings.model_copy(update={"db": str(store)})
        ctx = AppContext(settings)
    elif store is not None:
        ctx.store = store

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if ctx.settings.db or ctx.store is not None:
            ctx.open()
        try:
            yield
        finally:
            ctx.close()

    app = FastAPI(
        title=tr("api.title", language="zh"),
        description=tr("api.description", language="zh") + "\n\n" + tr("api.description", language="en"),
        version=guotu.__version__,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url=None,  # served below from local assets: no CDN
        redoc_url=None,
    )
    app.state.guotu = ctx
    errors.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)
    app.add_middleware(CachedTiles, context=ctx)  # cached tiles answered before routing (api/tilecache.py)
    for module in (auth, users, layers, compliance, ledger, ogc, tiles):
        app.include_router(module.router)
    _api_docs(app, settings.static_path())
    _web_page(app, settings.static_path())
    return app


def _api_docs(app: FastAPI, static: Path) -> None:
    """Swagger UI at ``/docs`` from the locally built assets (``web/`` copies swagger-ui-dist)."""
    if not (static / "swagger" / "swagger-ui-bundle.js").is_file():
        return

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} — API",
            swagger_js_url="/swagger/swagger-ui-bundle.js", swagger_css_url="/swagger/swagger-ui.css",
            swagger_favicon_url="/swagger/favicon-32x32.png",
        )


def _web_page(app: FastAPI, static: Path) -> None:
    """The one-map page at ``/`` when its files are installed; a short Chinese placeholder otherwise."""
    if (static / "index.html").is_file():
        app.mount("/", StaticFiles(directory=static, html=True), name="web")
        return

    @app.get("/", include_in_schema=False)
    def placeholder() -> HTMLResponse:
        title = escape(tr("api.placeholder_title", language="zh"))
        body = escape(tr("api.placeholder_body", language="zh"))
        return HTMLResponse(
            f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body style="font-family:sans-serif;margin:3em"><h1>{title}</h1><p>{body}</p>'
            '<p><a href="/docs">/docs</a> · <a href="/ogc">/ogc</a></p></body></html>'
        )


def app_from_environment() -> FastAPI:
    """For ``uvicorn guotu.api.main:app_from_environment --factory``."""
    return create_app()
