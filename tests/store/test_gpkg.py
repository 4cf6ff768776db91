import datetime as dt
import json
import sqlite3
from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import pytest
import shapely

from guotu.core.errors import ConflictError, InputError, NotFoundError, StoreError
from guotu.core.features import FeatureBatch
from guotu.store import Store
from guotu.store.gpkg import APPLICATION_ID, GpkgStore


def squares(n: int, x0: float = 121.0, y0: float = 30.7, size: float = 0.001) -> np.ndarray:
    xs = x0 + np.arange(n) * size * 1.5
    return shapely.box(xs, y0, xs + size, y0 + size)


def make_layer(store: Store, name: str = "parcels", n: int = 5, versioned: bool = False) -> list[int]:
    with store.transaction("tester") as tx:
        tx.create_layer(name, "MULTIPOLYGON", {"name": "TEXT", "grade": "INTEGER", "since": "DATE"},
                        title="测试图层", versioned=versioned)
        batch = FeatureBatch(squares(n), {"name": [f"地块{i}" for i in range(n)], "grade": list(range(n)),
                                          "since": [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(n)]})
        return tx.write(name, batch)


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


def test_bbox_read_uses_the_rtree(store: Store) -> None:
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


def test_audit_table_is_append_only(tmp_path: Path) -> None:
    s = GpkgStore(tmp_path / "a.gpkg", create=True)
    make_layer(s)
    s.close()
    con = sqlite3.connect(tmp_path / "a.gpkg")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE guotu_audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM guotu_audit")


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


def test_gdal_opens_the_file_as_a_geopackage(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    s = GpkgStore(path, create=True)
    make_layer(s, n=7)
    s.close()
    layers = {str(n): t for n, t in pyogrio.list_layers(path)}
    assert layers["parcels"] == "MultiPolygon"
    info = pyogrio.read_info(path, layer="parcels")
    assert info["crs"] == "EPSG:4490"
    assert info["features"] == 7
    assert info["capabilities"]["fast_spatial_filter"]  # GDAL found our R-tree
    g = squares(7)
    x0, y0, x1, y1 = g[3].bounds
    _, fids, _, _ = pyogrio.raw.read(path, layer="parcels", bbox=(x0 + 1e-4, y0 + 1e-4, x1 - 1e-4, y1 - 1e-4),
                                     return_fids=True)[:4]
    assert fids.tolist() == [4]
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert con.execute("SELECT count(*) FROM rtree_parcels_geom").fetchone()[0] == 7
    assert con.execute("SELECT srs_id FROM gpkg_geometry_columns WHERE table_name='parcels'").fetchone()[0] == 4490
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_features_written_by_gdal_are_read_by_guotu(tmp_path: Path) -> None:
    path = tmp_path / "g.gpkg"
    s = GpkgStore(path, create=True)
    make_layer(s, n=2)
    s.close()
    wkb = shapely.to_wkb(shapely.multipolygons([shapely.box(121.05, 30.75, 121.06, 30.76)]))
    pyogrio.raw.write(path, np.array([wkb]), [np.array(["gdal"], dtype=object)], ["name"], layer="parcels",
                      driver="GPKG", append=True, geometry_type="MultiPolygon", crs="EPSG:4490")
    s = GpkgStore(path)
    batch = s.read("parcels", bbox=(121.054, 30.754, 121.056, 30.756))
    assert batch.attributes["name"] == ["gdal"]
    s.close()


def test_truncated_store_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "t.gpkg"
    s = GpkgStore(path, create=True)
    make_layer(s, n=3000)
    s.close()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError) as err:
        GpkgStore(path)
    assert err.value.key == "store.truncated"
    assert str(path) in err.value.message


def test_not_a_geopackage_and_empty_file(tmp_path: Path) -> None:
    bad = tmp_path / "x.gpkg"
    bad.write_text("hello")
    with pytest.raises(StoreError) as err:
        GpkgStore(bad)
    assert err.value.key == "store.not_sqlite"
    empty = tmp_path / "e.gpkg"
    empty.write_bytes(b"")
    with pytest.raises(StoreError) as err:
        GpkgStore(empty)
    assert err.value.key == "store.empty_file"
    with pytest.raises(NotFoundError):
        GpkgStore(tmp_path / "none.gpkg")


def test_update_records_before_and_after(store: Store) -> None:
    make_layer(store, n=3)
    rev = store.revision("parcels")
    moved = FeatureBatch(shapely.box(np.array([121.2]), 30.6, 121.21, 30.61), {"name": ["改后"]})
    with store.transaction("editor") as tx:
        tx.update("parcels", [2], moved)
    after = store.read("parcels", fids=[2])
    assert after.attributes["name"] == ["改后"] and after.attributes["grade"] == [1]  # untouched field kept
    assert store.read("parcels", bbox=(121.204, 30.604, 121.206, 30.606)).ids == [2]  # R-tree follows
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
