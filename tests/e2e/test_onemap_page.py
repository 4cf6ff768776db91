"""The one-map page (国土空间"一张图") in Chromium against the real app and a small demo county.

Assertions are on what the page renders: the map's state (`window.guotuMap`: layout properties and
`queryRenderedFeatures`), the text on screen (Playwright locators), and the figures the server sent.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

ARTIFACTS = Path(__file__).resolve().parents[2] / "build" / "test-artifacts"

EDITION_A_LAST_DAY = "2024-06-27"
EDITION_B_FROM = "2024-06-28"

MAP_SETTLED = """() => {
  const m = window.guotuMap;
  return !!m && m.loaded() && m.areTilesLoaded() && !m.isMoving();
}"""


def open_map(page: Page, server: Any) -> None:
    page.goto(f"{server.url}/")
    page.wait_for_selector("body[data-ready=true]")
    settle(page)


def settle(page: Page) -> None:
    """Wait until the map has drawn every tile it needs (and two more frames)."""
    page.wait_for_function(MAP_SETTLED)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_function(MAP_SETTLED)


def rendered(page: Page, *layers: str) -> list[dict[str, Any]]:
    """The properties of the features drawn in the given style layers, over the whole view."""
    return page.evaluate(
        "(ids) => guotuMap.queryRenderedFeatures({layers: ids}).map(f => f.properties)", list(layers)
    )


def rendered_at(page: Page, lonlat: list[float], *layers: str) -> list[dict[str, Any]]:
    """The properties of the features drawn at one place."""
    return page.evaluate(
        "([p, ids]) => guotuMap.queryRenderedFeatures(guotuMap.project(p), {layers: ids}).map(f => f.properties)",
        [lonlat, list(layers)],
    )


def fit(page: Page, bounds: list[float], padding: int = 120) -> None:
    page.evaluate("([b, p]) => guotuMap.fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: p, duration: 0})",
                  [bounds, padding])
    settle(page)


def screen_xy(page: Page, lonlat: list[float]) -> tuple[float, float]:
    """Page coordinates of a place on the map."""
    box = page.locator("#map canvas").bounding_box()
    assert box is not None
    p = page.evaluate("(ll) => { const p = guotuMap.project(ll); return [p.x, p.y]; }", lonlat)
    return box["x"] + p[0], box["y"] + p[1]


def draw(page: Page, points: list[tuple[float, float]]) -> None:
    """Click the vertices on the map and double-click the last one (the page's drawing tool)."""
    for x, y in points[:-1]:
        page.mouse.click(x, y)
        page.wait_for_timeout(50)
    page.mouse.dblclick(*points[-1])


def last_measure(responses: list[Any], kind: str, points: int) -> Any:
    """The last /api/measure answer for the finished shape (not one sent while drawing)."""
    for response in reversed(responses):
        geometry = response.request.post_data_json["geometry"]
        coords = geometry["coordinates"][0] if kind == "Polygon" else geometry["coordinates"]
        if geometry["type"] == kind and len(coords) == points:
            return response
    raise AssertionError(f"no /api/measure request for a {kind} of {points} points")


def number(page: Page, selector: str) -> float:
    return float(page.locator(selector).inner_text().strip())


def no_errors(page: Page) -> None:
    assert page.errors == []  # type: ignore[attr-defined]


def test_page_loads_and_renders_county_tiles(page: Page, demo_server: Any) -> None:
    open_map(page, demo_server)
    expect(page).to_have_title("国土空间“一张图”")
    expect(page.get_by_role("heading", name="图层")).to_be_visible()
    for group in ("规划管控", "现状", "基础", "项目"):
        expect(page.locator("#layer-tree summary", has_text=group)).to_be_visible()
    survey = rendered(page, "survey-fill")
    assert len(survey) > 100
    assert {p["land_class"][:2] for p in survey} >= {"01", "11"}  # farmland and water at least
    assert rendered(page, "towns-line")
    assert rendered(page, "towns-label")  # town names drawn from local fonts, no glyph server
    assert page.evaluate("guotuMap.getStyle().glyphs") is None
    # plan editions are listed under the versioned layers, the one in force today marked
    dev_editions = page.locator("#layer-tree li.layer[data-layer=dev_boundary] li.edition")
    expect(dev_editions).to_have_count(2)
    expect(dev_editions.and_(page.locator(".in-force"))).to_contain_text("2021-2035")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "onemap.png"))
    no_errors(page)


