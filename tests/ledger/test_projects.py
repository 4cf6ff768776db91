"""Record kinds of the project families on both stores: written and read back, bad input refused whole."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import shapely

from guotu.core.errors import GeometryError, InputError
from guotu.ledger.kinds.projects import LANDFLOW_BATCH, PROJECT_KINDS, sea_use_code, sea_use_codes
from guotu.ledger.model import Record, get_kind
from guotu.ledger.repository import add_records, read_records, record_area_m2
from guotu.store import Store
from ledger.projects_support import (
    TOWN_A,
    D,
    acceptance,
    block_plan,
    bowtie,
    expropriation,
    invested,
    project,
    rec,
    reclamation,
    rect,
    resettlement,
    sea,
    settled,
    square,
    subproject,
)


def _one_of_each() -> list[Record]:
    return [
        sea(),
        rec("redevelopment", "R1", square(0, -2000), case_no="DX-1", name="某厂区", category="工业低效",
            town_code=TOWN_A, started_on="2023-03-01", completed_on="2024-06-30", before_use="ydyh-2023:1001",
            after_use="ydyh-2023:1001", investment_wan=800),
        project(),
        subproject("SP1", rect(0, 1000, 100, 300)),
        subproject("SP2", category="生态修复"),
        invested("E1", "P1", "2023-12-31", 300),
        acceptance("A1", "SP1", "2023-11-01"),
        acceptance("A2", "P1", "2024-05-01", level="省级", result="通过", new_farmland_mu=12.5),
        reclamation("K1", square(3000, 0), completed_on="2024-08-01", accepted_on="2024-09-01", quality_grade=6),
        block_plan(),
        expropriation(block_plan="BP1"),
        resettlement(),
        settled("RS1", "RP1", "2024-03-01", 5, 400),
    ]


def test_every_kind_is_registered_with_a_chinese_label() -> None:
    for kind in PROJECT_KINDS:
        spec = get_kind(kind)
        assert re.search(r"[\u4e00-\u9fff]", spec.label_zh)
        assert all(re.search(r"[\u4e00-\u9fff]", f.label_zh) for f in spec.fields)


def test_records_of_every_kind_are_written_and_read_back(store: Store) -> None:
    records = _one_of_each()
    add_records(store, records, actor="tester")
    for r in records:
        [back] = read_records(store, r.kind, ids=[r.id])
        assert back.attrs == r.attrs, r.kind
        if r.geometry is None:
            assert back.geometry is None
        else:
            assert shapely.equals_exact(back.geometry, shapely.multipolygons([r.geometry]), 1e-9)
    [redev] = read_records(store, "redevelopment")
    assert redev.get("category") == "industrial"  # stored as the value, given as the Chinese label
    [a2] = read_records(store, "acceptance", ids=["A2"])
    assert (a2.get("level"), a2.get("result"), a2.date("accepted_on")) == ("province", "passed", D(2024, 5, 1))
    assert read_records(store, "consolidation_subproject", ids=["SP2"])[0].get("category") == "ecological_restoration"
    # Areas always from geometry in the metric zone: a 100 m square is 10 000 m².
    assert record_area_m2(read_records(store, "sea_use")) == [pytest.approx(10000.0, abs=1e-4)]


def test_a_project_and_its_dependants_can_be_written_in_later_calls(store: Store) -> None:
    add_records(store, [project()])
    add_records(store, [subproject("SP1", rect(0, 1000, 100, 300))])
    add_records(store, [acceptance("A1", "SP1", "2024-01-01")])
    assert [r.id for r in read_records(store, "acceptance")] == ["A1"]


def test_sea_use_codes_are_the_sea_classes_of_2023_with_their_edition() -> None:
    codes = sea_use_codes()
    assert "ydyh-2023:2001" in codes and "ydyh-2023:24" in codes and "ydyh-2023:1802" in codes
    assert not any(c.startswith("ydyh-2023:23") for c in codes)  # 23 其他土地 is land
    assert all(c.startswith("ydyh-2023:") for c in codes)
    assert sea_use_code("路桥隧道用海") == "ydyh-2023:2003"
    assert sea_use_code("工业用海") == "ydyh-2023:1901"


def test_a_sea_parcel_may_lie_offshore(store: Store) -> None:
    """Sea parcels are not tied to the land boundary: 10 km out to sea is accepted."""
    add_records(store, [sea("S9", square(20000, -10000))])
    assert len(read_records(store, "sea_use")) == 1


def test_an_expropriation_batch_may_link_to_a_landflow_batch_instead_of_geometry(store: Store) -> None:
    if LANDFLOW_BATCH is None:
        with pytest.raises(InputError) as err:
            add_records(store, [rec("expropriation_batch", "EB9", batch_no="ZS-9", approved_on="2024-01-01",
                                    authority="province", landflow_batch="B1")])
        assert err.value.key == "ledger_projects.expropriation_without_parcels"
        return
    batch = rec(LANDFLOW_BATCH, "B1", batch_no="浙土字〔2024〕1号", batch_type="conversion_and_expropriation",
                authority="浙江省人民政府", approved_on="2024-01-10")
    eb = rec("expropriation_batch", "EB9", batch_no="ZS-9", approved_on="2024-01-10", authority="省级人民政府",
             landflow_batch="B1")
    add_records(store, [batch, eb])
    assert read_records(store, "expropriation_batch")[0].get("landflow_batch") == "B1"
    with pytest.raises(InputError) as err:
        add_records(store, [rec("expropriation_batch", "EB8", batch_no="ZS-8", approved_on="2024-01-10",
                                authority="province", landflow_batch="B404")])
    assert err.value.key == "ledger.unknown_link"
    conversion_only = rec(LANDFLOW_BATCH, "B2", batch_no="浙土字〔2024〕2号", batch_type="conversion",
                          authority="浙江省人民政府", approved_on="2024-01-10")
    with pytest.raises(InputError) as err:
        add_records(store, [conversion_only, rec("expropriation_batch", "EB7", batch_no="ZS-7",
                                                  approved_on="2024-01-10", authority="province", landflow_batch="B2")])
    assert err.value.key == "ledger_projects.batch_not_expropriation"
    assert [r.id for r in read_records(store, "expropriation_batch")] == ["EB9"]


# --- bad input: refused with a precise message, nothing written ----------------------------------------------
def _base() -> list[Record]:
    """Stored before each bad write: a project with a sub-project, a block plan, a batch with its plan."""
    return [project(), subproject("SP1", rect(0, 1000, 100, 300)), subproject("SP2"), block_plan(), expropriation(),
            resettlement(), settled("RS1", "RP1", "2024-03-01", 5, 400), invested("E1", "P1", "2024-01-31", 300),
            reclamation("K1", square(3000, 0)), sea()]


Case = tuple[Callable[[], list[Record]], str, dict[str, Any]]
CASES: dict[str, Case] = {
    "sea dates out of order": (lambda: [sea("S2", valid_from="2024-05-01", valid_to="2024-04-30", term_years=None)],
                               "ledger.dates_out_of_order", {"record": "S2", "earlier": "valid_from"}),
    "approval before validity": (lambda: [sea("S2", approved_on="2024-03-02")], "ledger.dates_out_of_order",
                                 {"earlier": "approved_on", "later": "valid_from"}),
    "sea duplicate approval number": (lambda: [sea("S2", approval_no="平海批〔2024〕S1号")], "ledger.duplicate_value",
                                      {"record": "S2", "field": "approval_no", "other": "S1"}),
    "duplicate number in one write": (lambda: [sea("S2", approval_no="X"), sea("S3", approval_no="X")],
                                      "ledger.duplicate_value", {"record": "S3", "other": "S2"}),
    "duplicate record id": (lambda: [project("P1", project_no="ZZ-other")], "ledger.duplicate_id", {"record": "P1"}),
    "duplicate project number": (lambda: [project("P2", square(0, 3000), project_no="ZZ-P1")],
                                 "ledger.duplicate_value", {"field": "project_no", "other": "P1"}),
    "sea use a land class": (lambda: [sea("S2", use_code="ydyh-2023:0101")], "ledger_projects.bad_sea_use",
                             {"value": "ydyh-2023:0101"}),
    "sea use without edition": (lambda: [sea("S2", use_code="港口用海")], "ledger_projects.bad_sea_use",
                                {"suggestion": "ydyh-2023:2001"}),
    "sea use class 23 is land": (lambda: [sea("S2", use_code="ydyh-2023:2302")], "ledger_projects.bad_sea_use", {}),
    "sea term over 50 years": (lambda: [sea("S2", valid_to="2074-03-01", term_years=None)],
                               "ledger_projects.sea_term_too_long", {"years": 50}),
    "sea term mismatch": (lambda: [sea("S2", valid_to="2044-02-29", term_years=50)],
                          "ledger_projects.sea_term_mismatch", {"term": 50.0}),
    "negative fee": (lambda: [sea("S2", fee_wan=-1)], "ledger.negative", {"field": "fee_wan"}),
    "bad town code": (lambda: [sea("S2", town_code="平湖")], "ledger.bad_town_code", {"value": "平湖"}),
    "invalid geometry": (lambda: [sea("S2", bowtie(0, -8000))], "geometry.problem", {"record": "S2"}),
    "missing geometry": (lambda: [rec("sea_use", "S2", None, **{k: v for k, v in sea("S2").attrs.items()
                                                                 if v is not None})],
                         "ledger.missing_geometry", {"record": "S2"}),
    "negative investment": (lambda: [project("P2", square(0, 3000), planned_investment_wan=-5)], "ledger.negative",
                            {"field": "planned_investment_wan"}),
    "project completed before approval": (lambda: [project("P2", square(0, 3000), completed_on="2023-01-01")],
                                          "ledger.dates_out_of_order", {"later": "completed_on"}),
    "subproject of a missing project": (lambda: [subproject("SP9", project="P404")], "ledger.unknown_link",
                                        {"field": "project", "value": "P404", "target": "consolidation_project"}),
    "subproject outside its project": (lambda: [subproject("SP9", square(1000, 1000))], "ledger_projects.outside",
                                       {"record": "SP9", "other": "P1"}),
    "acceptance of a missing project": (lambda: [acceptance("A9", "P404", "2024-01-01")], "ledger.unknown_link",
                                        {"field": "target", "value": "P404"}),
    "acceptance before approval": (lambda: [acceptance("A9", "SP1", "2023-04-30")], "ledger_projects.before_other",
                                   {"field": "accepted_on", "other": "P1", "other_field": "approved_on"}),
    "acceptance without any area": (lambda: [acceptance("A9", "SP2", "2024-01-01")],
                                    "ledger_projects.acceptance_without_area", {"target": "SP2"}),
    "acceptance outside the project": (lambda: [acceptance("A9", "SP2", "2024-01-01", rect(0, 1250, 100, 100))],
                                       "ledger_projects.outside", {"other": "P1"}),
    "acceptance bad level": (lambda: [acceptance("A9", "P1", "2024-01-01", level="乡级")], "ledger.bad_choice",
                             {"field": "level"}),
    "investment before approval": (lambda: [invested("E9", "P1", "2023-01-01", 10)], "ledger_projects.before_other",
                                   {"field": "on"}),
    "investment decreasing": (lambda: [invested("E9", "P1", "2024-02-01", 200)], "ledger_projects.decreasing",
                              {"record": "E9", "other": "E1"}),
    "investment same day": (lambda: [invested("E9", "P1", "2024-01-31", 400)], "ledger_projects.same_day",
                            {"other": "E1"}),
    "reclamation accepted before completion": (
        lambda: [reclamation("K9", square(3500, 0), completed_on="2024-06-01", accepted_on="2024-05-01")],
        "ledger.dates_out_of_order", {"earlier": "completed_on", "later": "accepted_on"}),
    "reclamation accepted, never completed": (lambda: [reclamation("K9", square(3500, 0), accepted_on="2024-05-01")],
                                              "ledger_projects.accepted_not_completed", {"record": "K9"}),
    "reclamation on the same land": (lambda: [reclamation("K9", square(3050, 0), category="new_farmland")],
                                     "ledger_projects.reclamation_overlap", {"record": "K9", "other": "K1"}),
    "quality grade out of range": (lambda: [reclamation("K9", square(3500, 0), quality_grade=16)],
                                   "ledger_projects.out_of_range", {"field": "quality_grade"}),
    "bad land class": (lambda: [rec("redevelopment", "R9", square(0, -2000), case_no="DX-9", name="x",
                                    category="urban", started_on="2024-01-01", before_use="1001")],
                       "ledger_projects.bad_land_class", {"field": "before_use"}),
    "public interest over 100": (lambda: [block_plan("BP9", square(9000, 0), public_interest_percent=101)],
                                 "ledger_projects.out_of_range", {"field": "public_interest_percent"}),
    "expropriation of a missing plan": (lambda: [expropriation("EB9", block_plan="BP404")], "ledger.unknown_link",
                                        {"field": "block_plan"}),
    "expropriation before its block plan": (lambda: [expropriation("EB9", block_plan="BP1", approved_on="2023-09-30")],
                                            "ledger_projects.before_other", {"other": "BP1"}),
    "expropriation without parcels": (lambda: [rec("expropriation_batch", "EB9", batch_no="ZS-9",
                                                   approved_on="2024-01-01", authority="province")],
                                      "ledger_projects.expropriation_without_parcels", {"record": "EB9"}),
    "resettlement of a missing batch": (lambda: [resettlement("RP9", batch="EB404")], "ledger.unknown_link",
                                        {"field": "batch"}),
    "fewer persons than households": (lambda: [resettlement("RP9", persons=9)],
                                      "ledger_projects.persons_below_households", {"persons": 9}),
    "households not whole": (lambda: [resettlement("RP9", households=2.5)], "ledger.not_an_integer", {}),
    "progress beyond the plan": (lambda: [settled("RS9", "RP1", "2024-04-01", 11, 500)],
                                 "ledger_projects.exceeds_plan", {"field": "households_signed", "total": 10}),
    "payment beyond the plan": (lambda: [settled("RS9", "RP1", "2024-04-01", 6, 1000.01)],
                                "ledger_projects.exceeds_plan", {"field": "compensation_paid_wan"}),
    "progress before announcement": (lambda: [settled("RS9", "RP1", "2024-01-31", 0, 0)],
                                     "ledger_projects.before_other", {"other_field": "announced_on"}),
    "signed households decreasing": (lambda: [settled("RS9", "RP1", "2024-05-01", 4, 500)],
                                     "ledger_projects.decreasing", {"field": "households_signed"}),
    "earlier snapshot above a later one": (lambda: [settled("RS9", "RP1", "2024-02-15", 6, 100)],
                                           "ledger_projects.decreasing", {"record": "RS9", "other": "RS1"}),
    "progress of a missing plan": (lambda: [settled("RS9", "RP404", "2024-05-01", 1, 1)], "ledger.unknown_link",
                                   {"field": "plan"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_is_refused_with_a_precise_message_and_nothing_written(store: Store, name: str) -> None:
    build, key, params = CASES[name]
    add_records(store, _base())
    before = {k: [r.id for r in read_records(store, k)] for k in PROJECT_KINDS}
    with pytest.raises((InputError, GeometryError)) as err:
        # A good record of another kind rides along: it must not be written either.
        add_records(store, [*build(), sea("S-ok", square(0, -7000), approval_no="OK")])
    assert err.value.key == key
    for field, value in params.items():
        assert err.value.params[field] == value, (field, err.value.params)
    for language in ("zh", "en"):
        text = err.value.message_in(language)
        assert "{" not in text and text
    assert {k: [r.id for r in read_records(store, k)] for k in PROJECT_KINDS} == before

