"""The ledger's web API (/api/ledger/…) on both stores: the demo county of the API tests with the
hand-built ledger of ``tests/ledger_county.py`` added through the ledger's own checks.

Reads compare with the command line (`guotu ledger … --json`): the API and the CLI give the same answers.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import openpyxl
import pytest
import shapely
from fastapi.testclient import TestClient

from guotu.api import create_app
from guotu.api.settings import Settings
from guotu.cli import main as cli_main
from guotu.ledger.repository import add_records
from guotu.store import Store
from ledger_county import county_records, rect

Login = Callable[[TestClient, str], dict[str, str]]
Expect = Callable[..., dict[str, str]]
YEAR = {"from": "2024-01-01", "to": "2024-12-31"}


@pytest.fixture(scope="module")
def ledger_store(demo_store: Store) -> Store:
    """This module's copy of the demo county with the hand-built ledger added once, before any test
    (the tests only read it)."""
    add_records(demo_store, county_records(), actor="test")
    return demo_store


@pytest.fixture(scope="module")
def ledger_client(ledger_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(db=""), store=ledger_store)) as c:
        yield c


@pytest.fixture
def rw_ledger(rw_store: Store, rw_client: TestClient) -> tuple[Store, TestClient]:
    """A fresh copy of the demo county with the ledger, for a test that writes."""
    add_records(rw_store, county_records(), actor="test")
    return rw_store, rw_client


def cli_json(capsys: pytest.CaptureFixture[str], store: Store, *args: str) -> Any:
    location = getattr(store, "location")  # noqa: B009 - both stores have one, not on the protocol
    capsys.readouterr()
    assert cli_main(["ledger", *args, "--db", str(location), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["records"]]


def geojson(geom: Any) -> dict[str, Any]:
    return json.loads(shapely.to_geojson(geom))  # type: ignore[no-any-return]


def same_land(a: Any, b: Any) -> bool:
    """The same land, up to the 9 decimals of GeoJSON coordinates."""
    return bool(a.symmetric_difference(b).area < 1e-6 * b.area)


def feature(props: dict[str, Any], geom: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geojson(geom)}


# --- reading ---------------------------------------------------------------------------------------
def test_kinds_have_chinese_labels_fields_and_statuses(ledger_client: TestClient) -> None:
    r = ledger_client.get("/api/ledger/kinds")
    assert r.status_code == 200
    kinds = {k["kind"]: k for k in r.json()}
    assert list(kinds)[:7] == ["quota", "quota_allocation", "batch", "batch_parcel", "supply", "progress",
                               "idle_disposal"]
    supply = kinds["supply"]
    assert supply["label"] == "土地供应" and supply["geometry"] == "MULTIPOLYGON" and supply["geometry_required"]
    fields = {f["name"]: f for f in supply["fields"]}
    assert fields["contract_no"]["label"] == "出让合同或划拨决定书编号" and fields["contract_no"]["required"]
    assert {"value": "sale", "label": "出让"} in fields["method"]["choices"]
    statuses = {s["value"]: s["label"] for s in supply["statuses"]}
    assert statuses["idle"] == "闲置土地" and statuses["overdue"] == "逾期未竣工"
    assert {s["value"] for s in kinds["batch_parcel"]["statuses"]} == {"unsupplied", "supplied"}
    assert kinds["batch_parcel"]["main_date"] == "approved_on"
    assert kinds["progress"]["links"] == [{"field": "supply", "kind": "supply"}]


def test_records_are_the_cli_rows_with_their_states(ledger_client: TestClient, ledger_store: Store,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    r = ledger_client.get("/api/ledger/records", params={"kind": "supply", "date": "2024-12-31"})
    assert r.status_code == 200
    page = r.json()
    assert page["matched"] == page["returned"] == 7 and page["on"] == "2024-12-31" and page["kind"] == "supply"
    cli = cli_json(capsys, ledger_store, "records", "--kind", "supply", "--date", "2024-12-31")
    assert [{k: v for k, v in row.items() if k != "states"} for row in page["records"]] == cli
    s2023 = next(row for row in page["records"] if row["id"] == "S2023")
    assert s2023["status"]["idle"] == "idle" and set(s2023["states"]) == {"idle", "on_track"}
    assert "geometry" not in s2023


def test_records_filter_by_status_town_period_and_ids(ledger_client: TestClient) -> None:
    def get(**params: Any) -> list[str]:
        return ids(ledger_client.get("/api/ledger/records", params={"date": "2024-12-31", **params}))

    assert get(kind="supply", status="idle") == ["S2023"]
    assert get(kind="supply", status="overdue") == ["S2024c"]
    assert get(kind="supply", status="recovered") == ["S2021"]
    assert get(kind="supply", status="due_soon") == ["S2024b"]
    # approved but unsupplied on the day: P15 has 100 m of its 300 left, P24a half, P24b all
    assert get(kind="batch_parcel", status="unsupplied") == ["P15", "P24a", "P24b"]
    assert get(kind="batch", status="unsupplied") == ["B2015", "B2024"]
    assert get(kind="batch_parcel", status="unsupplied", date="2023-12-31") == ["P15", "P23a"]
    parcels = ledger_client.get("/api/ledger/records", params={"kind": "batch_parcel", "ids": "P24a"}).json()
    assert parcels["records"][0]["land"]["unsupplied_mu"] == 30.0
    # town: directly, through the supply (progress, disposals), through parcels (batches)
    assert get(kind="supply", town="330482103") == ["S2021", "S2022"]
    assert get(kind="idle_disposal", town="330482103") == ["X1", "X2"]
    assert get(kind="batch", town="330482102") == ["B2024"]
    assert get(kind="quota_allocation", town="330482101") == ["A2023", "A2024"]
    # the period: each kind's main date (a parcel's batch approval), both days included
    assert get(kind="supply", **{"from": "2024-03-15", "to": "2024-06-01"}) == ["S2024a", "S2024b"]
    assert get(kind="batch_parcel", **YEAR) == ["P24a", "P24b"]
    assert get(kind="supply", ids="S2016,S2024c") == ["S2016", "S2024c"]
    # every kind at once, paged
    everything = ledger_client.get("/api/ledger/records", params={**YEAR, "limit": 4, "offset": 2}).json()
    assert everything["matched"] == 12 and everything["returned"] == 4  # 2 + 1 + 1 + 2 + 3 + 1 + 2 in 2024
    assert [(r["kind"], r["id"]) for r in everything["records"]] == [
        ("quota_allocation", "A2024"), ("batch", "B2024"), ("batch_parcel", "P24a"), ("batch_parcel", "P24b")]


def test_records_with_geometry(ledger_client: TestClient) -> None:
    r = ledger_client.get("/api/ledger/records", params={"kind": "supply", "ids": "S2024b", "geometry": "true"})
    geom = shapely.geometry.shape(r.json()["records"][0]["geometry"])
    assert same_land(geom, rect(400, 0, 200, 100))
    batch = ledger_client.get("/api/ledger/records", params={"kind": "batch", "ids": "B2023", "geometry": "true"})
    union = shapely.geometry.shape(batch.json()["records"][0]["geometry"])
    parcels = shapely.union_all([rect(400, 0, 200, 100), rect(400, 200, 100, 100)])
    assert same_land(union, parcels)
    quota = ledger_client.get("/api/ledger/records", params={"kind": "quota", "geometry": "true"}).json()
    assert all(row["geometry"] is None for row in quota["records"])


def test_bad_record_queries(ledger_client: TestClient, expect_error: Expect) -> None:
    def get(**params: Any) -> Any:
        return ledger_client.get("/api/ledger/records", params=params)

    expect_error(get(kind="parcel"), 400, "ledger.unknown_kind")
    expect_error(get(kind="quota", status="idle"), 400, "ledger.browse.bad_status")
    expect_error(get(kind="supply", town="101"), 400, "ledger.browse.bad_town")
    expect_error(get(**{"from": "2024-12-31", "to": "2024-01-01"}), 400, "ledger.bad_period")
    expect_error(get(**{"from": "2024-13-01"}), 400, "query.bad_date")
    expect_error(get(limit=10**7), 400, "query.bad_limit")
    expect_error(get(limit=0), 422, "api.invalid_request")


def test_one_record_with_its_land(ledger_client: TestClient, expect_error: Expect) -> None:
    r = ledger_client.get("/api/ledger/records/batch/B2023", params={"date": "2024-12-31"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["id"] == "B2023" and doc["label"] == "农转用征收批次" and doc["area_mu"] == 45.0
    assert doc["land"]["unsupplied_mu"] == 0.0 and doc["states"] == ["supplied"]
    land = {(f["properties"]["role"], f["properties"]["record"]) for f in doc["map"]["features"]}
    assert land == {("parcel", "P23a"), ("parcel", "P23b"), ("supply", "S2024b"), ("supply", "S2023")}
    supply = ledger_client.get("/api/ledger/records/supply/S2024a").json()
    assert {(f["properties"]["role"], f["properties"]["record"]) for f in supply["map"]["features"]} == {
        ("supply", "S2024a"), ("parcel", "P15")}
    assert supply["geometry"]["type"] in ("Polygon", "MultiPolygon")
    progress = ledger_client.get("/api/ledger/records/progress/E4").json()
    assert progress["geometry"] is None
    assert {f["properties"]["record"] for f in progress["map"]["features"]} == {"S2022", "P20"}
    expect_error(ledger_client.get("/api/ledger/records/supply/NOPE"), 404, "ledger.browse.no_record")
    expect_error(ledger_client.get("/api/ledger/records/nope/S2016"), 400, "ledger.unknown_kind")


def test_figures_are_the_cli_json(ledger_client: TestClient, ledger_store: Store,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    r = ledger_client.get("/api/ledger/figures", params=YEAR)
    assert r.status_code == 200
    assert r.json() == cli_json(capsys, ledger_store, "figures", "--from", "2024-01-01", "--to", "2024-12-31")
    town = ledger_client.get("/api/ledger/figures", params={**YEAR, "town": "330482102", "due_days": 10})
    assert town.json() == cli_json(capsys, ledger_store, "figures", "--from", "2024-01-01", "--to", "2024-12-31",
                                   "--town", "330482102", "--due-days", "10")
    figures = {f["id"]: f for f in r.json()}
    assert figures["supply.count"]["value"] == 3 and figures["idle.count"]["records"] == ["S2023"]
    # without a period: this year to date
    today = dt.date.today()
    default = ledger_client.get("/api/ledger/figures").json()
    assert default == ledger_client.get("/api/ledger/figures", params={
        "from": f"{today.year}-01-01", "to": today.isoformat()}).json()


def test_the_records_behind_a_figure(ledger_client: TestClient, expect_error: Expect) -> None:
    r = ledger_client.get("/api/ledger/figures/supply.area/records", params={**YEAR, "geometry": "true"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["kind"] == "supply" and doc["label"] == "土地供应" and doc["on"] == "2024-12-31"
    assert doc["figure"]["value"] == 75.0
    assert [row["id"] for row in doc["records"]] == doc["figure"]["records"] == ["S2024a", "S2024b", "S2024c"]
    assert sum(row["area_mu"] for row in doc["records"]) == doc["figure"]["value"]
    assert all(row["geometry"] for row in doc["records"])
    unsupplied = ledger_client.get("/api/ledger/figures/unsupplied.area/records", params=YEAR).json()
    assert unsupplied["kind"] == "batch_parcel" and [row["id"] for row in unsupplied["records"]] == [
        "P15", "P24a", "P24b"]
    assert ledger_client.get("/api/ledger/figures/quota.received/records", params=YEAR).json()["kind"] == "quota"
    expect_error(ledger_client.get("/api/ledger/figures/nope/records", params=YEAR), 404, "ledger.browse.no_figure")


def test_reconcile_is_the_cli_json(ledger_client: TestClient, ledger_store: Store,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    r = ledger_client.get("/api/ledger/reconcile")
    assert r.status_code == 200
    assert r.json() == cli_json(capsys, ledger_store, "reconcile")
    assert r.json()["totals"]["approved_mu"] == 195.0
    dated = ledger_client.get("/api/ledger/reconcile", params={"date": "2023-12-31"}).json()
    assert dated == cli_json(capsys, ledger_store, "reconcile", "--date", "2023-12-31")
    assert [b["batch"] for b in dated["batches"]] == ["B2015", "B2020", "B2023"]


def test_export_downloads_the_workbook(ledger_client: TestClient, expect_error: Expect) -> None:
    r = ledger_client.get("/api/ledger/export.xlsx", params={"year": 2024})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.headers["content-disposition"].startswith('attachment; filename="ledger-2024.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames[0] == "统计指标" and "土地供应" in book.sheetnames
    supplies = [row[0] for row in book["土地供应"].iter_rows(min_row=2, values_only=True)]
    assert "S2024c" in supplies
    expect_error(ledger_client.get("/api/ledger/export.xlsx", params={"year": 20245}), 422)


def test_history_of_a_supply_in_date_order(ledger_client: TestClient) -> None:
    r = ledger_client.get("/api/ledger/parcels/S2021/history", params={"date": "2024-12-31"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["kind"] == "supply" and [p["id"] for p in doc["parcels"]] == ["P20"]
    assert [s["id"] for s in doc["supplies"]] == ["S2021", "S2022"]  # everything on its parcel
    entries = [(e["date"], e["type"], e["record"]) for e in doc["entries"]]
    assert entries == sorted(entries, key=lambda e: e[0])
    assert entries == [
        ("2020-01-10", "approval", "B2020"),
        ("2021-01-10", "supply", "S2021"),
        ("2021-06-01", "agreed_start", "S2021"),
        ("2022-03-01", "supply", "S2022"),
        ("2022-06-01", "agreed_start", "S2022"),
        ("2022-06-02", "idle", "S2021"),  # a full year after the agreed start, computed
        ("2022-07-01", "progress", "E3"),
        ("2022-08-01", "disposal", "X1"),
        ("2023-06-01", "agreed_completion", "S2021"),
        ("2024-03-01", "agreed_completion", "S2022"),
        ("2024-05-20", "progress", "E4"),
        ("2024-10-01", "disposal", "X2"),
    ]
    labels = {e["record"]: e["label"] for e in doc["entries"]}
    assert labels["E3"] == "动工" and labels["E4"] == "竣工" and labels["X1"] == "征缴土地闲置费"
    assert labels["X2"] == "无偿收回"
    idle = next(e for e in doc["entries"] if e["type"] == "idle")
    assert idle["computed"] and idle["supply"] == "S2021"
    assert {f["properties"]["record"] for f in doc["map"]["features"]} == {"P20", "S2021", "S2022"}
    status = {s["id"]: s["status"] for s in doc["supplies"]}
    assert status["S2021"]["idle"] == "recovered" and status["S2022"]["supervision"] == "completed_late"


def test_history_of_a_parcel(ledger_client: TestClient, expect_error: Expect) -> None:
    doc = ledger_client.get("/api/ledger/parcels/P24a/history", params={"date": "2024-12-31"}).json()
    assert doc["kind"] == "batch_parcel" and [s["id"] for s in doc["supplies"]] == ["S2024c"]
    types = [(e["type"], e["record"]) for e in doc["entries"]]
    assert types[:3] == [("allocation", "A2024"), ("approval", "B2024"), ("supply", "S2024c")]
    assert ("overdue", "S2024c") in types
    overdue = next(e for e in doc["entries"] if e["type"] == "overdue")
    assert overdue["date"] == "2024-12-02"
    expect_error(ledger_client.get("/api/ledger/parcels/NOPE/history"), 404, "ledger.history.unknown")
    expect_error(ledger_client.get("/api/ledger/parcels/Q2023/history", params={"kind": "quota"}), 400,
                 "ledger.history.bad_kind")


def test_ledger_reads_follow_public_read(ledger_store: Store, expect_error: Expect, login_as: Login) -> None:
    with TestClient(create_app(Settings(db="", public_read=False), store=ledger_store)) as c:
        for path in ("/api/ledger/kinds", "/api/ledger/records", "/api/ledger/figures", "/api/ledger/reconcile",
                     "/api/ledger/parcels/P15/history", "/api/ledger/export.xlsx"):
            expect_error(c.get(path), 401, "auth.login_required")
        assert c.get("/api/ledger/kinds", headers=login_as(c, "viewer")).status_code == 200


# --- writing ---------------------------------------------------------------------------------------
def snapshot(store: Store) -> tuple[int, dict[str, int]]:
    return len(store.audit_events()), {i.name: i.count for i in store.layers() if i.name.startswith("ledger_")}


QUOTA = [{"record_id": "Q2025", "source": "省下达计划指标", "year": 2025, "amount_mu": 800,
          "received_on": "2025-02-01", "town_code": "330482101"}]


def test_writes_need_a_login_and_the_planner_role(rw_ledger: tuple[Store, TestClient], login_as: Login,
                                                  expect_error: Expect) -> None:
    store, client = rw_ledger
    before = snapshot(store)
    expect_error(client.post("/api/ledger/records/quota", json=QUOTA), 401, "auth.login_required")
    expect_error(client.post("/api/ledger/records/quota", json=QUOTA, headers={"Authorization": "Bearer x"}), 401)
    denied = expect_error(client.post("/api/ledger/records/quota", json=QUOTA, headers=login_as(client, "viewer")),
                          403, "auth.forbidden")
    assert "viewer" in denied["message"]
    after = snapshot(store)
    assert after[1] == before[1] and after[0] == before[0] + 1  # only the viewer's login was recorded

    planner = login_as(client, "planner")
    r = client.post("/api/ledger/records/quota", json=QUOTA, headers=planner)
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "quota", "ids": ["Q2025"], "count": 1}
    added = client.get("/api/ledger/records/quota/Q2025").json()
    assert added["attrs"]["source"] == "provincial_plan" and added["attrs"]["amount_mu"] == 800.0
    last = store.audit_events()[-1]
    assert last.actor == "planner" and last.layer == "ledger_quota"


def test_planner_adds_a_batch_parcels_and_a_supply_as_geojson(rw_ledger: tuple[Store, TestClient],
                                                             login_as: Login) -> None:
    client = rw_ledger[1]
    planner = login_as(client, "planner")
    batch = {"record_id": "B2025", "batch_no": "浙土字〔2025〕1号", "batch_type": "农转用和征收",
             "authority": "浙江省人民政府", "approved_on": "2025-03-01"}
    assert client.post("/api/ledger/records/batch", json=batch, headers=planner).status_code == 201
    parcels = {"type": "FeatureCollection", "features": [
        feature({"record_id": "P25a", "batch": "B2025", "parcel_no": "1", "town_code": "330482104"},
                rect(1000, 0, 100, 100)),
        feature({"record_id": "P25b", "batch": "B2025", "parcel_no": "2", "town_code": "330482104"},
                rect(1000, 200, 100, 100))]}
    r = client.post("/api/ledger/records/batch_parcel", json=parcels, headers=planner)
    assert r.status_code == 201, r.text
    assert r.json()["ids"] == ["P25a", "P25b"]
    supply = feature({"record_id": "S2025", "contract_no": "3304822025A001", "method": "出让", "use_type": "工业",
                      "land_user": "平湖某公司", "price_wan": 900, "signed_on": "2025-04-01",
                      "agreed_start_on": "2025-07-01", "agreed_completion_on": "2027-07-01",
                      "town_code": "330482104"}, rect(1000, 0, 100, 100))
    r = client.post("/api/ledger/records/supply", content=json.dumps(supply),
                    headers={**planner, "Content-Type": "application/geo+json"})
    assert r.status_code == 201, r.text
    history = client.get("/api/ledger/parcels/S2025/history", params={"date": "2025-12-31"}).json()
    assert [p["id"] for p in history["parcels"]] == ["P25a"]
    assert [e["type"] for e in history["entries"]][:3] == ["approval", "supply", "agreed_start"]
    assert client.get("/api/ledger/records/batch_parcel/P25a").json()["area_mu"] == 15.0


def test_bad_input_is_refused_with_the_ledgers_message_and_nothing_written(
        rw_ledger: tuple[Store, TestClient], login_as: Login, expect_error: Expect) -> None:
    store, client = rw_ledger
    planner = login_as(client, "planner")
    before = snapshot(store)

    def supply(rid: str, geom: Any = None, **attrs: Any) -> dict[str, Any]:
        props = {"record_id": rid, "contract_no": f"C-{rid}", "method": "sale", "use_type": "industrial",
                 "land_user": "某公司", "price_wan": 100, "signed_on": "2025-01-10", "agreed_start_on": "2025-06-01",
                 "agreed_completion_on": "2027-06-01", "town_code": "330482101", **attrs}
        return feature(props, geom if geom is not None else rect(200, 0, 100, 100))  # the rest of P15

    def refused(kind: str, body: Any, status: int, key: str, *words: str) -> None:
        error = expect_error(client.post(f"/api/ledger/records/{kind}", json=body, headers=planner), status, key)
        for word in words:
            assert word in error["message"], (word, error["message"])
        assert snapshot(store)[1] == before[1], "nothing is written"

    # dates out of order: agreed start before signing
    refused("supply", supply("S9", agreed_start_on="2024-12-01"), 400, "ledger.dates_out_of_order",
            "S9", "signed_on", "agreed_start_on")
    # a negative number (an area developed, an amount)
    refused("progress", [{"record_id": "E9", "supply": "S2024a", "event": "developed", "on": "2025-01-01",
                          "developed_area_m2": -5}], 400, "ledger.negative", "E9", "developed_area_m2")
    refused("quota", [{**QUOTA[0], "amount_mu": -800}], 400, "ledger.negative", "Q2025", "amount_mu")
    # a contract number that exists
    refused("supply", supply("S9", contract_no="C-S2016"), 400, "ledger.duplicate_value", "S9", "C-S2016", "S2016")
    # a supply outside every approved parcel
    refused("supply", supply("S9", rect(2000, 2000, 100, 100)), 400, "ledger.supply_outside_batches",
            "S9", "C-S9", "15")
    # all or nothing: the first of two records is good, the second is not
    refused("supply", {"type": "FeatureCollection", "features": [
        supply("S9"), supply("S10", rect(100, 0, 100, 100), contract_no="C-S10")]}, 400, "ledger.supply_overlaps",
        "S10", "S2024a")
    # a kind with geometry needs GeoJSON; bodies that are not records
    refused("supply", [{"record_id": "S9"}], 400, "ledger.browse.needs_geojson", "土地供应")
    refused("quota", [], 400, "ledger.browse.no_records")
    refused("quota", [1, 2], 422, "ledger.browse.not_object")
    refused("quota", [{"source": "other"}], 400, "ledger.missing_id")
    refused("nope", QUOTA, 400, "ledger.unknown_kind")
    error = expect_error(client.post("/api/ledger/records/quota", content=b"[{", headers={
        **planner, "Content-Type": "application/json"}), 400, "api.bad_json")
    assert error["message"]
    assert snapshot(store)[1] == before[1]
    # and the good one goes through afterwards
    r = client.post("/api/ledger/records/supply", json=supply("S9"), headers=planner)
    assert r.status_code == 201, r.text
