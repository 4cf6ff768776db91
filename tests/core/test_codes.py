"""Tests of the land-classification code tables (guotu.core.codes and guotu/data/*.csv)."""

from __future__ import annotations

import csv
import dataclasses
import io
from importlib import resources

import pytest

from guotu.core.codes import (
    CATEGORIES,
    CSV_HEADER,
    EDITION_TITLES,
    EDITIONS,
    CodeTable,
    LandClass,
    category,
    category_label,
    is_construction,
    is_farmland,
    load_edition,
    parse_qualified,
    qualified,
)
from guotu.core.errors import CodeError, FormatError
from guotu.core.messages import catalog

YDYH = "ydyh-2023"
GBT = "gbt21010-2017"


def raw_text(edition: str) -> str:
    return (resources.files("guotu") / "data" / f"{edition}.csv").read_text(encoding="utf-8")


def raw_rows(edition: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(raw_text(edition))))


# ---------------------------------------------------------------- counts and structure


def test_editions_are_the_two_packaged_ones() -> None:
    assert EDITIONS == (YDYH, GBT)
    for edition in EDITIONS:
        assert EDITION_TITLES[edition]
        assert load_edition(edition).title == EDITION_TITLES[edition]


def test_ydyh_2023_counts_per_level() -> None:
    assert load_edition(YDYH).counts() == {1: 24, 2: 111, 3: 40}
    assert len(load_edition(YDYH)) == 175


def test_ydyh_2023_matches_the_guide_statement_when_undivided_classes_are_carried_down() -> None:
    # The guide's text states 24 / 113 / 140 classes, while its table lists 111 second-level and 40
    # third-level codes. The statement counts a class without sub-classes again at each lower level:
    # 111 + 2 (16 留白用地, 24 其他海域) = 113, and 113 - 13 (subdivided) + 40 = 140. See CODES.md.
    table = load_edition(YDYH)
    first = table.at_level(1)
    second = len(table.at_level(2)) + sum(1 for c in first if not table.children(c.code))
    subdivided = sum(1 for c in table.at_level(2) if table.children(c.code))
    third = second - subdivided + len(table.at_level(3))
    assert (len(first), second, third) == (24, 113, 140)


def test_gbt21010_2017_counts_per_level() -> None:
    assert load_edition(GBT).counts() == {1: 12, 2: 73}


@pytest.mark.parametrize(("edition", "last"), [(YDYH, 24), (GBT, 12)])
def test_first_level_codes_are_contiguous(edition: str, last: int) -> None:
    codes = [c.code for c in load_edition(edition).at_level(1)]
    assert codes == [f"{n:02d}" for n in range(1, last + 1)]


@pytest.mark.parametrize("edition", EDITIONS)
def test_data_file_format(edition: str) -> None:
    text = raw_text(edition)
    assert not text.startswith("\ufeff")
    assert "\r" not in text
    assert text.splitlines()[0] == ",".join(CSV_HEADER) == "code,name,level,parent"
    assert text.endswith("\n")
    # The file is exactly what to_csv writes: code order, "\n" endings.
    assert text == load_edition(edition).to_csv()


@pytest.mark.parametrize("edition", EDITIONS)
def test_codes_and_names_are_unique(edition: str) -> None:
    rows = raw_rows(edition)
    codes = [r["code"] for r in rows]
    names = [r["name"] for r in rows]
    assert len(codes) == len(set(codes))
    assert len(names) == len(set(names))
    assert all(name == name.strip() and name for name in names)


@pytest.mark.parametrize("edition", EDITIONS)
def test_parents_exist_and_codes_nest(edition: str) -> None:
    table = load_edition(edition)
    for c in table:
        assert c.edition == edition
        assert c.code.isdigit()
        assert len(c.code) == 2 * c.level
        if c.level == 1:
            assert c.parent is None
        else:
            assert c.parent is not None
            parent = table.by_code(c.parent)
            assert parent.level == c.level - 1
            assert c.code.startswith(parent.code)
            assert c in table.children(parent.code)
        assert table.first_level(c.code).code == c.code[:2]
        assert [a.code for a in table.ancestors(c.code)] == [c.code[:n] for n in range(2, len(c.code), 2)]


def test_gbt21010_has_only_two_levels() -> None:
    assert load_edition(GBT).at_level(3) == ()


def test_ydyh_third_level_only_under_06_to_12() -> None:
    firsts = {c.code[:2] for c in load_edition(YDYH).at_level(3)}
    assert firsts == {"06", "07", "08", "09", "10", "11", "12"}


