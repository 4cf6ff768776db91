"""The `guotu ledger` command-line contract, as administrators run it (subprocesses), on both stores."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import shapely

from guotu.store.gpkg import GpkgStore
from ledger_county import rect
from pgtest import PG_URL, drop_pg_schema, new_pg_schema, open_pg_store


def guotu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guotu.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(params=["gpkg", "postgis"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, as the --db argument names it."""
    if request.param == "gpkg":
        path = tmp_path / "ledger.gpkg"
        GpkgStore(path, create=True).close()
        yield str(path)
        return
    schema = new_pg_schema()
    open_pg_store(schema).close()
    try:
        yield f"{PG_URL}?schema={schema}"
    finally:
        drop_pg_schema(schema)


def feature(rid: str, geometry: Any, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": json.loads(shapely.to_geojson(geometry)),
            "properties": {"record_id": rid, **props}}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False),
                    encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as f:  # as Excel saves it: with a BOM
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def add(db: str, kind: str, path: Path) -> subprocess.CompletedProcess[str]:
    return guotu("ledger", "add", "--db", db, "--kind", kind, str(path))


def load(db: str, tmp: Path) -> None:
    batches = tmp / "batches.json"
    batches.write_text(json.dumps([
        {"record_id": "B1", "batch_no": "浙土字〔2024〕1号", "batch_type": "农转用和征收",
         "authority": "浙江省人民政府", "approved_on": "2024-02-01", "document_area_ha": 3.0},
    ], ensure_ascii=False), encoding="utf-8")
    steps = [
        ("quota", write_csv(tmp / "quotas.csv", [
            {"record_id": "Q1", "source": "省下达计划指标", "year": 2024, "amount_mu": 100, "received_on": "2024-01-10",
             "town_code": "330482101", "document": ""}])),
        ("batch", batches),
        ("quota_allocation", write_csv(tmp / "allocations.csv", [
            {"record_id": "A1", "quota": "Q1", "project": "产业园", "amount_mu": 45, "allocated_on": "2024-01-20",
             "batch": "B1"}])),
        ("batch_parcel", write_geojson(tmp / "parcels.geojson", [
            feature("P1", rect(0, 0, 200, 100), batch="B1", parcel_no="1", town_code="330482101"),
            feature("P2", rect(300, 0, 100, 100), batch="B1", parcel_no="2", town_code="330482101")])),
        ("supply", write_geojson(tmp / "supplies.geojson", [
            feature("S1", rect(0, 0, 100, 100), contract_no="3304822024A001", method="出让", use_type="工业",
                    land_user="某科技公司", price_wan=900, signed_on="2024-03-01", agreed_start_on="2024-06-01",
                    agreed_completion_on="2026-06-01", town_code="330482101")])),
    ]
    for kind, path in steps:
        r = add(db, kind, path)
        assert r.returncode == 0, r.stderr
        assert kind in r.stdout


