"""The Store contract, run on every backend through the parametrised ``store`` fixture (tests/conftest.py)."""

import datetime as dt
import json

import numpy as np
import pytest
import shapely

from guotu.core.errors import ConflictError, InputError, NotFoundError, StoreError
from guotu.core.features import FeatureBatch
from guotu.store import Store
from storetest import make_layer, squares


def test_write_and_read_round_trip(store: Store) -> None:
    fids = make_layer(store)
    assert fids == [1, 2, 3, 4, 5]
    batch = store.read("parcels")
    assert batch.ids == fids
    assert batch.attributes["name"][2] == "地块2"
    assert batch.attributes["since"][4] == dt.date(2024, 1, 5)
    assert all(shapely.equals_exact(a, shapely.multipolygons([b]), 0) for a, b in
               zip(batch.geometry, squares(5), strict=True))
    info = store.layer("parcels")
    assert (info.count, info.geometry_type, info.title) == (5, "MULTIPOLYGON", "测试图层")


def test_bbox_read_uses_the_spatial_index(store: Store) -> None:
    make_layer(store, n=20)
    g = squares(20)
    x0, y0, x1, y1 = g[7].bounds
    batch = store.read("parcels", bbox=(x0 + 1e-4, y0 + 1e-4, x1 - 1e-4, y1 - 1e-4))
    assert batch.ids == [8]


def test_where_filter_and_unknown_field(store: Store) -> None:
    make_layer(store)
    assert store.read("parcels", where={"grade": 3}).ids == [4]
    with pytest.raises(InputError):
        store.read("parcels", where={"nope": 1})


def test_unknown_layer_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError) as err:
        store.read("missing")
    assert "missing" in err.value.message