# ---------------------------------------------------------------- spot checks


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "耕地"),
        ("0101", "水田"),
        ("0204", "油料园地"),  # added in 2023
        ("0303", "灌木林地"),
        ("05", "湿地"),
        ("0507", "红树林地"),
        ("06", "农业设施建设用地"),
        ("0601", "农村道路"),  # 2020 trial: 0601 乡村道路用地
        ("060102", "田间道"),  # 2020 trial: 田间道 was under 23 其他土地
        ("0602", "设施农用地"),
        ("060203", "水产养殖设施建设用地"),
        ("070101", "一类城镇住宅用地"),
        ("0903", "娱乐用地"),
        ("1207", "城镇村道路用地"),
        ("120803", "社会停车场用地"),
        ("1311", "水工设施用地"),
        ("1312", "其他公用设施用地"),
        ("16", "留白用地"),
        ("17", "陆地水域"),
        ("1701", "河流水面"),
        ("1706", "冰川及常年积雪"),
        ("1804", "农林牧业用岛"),
        ("2005", "其他交通运输用海"),
        ("2203", "海洋保护修复及海岸防护工程用海"),
        ("23", "其他土地"),
        ("2302", "后备耕地"),  # added in 2023
        ("2307", "裸岩石砾地"),
        ("24", "其他海域"),
    ],
)
def test_ydyh_2023_spot_checks(code: str, name: str) -> None:
    table = load_edition(YDYH)
    assert table.by_code(code).name == name
    assert table.by_name(name).code == code


def test_ydyh_2023_is_not_the_2020_trial_edition() -> None:
    table = load_edition(YDYH)
    trial_names = ("乡村道路用地", "村庄内部道路用地", "干渠", "娱乐康体用地", "康体用地", "城镇道路用地")
    for trial_name in trial_names:
        with pytest.raises(CodeError):
            table.by_name(trial_name)
    assert table.get("1313") is None  # 2020 trial had 1311 干渠 ... 1313 其他公用设施用地
    assert table.get("0604") is None  # 2020 trial had 0602..0604 as separate second-level classes
    assert [c.name for c in table.children("02")] == ["果园", "茶园", "橡胶园地", "油料园地", "其他园地"]


def test_ydyh_undivided_first_level_classes() -> None:
    table = load_edition(YDYH)
    assert [c.code for c in table.at_level(1) if not table.children(c.code)] == ["16", "24"]


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "耕地"),
        ("0101", "水田"),
        ("0203", "橡胶园"),
        ("0303", "红树林地"),
        ("0304", "森林沼泽"),
        ("0402", "沼泽草地"),
        ("05", "商服用地"),
        ("0604", "仓储用地"),
        ("0807", "文化设施用地"),
        ("0809", "公用设施用地"),
        ("0906", "风景名胜设施用地"),
        ("1006", "农村道路"),
        ("11", "水域及水利设施用地"),
        ("1101", "河流水面"),
        ("1110", "冰川及永久积雪"),
        ("1202", "设施农用地"),
        ("1207", "裸岩石砾地"),
    ],
)
def test_gbt21010_2017_spot_checks(code: str, name: str) -> None:
    table = load_edition(GBT)
    assert table.by_code(code).name == name
    assert table.by_name(name).code == code


def test_same_code_means_different_classes_in_different_editions() -> None:
    assert load_edition(YDYH).by_code("0303").name == "灌木林地"
    assert load_edition(GBT).by_code("0303").name == "红树林地"
    assert parse_qualified("ydyh-2023:0303") != parse_qualified("gbt21010-2017:0303")


# ---------------------------------------------------------------- lookups


def test_lookup_tolerates_surrounding_whitespace() -> None:
    table = load_edition(YDYH)
    assert table.by_code(" 0101\t") == table.by_code("0101")
    assert table.by_name("  水田 ") == table.by_code("0101")
    assert "0101 " in table
    assert "9999" not in table
    assert 101 not in table


def test_hierarchy_navigation() -> None:
    table = load_edition(YDYH)
    assert [c.code for c in table.children("0804")] == ["080401", "080402", "080403", "080404", "080405"]
    assert table.children("080401") == ()
    assert table.children("16") == ()
    assert [c.code for c in table.ancestors("080401")] == ["08", "0804"]
    assert table.ancestors("08") == ()
    assert table.first_level("080401").name == "公共管理与公共服务用地"
    assert table.first_level("08").code == "08"
    descendants = [c.code for c in table.descendants("06")]
    assert descendants == ["0601", "060101", "060102", "0602", "060201", "060202", "060203"]


def test_iteration_is_in_code_order_with_parents_first() -> None:
    for edition in EDITIONS:
        codes = [c.code for c in load_edition(edition)]
        assert codes == sorted(codes)


