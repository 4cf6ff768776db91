"""Roles and what each may do: one small explicit table.

=================  ====  ======  =============  =============  ===========  ============  ==========
role               read  review  edit_features  edit_editions  edit_ledger  manage_users  read_audit
=================  ====  ======  =============  =============  ===========  ============  ==========
viewer             yes   yes
planner            yes   yes     yes            yes            yes
administrator      yes   yes     yes            yes            yes          yes           yes
=================  ====  ======  =============  =============  ===========  ============  ==========

``read`` covers the ledger's records, figures and pages too; ``edit_ledger`` is adding ledger records.
Anonymous callers may read and run reviews while public reading is on (the default), nothing else.

>>> allowed(("planner",), Permission.EDIT_FEATURES), allowed(("viewer",), Permission.EDIT_FEATURES)
(True, False)
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from guotu.core.errors import AuthenticationError, InputError, PermissionDeniedError
from guotu.store.base import User


class Permission(StrEnum):
    READ = "read"
    REVIEW = "review"
    EDIT_FEATURES = "edit_features"
    EDIT_EDITIONS = "edit_editions"
    EDIT_LEDGER = "edit_ledger"
    MANAGE_USERS = "manage_users"
    READ_AUDIT = "read_audit"


_VIEWER = frozenset({Permission.READ, Permission.REVIEW})
_PLANNER = _VIEWER | {Permission.EDIT_FEATURES, Permission.EDIT_EDITIONS, Permission.EDIT_LEDGER}
_ADMINISTRATOR = frozenset(Permission)

PERMISSIONS: dict[str, frozenset[Permission]] = {
    "viewer": _VIEWER,
    "planner": _PLANNER,
    "administrator": _ADMINISTRATOR,
}
ROLES = tuple(PERMISSIONS)
ANONYMOUS = _VIEWER  # while public reading is on


def check_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """The roles, validated and without duplicates (at least one)."""
    out = tuple(dict.fromkeys(r.strip() for r in roles if r.strip()))
    unknown = [r for r in out if r not in PERMISSIONS]
    if unknown or not out:
        raise InputError("auth.bad_role", role=", ".join(unknown) or "—", allowed=", ".join(ROLES))
    return out


def permissions_of(roles: Iterable[str]) -> frozenset[Permission]:
    out: frozenset[Permission] = frozenset()
    for role in roles:
        out |= PERMISSIONS.get(role, frozenset())
    return out


def allowed(roles: Iterable[str], permission: Permission) -> bool:
    return permission in permissions_of(roles)


def require(user: User | None, permission: Permission, *, public_read: bool = True) -> None:
    """Refuse the action: AuthenticationError without a login (unless anonymous callers may do it),
    PermissionDeniedError when the user's roles do not allow it."""
    if user is None:
        if public_read and permission in ANONYMOUS:
            return
        raise AuthenticationError("auth.login_required", action=permission.value)
    if not allowed(user.roles, permission):
        raise PermissionDeniedError("auth.forbidden", user=user.name, roles=", ".join(user.roles),
                                    action=permission.value)
