"""The project figures on a small hand-built ledger with known answers, on both stores.

Period: 2024-01-01 … 2024-12-31. Every square is drawn in the metric zone, so its area is known:
100 m × 100 m = 10 000 m² = 15 mu.
"""

from __future__ import annotations

import pytest

from guotu.core.errors import InputError
from guotu.core.messages import set_language
from guotu.ledger.figures import FIGURES, figures_for
from guotu.ledger.figures_projects import project_figures, project_figures_in
from guotu.ledger.kinds.projects import LANDFLOW_BATCH
from guotu.ledger.model import Figure, Record
from guotu.ledger.repository import add_records
from guotu.store import Store
from ledger.projects_support import (
    TOWN_A,
    TOWN_B,
    D,
    acceptance,
    block_plan,
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

START, END = D(2024, 1, 1), D(2024, 12, 31)


def _redev(rid: str, completed: str | None, x: float) -> Record:
    return rec("redevelopment", rid, square(x, -2000), case_no=f"DX-{rid}", name=rid, category="industrial",
               town_code=TOWN_A, started_on="2023-01-01", completed_on=completed)


def _ledger() -> list[Record]:
    return [
        # Sea use: S1 and S3 in the period (S3 on its last day, without a town), S2 the day before it.
        sea("S1", square(0, -5000)),
        sea("S2", rect(200, -5000, 200, 100), approved_on="2023-12-31", valid_from="2024-01-01",
            valid_to="2073-12-31"),
        sea("S3", rect(500, -5000, 100, 50), approved_on="2024-12-31", valid_from="2025-01-01", valid_to="2034-12-31",
            term_years=10, use_code="ydyh-2023:1802", town_code=None),
        # Redevelopment: only R1 completed in the period.
        _redev("R1", "2024-06-30", 0), _redev("R2", None, 200), _redev("R3", "2025-01-01", 400),
        # Consolidation: P1 (2023, 300 m square, 135 mu), P2 (contiguity, 2024, 60 mu), P3 (town B, 2024, 15 mu).
        project("P1", square(0, 1000, 300), planned_investment_wan=1000),
        project("P2", square(1000, 1000, 200), category="farmland_contiguity", approved_on="2024-02-01",
                planned_investment_wan=500),
        project("P3", square(2000, 1000), town_code=TOWN_B, approved_on="2024-07-01", planned_investment_wan=100),
        subproject("SP1", rect(0, 1000, 100, 300)),  # 45 mu of P1
        subproject("SP2"),
        acceptance("A1", "SP1", "2023-11-01"),  # 45 mu, before the period
        acceptance("A2", "P1", "2024-05-01"),  # all of P1: 90 mu new
        acceptance("A3", "P1", "2024-09-01", level="province"),  # again: nothing new
        acceptance("A4", "P2", "2024-10-01", rect(1000, 1000, 200, 100)),  # half of P2: 30 mu
        acceptance("A5", "P3", "2024-11-01", result="failed"),
        acceptance("A6", "P2", "2025-01-05", level="city"),  # after the period
        invested("E1", "P1", "2023-12-31", 300), invested("E2", "P1", "2024-06-30", 600),
        invested("E3", "P1", "2025-01-31", 900), invested("E4", "P2", "2024-12-31", 100),
        # Reclamation: K1 approved and completed in 2024, K2 completed on the last day; K3, K4 accepted in 2024.
        reclamation("K1", square(3000, 0), completed_on="2024-08-01"),
        reclamation("K2", rect(3200, 0, 50, 100), town_code=TOWN_B, approved_on="2023-06-01", completed_on="2024-12-31",
                    accepted_on="2025-01-10"),
        reclamation("K3", rect(3400, 0, 100, 200), category="new_farmland", approved_on="2023-01-01",
                    completed_on="2023-12-01", accepted_on="2024-01-01"),
        reclamation("K4", square(3600, 0), category="farmland_restoration", approved_on="2024-02-01",
                    completed_on="2024-05-01", accepted_on="2024-06-01", quality_grade=5),
        reclamation("K5", square(3800, 0), category="new_farmland", completed_on="2024-11-01",
                    accepted_on="2025-02-01"),
        # Expropriation: BP1 (2023, 45 %), BP2 (2024, 35 %); EB1, EB2 in 2024, EB3 in 2023.
        block_plan("BP1", square(5000, 0, 500)),
        block_plan("BP2", square(6000, 0), approved_on="2024-04-01", public_interest_percent=35),
        expropriation("EB1", square(5000, 0), block_plan="BP1"),
        expropriation("EB2", rect(5200, 0, 100, 100), approved_on="2024-08-01", authority="state_council",
                      town_code=TOWN_B),
        expropriation("EB3", square(5400, 0), approved_on="2023-01-01"),
        resettlement("RP1", batch="EB1", households=10, compensation_wan=1000),
        resettlement("RP2", batch="EB2", announced_on="2024-07-01", households=30, persons=90, compensation_wan=3000),
        resettlement("RP3", batch="EB3", announced_on="2025-01-01", households=5, compensation_wan=100),
        settled("RS1", "RP1", "2024-03-01", 5, 400), settled("RS2", "RP1", "2024-12-01", 8, 900),
        settled("RS3", "RP1", "2025-01-15", 10, 1000), settled("RS4", "RP2", "2024-09-01", 12, 600),
    ]


def _by_id(figures: list[Figure]) -> dict[str, Figure]:
    return {f.id: f for f in figures}


EXPECTED: dict[str, tuple[float | int, str, tuple[str, ...]]] = {
    "sea_use.approved.count": (2, "宗", ("S1", "S3")),
    "sea_use.approved.area": (22.5, "亩", ("S1", "S3")),
    "redevelopment.completed.count": (1, "个", ("R1",)),
    "redevelopment.completed.area": (15.0, "亩", ("R1",)),
    "consolidation.approved.count": (2, "个", ("P2", "P3")),
    "consolidation.approved.area": (75.0, "亩", ("P2", "P3")),
    "consolidation.approved.investment": (600.0, "万元", ("P2", "P3")),
    "consolidation.accepted.count": (2, "个", ("P1", "P2")),
    "consolidation.accepted.area": (120.0, "亩", ("A2", "A3", "A4")),
    "consolidation.contiguous.area": (30.0, "亩", ("A4",)),
    "consolidation.investment": (400.0, "万元", ("E2", "E4")),
    "reclamation.approved.count": (1, "个", ("K1",)),
    "reclamation.approved.area": (15.0, "亩", ("K1",)),
    "reclamation.completed.count": (2, "个", ("K1", "K2")),
    "reclamation.completed.area": (22.5, "亩", ("K1", "K2")),
    "new_farmland.accepted.area": (45.0, "亩", ("K3", "K4")),
    "expropriation.batches": (2, "个", ("EB1", "EB2")),
    "expropriation.area": (30.0, "亩", ("EB1", "EB2")),
    "block_plan.approved.count": (1, "个", ("BP2",)),
    "block_plan.approved.area": (15.0, "亩", ("BP2",)),
    "resettlement.signed": (50.0, "%", ("RP1", "RP2")),  # (8 + 12) / (10 + 30)
    "resettlement.paid": (37.5, "%", ("RP1", "RP2")),  # (900 + 600) / (1000 + 3000)
}


def test_every_figure_on_the_hand_built_ledger(store: Store) -> None:
    add_records(store, _ledger())
    figures = _by_id(project_figures(store, START, END))
    assert set(figures) == set(EXPECTED)
    for fid, (value, unit, records) in EXPECTED.items():
        f = figures[fid]
        assert (f.value, f.unit, tuple(sorted(f.records))) == (value, unit, records), fid
        assert isinstance(f.value, int) == (unit in ("宗", "个")), fid
        assert f.label and f.definition and "{" not in f.definition
    assert dict(figures["sea_use.approved.area"].breakdown) == {"18 渔业用海": 7.5, "20 交通运输用海": 15.0}
    assert dict(figures["consolidation.accepted.area"].breakdown) == {"土地综合整治": 90.0,
                                                                     "永久基本农田集中连片整治": 30.0}
    assert dict(figures["consolidation.investment"].breakdown) == {"土地综合整治": 300.0,
                                                                  "永久基本农田集中连片整治": 100.0}
    assert dict(figures["new_farmland.accepted.area"].breakdown) == {"垦造耕地": 30.0, "耕地恢复": 15.0}
    assert dict(figures["expropriation.area"].breakdown) == {"国务院": 15.0, "省级人民政府": 15.0}
    assert dict(figures["block_plan.approved.area"].breakdown) == {"公益性用地比例低于40%": 15.0}
    assert dict(figures["resettlement.signed"].breakdown) == {"累计签约户数": 20, "涉及户数": 40}


def test_figures_for_one_town(store: Store) -> None:
    add_records(store, _ledger())
    figures = _by_id(project_figures(store, START, END, town=TOWN_A))
    got = {fid: figures[fid].value for fid in (
        "sea_use.approved.count", "consolidation.approved.count", "consolidation.approved.investment",
        "consolidation.accepted.count", "consolidation.accepted.area", "consolidation.investment",
        "reclamation.completed.count", "expropriation.area", "resettlement.signed", "resettlement.paid")}
    assert got == {
        "sea_use.approved.count": 1,  # S3 has no town code
        "consolidation.approved.count": 1, "consolidation.approved.investment": 500.0,
        "consolidation.accepted.count": 2, "consolidation.accepted.area": 120.0, "consolidation.investment": 400.0,
        "reclamation.completed.count": 1,  # K2 is in town B
        "expropriation.area": 15.0,
        "resettlement.signed": 80.0, "resettlement.paid": 90.0,  # RP1 only, through batch EB1
    }
    assert "330482101" in figures["sea_use.approved.count"].definition
    b = _by_id(project_figures(store, START, END, town=TOWN_B))
    assert (b["consolidation.approved.count"].value, b["consolidation.accepted.count"].value) == (1, 0)


def test_earlier_and_later_periods(store: Store) -> None:
    add_records(store, _ledger())
    y2023 = _by_id(project_figures(store, D(2023, 1, 1), D(2023, 12, 31)))
    assert y2023["consolidation.accepted.area"].value == 45.0  # A1: SP1
    assert y2023["consolidation.accepted.count"].value == 0  # a sub-project only
    assert y2023["consolidation.investment"].value == 300.0
    y2025 = _by_id(project_figures(store, D(2025, 1, 1), D(2025, 12, 31)))
    assert y2025["consolidation.accepted.area"].value == 30.0  # A6: all of P2, of which A4 counted half
    assert y2025["consolidation.accepted.count"].value == 0  # P2 was accepted in 2024
    assert y2025["new_farmland.accepted.area"].value == 15.0  # K5
    assert y2025["resettlement.signed"].value == 48.89  # (10 + 12 + 0) / (10 + 30 + 5): RP3 announced
    one_day = _by_id(project_figures(store, D(2024, 12, 31), D(2024, 12, 31)))
    assert one_day["sea_use.approved.count"].value == 1  # S3 approved on the day
    assert one_day["reclamation.completed.count"].value == 1  # K2


def test_an_empty_ledger_gives_zero_everywhere(store: Store) -> None:
    figures = project_figures(store, START, END)
    assert figures and all(f.value == 0 and f.records == () for f in figures)


def test_a_bad_period_is_refused(store: Store) -> None:
    with pytest.raises(InputError) as err:
        project_figures(store, END, START)
    assert err.value.key == "ledger_projects.bad_period"


def test_labels_follow_the_language(store: Store) -> None:
    set_language("en")
    try:
        f = _by_id(project_figures(store, START, END))["new_farmland.accepted.area"]
        assert f.label == "new and restored farmland accepted"
    finally:
        set_language("zh")


def test_the_figures_are_registered_with_the_ledger_registry(store: Store) -> None:
    assert project_figures_in in FIGURES
    add_records(store, _ledger())
    everything = _by_id(figures_for(store, START, END))
    assert everything["new_farmland.accepted.area"].value == 45.0
    assert set(EXPECTED) <= set(everything)


@pytest.mark.skipif(LANDFLOW_BATCH is None, reason="the land-flow kinds declare no batch")
def test_an_expropriation_batch_without_geometry_takes_its_landflow_batch_parcels(store: Store) -> None:
    assert LANDFLOW_BATCH is not None
    batch = rec(LANDFLOW_BATCH, "B1", batch_no="浙土字〔2024〕1号", batch_type="conversion_and_expropriation",
                authority="浙江省人民政府", approved_on="2024-03-01")
    parcels = [rec("batch_parcel", f"BP-{i}", rect(7000 + 100 * i, 0, 100, 50), batch="B1", parcel_no=str(i),
                   town_code=TOWN_A) for i in range(2)]
    linked = rec("expropriation_batch", "EB9", None, batch_no="ZS-9", approved_on="2024-03-01", authority="province",
                 landflow_batch="B1", town_code=TOWN_A)
    add_records(store, [batch, *parcels, linked])
    f = _by_id(project_figures(store, START, END))
    assert (f["expropriation.batches"].value, f["expropriation.area"].value) == (1, 15.0)  # 2 × 5000 m²
