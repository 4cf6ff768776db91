"""What the routers depend on: the app's context (settings, the store, caches), the current user and
role checks. The store is opened once per app (at start-up, or on first use) from GUOTU_DB, a
GeoPackage path or a postgresql:// URL, unless the app was built around a Store object."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from guotu.api.settings import Settings
from guotu.core.errors import AuthenticationError, GuotuError, StoreError
from guotu.onemap.query import ReadCache
from guotu.onemap.tiles import TileService
from guotu.platform import auth
from guotu.platform.roles import Permission, require
from guotu.store.base import Store, User


@dataclass
class AppContext:
    settings: Settings
    store: Store | None = None
    owns_store: bool = False
    tiles: TileService | None = None
    reads: ReadCache = field(default_factory=ReadCache)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self) -> Store:
        """The store, opened on first use when the app was given a location."""
        with self._lock:
            if self.store is None:
                if not self.settings.db:
                    raise StoreError("api.no_store")
                from guotu.store import open_store

                try:
                    self.store = open_store(self.settings.db)
                except GuotuError:
                    raise
                except Exception as exc:  # a driver error: say which database, not a traceback
                    raise StoreError("api.store_unavailable", location=self.settings.db, detail=str(exc)[:200]) from exc
                self.owns_store = True
            if self.tiles is None:
                self.tiles = TileService(self.store, self.settings.tile_cache_entries)
            return self.store

    def close(self) -> None:
        with self._lock:
            if self.store is not None and self.owns_store:
                self.store.close()
                self.store = None
                self.tiles = None


def get_context(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.guotu
    return ctx


def get_store(ctx: Annotated[AppContext, Depends(get_context)]) -> Store:
    return ctx.open()


def get_tiles(ctx: Annotated[AppContext, Depends(get_context)]) -> TileService:
    ctx.open()
    assert ctx.tiles is not None
    return ctx.tiles


_bearer = HTTPBearer(auto_error=False, description="the token from POST /api/auth/login")


def get_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str | None:
    return credentials.credentials if credentials else None


def current_user(
    token: Annotated[str | None, Depends(get_token)], store: Annotated[Store, Depends(get_store)],
) -> User | None:
    """The logged-in user, None for an anonymous request; 401 for a token that is not (or no longer) valid."""
    return None if token is None else auth.authenticate(store, token)


def login_required(user: Annotated[User | None, Depends(current_user)]) -> User:
    if user is None:
        raise AuthenticationError("auth.login_required", action="login")
    return user


def reader(permission: Permission) -> Callable[..., User | None]:
    """A dependency allowing anonymous callers while public reading is on."""

    def check(user: Annotated[User | None, Depends(current_user)],
              ctx: Annotated[AppContext, Depends(get_context)]) -> User | None:
        require(user, permission, public_read=ctx.settings.public_read)
        return user

    return check


def writer(permission: Permission) -> Callable[..., User]:
    """A dependency for writes: 401 without a login, 403 when the user's roles do not allow it."""

    def check(user: Annotated[User | None, Depends(current_user)]) -> User:
        require(user, permission, public_read=False)
        assert user is not None
        return user

    return check


StoreDep = Annotated[Store, Depends(get_store)]
ContextDep = Annotated[AppContext, Depends(get_context)]
Reader = Annotated[User | None, Depends(reader(Permission.READ))]
Reviewer = Annotated[User | None, Depends(reader(Permission.REVIEW))]
FeatureEditor = Annotated[User, Depends(writer(Permission.EDIT_FEATURES))]
EditionEditor = Annotated[User, Depends(writer(Permission.EDIT_EDITIONS))]
LedgerEditor = Annotated[User, Depends(writer(Permission.EDIT_LEDGER))]
UserManager = Annotated[User, Depends(writer(Permission.MANAGE_USERS))]
AuditReader = Annotated[User, Depends(writer(Permission.READ_AUDIT))]
TilesDep = Annotated[TileService, Depends(get_tiles)]
