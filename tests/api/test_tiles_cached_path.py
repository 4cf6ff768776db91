"""The lean path for cached tiles (api/tilecache.py): the same session check as the route, ETags and
304s, and everything it does not answer left to the app."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import shapely
from fastapi.testclient import TestClient

from guotu.api import create_app
from guotu.api.settings import Settings
from guotu.core.tiles import lonlat_to_tile
from guotu.store import Store

Login = Callable[[TestClient, str], dict[str, str]]
Expect = Callable[..., dict[str, str]]
BASE = "/ogc/collections/survey/tiles/WebMercatorQuad"


@pytest.fixture(scope="module")
def private(demo_store: Store) -> Iterator[TestClient]:
    """The app with public reading off: tiles need a login."""
    with TestClient(create_app(Settings(db="", public_read=False), store=demo_store)) as c:
        yield c


def url_of(store: Store) -> str:
    p = shapely.point_on_surface(store.read("survey").geometry[0])
    x, y = lonlat_to_tile(p.x, p.y, 15)
    return f"{BASE}/15/{y}/{x}"


def test_cached_tiles_need_the_same_login(private: TestClient, demo_store: Store, login_as: Login) -> None:
    url = url_of(demo_store)
    tiles = private.app.state.guotu.tiles  # type: ignore[attr-defined]
    headers = login_as(private, "viewer")
    first = private.get(url, headers=headers)
    assert first.status_code == 200 and first.headers["etag"] and "no-cache" in first.headers["cache-control"]
    hits, misses = tiles.stats.hits, tiles.stats.misses
    second = private.get(url, headers=headers)
    assert second.status_code == 200 and second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert (tiles.stats.hits, tiles.stats.misses) == (hits + 1, misses)
    # the tile is cached, yet no token, a bad token or a malformed header still get 401
    assert private.get(url).status_code == 401
    assert private.get(url, headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    assert private.get(url, headers={"Authorization": "Basic eDp5"}).status_code == 401
    assert tiles.stats.hits == hits + 1
    # a client holding this version gets 304 without the body
    r = private.get(url, headers={**headers, "If-None-Match": first.headers["etag"]})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == first.headers["etag"]
    # a logout ends access to the cached tile at once
    private.post("/api/auth/logout", headers=headers)
    assert private.get(url, headers=headers).status_code == 401


def test_a_logout_by_another_process_stops_cached_tiles_within_the_memo(
        private: TestClient, demo_store: Store, login_as: Login, monkeypatch: pytest.MonkeyPatch) -> None:
    from guotu.core.passwords import token_hash
    from guotu.platform import auth

    monkeypatch.setattr(auth, "SESSION_MEMO_S", 0.3)
    url = url_of(demo_store)
    headers = login_as(private, "viewer")
    assert private.get(url, headers=headers).status_code == 200
    assert private.get(url, headers=headers).status_code == 200  # cached, and the token remembered
    with demo_store.transaction("elsewhere") as tx:  # the session ends in another process: no _forget here
        tx.delete_session(token_hash(headers["Authorization"].split()[1]))
    assert private.get(url, headers=headers).status_code == 200  # still remembered …
    time.sleep(0.35)
    assert private.get(url, headers=headers).status_code == 401  # … for no longer than the memo


def test_what_the_lean_path_leaves_to_the_app(private: TestClient, login_as: Login, expect_error: Expect) -> None:
    headers = login_as(private, "viewer")
    expect_error(private.get(f"{BASE}/15/1/1", headers=headers, params={"datetime": "soon"}), 400, "query.bad_date")
    expect_error(private.get("/ogc/collections/nope/tiles/WebMercatorQuad/3/3/6", headers=headers), 404,
                 "store.unknown_layer")
    expect_error(private.get(f"{BASE}/3/8/0", headers=headers), 404, "tiles.out_of_grid")
    expect_error(private.get(f"{BASE}/3/3/6"), 401)
