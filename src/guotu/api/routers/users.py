"""Accounts (administrators) and the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from guotu.api.deps import AuditReader, StoreDep, UserManager
from guotu.api.errors import responses
from guotu.api.schemas import AuditOut, UserIn, UserOut, UserPatch
from guotu.platform import auth

router = APIRouter(tags=["users"])


@router.get("/api/users", summary="List the accounts (administrator)", response_model=list[UserOut],
            responses=responses(401, 403))
def list_users(user: UserManager, store: StoreDep) -> list[UserOut]:
    return [UserOut.of(u) for u in store.users()]


@router.post("/api/users", summary="Create an account (administrator)", response_model=UserOut, status_code=201,
             responses=responses(400, 401, 403, 409, 413, 422))
def create_user(body: UserIn, user: UserManager, store: StoreDep) -> UserOut:
    created = auth.add_user(store, body.name, body.password, body.roles, display_name=body.display_name,
                            actor=user.name)
    return UserOut.of(created)


@router.patch("/api/users/{name}", summary="Change an account: password, roles, name, active (administrator)",
              response_model=UserOut, responses=responses(400, 401, 403, 404, 413, 422))
def change_user(name: str, body: UserPatch, user: UserManager, store: StoreDep) -> UserOut:
    changed = auth.update_user(store, name, password=body.password, roles=body.roles,
                               display_name=body.display_name, active=body.active, actor=user.name)
    return UserOut.of(changed)


@router.get("/api/audit", summary="The audit trail, oldest first (administrator)", response_model=list[AuditOut],
            responses=responses(401, 403, 422))
def audit(user: AuditReader, store: StoreDep,
          since: Annotated[int, Query(ge=0, description="only events after this id")] = 0,
          layer: Annotated[str | None, Query(description="only events of this layer")] = None,
          limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> list[AuditOut]:
    events = [e for e in store.audit_events(since) if layer is None or e.layer == layer]
    return [AuditOut(id=e.id, at=e.at, actor=e.actor, action=e.action, layer=e.layer, detail=e.detail)
            for e in events[:limit]]
