"""The demo year of ledger activity (guotu.demo.ledger): determinism, the ledger's own checks, figures,
reconciliation, the planted cases of docs/demo.md, and the demo file as GDAL sees it."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pytest
import shapely

from guotu.core.crs import CGCS2000, transform_geometries
from guotu.core.errors import InputError
from guotu.demo.generate import build_demo
from guotu.demo.ledger import BATCHES, SUPPLIES, build_ledger_activity
from guotu.demo.model import LAYER_ORDER, DemoCounty
from guotu.demo.plans import EDITION_A, EDITION_B
from guotu.demo.save import write_demo
from guotu.ledger import service
from guotu.ledger.flow import LandFlow
from guotu.ledger.kinds.projects import PROJECT_KINDS
from guotu.ledger.model import Record
from guotu.ledger.repository import read_records
from guotu.store.gpkg import GpkgStore

SEED = 7
PATCHES = 3000
END = dt.date(2024, 12, 31)
LANDFLOW_KINDS = ("quota", "quota_allocation", "batch", "batch_parcel", "supply", "progress", "idle_disposal")

# Every figure family the demo year must make non-zero (the ids of guotu.ledger.figures*).
FAMILIES = {
    "quotas": ("quota.received", "quota.allocated", "quota.used", "quota.balance"),
    "batches": ("approval.batches",),
    "parcels": ("approval.parcels",),
    "approved mu": ("approval.area",),
    "new construction land": ("approval.new_construction",),
    "supply by use": ("supply.count", "supply.area", "supply.business.count", "supply.sale.count",
                      "supply.allocation.count", "supply.sale.price",
                      *(f"supply.{use}.{m}" for use in ("industrial", "commercial", "residential",
                                                         "commercial_residential", "public", "infrastructure",
                                                         "other") for m in ("count", "area"))),
    "unsupplied": ("unsupplied.absorbed", "unsupplied.absorbed_stock", "unsupplied.area", "supply.rate"),
    "idle found": ("idle.count", "idle.area"),
    "recovered": ("idle.recovered.count", "idle.recovered.area"),
    "fined": ("idle.fee.count", "idle.fee.amount"),
    "completions": ("completion.count", "completion.area"),
    "supervision": ("supervision.overdue", "supervision.due_soon"),
    "sea use": ("sea_use.approved.count", "sea_use.approved.area"),
    "redevelopment": ("redevelopment.completed.count", "redevelopment.completed.area"),
    "consolidation": ("consolidation.approved.count", "consolidation.approved.area",
                      "consolidation.approved.investment", "consolidation.accepted.count",
                      "consolidation.accepted.area", "consolidation.contiguous.area", "consolidation.investment"),
    "reclamation and new farmland": ("reclamation.approved.count", "reclamation.approved.area",
                                     "reclamation.completed.count", "reclamation.completed.area",
                                     "new_farmland.accepted.area"),
    "expropriation": ("expropriation.batches", "expropriation.area", "block_plan.approved.count",
                      "block_plan.approved.area"),
    "resettlement progress": ("resettlement.signed", "resettlement.paid"),
}


def guotu(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "guotu.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def county() -> DemoCounty:
    return build_demo(SEED, PATCHES)


@pytest.fixture(scope="module")
def records(county: DemoCounty) -> list[Record]:
    return build_ledger_activity(county, SEED)


@pytest.fixture(scope="module")
def demo(county: DemoCounty, records: list[Record], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo file with its ledger: writing it runs every check of the ledger on every record."""
    return write_demo(county, tmp_path_factory.mktemp("demo") / "demo.gpkg", ledger=records)


@pytest.fixture(scope="module")
def flow(demo: Path) -> LandFlow:
    store = GpkgStore(demo)
    try:
        return service.load_flow(store)
    finally:
        store.close()


def snapshot(records: list[Record]) -> list[tuple[Any, ...]]:
    return [(r.kind, r.id, r.attrs, None if r.geometry is None else shapely.to_wkb(r.geometry)) for r in records]


def metric(geoms: Any) -> Any:
    return transform_geometries(np.asarray(geoms, dtype=object), CGCS2000, 4549)


# --- determinism -----------------------------------------------------------------------------------


def test_same_seed_same_records(county: DemoCounty, records: list[Record]) -> None:
    assert snapshot(build_ledger_activity(build_demo(SEED, PATCHES), SEED)) == snapshot(records)
    assert snapshot(build_ledger_activity(county, SEED)) == snapshot(records)