def test_load_edition_is_cached_and_strips() -> None:
    assert load_edition(GBT) is load_edition(GBT)
    assert load_edition(f" {GBT} ") is load_edition(GBT)


def test_land_class_is_a_frozen_value() -> None:
    c = load_edition(GBT).by_code("0101")
    assert c == LandClass(edition=GBT, code="0101", name="水田", level=2, parent="01")
    assert str(c) == "0101 水田"
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.name = "旱地"  # type: ignore[misc]


# ---------------------------------------------------------------- errors


def test_unknown_edition() -> None:
    with pytest.raises(CodeError) as caught:
        load_edition("gbt21010-2007")
    error = caught.value
    assert error.key == "codes.unknown_edition"
    assert "gbt21010-2007" in error.message_in("zh")
    assert "ydyh-2023" in error.message_in("zh")
    assert error.message_in("zh").startswith("未知的分类版本")
    assert error.message_in("en").startswith("unknown classification edition")


def test_unknown_code() -> None:
    with pytest.raises(CodeError) as caught:
        load_edition(GBT).by_code("1301")
    assert caught.value.key == "codes.unknown_code"
    assert caught.value.params == {"edition": GBT, "code": "1301"}
    assert "1301" in str(caught.value)
    with pytest.raises(CodeError):
        load_edition(GBT).children("99")
    with pytest.raises(CodeError):
        load_edition(GBT).ancestors("")


def test_unknown_name() -> None:
    with pytest.raises(CodeError) as caught:
        load_edition(GBT).by_name("油料园地")  # a 2023 class, not in GB/T 21010-2017
    assert caught.value.key == "codes.unknown_name"
    assert "油料园地" in caught.value.message_in("en")


def test_every_message_key_used_is_in_the_catalog() -> None:
    keys = {key for key in catalog() if key.startswith("codes.")}
    expected = {
        "codes.unknown_edition",
        "codes.unknown_code",
        "codes.unknown_name",
        "codes.bad_qualified",
        "codes.no_category",
        "codes.mixed_category",
        "codes.table.bad_header",
        "codes.table.bad_row",
        "codes.table.duplicate_code",
        "codes.table.duplicate_name",
        "codes.table.bad_parent",
    } | {f"codes.category.{c}" for c in CATEGORIES}
    assert expected <= keys
    for key in expected:
        assert catalog()[key]["zh"] and catalog()[key]["en"]


# ---------------------------------------------------------------- CSV round trip


@pytest.mark.parametrize("edition", EDITIONS)
def test_to_csv_round_trip(edition: str) -> None:
    table = load_edition(edition)
    text = table.to_csv()
    again = CodeTable.from_csv(edition, text)
    assert list(again) == list(table)
    assert again.to_csv() == text
    assert text.count("\n") == len(table) + 1


def test_from_csv_tolerates_bom_and_blank_lines() -> None:
    table = CodeTable.from_csv("x", "\ufeffcode,name,level,parent\n01,耕地,1,\n\n0101,水田,2,01\n")
    assert [c.code for c in table] == ["01", "0101"]
    assert table.title == ""


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("code,name,level\n01,耕地,1\n", "codes.table.bad_header"),
        ("code,name,level,parent\n01,耕地,1\n", "codes.table.bad_row"),
        ("code,name,level,parent\n01,耕地,2,\n", "codes.table.bad_row"),
        ("code,name,level,parent\n1,耕地,1,\n", "codes.table.bad_row"),
        ("code,name,level,parent\n01,,1,\n", "codes.table.bad_row"),
        ("code,name,level,parent\n0101,水田,2,\n", "codes.table.bad_row"),
        ("code,name,level,parent\n01,耕地,1,\n01,园地,1,\n", "codes.table.duplicate_code"),
        ("code,name,level,parent\n01,耕地,1,\n02,耕地,1,\n", "codes.table.duplicate_name"),
        ("code,name,level,parent\n01,耕地,1,\n0201,果园,2,02\n", "codes.table.bad_parent"),
        ("code,name,level,parent\n01,耕地,1,\n02,园地,1,\n0201,果园,2,01\n", "codes.table.bad_parent"),
    ],
)
def test_from_csv_rejects_malformed_tables(text: str, key: str) -> None:
    with pytest.raises(FormatError) as caught:
        CodeTable.from_csv("test", text)
    assert caught.value.key == key
    assert caught.value.message_in("zh")


# ---------------------------------------------------------------- qualified codes


