"""Accounts and login sessions, on the Store: add and change users, log in and out, resolve a token.

Passwords are kept as scrypt hashes (:mod:`guotu.core.passwords`); a session is stored by the SHA-256
of its bearer token, never the token. Every change is written in one store transaction whose actor is
the person acting, so it lands in the audit trail (logins and logouts too).
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from guotu.core.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from guotu.core.passwords import hash_password, new_token, token_hash, verify_password
from guotu.platform.roles import check_roles
from guotu.store.base import Session, Store, User

MIN_PASSWORD = 8
_USER_NAME = re.compile(r"^[\w.@-]{1,64}$")
# Verified against when the user does not exist, so both failures take the same time.
_DUMMY_HASH = hash_password("guotu-no-such-user")


@dataclass(frozen=True)
class Login:
    token: str
    user: User
    expires_at: dt.datetime


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError("auth.short_password", minimum=MIN_PASSWORD)
    return password


def add_user(
    store: Store, name: str, password: str, roles: Iterable[str], *, display_name: str = "",
    actor: str = "system", replace: bool = False,
) -> User:
    """Create an account (ConflictError if the name is taken, unless ``replace``: then its password and
    roles are replaced, and its display name unless a new one is given)."""
    if not _USER_NAME.match(name):
        raise InputError("auth.bad_user_name", name=name[:80])
    password_hash = hash_password(check_password(password))
    roles = check_roles(roles)
    with store.transaction(actor) as tx:
        existing = store.get_user(name)
        if existing is not None and not replace:
            raise ConflictError("auth.user_exists", name=name)
        shown = display_name.strip() or (existing.display_name if existing else "")
        user = User(name, password_hash, roles, shown)
        tx.put_user(user)
    _forget()  # roles or the active flag may have changed
    return user


def update_user(
    store: Store, name: str, *, password: str | None = None, roles: Iterable[str] | None = None,
    display_name: str | None = None, active: bool | None = None, actor: str = "system",
) -> User:
    """Change what is given of an existing account."""
    with store.transaction(actor) as tx:
        user = store.get_user(name)
        if user is None:
            raise NotFoundError("auth.unknown_user", name=name)
        user = User(
            name,
            user.password_hash if password is None else hash_password(check_password(password)),
            user.roles if roles is None else check_roles(roles),
            user.display_name if display_name is None else display_name.strip(),
            user.active if active is None else active,
        )
        tx.put_user(user)
    _forget()  # roles or the active flag may have changed
    return user


def login(store: Store, name: str, password: str, *, hours: float = 12.0) -> Login:
    """Check the credentials and open a session; the same error for an unknown name and a wrong password."""
    user = store.get_user(name)
    ok = verify_password(password, user.password_hash if user else _DUMMY_HASH)
    if user is None or not ok or not user.active:
        raise AuthenticationError("auth.bad_credentials")
    token = new_token()
    now = _now()
    expires = now + dt.timedelta(hours=hours)
    with store.transaction(user.name) as tx:
        tx.add_session(Session(token_hash(token), user.name, now, expires))
    return Login(token, user, expires)


def authenticate(store: Store, token: str) -> User:
    """The user of a bearer token; AuthenticationError when it is unknown, expired or the user inactive."""
    session = store.get_session(token_hash(token))
    if session is None:
        raise AuthenticationError("auth.bad_token")
    expires = session.expires_at if session.expires_at.tzinfo else session.expires_at.replace(tzinfo=dt.UTC)
    if expires <= _now():
        raise AuthenticationError("auth.expired")
    user = store.get_user(session.user)
    if user is None or not user.active:
        raise AuthenticationError("auth.bad_token")
    return user


# How long a checked token is remembered by :func:`authenticate_recent` (the cached-tile path: a map view
# asks for dozens of tiles at once, each check is a database round trip). A logout or an account change
# made through this process is seen at once; one made by another process up to this much later.
SESSION_MEMO_S = 1.0
_memo: dict[tuple[str, str], tuple[float, User]] = {}
_memo_lock = threading.Lock()


def authenticate_recent(store: Store, token: str) -> User:
    """:func:`authenticate`, remembered for ``SESSION_MEMO_S``; a failed check is never remembered."""
    key = (store.location, token)
    now = time.monotonic()
    with _memo_lock:
        hit = _memo.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    user = authenticate(store, token)
    with _memo_lock:
        if len(_memo) >= 4096:
            _memo.clear()
        _memo[key] = (now + SESSION_MEMO_S, user)
    return user


def _forget(token: str | None = None) -> None:
    with _memo_lock:
        for key in [k for k in _memo if token is None or k[1] == token]:
            del _memo[key]


def logout(store: Store, token: str, *, actor: str) -> None:
    with store.transaction(actor) as tx:
        tx.delete_session(token_hash(token))
    _forget(token)
