"""Login, sessions, accounts and roles over HTTP."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from guotu.core.passwords import token_hash
from guotu.store import Store
from guotu.store.base import Session

PASSWORD = "correct-horse-9"
Login = Callable[[TestClient, str], dict[str, str]]
Expect = Callable[..., dict[str, str]]


def test_login_me_logout(rw_client: TestClient, rw_store: Store, expect_error: Expect) -> None:
    r = rw_client.post("/api/auth/login", json={"username": "planner", "password": PASSWORD})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["user"] == {"name": "planner", "display_name": "planner 用户", "roles": ["planner"], "active": True}
    headers = {"Authorization": f"Bearer {doc['token']}"}
    assert rw_client.get("/api/auth/me", headers=headers).json()["name"] == "planner"
    login_event = rw_store.audit_events()[-1]
    assert (login_event.action, login_event.actor) == ("login", "planner")
    assert doc["token"] not in str(login_event.detail)
    assert rw_client.post("/api/auth/logout", headers=headers).json() == {"ok": True}
    assert rw_store.audit_events()[-1].action == "logout"
    expect_error(rw_client.get("/api/auth/me", headers=headers), 401, "auth.bad_token")


def test_me_without_login_is_401_with_a_bearer_challenge(client: TestClient, expect_error: Expect) -> None:
    r = client.get("/api/auth/me")
    expect_error(r, 401, "auth.login_required")
    assert r.headers["www-authenticate"] == "Bearer"
    expect_error(client.post("/api/auth/logout"), 401)


def test_wrong_password_and_unknown_user_look_the_same(client: TestClient, expect_error: Expect) -> None:
    a = expect_error(client.post("/api/auth/login", json={"username": "planner", "password": "nope-nope"}), 401)
    b = expect_error(client.post("/api/auth/login", json={"username": "nobody", "password": "nope-nope"}), 401)
    assert a == b and a["key"] == "auth.bad_credentials"
    expect_error(client.post("/api/auth/login", json={"username": "planner"}), 422, "api.invalid_request")


def test_expired_session_is_refused(rw_client: TestClient, rw_store: Store, expect_error: Expect) -> None:
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with rw_store.transaction("test") as tx:
        tx.add_session(Session(token_hash("old-token"), "planner", past - dt.timedelta(hours=12), past))
    expect_error(rw_client.get("/api/auth/me", headers={"Authorization": "Bearer old-token"}), 401, "auth.expired")
    expect_error(rw_client.get("/api/auth/me", headers={"Authorization": "Bearer made-up"}), 401, "auth.bad_token")


def test_private_mode_needs_a_login_to_read(demo_store: Store, login_as: Login, expect_error: Expect) -> None:
    from guotu.api import create_app
    from guotu.api.settings import Settings

    with TestClient(create_app(Settings(db="", public_read=False), store=demo_store)) as c:
        expect_error(c.get("/api/layers"), 401, "auth.login_required")
        expect_error(c.get("/ogc/collections"), 401)
        assert c.get("/api/layers", headers=login_as(c, "viewer")).status_code == 200


def test_users_are_managed_by_administrators(rw_client: TestClient, rw_store: Store, login_as: Login,
                                             expect_error: Expect) -> None:
    admin, planner = login_as(rw_client, "admin"), login_as(rw_client, "planner")
    names = [u["name"] for u in rw_client.get("/api/users", headers=admin).json()]
    assert names == ["admin", "planner", "viewer"]
    expect_error(rw_client.get("/api/users", headers=planner), 403, "auth.forbidden")
    expect_error(rw_client.get("/api/users"), 401)
    new = {"name": "李工", "password": "another-pass-1", "roles": ["planner"], "display_name": "李工程师"}
    r = rw_client.post("/api/users", json=new, headers=admin)
    assert r.status_code == 201 and r.json()["roles"] == ["planner"]
    event = rw_store.audit_events()[-1]
    assert (event.action, event.actor, event.detail["user"]) == ("add_user", "admin", "李工")
    assert "password" not in str(event.detail) and "scrypt" not in str(event.detail)
    expect_error(rw_client.post("/api/users", json=new, headers=admin), 409, "auth.user_exists")
    expect_error(rw_client.post("/api/users", json={**new, "name": "x", "roles": ["boss"]}, headers=admin), 400,
                 "auth.bad_role")
    expect_error(rw_client.post("/api/users", json={**new, "name": "y", "password": "short"}, headers=admin), 400,
                 "auth.short_password")
    assert login_as(rw_client, "planner")  # others unaffected
    r = rw_client.patch("/api/users/李工", json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    expect_error(rw_client.post("/api/auth/login", json={"username": "李工", "password": "another-pass-1"}), 401)
    expect_error(rw_client.patch("/api/users/nobody", json={"active": False}, headers=admin), 404)


def test_audit_trail_is_for_administrators(client: TestClient, login_as: Login, expect_error: Expect) -> None:
    events = client.get("/api/audit", params={"layer": "sites"}, headers=login_as(client, "admin")).json()
    assert events and all(e["layer"] == "sites" for e in events)
    expect_error(client.get("/api/audit", headers=login_as(client, "planner")), 403)
