"""The xlsx export, reopened with openpyxl and checked (both stores)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from guotu.ledger import service
from guotu.ledger.repository import add_records
from guotu.store import Store
from ledger_county import D, rec


def rows_of(ws: openpyxl.worksheet.worksheet.Worksheet) -> list[list[object]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_the_year_exported_to_xlsx(county: Store, tmp_path: Path) -> None:
    add_records(county, [rec("quota", "Q2025", source="reward", year=2025, amount_mu=50, received_on=D(2025, 1, 2))])
    out = tmp_path / "ledger-2024.xlsx"
    n_figures, n_sheets = service.export_year(county, 2024, out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames[:8] == ["统计指标", "用地指标", "指标分配", "农转用征收批次", "批次宗地", "土地供应",
                                   "开发利用进展", "闲置土地处置"]
    assert n_sheets == len(book.sheetnames) - 1 == 7

    figures = book["统计指标"]
    table = rows_of(figures)
    assert table[0] == ["指标编号", "指标", "数值", "单位", "口径", "分项", "依据记录"]
    assert len(table) == n_figures + 1
    row = {r[0]: r for r in table[1:]}
    assert row["supply.area"][1:4] == ["供应国有建设用地面积", 75, "亩"]
    assert row["supply.area"][6] == "S2024a、S2024b、S2024c"
    assert row["quota.received"][2] == 1200  # the 2025 quota is not in the year's figures
    assert "省下达计划指标 1000.0" in str(row["quota.received"][5])
    assert figures.freeze_panes == "A2"
    assert figures.column_dimensions["E"].width > 20  # definitions are wide

    quotas = rows_of(book["用地指标"])
    assert [r[0] for r in quotas[1:]] == ["Q2023", "Q2024", "QL2024"]  # records dated after the year are left out
    assert quotas[0][:3] == ["记录编号", "指标来源", "指标年度"]
    assert quotas[1][1] == "省下达计划指标"  # choices shown by their labels

    supplies = book["土地供应"]
    head = rows_of(supplies)[0]
    for title in ("记录编号", "出让合同或划拨决定书编号", "供应方式", "签订日期", "面积（平方米）", "面积（亩）",
                  "闲置状态（2024-12-31）", "应处置方式", "履约状态（2024-12-31）"):
        assert title in head, title
    col = {title: j + 1 for j, title in enumerate(head)}
    by_id = {supplies.cell(row=i, column=1).value: i for i in range(2, supplies.max_row + 1)}
    s23 = by_id["S2023"]
    assert supplies.cell(row=s23, column=col["供应方式"]).value == "出让"
    assert supplies.cell(row=s23, column=col["闲置状态（2024-12-31）"]).value == "闲置土地"
    assert supplies.cell(row=s23, column=col["应处置方式"]).value == "征缴土地闲置费"
    signed = supplies.cell(row=s23, column=col["签订日期"])
    assert signed.value == dt.datetime(2023, 6, 1) and signed.number_format == "yyyy-mm-dd"
    s24b = by_id["S2024b"]
    assert supplies.cell(row=s24b, column=col["面积（平方米）"]).value == 20000
    area_mu = supplies.cell(row=s24b, column=col["面积（亩）"])
    assert area_mu.value == 30 and area_mu.number_format == "0.0000"
    assert supplies.cell(row=s24b, column=col["履约状态（2024-12-31）"]).value == "即将到期"
    assert supplies.freeze_panes == "A2"

    parcels = rows_of(book["批次宗地"])
    assert parcels[0][:6] == ["记录编号", "批次记录编号", "宗地编号", "乡镇（街道）代码", "批准日期", "面积（平方米）"]
    assert "耕地（亩）" in parcels[0]
    p15 = next(r for r in parcels if r[0] == "P15")
    assert p15[4] == dt.datetime(2015, 6, 1) and p15[5] == 30000 and p15[6] == 45

    batches = rows_of(book["农转用征收批次"])
    b2023 = next(r for r in batches if r[0] == "B2023")
    assert "农用地转用" in b2023 and 30000 in b2023  # the batch's area: the sum of its parcels
