"""Login, logout, who am I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from guotu.api.deps import ContextDep, StoreDep, get_token, login_required
from guotu.api.errors import responses
from guotu.api.schemas import LoginIn, LoginOut, OkOut, UserOut
from guotu.platform import auth
from guotu.store.base import User

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", summary="Log in: a bearer token for the other calls", response_model=LoginOut,
             responses=responses(400, 401, 422))
def login(body: LoginIn, store: StoreDep, ctx: ContextDep) -> LoginOut:
    result = auth.login(store, body.username, body.password, hours=ctx.settings.session_hours)
    return LoginOut(token=result.token, user=UserOut.of(result.user), expires_at=result.expires_at)


@router.post("/logout", summary="Log out: the token stops working", response_model=OkOut, responses=responses(401))
def logout(user: Annotated[User, Depends(login_required)], token: Annotated[str | None, Depends(get_token)],
           store: StoreDep) -> OkOut:
    assert token is not None
    auth.logout(store, token, actor=user.name)
    return OkOut()


@router.get("/me", summary="The logged-in user", response_model=UserOut, responses=responses(401))
def me(user: Annotated[User, Depends(login_required)]) -> UserOut:
    return UserOut.of(user)
