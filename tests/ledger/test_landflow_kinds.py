"""The land-flow record kinds on both stores: what they accept, and every bad input refused with a precise
message and nothing written (the audit trail and every ledger layer unchanged)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from guotu.core.errors import InputError
from guotu.ledger import service
from guotu.ledger.model import Record
from guotu.ledger.repository import add_records, read_records
from guotu.store import Store
from ledger_county import D, batch, parcel, rec, rect, supply

LEDGER_KINDS = ("quota", "quota_allocation", "batch", "batch_parcel", "supply", "progress", "idle_disposal")


def snapshot(store: Store) -> tuple[int, dict[str, int]]:
    events = store.audit_events()
    return (events[-1].id if events else 0), {k: len(read_records(store, k)) for k in LEDGER_KINDS}


def refused(store: Store, records: Sequence[Record], key: str, *fragments: str) -> InputError:
    """Adding ``records`` fails with ``key``; the English message names every fragment; nothing is written."""
    before = snapshot(store)
    with pytest.raises(InputError) as info:
        add_records(store, records, actor="test")
    assert info.value.key == key, info.value.message_in("en")
    message = info.value.message_in("en")
    for fragment in fragments:
        assert fragment in message, message
    assert info.value.message  # the Chinese message renders too
    assert snapshot(store) == before
    return info.value


def test_the_county_is_stored_with_its_types(county: Store) -> None:
    supplies = {s.id: s for s in read_records(county, "supply")}
    assert len(supplies) == 7
    s = supplies["S2024c"]
    assert s.get("signed_on") == D(2024, 7, 1) and s.get("method") == "allocation" and s.get("price_wan") is None
    assert read_records(county, "progress", ids=["E2"])[0].get("developed_area_m2") == 10000.0
    assert read_records(county, "quota", ids=["Q2024"])[0].get("year") == 2024


# --- supplies on approved land -------------------------------------------------------------------
def test_a_supply_outside_every_approved_batch_is_refused(county: Store) -> None:
    outside = supply("SX", rect(2000, 2000, 100, 100), D(2024, 8, 1), D(2024, 9, 1), D(2026, 9, 1))
    error = refused(county, [outside], "ledger.supply_outside_batches", "supply SX", "contract C-SX", "10000.00 m²",
                    "15.0000 mu", "2024-08-01")
    assert "C-SX" in error.message and "10000.00 平方米" in error.message


def test_a_supply_partly_outside_beyond_the_tolerance_is_refused_within_it_accepted(county: Store) -> None:
    # P24b is 100 × 100 m at (700, 300); a supply 2 m wider pokes 200 m² out (tolerance 10.2 m²).
    refused(county, [supply("SW", rect(700, 300, 102, 100), D(2024, 8, 1), D(2024, 9, 1), D(2026, 9, 1))],
            "ledger.supply_outside_batches", "200.00 m²", "tolerance 10.20 m²")
    # 5 cm wider: 5 m² outside, within the 10.005 m² tolerance (0.1 % of the supply).
    add_records(county, [supply("SW", rect(700, 300, 100.05, 100), D(2024, 8, 1), D(2024, 9, 1), D(2026, 9, 1))])
    assert len(read_records(county, "supply")) == 8


def test_a_supply_signed_before_its_parcel_was_approved_is_refused(county: Store) -> None:
    early = supply("SE", rect(700, 300, 100, 100), D(2024, 3, 31), D(2024, 9, 1), D(2026, 9, 1))  # P24b: 04-01
    refused(county, [early], "ledger.supply_before_approval", "approved only later")
    # On the approval day itself it is accepted.
    add_records(county, [supply("SE", rect(700, 300, 100, 100), D(2024, 4, 1), D(2024, 9, 1), D(2026, 9, 1))])


def test_stock_land_may_lie_outside_the_batches(county: Store) -> None:
    add_records(county, [supply("ST", rect(2000, 2000, 100, 100), D(2024, 8, 1), D(2024, 9, 1), D(2026, 9, 1),
                                land_source="存量建设用地")])
    assert read_records(county, "supply", ids=["ST"])[0].get("land_source") == "stock"


def test_land_supplied_twice_is_refused_unless_it_was_recovered_first(county: Store) -> None:
    # P15 (200..300) is free; a supply over S2024a's land (100..200) too is refused.
    refused(county, [supply("SD", rect(150, 0, 150, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1))],
            "ledger.supply_overlaps", "supply SD", "C-S2024a", "5000.00 m²")
    # S2021's land was recovered on 2024-10-01: signed the day before, refused; on the day, accepted.
    refused(county, [supply("SR", rect(0, 200, 100, 100), D(2024, 9, 30), D(2024, 10, 1), D(2026, 10, 1))],
            "ledger.supply_overlaps", "C-S2021")
    add_records(county, [supply("SR", rect(0, 200, 100, 100), D(2024, 10, 1), D(2024, 11, 1), D(2026, 11, 1))])


def test_two_new_supplies_on_the_same_land_are_refused_together(county: Store) -> None:
    a = supply("SA", rect(200, 0, 100, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1))
    b = supply("SB", rect(250, 0, 50, 100), D(2024, 9, 2), D(2024, 10, 1), D(2026, 10, 1))
    refused(county, [a, b], "ledger.supply_overlaps", "supply SB", "C-SA")


def test_a_batch_its_parcels_and_a_supply_can_be_added_in_one_write(store: Store) -> None:
    add_records(store, [
        batch("BN", D(2024, 1, 5)),
        parcel("PN", "BN", rect(0, 0, 100, 100)),
        supply("SN", rect(0, 0, 100, 100), D(2024, 2, 1), D(2024, 3, 1), D(2025, 3, 1)),
    ])
    assert [r.id for r in read_records(store, "supply")] == ["SN"]


# --- dates, numbers, duplicates ------------------------------------------------------------------
def test_dates_in_the_wrong_order_are_refused(county: Store) -> None:
    bad = supply("SO", rect(200, 0, 100, 100), D(2024, 9, 1), D(2024, 8, 31), D(2026, 9, 1))
    refused(county, [bad], "ledger.dates_out_of_order", "supply record SO", "signed_on (2024-09-01)",
            "agreed_start_on (2024-08-31)")
    bad = supply("SO", rect(200, 0, 100, 100), D(2024, 9, 1), D(2024, 10, 1), D(2024, 9, 30))
    refused(county, [bad], "ledger.dates_out_of_order", "agreed_start_on", "agreed_completion_on")


def test_progress_dated_before_signing_is_refused(county: Store) -> None:
    refused(county, [rec("progress", "EX", supply="S2024a", event="started", on=D(2024, 3, 14))],
            "ledger.progress_before_signing", "progress record EX", "2024-03-14", "2024-03-15", "C-S2024a")
    add_records(county, [rec("progress", "EX", supply="S2024a", event="started", on=D(2024, 3, 15))])


def test_a_developed_area_beyond_the_supply_is_refused(county: Store) -> None:
    refused(county, [rec("progress", "EY", supply="S2024a", event="developed", on=D(2024, 9, 1),
                         developed_area_m2=10100)], "ledger.progress_area_exceeds", "10100.00 m²", "10000.00 m²")


@pytest.mark.parametrize(("kind", "attrs", "key", "fragment"), [
    ("progress", {"supply": "S2024a", "event": "developed", "on": "2024-09-01", "developed_area_m2": "-5"},
     "ledger.negative", "developed_area_m2 value -5 cannot be negative"),
    ("quota", {"source": "provincial_plan", "year": 2024, "amount_mu": "很多", "received_on": "2024-01-01"},
     "ledger.not_a_number", "amount_mu value 很多 is not a number"),
    ("quota", {"source": "provincial_plan", "year": 2024, "amount_mu": "-1", "received_on": "2024-01-01"},
     "ledger.negative", "amount_mu value -1 cannot be negative"),
    ("quota", {"source": "provincial_plan", "year": 2024, "amount_mu": "10", "received_on": "2024-13-01"},
     "ledger.bad_date", "received_on has an invalid date 2024-13-01"),
    ("quota", {"source": "上级奖励", "year": 2024, "amount_mu": "10", "received_on": "2024-01-01"},
     "ledger.bad_choice", "source value 上级奖励 is invalid"),
])
def test_bad_values_in_a_file_are_refused_and_nothing_is_written(county: Store, tmp_path: Path, kind: str,
                                                                  attrs: dict[str, object], key: str,
                                                                  fragment: str) -> None:
    path = tmp_path / f"{kind}.csv"
    names = ["record_id", *attrs]
    path.write_text(",".join(names) + "\nOK1," + ",".join(str(v) for v in attrs.values()) + "\n", encoding="utf-8")
    if kind == "quota":  # a good first row does not get written either
        good = "OK0,provincial_plan,2024,10,2024-01-01\n"
        path.write_text(",".join(names) + "\n" + good + "BAD," + ",".join(str(v) for v in attrs.values()) + "\n",
                        encoding="utf-8")
    before = snapshot(county)
    with pytest.raises(InputError) as info:
        service.add_file(county, kind, path)
    assert info.value.key == key
    assert fragment in info.value.message_in("en")
    assert snapshot(county) == before


def test_a_duplicate_contract_number_is_refused(county: Store) -> None:
    dup = supply("SZ", rect(200, 0, 100, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1), contract_no="C-S2016")
    refused(county, [dup], "ledger.duplicate_value", "supply record SZ", "contract_no C-S2016", "record S2016")
    a = supply("SZ1", rect(200, 0, 50, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1), contract_no="C-NEW")
    b = supply("SZ2", rect(250, 0, 50, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1), contract_no="C-NEW")
    refused(county, [a, b], "ledger.duplicate_value", "record SZ2", "C-NEW", "record SZ1")


def test_a_duplicate_batch_number_and_parcel_number_are_refused(county: Store) -> None:
    refused(county, [batch("B9", D(2024, 5, 1), batch_no="NO-B2015")], "ledger.duplicate_value", "NO-B2015")
    same_number = rec("batch_parcel", "P24c", rect(1000, 0, 10, 10), batch="B2024", parcel_no="P24a")
    refused(county, [same_number], "ledger.parcel_no_duplicate", "P24a", "B2024")


def test_a_parcel_on_land_already_approved_is_refused(county: Store) -> None:
    add_records(county, [batch("B2025", D(2025, 1, 1))])
    refused(county, [parcel("P25", "B2025", rect(250, 50, 100, 100))], "ledger.parcel_overlaps", "parcel P25",
            "P15", "2500.00 m²")


def test_a_sale_without_price_and_a_bad_town_code_are_refused(county: Store) -> None:
    refused(county, [supply("SP", rect(200, 0, 100, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1),
                            price=None)], "ledger.sale_needs_price", "C-SP")
    refused(county, [supply("SP", rect(200, 0, 100, 100), D(2024, 9, 1), D(2024, 10, 1), D(2026, 10, 1),
                            town="平湖")], "ledger.bad_town_code", "平湖")


def test_choice_labels_are_accepted_as_input(store: Store) -> None:
    add_records(store, [batch("BL", D(2024, 1, 5), batch_type="农用地转用")])
    assert read_records(store, "batch")[0].get("batch_type") == "conversion"


# --- quotas --------------------------------------------------------------------------------------
def test_an_allocation_that_would_overdraw_its_quota_is_refused(county: Store) -> None:
    # Q2024: 1000 mu received, 300 allocated: 700 left.
    over = rec("quota_allocation", "A9", quota="Q2024", project="新项目", amount_mu=700.5, allocated_on=D(2024, 6, 1))
    refused(county, [over], "ledger.quota_overdrawn", "quota Q2024", "700.0000 mu left", "700.5000 mu asked")
    exact = rec("quota_allocation", "A9", quota="Q2024", project="新项目", amount_mu=700, allocated_on=D(2024, 6, 1))
    add_records(county, [exact])
    refused(county, [rec("quota_allocation", "A10", quota="Q2024", project="再一个", amount_mu=0.01,
                         allocated_on=D(2024, 7, 1))], "ledger.quota_overdrawn", "0.0000 mu left")


def test_allocations_in_one_write_are_counted_together(county: Store) -> None:
    a = rec("quota_allocation", "A11", quota="QL2024", project="甲", amount_mu=150, allocated_on=D(2024, 6, 1))
    b = rec("quota_allocation", "A12", quota="QL2024", project="乙", amount_mu=60, allocated_on=D(2024, 6, 2))
    refused(county, [a, b], "ledger.quota_overdrawn", "allocation A12", "50.0000 mu left", "60.0000 mu asked")


def test_an_allocation_before_its_quota_was_received_is_refused(county: Store) -> None:
    refused(county, [rec("quota_allocation", "A13", quota="QL2024", project="甲", amount_mu=1,
                         allocated_on=D(2024, 4, 30))], "ledger.allocation_before_receipt", "2024-04-30", "2024-05-01")


def test_an_allocation_to_an_unknown_batch_is_refused(county: Store) -> None:
    refused(county, [rec("quota_allocation", "A14", quota="QL2024", project="甲", amount_mu=1,
                         allocated_on=D(2024, 6, 1), batch="B1999")], "ledger.unknown_link", "B1999")


# --- idle-land disposals -------------------------------------------------------------------------
@pytest.mark.parametrize(("attrs", "key", "fragment"), [
    ({"action": "fee"}, "ledger.disposal_needs_fee", "fee_wan"),
    ({"action": "exception"}, "ledger.disposal_needs_cause", "article 8"),
    ({"action": "extension", "cause": "government"}, "ledger.disposal_needs_extended_start", "extended_start_on"),
    ({"action": "fee", "fee_wan": 10, "decided_on": D(2023, 5, 31)}, "ledger.disposal_before_signing", "2023-06-01"),
])
def test_a_disposal_missing_what_its_action_needs_is_refused(county: Store, attrs: dict[str, object], key: str,
                                                             fragment: str) -> None:
    values = {"supply": "S2023", "decided_on": D(2024, 10, 1), **attrs}
    refused(county, [rec("idle_disposal", "XN", **values)], key, "C-S2023", fragment)


def test_nothing_can_be_decided_on_recovered_land(county: Store) -> None:
    refused(county, [rec("idle_disposal", "XN", supply="S2021", action="fee", fee_wan=1, decided_on=D(2024, 11, 1))],
            "ledger.already_recovered", "2024-10-01", "X2")
