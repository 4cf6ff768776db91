"""PostGIS revisions pushed by LISTEN/NOTIFY: other processes' edits arrive, own edits at once, and a
lost listener makes the store ask the database again rather than trust what it knew."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import psycopg
import pytest

from guotu.core.features import FeatureBatch
from guotu.store.pgnotify import CHANNEL
from guotu.store.postgis import PostgisStore
from pgtest import PG_URL, drop_pg_schema, new_pg_schema, open_pg_store
from storetest import make_layer, squares


@pytest.fixture
def two_servers() -> Iterator[tuple[PostgisStore, PostgisStore]]:
    """Two stores on one schema, as two server processes would have."""
    schema = new_pg_schema()
    a = open_pg_store(schema)
    b = open_pg_store(schema, create=False)
    try:
        yield a, b
    finally:
        a.close()
        b.close()
        drop_pg_schema(schema)


def add_one(store: PostgisStore, layer: str = "parcels") -> int:
    with store.transaction("tester") as tx:
        tx.write(layer, FeatureBatch(squares(1, x0=121.2), {"name": ["new"]}, {"name": "TEXT"}, 4490))
    return max(e.id for e in store.audit_events() if e.layer == layer)


def wait_for(check: object, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.02)
    return False


def test_another_process_edit_arrives_by_notification(two_servers: tuple[PostgisStore, PostgisStore]) -> None:
    a, b = two_servers
    make_layer(a, "parcels")
    before = a.revision("parcels")
    feed = a._revision_feed()
    assert feed.live and feed.known("parcels")[0] == before  # known now: the next ask costs no query
    newest = add_one(b)
    assert newest > before
    assert wait_for(lambda: feed.known("parcels")[0] == newest)  # pushed, not asked for
    assert a.revision("parcels") == newest


def test_own_commit_is_seen_at_once(two_servers: tuple[PostgisStore, PostgisStore]) -> None:
    a, _ = two_servers
    make_layer(a, "parcels")
    a.revision("parcels")  # the feed runs
    newest = add_one(a)
    assert a.revision("parcels") == newest  # no waiting for the notification


def test_a_rolled_back_write_sends_nothing(two_servers: tuple[PostgisStore, PostgisStore]) -> None:
    a, b = two_servers
    make_layer(a, "parcels")
    before = a.revision("parcels")
    with pytest.raises(RuntimeError), b.transaction("tester") as tx:
        tx.write("parcels", FeatureBatch(squares(1), {"name": ["x"]}, {"name": "TEXT"}, 4490))
        raise RuntimeError("crash before commit")
    time.sleep(0.3)
    assert a.revision("parcels") == before


def test_a_lost_listener_falls_back_to_asking(two_servers: tuple[PostgisStore, PostgisStore]) -> None:
    a, b = two_servers
    make_layer(a, "parcels")
    a.revision("parcels")
    feed = a._revision_feed()
    feed._retry_s = 0.2
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = %s",
                      (f"LISTEN {CHANNEL}",))
    assert wait_for(lambda: not feed.live, 3.0)
    newest = add_one(b)  # while nobody listens
    assert a.revision("parcels") == newest  # asked of the database
    assert wait_for(lambda: feed.live, 5.0)  # listening again, and what it knew was forgotten
    assert a.revision("parcels") == newest


def test_remembered_definitions_follow_other_processes_and_open_transactions(
        two_servers: tuple[PostgisStore, PostgisStore]) -> None:
    a, b = two_servers
    make_layer(a, "parcels", versioned=True)
    a.revision("parcels")  # the feed runs: definitions and editions are now remembered by revision
    assert a._schema("parcels") is a._schema("parcels")  # remembered, not read again
    assert a.editions("parcels") == []
    with b.transaction("tester") as tx:  # another process adds a field and an edition
        tx.add_fields("parcels", {"owner": "TEXT"})
        tx.add_edition("parcels", "2024版", status="approved", valid_from=dt.date(2024, 1, 1))
    assert wait_for(lambda: "owner" in a._schema("parcels").fields)
    assert [e.name for e in a.editions("parcels")] == ["2024版"]
    # inside a transaction of its own, a store sees its uncommitted changes, never a remembered copy
    with a.transaction("tester") as tx:
        tx.add_fields("parcels", {"area_note": "TEXT"})
        assert "area_note" in a._schema("parcels").fields
        assert "area_note" in a.read("parcels").fields
