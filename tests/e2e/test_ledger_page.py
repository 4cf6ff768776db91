"""The ledger page (用地"一本账", ledger.html) in Chromium against the real app: the demo county with the
hand-built ledger of ``tests/ledger_county.py``.

Assertions are on what the page renders (the text on screen, the map's drawn features through
`window.ledgerMap`) and compare it with the API's answers. Statuses are asked for 2024-12-31 (the page's
状态日期), so the answers do not depend on the day the tests run.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"
ON = "2024-12-31"

MAP_SETTLED = """() => {
  const m = window.ledgerMap;
  return !!m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
}"""


def open_ledger(page: Page, server: Any, hash_: str = "") -> None:
    page.goto(f"{server.url}/ledger.html#{hash_}")
    page.wait_for_selector("body[data-ready=true]")


def settle(page: Page) -> None:
    page.wait_for_function(MAP_SETTLED)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_function(MAP_SETTLED)


def drawn(page: Page, layer: str) -> list[dict[str, Any]]:
    """The properties of the features drawn in a style layer, over the whole view."""
    return page.evaluate("(id) => ledgerMap.queryRenderedFeatures({layers: [id]}).map(f => f.properties)", layer)


def row_ids(page: Page) -> list[str]:
    return page.locator("#records-table tbody tr[data-id]").evaluate_all("rows => rows.map(r => r.dataset.id)")


def api(page: Page, server: Any, path: str, **params: Any) -> Any:
    r = page.request.get(f"{server.url}{path}", params=params)
    assert r.ok, r.text()
    return r.json()


def no_errors(page: Page) -> None:
    assert page.errors == []  # type: ignore[attr-defined]


def test_table_loads_and_filters(page: Page, ledger_server: Any) -> None:
    open_ledger(page, ledger_server, f"records?kind=supply&date={ON}")
    expect(page).to_have_title("用地“一本账”")
    table = page.locator("#records-table")
    expect(table.locator("tbody tr[data-id]")).to_have_count(7)
    expect(table.locator("thead")).to_contain_text("出让合同或划拨决定书编号")
    expect(table.locator("tr[data-id=S2024c]")).to_contain_text("划拨")  # choice labels, not stored values
    expect(table.locator("tr[data-id=S2024c]")).to_contain_text("新埭镇")  # the town's name from the towns layer
    expect(table.locator("tr[data-id=S2024c] td.states")).to_contain_text("逾期未竣工")
    expect(page.locator("#records-info")).to_contain_text("共 7 条")

    # kind-specific status: idle land on the day
    page.get_by_label("状态", exact=True).select_option(label="闲置土地")
    page.get_by_role("button", name="查询").click()
    expect(table.locator("tbody tr[data-id]")).to_have_count(1)
    assert row_ids(page) == ["S2023"]
    expect(table.locator("tr[data-id=S2023] td.states")).to_contain_text("闲置土地")

    # town and period (the signing date), as the API filters them
    page.get_by_role("button", name="重置").click()
    expect(table.locator("tbody tr[data-id]")).to_have_count(7)
    page.get_by_label("乡镇", exact=True).select_option("330482101")
    page.get_by_label("起始日期", exact=True).fill("2024-01-01")
    page.get_by_label("截止日期", exact=True).fill("2024-12-31")
    page.get_by_role("button", name="查询").click()
    expected = api(page, ledger_server, "/api/ledger/records", kind="supply", town="330482101",
                   **{"from": "2024-01-01"}, to="2024-12-31", date=ON)
    assert [r["id"] for r in expected["records"]] == ["S2024a", "S2024b"]
    expect(table.locator("tbody tr[data-id]")).to_have_count(2)
    assert row_ids(page) == ["S2024a", "S2024b"]

    # another kind: approved but unsupplied parcels, with the unsupplied area the server computed
    page.get_by_label("台账类型").select_option(label="批次宗地")
    expect(table.locator("thead")).to_contain_text("宗地编号")
    expect(page.locator("#records-info")).to_contain_text("批次宗地：共 1 条")  # the town and period are kept: P24b
    page.get_by_role("button", name="重置").click()
    expect(page.locator("#records-info")).to_contain_text("批次宗地：共 6 条")
    page.get_by_label("状态", exact=True).select_option(label="批而未供")
    page.get_by_role("button", name="查询").click()
    expect(table.locator("tbody tr[data-id]")).to_have_count(3)
    assert row_ids(page) == ["P15", "P24a", "P24b"]
    expect(table.locator("tr[data-id=P24a] td.states")).to_contain_text("批而未供 30.0000 亩")
    no_errors(page)


def test_a_row_shows_its_parcels_on_the_map(page: Page, ledger_server: Any) -> None:
    open_ledger(page, ledger_server, f"records?kind=batch&date={ON}")
    row = page.locator("#records-table tr[data-id=B2023]")
    expect(row).to_be_visible()
    row.click()
    page.wait_for_selector("#map[data-selection='batch:B2023']")
    settle(page)
    land = drawn(page, "ledger-land-fill")
    assert {(p["role"], p["record"]) for p in land} == {
        ("parcel", "P23a"), ("parcel", "P23b"), ("supply", "S2023"), ("supply", "S2024b")}
    detail = page.locator("#record-detail")
    expect(detail).to_contain_text("农转用征收批次 B2023")
    expect(detail).to_contain_text("45.0000 亩")
    # a supply row: the supply and the parcel it lies on
    page.get_by_label("台账类型").select_option(label="土地供应")
    page.locator("#records-table tr[data-id=S2024a]").click()
    page.wait_for_selector("#map[data-selection='supply:S2024a']")
    settle(page)
    assert {(p["role"], p["record"]) for p in drawn(page, "ledger-land-fill")} == {
        ("supply", "S2024a"), ("parcel", "P15")}
    no_errors(page)


def test_figures_panel_shows_the_apis_figures(page: Page, ledger_server: Any) -> None:
    open_ledger(page, ledger_server, f"figures?date={ON}")
    page.get_by_label("统计起始日期").fill("2024-01-01")
    page.get_by_label("统计截止日期").fill("2024-12-31")
    page.get_by_role("button", name="统计", exact=True).click()
    figures = {f["id"]: f for f in api(page, ledger_server, "/api/ledger/figures", **{"from": "2024-01-01"},
                                       to="2024-12-31")}
    row = page.locator("#figures-result tr[data-figure='supply.area']")
    expect(row).to_contain_text(figures["supply.area"]["label"])
    expect(row).to_contain_text(figures["supply.area"]["definition"])  # the definition is on screen
    assert float(row.locator("td.value").inner_text()) == figures["supply.area"]["value"] == 75.0
    idle = page.locator("#figures-result tr[data-figure='idle.count']")
    assert float(idle.locator("td.value").inner_text()) == figures["idle.count"]["value"]
    expect(page.locator("#figures-result section[data-family=quota] h3")).to_have_text("用地指标")

    # the figure's records: a link to the table of exactly those records
    row.get_by_role("link").click()
    expect(page.locator("#records-banner")).to_contain_text("供应国有建设用地面积")
    expect(page.locator("#records-table tbody tr[data-id]")).to_have_count(3)
    assert row_ids(page) == figures["supply.area"]["records"]

    # the year's workbook
    page.get_by_role("tab", name="统计指标").click()
    page.get_by_label("导出年度").fill("2024")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="下载 Excel 台账").click()
    download = download_info.value
    assert download.suggested_filename == "ledger-2024.xlsx"
    path = download.path()
    assert path is not None
    book = openpyxl.load_workbook(io.BytesIO(Path(path).read_bytes()))
    assert book.sheetnames[0] == "统计指标" and "土地供应" in book.sheetnames
    no_errors(page)


def test_history_shows_a_supplys_events_in_date_order(page: Page, ledger_server: Any) -> None:
    open_ledger(page, ledger_server, f"history?date={ON}")
    page.get_by_label("宗地或供地编号").fill("S2021")
    page.get_by_role("button", name="查看档案").click()
    timeline = page.locator("#history-timeline li")
    doc = api(page, ledger_server, "/api/ledger/parcels/S2021/history", date=ON)
    expect(timeline).to_have_count(len(doc["entries"]))
    shown = timeline.evaluate_all("items => items.map(li => [li.dataset.date, li.dataset.type, li.dataset.record])")
    assert shown == [[e["date"], e["type"], e["record"]] for e in doc["entries"]]
    dates = [d for d, _, _ in shown]
    assert dates == sorted(dates)
    texts = timeline.all_inner_texts()
    assert "批次批准" in texts[0] and "供地签约" in texts[1]
    assert any("征缴土地闲置费" in t for t in texts) and "无偿收回" in texts[-1]
    expect(page.locator("#history-timeline li[data-type=idle]")).to_contain_text("按规则推算")
    expect(page.locator("#history-title")).to_contain_text("S2021")
    # the land of the history on the map: its parcel and the supplies on it
    page.wait_for_selector("#map[data-selection='history:S2021']")
    settle(page)
    assert {p["record"] for p in drawn(page, "ledger-land-fill")} == {"P20", "S2021", "S2022"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ledger.png"))
    # from a table row to the history
    open_ledger(page, ledger_server, f"records?kind=progress&date={ON}")
    page.locator("#records-table tr[data-id=E4]").click()
    page.get_by_role("button", name="查看宗地档案").click()
    expect(page.locator("#history-title")).to_contain_text("S2022")
    no_errors(page)


def test_reconcile_view_and_the_one_map_link(page: Page, ledger_server: Any) -> None:
    open_ledger(page, ledger_server, f"reconcile?date={ON}")
    doc = api(page, ledger_server, "/api/ledger/reconcile", date=ON)
    expect(page.locator("#reconcile-table tbody tr")).to_have_count(len(doc["batches"]))
    expect(page.locator("#reconcile-totals")).to_contain_text(f"{doc['totals']['approved_mu']:.4f} 亩")
    page.get_by_role("link", name="国土空间“一张图”").click()
    page.wait_for_selector("body[data-ready=true]")
    expect(page).to_have_title("国土空间“一张图”")
    no_errors(page)


def test_one_map_groups_ledger_layers_and_leaves_out_those_without_geometry(page: Page, ledger_server: Any) -> None:
    page.goto(f"{ledger_server.url}/")
    page.wait_for_selector("body[data-ready=true]")
    group = page.locator("#layer-tree details[data-group=ledger]")
    expect(group).to_have_count(1)
    assert group.get_attribute("open") is None  # collapsed: the ledger has its own page
    layers = group.locator("input[type=checkbox]")
    names = {layers.nth(i).get_attribute("data-layer") for i in range(layers.count())}
    assert {"ledger_supply", "ledger_batch_parcel"} <= names
    assert "ledger_quota" not in names  # quotas have no geometry: nothing to draw
    assert not any(layers.nth(i).is_checked() for i in range(layers.count()))  # hidden until asked for
    expect(page.locator("#layer-tree details[data-group=other] [data-layer^=ledger_]")).to_have_count(0)
