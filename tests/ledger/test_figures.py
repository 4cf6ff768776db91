"""Land-flow figures on the hand-built county (both stores), whose answers are known by construction."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from guotu.core.crs import CGCS2000
from guotu.core.errors import InputError
from guotu.core.features import FeatureBatch
from guotu.ledger import figures as registry
from guotu.ledger.figures import FigureParams, PeriodContext, compute_figures, figures_for, register_figures
from guotu.ledger.model import Figure
from guotu.store import Store
from ledger_county import D, rect

YEAR = (D(2024, 1, 1), D(2024, 12, 31))
UNITS = {"亩", "宗", "个", "万元", "%"}

# Every land-flow figure of 2024 for the whole county: (value, records).
EXPECTED_2024: dict[str, tuple[float | int, tuple[str, ...]]] = {
    "quota.received": (1200.0, ("Q2024", "QL2024")),
    "quota.allocated": (300.0, ("A2024",)),
    "quota.used": (300.0, ("A2024",)),
    "quota.balance": (1300.0, ("Q2023", "Q2024", "QL2024")),  # 1700 received − 400 allocated
    "approval.batches": (1, ("B2024",)),
    "approval.parcels": (2, ("P24a", "P24b")),
    "approval.area": (75.0, ("P24a", "P24b")),
    "approval.new_construction": (0.0, ()),  # no survey layer: nothing can be placed
    "supply.count": (3, ("S2024a", "S2024b", "S2024c")),
    "supply.area": (75.0, ("S2024a", "S2024b", "S2024c")),
    "supply.industrial.count": (1, ("S2024a",)),
    "supply.industrial.area": (15.0, ("S2024a",)),
    "supply.commercial.count": (1, ("S2024b",)),
    "supply.commercial.area": (30.0, ("S2024b",)),
    "supply.residential.count": (0, ()),
    "supply.residential.area": (0.0, ()),
    "supply.commercial_residential.count": (0, ()),
    "supply.commercial_residential.area": (0.0, ()),
    "supply.public.count": (0, ()),
    "supply.public.area": (0.0, ()),
    "supply.infrastructure.count": (1, ("S2024c",)),
    "supply.infrastructure.area": (30.0, ("S2024c",)),
    "supply.other.count": (0, ()),
    "supply.other.area": (0.0, ()),
    "supply.business.count": (1, ("S2024b",)),
    "supply.business.area": (30.0, ("S2024b",)),
    "supply.sale.count": (2, ("S2024a", "S2024b")),
    "supply.sale.area": (45.0, ("S2024a", "S2024b")),
    "supply.allocation.count": (1, ("S2024c",)),
    "supply.allocation.area": (30.0, ("S2024c",)),
    "supply.sale.price": (2300.0, ("S2024a", "S2024b")),
    "unsupplied.absorbed": (45.0, ("S2024a", "S2024b")),  # 15 on P15 (2015) + 30 on P23a (2023)
    "unsupplied.absorbed_stock": (45.0, ("S2024a", "S2024b")),  # default window 2009–2023
    "unsupplied.area": (60.0, ("P15", "P24a", "P24b")),  # 10 000 + 20 000 + 10 000 m²
    "supply.rate": (70.0, ("P20", "P23a", "P23b", "P24a", "P24b")),  # 2020–2024: 70 000 of 100 000 m²
    "completion.count": (1, ("S2022",)),
    "completion.area": (15.0, ("S2022",)),
    "idle.count": (1, ("S2023",)),  # idle from 2024-08-02; S2021 recovered on 2024-10-01
    "idle.area": (15.0, ("S2023",)),
    "idle.recovered.count": (1, ("S2021",)),
    "idle.recovered.area": (15.0, ("S2021",)),
    "idle.fee.count": (1, ("S2023",)),
    "idle.fee.amount": (120.0, ("S2023",)),
    "supervision.overdue": (1, ("S2024c",)),
    "supervision.due_soon": (1, ("S2024b",)),  # due 2025-03-01, 60 days after the period end
}


def by_id(figs: list[Figure]) -> dict[str, Figure]:
    return {f.id: f for f in figs}


def test_every_land_flow_figure_of_the_county_year(county: Store) -> None:
    figs = by_id(figures_for(county, *YEAR))
    for fid, (value, records) in EXPECTED_2024.items():
        f = figs[fid]
        assert (f.value, f.records) == (value, records), fid
        assert f.unit in UNITS and f.label and f.definition, fid
        assert type(f.value) is (int if f.unit in ("宗", "个") else float), fid


def test_figure_labels_definitions_and_breakdowns(county: Store) -> None:
    figs = by_id(figures_for(county, *YEAR))
    assert figs["quota.received"].label == "争取用地指标"
    assert "下达日期" in figs["quota.received"].definition
    assert dict(figs["quota.received"].breakdown) == {"省下达计划指标": 1000.0, "增减挂钩": 200.0}
    assert dict(figs["supply.area"].breakdown) == {"工业": 15.0, "商业服务业": 30.0, "交通和公用设施": 30.0}
    assert dict(figs["supply.count"].breakdown) == {"工业": 1, "商业服务业": 1, "交通和公用设施": 1}
    assert figs["supply.industrial.count"].label == "供应工业用地宗数"
    assert figs["supply.sale.count"].label == "出让供应宗数"
    assert figs["unsupplied.absorbed_stock"].label == "其中消化2009—2023年批而未供土地"
    assert dict(figs["unsupplied.area"].breakdown) == {"2015": 15.0, "2020": 0.0, "2023": 0.0, "2024": 45.0}
    assert figs["supply.rate"].label == "供地率（2020—2024年批准）"
    assert dict(figs["idle.area"].breakdown) == {"征缴土地闲置费": 15.0}
    assert "90" in figs["supervision.due_soon"].definition
    doc = figs["supply.area"].as_dict()
    assert list(doc)[:6] == ["id", "label", "value", "unit", "definition", "records"]


def test_figures_of_one_town(county: Store) -> None:
    figs = by_id(figures_for(county, *YEAR, town="330482101"))
    got = {k: figs[k].value for k in ("quota.received", "quota.balance", "supply.count", "supply.area",
                                     "approval.batches", "approval.parcels", "approval.area", "unsupplied.area",
                                     "idle.count", "supervision.overdue", "unsupplied.absorbed")}
    assert got == {"quota.received": 1000.0, "quota.balance": 1100.0, "supply.count": 2, "supply.area": 45.0,
                   "approval.batches": 1, "approval.parcels": 1, "approval.area": 15.0, "unsupplied.area": 30.0,
                   "idle.count": 1, "supervision.overdue": 0, "unsupplied.absorbed": 45.0}
    assert figs["approval.parcels"].records == ("P24b",)
    assert "330482101" in figs["supply.count"].definition


def test_the_period_includes_both_of_its_days(county: Store) -> None:
    one_day = by_id(figures_for(county, D(2024, 3, 15), D(2024, 3, 15)))
    assert one_day["supply.count"].records == ("S2024a",)
    after = by_id(figures_for(county, D(2024, 3, 16), D(2024, 12, 31)))
    assert after["supply.count"].records == ("S2024b", "S2024c")
    # Idle land is judged on the period end: on 2024-08-01 (exactly one year after S2023's agreed start)
    # only S2021 is idle (recovered on 2024-10-01); S2023 is idle from the next day.
    assert by_id(figures_for(county, D(2024, 1, 1), D(2024, 8, 1)))["idle.count"].records == ("S2021",)
    assert by_id(figures_for(county, D(2024, 1, 1), D(2024, 8, 2)))["idle.count"].records == ("S2021", "S2023")


def test_the_earlier_stock_window_is_a_parameter(county: Store) -> None:
    params = FigureParams(stock_from_year=2009, stock_to_year=2022)
    f = by_id(figures_for(county, *YEAR, params=params))["unsupplied.absorbed_stock"]
    assert (f.value, f.records, f.label) == (15.0, ("S2024a",), "其中消化2009—2022年批而未供土地")
    rate = by_id(figures_for(county, *YEAR, params=FigureParams(supply_rate_years=1)))["supply.rate"]
    assert (rate.value, rate.records) == (40.0, ("P24a", "P24b"))  # 20 000 of 50 000 m²


def test_a_bad_period_or_window_is_refused(county: Store) -> None:
    with pytest.raises(InputError) as info:
        figures_for(county, D(2024, 12, 31), D(2024, 1, 1))
    assert info.value.key == "ledger.bad_period"
    with pytest.raises(InputError) as info:
        figures_for(county, *YEAR, params=FigureParams(stock_from_year=2024, stock_to_year=2023))
    assert info.value.key == "ledger.bad_stock_window"


def test_new_construction_land_comes_from_the_survey(county: Store) -> None:
    patches = [rect(700, 0, 200, 100), rect(700, 100, 200, 100), rect(690, 290, 120, 120)]
    with county.transaction("test") as tx:
        tx.create_layer("survey", "MULTIPOLYGON", {"land_class": "TEXT", "land_class_edition": "TEXT"})
        tx.write("survey", FeatureBatch(np.array(patches, dtype=object),
                                        {"land_class": ["0101", "0701", "1206"],
                                         "land_class_edition": ["gbt21010-2017"] * 3},
                                        {"land_class": "TEXT", "land_class_edition": "TEXT"}, CGCS2000))
    f = by_id(figures_for(county, *YEAR))["approval.new_construction"]
    # P24a: 20 000 m² on farmland, 20 000 on construction land; P24b: 10 000 on unused land.
    assert (f.value, f.records) == (45.0, ("P24a", "P24b"))
    assert dict(f.breakdown) == {"耕地": 30.0, "其他农用地": 0.0, "未利用地": 15.0}


@pytest.fixture
def extra_figures() -> Iterator[list[registry.FigureFunction]]:
    added: list[registry.FigureFunction] = []
    yield added
    for fn in added:
        registry.FIGURES.remove(fn)


def test_families_plug_their_figures_into_the_registry(county: Store,
                                                       extra_figures: list[registry.FigureFunction]) -> None:
    def trees(ctx: PeriodContext) -> list[Figure]:
        n = len(ctx.records("supply"))  # the context reads any kind, once
        return [Figure("test.trees", "古树", n, "株", f"{ctx.start}至{ctx.end}", ())]

    extra_figures.append(register_figures(trees))
    register_figures(trees)  # registering twice keeps one
    figs = compute_figures(PeriodContext(county, *YEAR))
    assert [f.value for f in figs if f.id == "test.trees"] == [7]

    def clash(ctx: PeriodContext) -> list[Figure]:
        return [Figure("supply.count", "重复", 0, "宗", "", ())]

    extra_figures.append(register_figures(clash))
    with pytest.raises(RuntimeError, match=r"supply\.count"):
        compute_figures(PeriodContext(county, *YEAR))


def test_memo_builds_once(county: Store) -> None:
    ctx = PeriodContext(county, *YEAR)
    calls: list[int] = []
    assert ctx.memo("x", lambda: calls.append(1) or 5) == 5
    assert ctx.memo("x", lambda: calls.append(1) or 6) == 5
    assert calls == [1]
    assert ctx.flow is ctx.flow