def test_layer_toggle_hides_and_shows(page: Page, demo_server: Any) -> None:
    open_map(page, demo_server)
    box = page.locator("#layer-tree li.layer[data-layer=survey] input[type=checkbox]")
    expect(box).to_be_checked()
    box.uncheck()
    assert page.evaluate("guotuMap.getLayoutProperty('survey-fill', 'visibility')") == "none"
    settle(page)
    assert rendered(page, "survey-fill") == []
    box.check()
    assert page.evaluate("guotuMap.getLayoutProperty('survey-fill', 'visibility')") == "visible"
    settle(page)
    assert len(rendered(page, "survey-fill")) > 100
    # zones are off by default and come on when ticked
    zones = page.locator("#layer-tree li.layer[data-layer=zones] input[type=checkbox]")
    expect(zones).not_to_be_checked()
    assert rendered(page, "zones-fill") == []
    zones.check()
    settle(page)
    assert {p["zone_type"] for p in rendered(page, "zones-fill")} >= {"farmland_protection", "urban_development"}
    no_errors(page)


def test_date_slider_switches_dev_boundary_edition(page: Page, demo_server: Any) -> None:
    site = demo_server.sites["inside_edition_b_addition"]
    open_map(page, demo_server)
    fit(page, site["bounds"], padding=150)
    # choose edition B from the layer tree: the date becomes its first day
    tree = page.locator("#layer-tree li.layer[data-layer=dev_boundary]")
    tree.locator("li.edition", has_text="2021-2035").get_by_role("button").click()
    expect(page.locator("#date-input")).to_have_value(EDITION_B_FROM)
    page.wait_for_selector(f"#map[data-date='{EDITION_B_FROM}']")
    settle(page)
    in_b = rendered_at(page, site["point"], "dev_boundary-fill")
    assert in_b, "edition B's development boundary covers the site"
    # one day back on the slider: edition A, where the site lies outside the boundary
    slider = page.locator("#date-slider")
    slider.focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#date-input")).to_have_value(EDITION_A_LAST_DAY)
    page.wait_for_selector(f"#map[data-date='{EDITION_A_LAST_DAY}']")
    settle(page)
    assert rendered_at(page, site["point"], "dev_boundary-fill") == []
    expect(tree.locator("li.edition.in-force")).to_contain_text("三区三线")
    # and forward again
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_selector(f"#map[data-date='{EDITION_B_FROM}']")
    settle(page)
    assert rendered_at(page, site["point"], "dev_boundary-fill")
    no_errors(page)


def test_identify_shows_attributes(page: Page, demo_server: Any) -> None:
    site = demo_server.sites["inside_dev_boundary"]
    open_map(page, demo_server)
    fit(page, site["bounds"])
    page.mouse.click(*screen_xy(page, site["point"]))
    panel = page.locator("#identify-result")
    sites = panel.locator("section[data-layer=sites]")
    expect(sites).to_be_visible()
    expect(sites).to_contain_text(site["name"])
    expect(panel.locator("section[data-layer=survey]")).to_contain_text("地类编码")
    no_errors(page)


def test_attribute_table_pages_and_locates(page: Page, demo_server: Any) -> None:
    open_map(page, demo_server)
    page.locator("#layer-tree li.layer[data-layer=survey]").get_by_role("button", name="属性表").click()
    table = page.locator("#attr-table")
    expect(table.locator("tbody tr")).to_have_count(20)
    expect(table.locator("thead")).to_contain_text("地类名称")
    expect(page.locator("#table-page")).to_contain_text("第 1 /")
    first = table.locator("tbody tr").first.get_attribute("data-fid")
    page.get_by_role("button", name="下一页").click()
    expect(page.locator("#table-page")).to_contain_text("第 2 /")
    expect(table.locator("tbody tr").first).not_to_have_attribute("data-fid", first or "")
    zoom = page.evaluate("guotuMap.getZoom()")
    table.locator("tbody tr").nth(3).click()
    settle(page)
    assert page.evaluate("guotuMap.getZoom()") > zoom + 1
    no_errors(page)