@pytest.mark.parametrize("edition", EDITIONS)
def test_qualified_round_trip_for_every_class(edition: str) -> None:
    for c in load_edition(edition):
        text = qualified(edition, c.code)
        assert text == c.qualified == f"{edition}:{c.code}"
        assert parse_qualified(text) is c


def test_parse_qualified_variants() -> None:
    assert parse_qualified(" ydyh-2023 : 0101 ").name == "水田"
    assert parse_qualified("gbt21010-2017：1101").name == "河流水面"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("0101", "codes.bad_qualified"),
        ("", "codes.bad_qualified"),
        ("ydyh-2023:", "codes.bad_qualified"),
        (":0101", "codes.bad_qualified"),
        ("tdly:0101", "codes.unknown_edition"),
        ("ydyh-2023:9999", "codes.unknown_code"),
        ("gbt21010-2017:060101", "codes.unknown_code"),
    ],
)
def test_parse_qualified_errors(text: str, key: str) -> None:
    with pytest.raises(CodeError) as caught:
        parse_qualified(text)
    assert caught.value.key == key


def test_qualified_checks_the_code() -> None:
    with pytest.raises(CodeError):
        qualified(GBT, "0205")
    with pytest.raises(CodeError):
        qualified("nope", "0101")


# ---------------------------------------------------------------- farmland and the three categories


@pytest.mark.parametrize("edition", EDITIONS)
def test_is_farmland(edition: str) -> None:
    table = load_edition(edition)
    farmland = [c.code for c in table if is_farmland(c)]
    assert farmland == ["01", "0101", "0102", "0103"]
    assert [table.by_code(code).name for code in farmland] == ["耕地", "水田", "水浇地", "旱地"]


def test_gbt_category_covers_every_second_level_class_once() -> None:
    table = load_edition(GBT)
    by_category: dict[str, list[str]] = {c: [] for c in CATEGORIES}
    for c in table.at_level(2):
        by_category[category(c)].append(c.code)
    sizes = {k: len(v) for k, v in by_category.items()}
    assert sizes == {"agricultural": 23, "construction": 39, "unused": 11}
    assert by_category["agricultural"] == [
        "0101", "0102", "0103", "0201", "0202", "0203", "0204",
        "0301", "0302", "0303", "0304", "0305", "0306", "0307",
        "0401", "0402", "0403", "1006", "1103", "1104", "1107", "1202", "1203",
    ]  # fmt: skip
    assert by_category["unused"] == [
        "0404", "1101", "1102", "1105", "1106", "1108", "1110", "1204", "1205", "1206", "1207",
    ]  # fmt: skip
    construction = by_category["construction"]
    assert all(code[:2] in {"05", "06", "07", "08", "09"} for code in construction[:29])
    assert construction[29:] == [
        "1001", "1002", "1003", "1004", "1005", "1007", "1008", "1009", "1109", "1201",
    ]  # fmt: skip


def test_gbt_category_of_first_level_classes() -> None:
    table = load_edition(GBT)
    expected = {"01": "agricultural", "02": "agricultural", "03": "agricultural"}
    expected |= {code: "construction" for code in ("05", "06", "07", "08", "09")}
    for code, value in expected.items():
        assert category(table.by_code(code)) == value
    for code in ("04", "10", "11", "12"):
        with pytest.raises(CodeError) as caught:
            category(table.by_code(code))
        assert caught.value.key == "codes.mixed_category"


def test_gbt_is_construction() -> None:
    table = load_edition(GBT)
    assert is_construction(table.by_code("0601"))
    assert is_construction(table.by_code("1109"))
    assert is_construction(table.by_code("1201"))
    assert is_construction(table.by_code("08"))
    assert not is_construction(table.by_code("1006"))
    assert not is_construction(table.by_code("1103"))
    assert not is_construction(table.by_code("0404"))
    assert not is_construction(table.by_code("01"))
    assert not is_construction(table.by_code("04"))  # agricultural and unused, never construction
    for code in ("10", "11", "12"):
        with pytest.raises(CodeError) as caught:
            is_construction(table.by_code(code))
        assert "建设用地" in caught.value.message_in("zh")
        assert caught.value.message_in("en")


def test_categories_are_only_defined_for_gbt21010() -> None:
    c = load_edition(YDYH).by_code("0701")
    for function in (category, is_construction):
        with pytest.raises(CodeError) as caught:
            function(c)
        assert caught.value.key == "codes.no_category"
        assert GBT in str(caught.value)


def test_category_labels() -> None:
    assert [category_label(c) for c in CATEGORIES] == ["农用地", "建设用地", "未利用地"]
    assert category_label("construction", language="en") == "construction land"