def test_other_seed_other_records(county: DemoCounty, records: list[Record]) -> None:
    other = build_ledger_activity(county, SEED + 1)
    assert snapshot(other) != snapshot(records)
    geoms = {r.id: shapely.to_wkb(r.geometry) for r in records if r.kind == "batch_parcel"}
    assert any(geoms[r.id] != shapely.to_wkb(r.geometry) for r in other if r.kind == "batch_parcel")
    # The story is the same: the planted cases keep their ids whatever the seed.
    assert {r.id for r in other if r.kind == "supply"} == {r.id for r in records if r.kind == "supply"}


# --- the ledger's own checks and the file ---------------------------------------------------------------


def test_every_record_is_written_through_the_checks(demo: Path, records: list[Record]) -> None:
    store = GpkgStore(demo)
    try:
        kinds = {r.kind for r in records}
        assert kinds == {*LANDFLOW_KINDS, *PROJECT_KINDS}
        for kind in kinds:
            stored = read_records(store, kind)
            assert [r.id for r in stored] == [r.id for r in records if r.kind == kind], kind
        assert len([e for e in store.audit_events() if e.action == "write"]) >= len(kinds)
    finally:
        store.close()


def test_demo_opens_in_gdal_with_plan_layers_in_cgcs2000(demo: Path) -> None:
    layers = [str(name) for name, _ in pyogrio.list_layers(demo)]
    for name in LAYER_ORDER:
        assert name in layers
        info = pyogrio.read_info(demo, layer=name)
        assert info["crs"] == "EPSG:4490" and info["features"] > 0
    ledger = sorted(n for n in layers if n.startswith("ledger_"))
    assert len(ledger) == len(LANDFLOW_KINDS) + len(PROJECT_KINDS)
    for name in ("ledger_batch_parcel", "ledger_supply", "ledger_sea_use"):
        frame = pyogrio.read_dataframe(demo, layer=name)
        assert len(frame) > 0 and frame.crs.to_epsg() == 4490


def test_write_demo_is_atomic_when_the_ledger_is_refused(county: DemoCounty, records: list[Record],
                                                         tmp_path: Path) -> None:
    out = tmp_path / "demo.gpkg"
    with pytest.raises(InputError):
        write_demo(county, out, ledger=[*records, records[0]])  # a duplicate id: refused by the checks
    assert list(tmp_path.iterdir()) == []


def test_write_demo_without_ledger_has_only_the_plan_layers(county: DemoCounty, tmp_path: Path) -> None:
    out = write_demo(county, tmp_path / "plain.gpkg")
    layers = [str(n) for n, _ in pyogrio.list_layers(out)]
    assert set(LAYER_ORDER) <= set(layers)
    assert not [n for n in layers if n.startswith("ledger_")]


def test_cli_demo_no_ledger(tmp_path: Path) -> None:
    with_ledger, without = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    r = guotu("demo", "--out", str(with_ledger), "--patches", "1000", "--seed", "3")
    assert r.returncode == 0, r.stderr
    assert "ledger" in r.stdout
    r = guotu("demo", "--out", str(without), "--patches", "1000", "--seed", "3", "--no-ledger")
    assert r.returncode == 0, r.stderr
    assert not any(str(n).startswith("ledger_") for n, _ in pyogrio.list_layers(without))
    assert any(str(n).startswith("ledger_") for n, _ in pyogrio.list_layers(with_ledger))


# --- figures and reconciliation --------------------------------------------------------------------------


def test_every_ledger_figure_of_2024_is_non_zero(demo: Path) -> None:
    r = guotu("ledger", "figures", "--db", str(demo), "--from", "2024-01-01", "--to", "2024-12-31", "--json")
    assert r.returncode == 0, r.stderr
    figures = {f["id"]: f for f in json.loads(r.stdout)}
    for family, ids in FAMILIES.items():
        for fid in ids:
            assert figures[fid]["value"] > 0, (family, fid)
            assert figures[fid]["records"], (family, fid)
    assert [fid for fid, f in figures.items() if not f["value"]] == []
    # New construction land is the approved land that was not construction land already.
    assert figures["approval.new_construction"]["value"] < figures["approval.area"]["value"]
    assert figures["supply.business.count"]["value"] == 3
    assert figures["idle.count"]["value"] == 3
    assert figures["idle.recovered.count"]["value"] == figures["idle.fee.count"]["value"] == 1