def test_the_ledger_commands_end_to_end(db: str, tmp_path: Path) -> None:
    load(db, tmp_path)

    r = guotu("ledger", "figures", "--db", db, "--from", "2024-01-01", "--to", "2024-12-31", "--json")
    assert r.returncode == 0, r.stderr
    figures = json.loads(r.stdout)
    assert isinstance(figures, list) and figures
    for f in figures:
        assert {"id", "label", "value", "unit", "definition", "records"} <= set(f), f
        assert isinstance(f["records"], list)
    by_id = {f["id"]: f for f in figures}
    assert (by_id["supply.count"]["value"], by_id["supply.count"]["records"]) == (1, ["S1"])
    assert by_id["approval.area"]["value"] == 45.0
    assert by_id["quota.balance"]["value"] == 55.0
    assert by_id["unsupplied.area"]["value"] == 30.0
    town = json.loads(guotu("ledger", "figures", "--db", db, "--from", "2024-01-01", "--to", "2024-12-31",
                            "--town", "330482102", "--json").stdout)
    assert {f["id"]: f["value"] for f in town}["supply.count"] == 0

    r = guotu("ledger", "records", "--db", db, "--kind", "supply", "--date", "2025-06-02", "--json")
    assert r.returncode == 0, r.stderr
    (s1,) = json.loads(r.stdout)
    assert (s1["id"], s1["kind"], s1["area_m2"], s1["area_mu"]) == ("S1", "supply", 10000.0, 15.0)
    assert s1["dates"] == {"signed_on": "2024-03-01", "agreed_start_on": "2024-06-01",
                           "agreed_completion_on": "2026-06-01"}
    assert s1["attrs"]["method"] == "sale" and s1["attrs"]["use_type"] == "industrial"
    assert (s1["status"]["idle"], s1["status"]["due"]) == ("idle", "fee")  # one full year after 2024-06-01
    records = json.loads(guotu("ledger", "records", "--db", db, "--json").stdout)
    assert [(x["kind"], x["id"]) for x in records] == [("quota", "Q1"), ("quota_allocation", "A1"), ("batch", "B1"),
                                                      ("batch_parcel", "P1"), ("batch_parcel", "P2"), ("supply", "S1")]
    parcel = next(x for x in records if x["id"] == "P1")
    assert parcel["links"] == {"batch": "B1"} and parcel["dates"] == {"approved_on": "2024-02-01"}
    allocation = next(x for x in records if x["id"] == "A1")
    assert allocation["links"] == {"quota": "Q1", "batch": "B1"} and "area_m2" not in allocation

    r = guotu("ledger", "reconcile", "--db", db, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (b1,) = doc["batches"]
    assert {k: b1[k] for k in ("batch", "approved_m2", "supplied_m2", "unsupplied_m2", "problems")} == {
        "batch": "B1", "approved_m2": 30000.0, "supplied_m2": 10000.0, "unsupplied_m2": 20000.0, "problems": []}
    assert doc["problems"] == []
    text = guotu("ledger", "reconcile", "--db", db)
    assert text.returncode == 0 and "批而未供 30.0 亩" in text.stdout

    out = tmp_path / "ledger.xlsx"
    r = guotu("ledger", "export", "--db", db, "--year", "2024", "--out", str(out))
    assert r.returncode == 0, r.stderr
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[0] == "统计指标" and "土地供应" in book.sheetnames


def test_bad_input_is_refused_with_a_message_and_nothing_written(db: str, tmp_path: Path) -> None:
    load(db, tmp_path)
    before = guotu("ledger", "records", "--db", db, "--json").stdout

    outside = write_geojson(tmp_path / "outside.geojson", [
        feature("S2", rect(150, 0, 100, 100), contract_no="3304822024A002", method="sale", use_type="industrial",
                land_user="甲", price_wan=100, signed_on="2024-04-01", agreed_start_on="2024-05-01",
                agreed_completion_on="2025-05-01"),
        feature("S3", rect(5000, 5000, 100, 100), contract_no="3304822024A003", method="sale", use_type="industrial",
                land_user="乙", price_wan=100, signed_on="2024-04-01", agreed_start_on="2024-05-01",
                agreed_completion_on="2025-05-01")])
    r = add(db, "supply", outside)
    assert r.returncode == 2
    # S2 lies half outside the parcels (200–250 m); the first problem is named, and S3 is not written either.
    assert r.stderr.startswith("错误：") and "3304822024A002" in r.stderr and "5000.00 平方米" in r.stderr
    assert "Traceback" not in r.stderr

    duplicate = write_geojson(tmp_path / "duplicate.geojson", [
        feature("S4", rect(100, 0, 100, 100), contract_no="3304822024A001", method="sale", use_type="industrial",
                land_user="丙", price_wan=100, signed_on="2024-04-01", agreed_start_on="2024-05-01",
                agreed_completion_on="2025-05-01")])
    r = guotu("--lang", "en", "ledger", "add", "--db", db, "--kind", "supply", str(duplicate))
    assert r.returncode == 2 and "contract_no 3304822024A001 duplicates record S1" in r.stderr

    backwards = write_geojson(tmp_path / "backwards.geojson", [
        feature("S5", rect(100, 0, 100, 100), contract_no="3304822024A005", method="sale", use_type="industrial",
                land_user="丁", price_wan=100, signed_on="2024-04-01", agreed_start_on="2024-03-01",
                agreed_completion_on="2025-05-01")])
    r = guotu("--lang", "en", "ledger", "add", "--db", db, "--kind", "supply", str(backwards))
    assert r.returncode == 2 and "signed_on (2024-04-01) is after agreed_start_on (2024-03-01)" in r.stderr

    over = write_csv(tmp_path / "over.csv", [
        {"record_id": "A2", "quota": "Q1", "project": "二期", "amount_mu": 55.5, "allocated_on": "2024-02-01"}])
    r = guotu("--lang", "en", "ledger", "add", "--db", db, "--kind", "quota_allocation", str(over))
    assert r.returncode == 2
    assert "quota Q1 (100.0000 mu) has 55.0000 mu left, less than the 55.5000 mu asked" in r.stderr

    for value in ("-3", "三亩"):
        bad = write_csv(tmp_path / "bad.csv", [
            {"record_id": "Q9", "source": "reward", "year": 2024, "amount_mu": value, "received_on": "2024-01-10"}])
        r = guotu("--lang", "en", "ledger", "add", "--db", db, "--kind", "quota", str(bad))
        assert r.returncode == 2 and f"amount_mu value {value}" in r.stderr, r.stderr

    r = add(db, "supply", write_csv(tmp_path / "supply.csv", [{"record_id": "S9"}]))
    assert r.returncode == 2 and "GeoJSON" in r.stderr
    r = add(db, "nonsense", over)
    assert r.returncode == 2 and "nonsense" in r.stderr

    assert guotu("ledger", "records", "--db", db, "--json").stdout == before


def test_figures_refuse_a_period_that_ends_before_it_starts(db: str) -> None:
    r = guotu("ledger", "figures", "--db", db, "--from", "2024-12-31", "--to", "2024-01-01", "--json")
    assert r.returncode == 2 and "2024-12-31" in r.stderr
    r = guotu("ledger", "figures", "--db", db, "--from", "2024-13-01", "--to", "2024-12-31")
    assert r.returncode == 2
