"""A lean path for cached vector tiles: an ASGI layer in front of the app answering tile requests
whose tile is already in the TileService cache, without FastAPI's routing, dependency injection and
validation (which cost more than the tile itself).

It runs the same checks as the tile route — the bearer token's session (``auth.authenticate``), the
READ permission with the public-reading setting, the tile indices, the ``datetime`` day — and the
cache catches up with the store's edits first (``TileService.cached``). Anything else goes on to the
app unchanged: no or a bad token where one is needed (the app answers 401/403 as always), a bad
index or date (400/404), a tile not cached yet (the app builds it), other query parameters, other
paths. Answers carry the same ETag and Cache-Control as the route, and 304 for ``If-None-Match``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from starlette.types import ASGIApp, Receive, Scope, Send

from guotu.api.deps import AppContext
from guotu.api.responses import MVT
from guotu.api.routers.tiles import CACHE_CONTROL
from guotu.core.errors import GuotuError
from guotu.core.tiles import TILE_MATRIX_SET, check_tile
from guotu.onemap.query import as_of_day, parse_datetime
from guotu.onemap.tiles import Tile
from guotu.platform import auth
from guotu.platform.roles import Permission, require

TILE_PATH = re.compile(rf"^/ogc/collections/([^/]+)/tiles/{TILE_MATRIX_SET}/(\d{{1,2}})/(\d{{1,8}})/(\d{{1,8}})$")


class CachedTiles:
    """ASGI middleware: cached tiles answered before the app, after the same session check."""

    def __init__(self, app: ASGIApp, context: AppContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            found = TILE_PATH.match(scope["path"])
            if found is not None:
                answer = self._cached(scope, found)
                if answer is not None:
                    await _send(send, answer, _header(scope, b"if-none-match"))
                    return
        await self.app(scope, receive, send)

    def _cached(self, scope: Scope, found: re.Match[str]) -> Tile | None:
        ctx = self.context
        tiles, store = ctx.tiles, ctx.store
        if tiles is None or store is None:
            return None
        try:
            params = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            if any(k != "datetime" for k, _ in params) or len(params) > 1:
                return None
            day = as_of_day(parse_datetime(params[0][1] if params else None))
            z, y, x = int(found[2]), int(found[3]), int(found[4])
            check_tile(z, x, y)
            token = _bearer(_header(scope, b"authorization"))
            if token == "":
                return None
            user = None if token is None else auth.authenticate_recent(store, token)
            require(user, Permission.READ, public_read=ctx.settings.public_read)
            return tiles.cached(unquote(found[1]), z, x, y, day)
        except GuotuError:  # the app gives the proper answer (401, 403, 400, 404…)
            return None


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _bearer(value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header; "" for a header of another kind (left to the app)."""
    if value is None:
        return None
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


async def _send(send: Send, tile: Tile, if_none_match: str | None) -> None:
    headers: list[tuple[bytes, bytes]] = [(b"etag", tile.etag.encode()), (b"cache-control", CACHE_CONTROL.encode())]
    body = b""
    if if_none_match is not None and tile.etag in {t.strip() for t in if_none_match.split(",")}:
        status = 304
    elif tile.data is None:
        status = 204
    else:
        status, body = 200, tile.data
        headers += [(b"content-type", MVT.encode()), (b"content-length", str(len(body)).encode())]
    start: dict[str, Any] = {"type": "http.response.start", "status": status, "headers": headers}
    await send(start)
    await send({"type": "http.response.body", "body": body})