def test_editions_give_time_travel(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_layer("dev_boundary", "MULTIPOLYGON", {"name": "TEXT"}, versioned=True)
        tx.add_edition("dev_boundary", "A", valid_from=dt.date(2022, 10, 14))
        tx.write("dev_boundary", FeatureBatch(squares(1), {"name": ["old"]}), edition="A")
        tx.add_edition("dev_boundary", "B", valid_from=dt.date(2024, 6, 28), approved_on=dt.date(2024, 6, 28))
        tx.write("dev_boundary", FeatureBatch(squares(2), {"name": ["new1", "new2"]}), edition="B")
        tx.add_edition("dev_boundary", "C-draft", valid_from=dt.date(2025, 1, 1), status="draft")
        tx.write("dev_boundary", FeatureBatch(squares(3), {"name": ["d1", "d2", "d3"]}), edition="C-draft")
    eds = {e.name: e for e in store.editions("dev_boundary")}
    assert eds["A"].status == "superseded" and eds["A"].valid_to == dt.date(2024, 6, 28)
    assert store.read("dev_boundary", as_of=dt.date(2021, 1, 1)).attributes["name"] == []
    assert store.read("dev_boundary", as_of=dt.date(2024, 6, 27)).attributes["name"] == ["old"]
    assert store.read("dev_boundary", as_of=dt.date(2024, 6, 28)).attributes["name"] == ["new1", "new2"]
    assert store.read("dev_boundary", as_of=dt.date(2026, 1, 1)).editions == ["B", "B"]  # drafts never in force
    assert len(store.read("dev_boundary")) == 6


def test_overlapping_edition_is_refused(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_layer("zones", "MULTIPOLYGON", {}, versioned=True)
        tx.add_edition("zones", "A", valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2023, 1, 1))
    with pytest.raises(ConflictError) as err, store.transaction() as tx:
        tx.add_edition("zones", "B", valid_from=dt.date(2022, 1, 1), valid_to=dt.date(2022, 6, 1))
    assert "A" in err.value.message
    assert [e.name for e in store.editions("zones")] == ["A"]


def test_a_failed_transaction_leaves_nothing(store: Store) -> None:
    make_layer(store)
    before = len(store.audit_events())
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.write("parcels", FeatureBatch(squares(3), {"name": ["x", "y", "z"]}))
        tx.create_layer("other", "POINT", {})
        raise RuntimeError("crash in the middle")
    assert store.layer("parcels").count == 5
    assert "other" not in [i.name for i in store.layers()]
    assert len(store.audit_events()) == before


def test_every_write_is_audited_with_its_actor(store: Store) -> None:
    make_layer(store)
    events = store.audit_events()
    assert [(e.action, e.actor, e.layer) for e in events] == [
        ("create_layer", "tester", "parcels"), ("write", "tester", "parcels")]
    assert events[1].detail["count"] == 5


def test_wrong_geometry_type_is_refused(store: Store) -> None:
    make_layer(store)
    with pytest.raises(InputError) as err, store.transaction() as tx:
        tx.write("parcels", FeatureBatch(np.array([shapely.Point(121, 30.7)]), {"name": ["p"]}, ids=["P1"]))
    assert "P1" in err.value.message
    assert store.layer("parcels").count == 5


def test_bad_names_are_refused(store: Store) -> None:
    for name in ("gpkg_x", "1abc", "有中文", "a b"):
        with pytest.raises(InputError), store.transaction() as tx:
            tx.create_layer(name, "POINT", {})


def test_update_records_before_and_after(store: Store) -> None:
    make_layer(store, n=3)
    rev = store.revision("parcels")
    moved = FeatureBatch(shapely.box(np.array([121.2]), 30.6, 121.21, 30.61), {"name": ["改后"]})
    with store.transaction("editor") as tx:
        tx.update("parcels", [2], moved)
    after = store.read("parcels", fids=[2])
    assert after.attributes["name"] == ["改后"] and after.attributes["grade"] == [1]  # untouched field kept
    assert store.read("parcels", bbox=(121.204, 30.604, 121.206, 30.606)).ids == [2]  # the index follows
    event = store.audit_events()[-1]
    assert (event.action, event.actor) == ("update", "editor")
    [change] = event.detail["features"]
    assert change["before"]["name"] == "地块1" and change["after"]["name"] == "改后"
    assert store.revision("parcels") > rev
    with pytest.raises(NotFoundError), store.transaction() as tx:
        tx.update("parcels", [99], moved)


def test_users_and_sessions(store: Store) -> None:
    from guotu.core.passwords import hash_password, token_hash, verify_password
    from guotu.store.base import Session, User

    with store.transaction("admin") as tx:
        tx.put_user(User("zhang", hash_password("s3cret"), ("planner",), "张规划"))
    user = store.get_user("zhang")
    assert user is not None and user.roles == ("planner",) and verify_password("s3cret", user.password_hash)
    assert store.get_user("nobody") is None
    now = dt.datetime(2026, 1, 1, 8, 0, tzinfo=dt.UTC)
    with store.transaction("zhang") as tx:
        tx.add_session(Session(token_hash("tok"), "zhang", now, now + dt.timedelta(hours=8)))
    session = store.get_session(token_hash("tok"))
    assert session is not None and session.user == "zhang" and session.expires_at == now + dt.timedelta(hours=8)
    with store.transaction("zhang") as tx:
        tx.delete_session(token_hash("tok"))
    assert store.get_session(token_hash("tok")) is None
    actions = [e.action for e in store.audit_events()]
    assert actions[-3:] == ["add_user", "login", "logout"]
    assert "s3cret" not in json.dumps([e.detail for e in store.audit_events()])
    assert "scrypt" not in json.dumps([e.detail for e in store.audit_events()])


def test_nested_transaction_is_refused(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_layer("a", "POINT", {})
        with pytest.raises(StoreError) as err, store.transaction():
            pass
        assert err.value.key == "store.nested_transaction"
    assert store.layer("a").count == 0


def test_reads_inside_a_transaction_see_its_writes(store: Store) -> None:
    make_layer(store)
    with store.transaction() as tx:
        tx.write("parcels", FeatureBatch(squares(2, y0=30.8), {"name": ["x", "y"]}))
        assert store.layer("parcels").count == 7
        assert store.read("parcels", where={"name": "y"}).ids == [7]
        tx.delete("parcels", [1])
        assert 1 not in (store.read("parcels").ids or [])
    assert store.layer("parcels").count == 6


def test_attribute_types_come_back_as_written(store: Store) -> None:
    fields = {"t": "TEXT", "i": "INTEGER", "r": "REAL", "d": "DATE", "dt": "DATETIME", "b": "BOOLEAN"}
    when = dt.datetime(2024, 5, 6, 7, 8, 9)
    with store.transaction() as tx:
        tx.create_layer("typed", "POINT", fields)
        tx.write("typed", FeatureBatch(shapely.points([121.0, 121.1, 121.2], 30.7), {
            "t": ["文字", None, "7"], "i": [1, np.int64(2), None], "r": [0.1, float("nan"), 3],
            "d": [dt.date(2024, 1, 31), None, dt.datetime(2024, 2, 1, 10, 0)], "dt": [when, None, "2024-05-06"],
            "b": [True, False, None]}))
    b = store.read("typed")
    assert b.attributes == {"t": ["文字", None, "7"], "i": [1, 2, None], "r": [0.1, None, 3.0],
                            "d": [dt.date(2024, 1, 31), None, dt.date(2024, 2, 1)],
                            "dt": [when.isoformat(), None, "2024-05-06"], "b": [True, False, None]}
    assert [type(v) for v in b.attributes["i"][:2]] == [int, int] and type(b.attributes["b"][0]) is bool
    assert b.fields == fields and b.editions == [None, None, None]
    assert store.read("typed", where={"i": "2"}).ids == [2]  # compared as the field's type
    assert store.read("typed", where={"t": 7}).ids == [3]
    assert store.read("typed", where={"d": dt.date(2024, 1, 31)}).ids == [1]
    assert store.read("typed", where={"b": True}).ids == [1]
    assert store.read("typed", where={"i": "abc"}).ids == []


def test_explicit_fids_are_kept(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_layer("kept", "MULTIPOLYGON", {"name": "TEXT"})
        assert tx.write("kept", FeatureBatch(squares(3), {"name": ["a", "b", "c"]}), fids=[2, 5, 9]) == [2, 5, 9]
        assert tx.write("kept", FeatureBatch(squares(1), {"name": ["d"]})) == [10]
        with pytest.raises(InputError) as err:
            tx.write("kept", FeatureBatch(squares(2), {}), fids=[11])
        assert err.value.key == "store.fids_mismatch"
    assert store.read("kept").ids == [2, 5, 9, 10]
    assert store.audit_events()[-2].detail["fids"] == [2, 9]


def test_delete_drop_add_fields_and_revision(store: Store) -> None:
    make_layer(store, n=4)
    r0 = store.revision("parcels")
    info = store.layer("parcels")
    assert info.bounds is not None and info.bounds[2] == pytest.approx(121.0 + 3 * 0.0015 + 0.001, abs=1e-4)
    with store.transaction() as tx:
        assert tx.delete("parcels", [4, 99]) == 1
    shrunk = store.layer("parcels").bounds
    assert shrunk is not None and shrunk[2] == pytest.approx(121.0 + 2 * 0.0015 + 0.001, abs=1e-4)
    assert store.revision("parcels") > r0
    with store.transaction() as tx:
        tx.add_fields("parcels", {"area": "REAL", "name": "TEXT"})
    assert list(store.layer("parcels").fields) == ["name", "grade", "since", "area"]
    assert store.read("parcels").attributes["area"] == [None, None, None]
    with store.transaction() as tx:
        tx.drop_layer("parcels")
    assert store.layers() == []
    with pytest.raises(NotFoundError):
        store.layer("parcels")
    actions = [(e.action, e.detail) for e in store.audit_events()[2:]]
    gone = actions[0][1].pop("boxes")  # the deleted feature's lon/lat box, for tile caches
    assert actions == [("delete", {"fids": [4, 99], "count": 1}), ("add_fields", {"fields": {"area": "REAL"}}),
                       ("drop_layer", {})]
    assert len(gone) == 1 and gone[0][0] < gone[0][2] and gone[0][1] < gone[0][3]


def test_layer_names_are_unique(store: Store) -> None:
    make_layer(store)
    with pytest.raises(ConflictError) as err, store.transaction() as tx:
        tx.create_layer("parcels", "POINT", {})
    assert err.value.key == "store.layer_exists"


def test_empty_reads_and_writes(store: Store) -> None:
    with store.transaction() as tx:
        tx.create_layer("empty", "MULTIPOLYGON", {"name": "TEXT"})
        assert tx.write("empty", FeatureBatch(squares(0), {"name": []})) == []
    b = store.read("empty", bbox=(120, 30, 122, 31), as_of=dt.date(2025, 1, 1))
    assert len(b) == 0 and b.attributes == {"name": []}
    assert store.layer("empty").bounds is None and store.layer("empty").count == 0