def test_upload_site_file_shows_report_and_overlaps(page: Page, demo_server: Any) -> None:
    open_map(page, demo_server)
    page.get_by_role("tab", name="合规性审查").click()
    site_file = demo_server.files / "site_pf.txt"
    page.locator("#review-file").set_input_files(site_file)
    with page.expect_response(lambda r: "/api/compliance" in r.url and "format=json" in r.url) as answer:
        page.get_by_role("button", name="上传并审查").click()
    sent = answer.value.json()
    date = page.locator("#date-input").input_value()
    # the same file reviewed by the API directly gives the same report
    direct = page.request.post(
        f"{demo_server.url}/api/compliance?date={date}&format=json",
        multipart={"file": {"name": site_file.name, "mimeType": "text/plain", "buffer": site_file.read_bytes()}},
    )
    assert direct.ok
    api = direct.json()
    same = [k for k in api if k != "source"]
    assert {k: sent[k] for k in same} == {k: api[k] for k in same}
    assert sent["geometry"]["site"]["features"] and sent["geometry"]["overlaps"]["features"]

    expect(page.locator("#review-verdict")).to_have_text("冲突")
    assert number(page, "#review-site-mu") == api["site_area_mu"]
    assert number(page, "#review-site-area [data-unit=m2]") == api["site_area_m2"]
    pf = api["control_lines"]["permanent_farmland"]
    assert pf["area_m2"] > 0
    row = "#review-lines tr[data-layer=permanent_farmland]"
    assert number(page, f"{row} [data-unit=mu]") == pf["area_mu"]
    assert number(page, f"{row} [data-unit=m2]") == pf["area_m2"]
    assert number(page, f"{row} [data-unit=percent]") == pf["percent"]
    rule = page.locator("#review-rules li[data-rule='CL-PF-001']")
    expect(rule).to_contain_text("冲突")
    expect(rule).to_contain_text("土地管理法")
    farmland = [g for g in api["survey"] if g.get("category") == "farmland"]
    expect(page.locator("#review-survey tbody tr")).to_have_count(len(api["survey"]))
    assert farmland

    # the site outline and the overlap pieces (coloured by layer) are on the map
    settle(page)
    assert rendered(page, "review-site-line")
    layers = {p["layer"] for p in rendered(page, "review-overlaps-fill")}
    assert "permanent_farmland" in layers
    # the printable HTML report opens from its link
    link = page.locator("#review-html")
    expect(link).to_have_attribute("href", re.compile(r"^blob:"))
    with page.expect_popup() as popup_info:
        link.click()
    report = popup_info.value
    report.wait_for_load_state()
    assert str(api["site_area_mu"]) in report.locator("body").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "onemap-review.png"))
    no_errors(page)


def test_drawn_polygon_is_reviewed(page: Page, demo_server: Any) -> None:
    site = demo_server.sites["inside_dev_boundary"]
    open_map(page, demo_server)
    fit(page, site["bounds"], padding=200)
    page.get_by_role("tab", name="合规性审查").click()
    page.get_by_role("button", name="在地图上绘制").click()
    expect(page.locator("#map-hint")).to_be_visible()
    x, y = screen_xy(page, site["point"])
    with page.expect_response(lambda r: "/api/compliance" in r.url and "format=json" in r.url) as answer:
        draw(page, [(x - 40, y - 40), (x + 40, y - 40), (x + 40, y + 40), (x - 40, y + 40)])
    sent = answer.value.request.post_data_json
    assert sent["type"] == "Polygon" and len(sent["coordinates"][0]) == 5
    api = answer.value.json()
    assert api["site_area_m2"] > 0
    expect(page.locator("#review-verdict")).to_be_visible()
    assert number(page, "#review-site-mu") == api["site_area_mu"]
    settle(page)
    assert rendered(page, "review-site-line")
    no_errors(page)


def test_measure_area_and_distance_from_server(page: Page, demo_server: Any) -> None:
    open_map(page, demo_server)
    page.get_by_role("tab", name="测量").click()
    box = page.locator("#map canvas").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    measured: list[Any] = []
    page.on("response", lambda r: measured.append(r) if r.url.endswith("/api/measure") else None)

    page.get_by_role("button", name="测面积").click()
    draw(page, [(cx - 60, cy - 50), (cx + 70, cy - 40), (cx + 50, cy + 60), (cx - 40, cy + 45)])
    page.wait_for_selector("#measure-result[data-state=final]")
    final = last_measure(measured, "Polygon", 5)
    figures = final.json()
    assert figures["area_mu"] > 0
    assert number(page, "#measure-area-mu .num") == figures["area_mu"]
    assert number(page, "#measure-area-m2 .num") == figures["area_m2"]
    expect(page.locator("#measure-area-mu")).to_contain_text("亩")
    # the server's figure for the same polygon, asked directly
    geometry = final.request.post_data_json["geometry"]
    direct = page.request.post(f"{demo_server.url}/api/measure", data={"geometry": geometry})
    assert direct.json()["area_mu"] == figures["area_mu"]

    page.get_by_role("button", name="测距离").click()
    draw(page, [(cx - 100, cy), (cx + 100, cy + 20)])
    page.wait_for_selector("#measure-result[data-state=final] #measure-length")
    line = last_measure(measured, "LineString", 2).json()
    assert line["length_m"] > 0
    assert number(page, "#measure-length .num") == line["length_m"]
    no_errors(page)


def test_login_shows_name_and_role(page: Page, demo_server: Any) -> None:
    planner = demo_server.planner
    open_map(page, demo_server)
    user = page.locator("#user-name")
    expect(user).to_have_text("未登录")
    page.get_by_role("button", name="登录").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("用户名").fill(planner["username"])
    dialog.get_by_label("密码").fill("wrong-password")
    dialog.get_by_role("button", name="登录").click()
    expect(page.locator("#login-error")).not_to_be_empty()
    dialog.get_by_label("密码").fill(planner["password"])
    dialog.get_by_role("button", name="登录").click()
    expect(user).to_have_text(f"{planner['display_name']}（规划编辑）")
    page.get_by_role("button", name="退出").click()
    expect(user).to_have_text("未登录")