def test_reconciliation_reports_no_problems(demo: Path) -> None:
    r = guotu("ledger", "reconcile", "--db", str(demo), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["problem_count"] == 0
    assert len(doc["batches"]) == len(BATCHES)
    assert all(b["balanced"] and b["approved_mu"] > 0 for b in doc["batches"])
    assert 0 < doc["totals"]["unsupplied_mu"] < doc["totals"]["approved_mu"]


# --- the planted cases (docs/demo.md) ---------------------------------------------------------------------


def status(flow: LandFlow, supply: str) -> tuple[str, str]:
    i = flow.supply_index(supply)
    assert i is not None, supply
    return flow.idle_status(i, END).state, flow.supervision(i, END).state


def test_planted_idle_cases(flow: LandFlow) -> None:
    assert status(flow, "S2021-07")[0] == "idle"  # started, < 1/3 developed, stopped 2023-05-20
    i = flow.supply_index("S2021-07")
    assert i is not None and flow.idle_status(i, END).basis == "stopped"
    stopped = next(e for e in flow.events("S2021-07") if e.event == "stopped")
    assert stopped.developed_area_m2 is not None and 3 * stopped.developed_area_m2 < float(flow.supply_area[i])
    assert status(flow, "S2022-03")[0] == "idle"  # not started; fined 2024-03-15
    assert [d.action for d in flow.disposals_of("S2022-03")] == ["fee"]
    assert status(flow, "S2023-01")[0] == "idle"  # not started, idle from 2024-06-02, no decision yet
    assert status(flow, "S2020-03") == ("recovered", "recovered")  # recovered 2024-06-18
    assert flow.recovered_on("S2020-03") == dt.date(2024, 6, 18)
    assert status(flow, "S2022-04")[0] == "exempt"  # government cause (第八条)
    assert status(flow, "S2023-02")[0] == "started"  # extension, then started
    idle = sorted(s.id for i, s in enumerate(flow.supplies) if flow.idle_status(i, END).is_idle)
    assert idle == ["S2021-07", "S2022-03", "S2023-01"]


def test_planted_contract_cases(flow: LandFlow) -> None:
    overdue = sorted(s.id for i, s in enumerate(flow.supplies) if flow.supervision(i, END).state == "overdue")
    assert overdue == ["S2021-03", "S2021-07", "S2023-06"]
    assert status(flow, "S2022-06")[1] == "due_soon"
    assert status(flow, "S2021-05")[1] == "completed_late"
    completed = {s.id for s in flow.supplies
                 if any(e.event == "completed" and e.on.year == 2024 for e in flow.events(s.id))}
    assert {"S2021-04", "S2021-05", "S2022-01", "S2022-02", "S2022-07"} <= completed
    # S2024-14 lies on the land recovered from S2020-03: re-supplying recovered land is allowed.
    a, b = flow.supply_index("S2020-03"), flow.supply_index("S2024-14")
    assert a is not None and b is not None
    assert shapely.area(shapely.symmetric_difference(flow.supply_m[a], flow.supply_m[b])) < 1.0


def test_parcels_and_supplies_lie_where_they_should(county: DemoCounty, records: list[Record],
                                                   flow: LandFlow) -> None:
    dev = county.layers["dev_boundary"]
    line_a = shapely.union_all(metric(dev.batch.geometry[dev.edition(EDITION_A.name).index]))
    line_b = shapely.union_all(metric(dev.batch.geometry[dev.edition(EDITION_B.name).index]))
    for k, p in enumerate(flow.parcels):
        line = line_b if p.get("batch") == "B2024-6" else line_a
        outside = float(shapely.area(shapely.difference(flow.parcel_m[k], line)))
        assert outside <= flow.tolerance(float(flow.parcel_area[k])), p.id
    stock = [s.id for s in flow.supplies if s.get("land_source") == "stock"]
    assert stock == ["S2022-08", "S2024-16"]
    assert {s.get("land_source") for s in flow.supplies} == {"approved", "stock"}
    assert {s.id for s in flow.supplies} == {s.id for s in SUPPLIES}
    # Parcels wholly, partly and not supplied, of several approval years.
    supplied, unsupplied = flow.supplied_on_parcels()
    whole = supplied > 0.999 * flow.parcel_area
    none = unsupplied > 0.999 * flow.parcel_area
    assert whole.any() and none.any() and (~whole & ~none).any()
    years = {flow.approved_on(p).year for k, p in enumerate(flow.parcels) if none[k]}  # type: ignore[union-attr]
    assert len(years) >= 3
    # Sea use lies offshore: clear of the county and south of the coast.
    county_m = metric([county.boundary])[0]
    sea = [r for r in records if r.kind == "sea_use"]
    assert len(sea) >= 3
    for r in sea:
        g = metric([r.geometry])[0]
        assert not shapely.intersects(g, county_m), r.id
        assert shapely.centroid(g).y < shapely.centroid(county_m).y, r.id
