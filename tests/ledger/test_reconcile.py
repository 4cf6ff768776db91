"""Reconciliation on both stores: the county balances; each kind of problem is found, even in data that
bypassed the checks (an import, data loaded before the checks existed)."""

from __future__ import annotations

import pytest

from guotu.ledger import service
from guotu.ledger.reconcile import Reconciliation
from guotu.ledger.repository import add_records
from guotu.store import Store
from ledger_county import D, batch, parcel, raw_write, rect, supply


def by_batch(result: Reconciliation) -> dict[str, dict[str, object]]:
    return {b["batch"]: b for b in result.as_dict("en")["batches"]}


def keys(problems: list[dict[str, object]]) -> list[object]:
    return [p["key"] for p in problems]


def test_every_batch_of_the_county_balances(county: Store) -> None:
    result = service.reconciliation(county)
    doc = result.as_dict()
    assert doc["problem_count"] == 0 and doc["problems"] == []
    batches = by_batch(result)
    expected = {  # approved, supplied, unsupplied (m²), known by construction
        "B2015": (30000.0, 20000.0, 10000.0), "B2020": (20000.0, 20000.0, 0.0),
        "B2023": (30000.0, 30000.0, 0.0), "B2024": (50000.0, 20000.0, 30000.0),
    }
    for bid, (a, s, u) in expected.items():
        b = batches[bid]
        assert (b["approved_m2"], b["supplied_m2"], b["unsupplied_m2"]) == (a, s, u), bid
        assert b["balanced"] is True and b["problems"] == []
    assert batches["B2023"]["parcels"] == ["P23a", "P23b"]
    assert doc["totals"] == {"approved_m2": 130000.0, "supplied_m2": 90000.0, "unsupplied_m2": 40000.0,
                             "approved_mu": 195.0, "supplied_mu": 135.0, "unsupplied_mu": 60.0}


def test_reconciliation_as_of_a_date(county: Store) -> None:
    batches = by_batch(service.reconciliation(county, D(2023, 12, 31)))
    assert "B2024" not in batches
    assert (batches["B2015"]["supplied_m2"], batches["B2015"]["unsupplied_m2"]) == (10000.0, 20000.0)
    assert batches["B2023"]["supplied_m2"] == 10000.0  # S2023 only; S2024b came later


def test_a_supply_outside_every_parcel_is_found(county: Store) -> None:
    raw_write(county, [supply("SX", rect(2000, 2000, 100, 100), D(2024, 8, 1), D(2024, 9, 1), D(2026, 9, 1))])
    doc = service.reconciliation(county).as_dict("en")
    assert keys(doc["problems"]) == ["supply_outside"]
    problem = doc["problems"][0]
    assert problem["records"] == ["SX"]
    assert "C-SX" in problem["message"] and "10000.00 m²" in problem["message"]


def test_a_supply_partly_outside_its_batch_is_found_in_that_batch(county: Store) -> None:
    raw_write(county, [supply("SW", rect(700, 300, 150, 100), D(2024, 8, 1), D(2024, 9, 1), D(2026, 9, 1))])
    b = by_batch(service.reconciliation(county))["B2024"]
    assert keys(b["problems"]) == ["supply_outside"]
    assert "5000.00" in b["problems"][0]["message"]
    assert b["supplied_m2"] == 30000.0  # the part on the parcel counts as supplied


def test_a_supply_signed_before_approval_is_found(county: Store) -> None:
    raw_write(county, [supply("SE", rect(700, 300, 100, 100), D(2024, 3, 1), D(2024, 9, 1), D(2026, 9, 1))])
    b = by_batch(service.reconciliation(county))["B2024"]
    assert keys(b["problems"]) == ["supply_before_approval"]
    assert b["problems"][0]["records"] == ["SE", "P24b"]


def test_a_parcel_supplied_twice_is_found(county: Store) -> None:
    raw_write(county, [supply("SD", rect(150, 0, 150, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1))])
    b = by_batch(service.reconciliation(county))["B2015"]
    assert keys(b["problems"]) == ["supplied_twice"]
    problem = b["problems"][0]
    assert problem["records"] == ["S2024a", "SD", "P15"]
    assert "5000.00 m²" in problem["message"]
    # Counted once: P15 is 30 000 m², fully covered now.
    assert (b["supplied_m2"], b["unsupplied_m2"]) == (30000.0, 0.0)


def test_recovered_land_supplied_again_is_not_a_problem(county: Store) -> None:
    add_records(county, [supply("SR", rect(0, 200, 100, 100), D(2024, 10, 2), D(2024, 11, 1), D(2026, 11, 1))])
    assert service.reconciliation(county).problem_count == 0


def test_land_approved_twice_is_found_in_both_batches(county: Store) -> None:
    raw_write(county, [batch("B2025", D(2025, 1, 1)), parcel("P25", "B2025", rect(250, 50, 100, 100))])
    batches = by_batch(service.reconciliation(county))
    for bid in ("B2015", "B2025"):
        assert keys(batches[bid]["problems"]) == ["parcels_overlap"], bid
    assert batches["B2025"]["problems"][0]["records"] == ["P15", "P25"]


@pytest.mark.parametrize(("document_ha", "found"), [(3.5, True), (3.0, False), (3.0029, False), (3.0031, True)])
def test_parcels_that_do_not_add_up_to_the_approval_document_are_found(store: Store, document_ha: float,
                                                                       found: bool) -> None:
    # 30 000 m² of parcels; the tolerance is 0.1 % of the document's area (≈ 30 m²).
    add_records(store, [batch("BD", D(2024, 1, 1), document_area_ha=document_ha),
                        parcel("PD1", "BD", rect(0, 0, 200, 100)), parcel("PD2", "BD", rect(300, 0, 100, 100))])
    b = by_batch(service.reconciliation(store))["BD"]
    assert keys(b["problems"]) == (["area_mismatch"] if found else [])
    if found:
        assert b["problems"][0]["records"] == ["BD", "PD1", "PD2"]


def test_a_batch_without_parcels_is_found(store: Store) -> None:
    add_records(store, [batch("BE", D(2024, 1, 1))])
    b = by_batch(service.reconciliation(store))["BE"]
    assert keys(b["problems"]) == ["no_parcels"]
    assert (b["approved_m2"], b["supplied_m2"], b["unsupplied_m2"]) == (0.0, 0.0, 0.0)
