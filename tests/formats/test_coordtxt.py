"""The ministry's coordinate exchange file (部标坐标文件): parsing, errors, writing, round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Transformer

from guotu.core.errors import CRSError, EncodingError, FormatError, GeometryError
from guotu.core.features import FeatureBatch
from guotu.core.units import round_half_up
from guotu.formats.coordtxt import read_coordtxt, round_coordinate, write_coordtxt

DATA = Path(__file__).resolve().parents[1] / "data"

HEADER = [
    "[属性描述]",  # line 1
    "格式版本号=1.01版本",
    "数据产生单位=平湖市自然资源和规划局",
    "数据产生日期=2024-06-01",
    "坐标系=2000国家大地坐标系",  # line 5
    "几度分带=3",
    "投影类型=高斯克吕格",
    "计量单位=米",
    "带号=40",  # line 9
    "精度=0.0001",
    "转换参数=,,,,,,",
    "[地块坐标]",  # line 12
]
# Parcel 1 (header on line 13): a 300 m square with a 100 m square hole, J1.. numbering.
PARCEL_1 = [
    "10,8.0000,1,城东工业地块,面,H51H001001,工业用地,0601,@",
    "J1,1,3398990.0000,40605550.0000",  # line 14
    "J2,1,3398990.0000,40605850.0000",
    "J3,1,3398690.0000,40605850.0000",
    "J4,1,3398690.0000,40605550.0000",
    "J1,1,3398990.0000,40605550.0000",  # line 18
    "J5,2,3398890.0000,40605650.0000",
    "J6,2,3398790.0000,40605650.0000",
    "J7,2,3398790.0000,40605750.0000",
    "J8,2,3398890.0000,40605750.0000",
    "J5,2,3398890.0000,40605650.0000",  # line 23
]
# Parcel 2 (header on line 24): two parts, plain integer point numbers.
PARCEL_2 = [
    "10,3.0000,2,乍浦两片地块,面,H51H001002,商服用地,05,@",
    "1,1,3398800.1234,40606000.5678",  # line 25
    "2,1,3398800.1234,40606100.5678",
    "3,1,3398700.1234,40606100.5678",
    "4,1,3398700.1234,40606000.5678",
    "1,1,3398800.1234,40606000.5678",
    "5,2,3398900.0000,40606200.0000",  # line 30
    "6,2,3398900.0000,40606300.0000",
    "7,2,3398700.0000,40606300.0000",
    "8,2,3398700.0000,40606200.0000",
    "5,2,3398900.0000,40606200.0000",  # line 34
]


def sample_lines() -> list[str]:
    return HEADER + PARCEL_1 + PARCEL_2


def encode(lines: list[str], encoding: str = "gbk") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def replaced(line_no: int, text: str) -> list[str]:
    lines = sample_lines()
    lines[line_no - 1] = text
    return lines


def error_of(exc_type: type[Exception], lines: list[str] | bytes, encoding: str | None = None) -> str:
    data = lines if isinstance(lines, bytes) else encode(lines)
    with pytest.raises(exc_type) as info:
        read_coordtxt(data, source="报批.txt", encoding=encoding)
    message = str(info.value)
    assert "报批.txt" in message
    return message


# --- parsing ------------------------------------------------------------------------------------


def test_parse_gbk_sample() -> None:
    doc = read_coordtxt(encode(sample_lines()), source="报批.txt")
    assert doc.epsg == 4528
    assert doc.precision == 0.0001
    assert doc.encoding == "gb18030"
    assert doc.attributes["数据产生单位"] == "平湖市自然资源和规划局"
    assert doc.attributes["转换参数"] == ",,,,,,"
    batch = doc.parcels
    assert batch.epsg == 4528
    assert batch.ids == ["1 城东工业地块", "2 乍浦两片地块"]
    rows = list(batch.rows())
    assert rows[0] == {
        "point_count": 10,
        "area_ha": 8.0,
        "parcel_no": "1",
        "name": "城东工业地块",
        "geometry_kind": "面",
        "sheet_no": "H51H001001",
        "use": "工业用地",
        "land_class_code": "0601",
    }
    assert batch.fields["point_count"] == "INTEGER" and batch.fields["area_ha"] == "REAL"
    first, second = batch.geometry
    assert first.geom_type == "Polygon" and len(first.interiors) == 1
    assert second.geom_type == "MultiPolygon" and len(second.geoms) == 2
    # (easting, northing) order: Y first.
    assert first.exterior.coords[0] == (40605550.0, 3398990.0)
    assert second.geoms[0].exterior.coords[0] == (40606000.5678, 3398800.1234)
    for geom, row in zip(batch.geometry, rows, strict=True):
        assert geom.area / 10000 == pytest.approx(row["area_ha"], abs=1e-4)
        assert geom.is_valid


def test_sample_data_file() -> None:
    doc = read_coordtxt(DATA / "site_sample.txt")
    assert doc.epsg == 4528
    assert len(doc.parcels) == 1
    geom = doc.parcels.geometry[0]
    assert geom.area == pytest.approx(90000.0)
    assert doc.parcels.attributes["area_ha"] == [9.0]
    assert (geom.centroid.x, geom.centroid.y) == pytest.approx((40605700.0, 3398840.0))
    assert doc.source.endswith("site_sample.txt")


def test_unprefixed_easting_gives_cm_epsg() -> None:
    lines = [line.replace(",4060", ",60") for line in sample_lines()]
    doc = read_coordtxt(encode(lines))
    assert doc.epsg == 4549
    assert doc.parcels.geometry[0].exterior.coords[0] == (605550.0, 3398990.0)


def test_zone_from_prefix_when_zone_number_blank() -> None:
    doc = read_coordtxt(encode(replaced(9, "带号=")))
    assert doc.epsg == 4528


def test_utf8_with_and_without_bom() -> None:
    gbk = read_coordtxt(encode(sample_lines()))
    for data, used in ((b"\xef\xbb\xbf" + encode(sample_lines(), "utf-8"), "utf-8-sig"),
                       (encode(sample_lines(), "utf-8"), "utf-8")):
        doc = read_coordtxt(data)
        assert doc.encoding == used
        assert doc.attributes == gbk.attributes
        assert doc.parcels.ids == gbk.parcels.ids
        assert all(shapely.equals_exact(doc.parcels.geometry, gbk.parcels.geometry, tolerance=0))
    # An explicit utf-8 also accepts the BOM.
    assert read_coordtxt(b"\xef\xbb\xbf" + encode(sample_lines(), "utf-8"), encoding="utf-8").epsg == 4528


def test_containment_decides_holes_even_with_one_ring_number() -> None:
    lines = [line.replace("J5,2,", "J5,1,").replace("J6,2,", "J6,1,").replace("J7,2,", "J7,1,")
             .replace("J8,2,", "J8,1,") for line in sample_lines()]
    geom = read_coordtxt(encode(lines)).parcels.geometry[0]
    assert geom.geom_type == "Polygon" and len(geom.interiors) == 1


def test_island_inside_a_hole_is_a_new_part() -> None:
    island = [
        "J9,3,3398860.0000,40605680.0000",
        "J10,3,3398860.0000,40605720.0000",
        "J11,3,3398820.0000,40605720.0000",
        "J12,3,3398820.0000,40605680.0000",
        "J9,3,3398860.0000,40605680.0000",
    ]
    parcel = ["15" + PARCEL_1[0][2:], *PARCEL_1[1:], *island]
    geom = read_coordtxt(encode(HEADER + parcel)).parcels.geometry[0]
    assert geom.geom_type == "MultiPolygon"
    assert [len(p.interiors) for p in geom.geoms] == [1, 0]
    assert geom.area == pytest.approx(80000 + 1600)


def test_lenient_variants_of_real_files() -> None:
    """Area with unit, short header, spaces, count without closing points, 精度 as decimals."""
    lines = replaced(13, "8, 8公顷 ,1,城东工业地块,面,,,@")
    lines[9] = "精度=3"
    lines.insert(0, "项目名称=城东项目")
    doc = read_coordtxt(encode(lines))
    assert doc.precision == 0.001
    assert doc.attributes["项目名称"] == "城东项目"
    row = next(doc.parcels.rows())
    assert row["area_ha"] == 8.0 and row["point_count"] == 8 and row["land_class_code"] == ""


def test_six_degree_zone() -> None:
    to_gk6 = Transformer.from_crs(4490, 4499, always_xy=True)  # CGCS2000 GK zone 21 (CM 123E)
    corners = [(121.00, 30.70), (121.01, 30.70), (121.01, 30.69), (121.00, 30.69), (121.00, 30.70)]
    points = []
    for k, (lon, lat) in enumerate(corners):
        east, north = to_gk6.transform(lon, lat)
        points.append(f"J{k % 4 + 1},1,{north:.4f},{east:.4f}")
    header = [*HEADER[:5], "几度分带=6", *HEADER[6:8], "带号=21", *HEADER[9:]]
    lines = [*header, "5,,1,六度带地块,面,,,,@", *points]
    doc = read_coordtxt(encode(lines))
    assert doc.epsg == 4499
    assert doc.parcels.geometry[0].area > 0


# --- errors -------------------------------------------------------------------------------------


def test_empty_file() -> None:
    assert "为空" in error_of(FormatError, b"")
    assert "为空" in error_of(FormatError, b" \r\n\r\n")


def test_missing_sections() -> None:
    message = error_of(FormatError, sample_lines()[1:])
    assert "[属性描述]" in message
    message = error_of(FormatError, [line for line in sample_lines() if line != "[地块坐标]"])
    assert "[地块坐标]" in message


def test_unclosed_ring_names_parcel_and_line() -> None:
    lines = sample_lines()
    del lines[17]  # the closing J1 of parcel 1's outer ring (line 18)
    message = error_of(GeometryError, lines)
    assert "城东工业地块" in message and "第17行" in message and "第1圈" in message and "未闭合" in message
    # The last ring of the file left open.
    message = error_of(GeometryError, sample_lines()[:-1])
    assert "乍浦两片地块" in message and "第33行" in message and "第2圈" in message


def test_closing_point_with_other_coordinates() -> None:
    message = error_of(GeometryError, replaced(18, "J1,1,3398990.0000,40605551.0000"))
    assert "第18行" in message and "城东工业地块" in message and "J1" in message


def test_ring_with_too_few_points() -> None:
    parcel = [
        "3,0.0000,3,三点地块,面,,,,@",
        "J1,1,3398990.0000,40605550.0000",
        "J2,1,3398990.0000,40605850.0000",
        "J1,1,3398990.0000,40605550.0000",
    ]
    message = error_of(GeometryError, [*HEADER, *parcel])
    assert "三点地块" in message and "第16行" in message and "3 个点" in message


def test_self_intersection_is_refused_by_the_geometry_check() -> None:
    lines = sample_lines()
    lines[25], lines[26] = lines[26], lines[25]  # points 2 and 3 of parcel 2 swapped: a bow-tie
    message = error_of(GeometryError, lines)
    assert "乍浦两片地块" in message and "报批.txt:24" in message


def test_bad_number_names_line() -> None:
    message = error_of(FormatError, replaced(15, "J2,1,3398990.00O0,40605850.0000"))
    assert "第15行" in message and "城东工业地块" in message and "3398990.00O0" in message
    message = error_of(FormatError, replaced(24, "10,三公顷,2,乍浦两片地块,面,,,,@"))
    assert "第24行" in message and "乍浦两片地块" in message and "地块面积" in message


def test_point_count_mismatch() -> None:
    message = error_of(FormatError, replaced(13, PARCEL_1[0].replace("10,", "12,", 1)))
    assert "第13行" in message and "城东工业地块" in message and "12" in message and "10" in message
    # Counting without the closing points (10 lines, 2 rings → 8) is a common convention: accepted.
    assert read_coordtxt(encode(replaced(13, PARCEL_1[0].replace("10,", "8,", 1)))).parcels


def test_malformed_lines() -> None:
    message = error_of(FormatError, replaced(15, "J2，1，3398990.0000，40605850.0000"))
    assert "第15行" in message and "全角" in message
    message = error_of(FormatError, replaced(15, "J2,1,3398990.0000"))
    assert "第15行" in message
    message = error_of(FormatError, [*HEADER, *PARCEL_1[1:]])
    assert "第13行" in message


@pytest.mark.parametrize(
    ("crs", "expected"),
    [
        ("1980西安坐标系", "1980西安"),
        ("西安80", "转换"),
        ("1954北京坐标系", "1954北京"),
        ("WGS84", "WGS84"),
        ("地方坐标系", "无法识别"),
    ],
)
def test_refused_coordinate_systems(crs: str, expected: str) -> None:
    message = error_of(CRSError, replaced(5, f"坐标系={crs}"))
    assert expected in message and "第5行" in message


def test_missing_coordinate_system() -> None:
    assert "2000国家大地坐标系" in error_of(CRSError, replaced(5, "坐标系="))


def test_zone_number_contradicts_prefix() -> None:
    lines = [line.replace(",4060", ",3960") for line in sample_lines()]
    message = error_of(CRSError, lines)
    assert "带号为 40" in message and "39" in message and "第14行" in message and "城东工业地块" in message
    # One point of the second parcel in another zone.
    message = error_of(CRSError, replaced(31, "6,2,3398900.0000,39606300.0000"))
    assert "第31行" in message and "乍浦两片地块" in message and "39" in message


def test_mixed_prefix() -> None:
    message = error_of(CRSError, replaced(31, "6,2,3398900.0000,606300.0000"))
    assert "第31行" in message and "乍浦两片地块" in message


def test_swapped_axes_are_detected() -> None:
    def swap(line: str) -> str:
        parts = line.split(",")
        return ",".join([*parts[:2], parts[3], parts[2]]) if len(parts) == 4 else line

    message = error_of(CRSError, [swap(line) for line in sample_lines()])
    assert "颠倒" in message and "城东工业地块" in message and "报批.txt:13" in message


def test_degrees_given_as_metres() -> None:
    parcel = [
        "5,1.0,9,经纬度地块,面,,,,@",
        "J1,1,30.70,121.00",
        "J2,1,30.70,121.01",
        "J3,1,30.69,121.01",
        "J4,1,30.69,121.00",
        "J1,1,30.70,121.00",
    ]
    message = error_of(CRSError, [*HEADER, *parcel])
    assert "经纬度" in message and "经纬度地块" in message


def test_undetectable_encoding_names_line() -> None:
    data = encode(sample_lines()[:2]) + b"\x81\x20bad\r\n" + encode(sample_lines()[2:])
    assert "第3行" in error_of(EncodingError, data)


def test_explicit_wrong_encoding() -> None:
    lines = [*HEADER[:11], "[地块坐标]", *PARCEL_1]
    lines[0] = "[属性描述]"
    message = error_of(EncodingError, encode(lines), encoding="utf-8")
    assert "第1行" in message and "utf-8" in message and "gb18030" in message
    message = error_of(EncodingError, encode(sample_lines(), "utf-8"), encoding="gbk")
    assert "第1行" in message and "gbk" in message and "utf-8" in message
    # A permissive codec decodes anything into garbage: caught because the section names are missing.
    message = error_of(EncodingError, encode(sample_lines()), encoding="latin-1")
    assert "第1行" in message and "latin-1" in message and "gb18030" in message
    # An error in a later line names that line.
    late = encode(sample_lines()[:20], "utf-8") + "乍浦".encode("gbk") + b"\r\n"
    assert "第21行" in error_of(EncodingError, late, encoding="utf-8")
    with pytest.raises(EncodingError):
        read_coordtxt(encode(sample_lines()), encoding="no-such-codec")


def test_messages_in_english() -> None:
    lines = sample_lines()
    del lines[17]
    with pytest.raises(GeometryError) as info:
        read_coordtxt(encode(lines), source="a.txt")
    english = info.value.message_in("en")
    assert "a.txt line 17" in english and "ring 1" in english and "城东工业地块" in english


# --- writing ------------------------------------------------------------------------------------


def test_write_from_cgcs2000_geographic(tmp_path: Path) -> None:
    square = shapely.Polygon([(121.0, 30.70), (121.003, 30.70), (121.003, 30.697), (121.0, 30.697)])
    batch = FeatureBatch(
        np.array([square], dtype=object),
        {"name": ["测试地块"], "use": ["工业用地"], "parcel_no": ["A-1"]},
        epsg=4490,
    )
    out = tmp_path / "out.txt"
    write_coordtxt(batch, out, attributes={"数据产生单位": "平湖市自然资源和规划局", "带号": "99"})
    raw = out.read_bytes()
    raw.decode("gbk")  # GBK by default
    assert b"\r\n" in raw
    doc = read_coordtxt(out)
    assert doc.epsg == 4528
    assert doc.attributes["带号"] == "40" and doc.attributes["数据产生单位"] == "平湖市自然资源和规划局"
    row = next(doc.parcels.rows())
    assert row["parcel_no"] == "A-1" and row["name"] == "测试地块" and row["point_count"] == 5
    assert row["area_ha"] == round_half_up(doc.parcels.geometry[0].area / 10000, 4)
    write_coordtxt(batch, out, zone_prefix=False)
    assert read_coordtxt(out).epsg == 4549


def test_write_refuses_what_it_cannot_write(tmp_path: Path) -> None:
    line = FeatureBatch(np.array([shapely.LineString([(605000, 3398000), (605100, 3398000)])]), epsg=4549)
    with pytest.raises(GeometryError):
        write_coordtxt(line, tmp_path / "x.txt")
    square = FeatureBatch(np.array([shapely.box(0, 0, 1, 1)]), epsg=3857)
    with pytest.raises(CRSError):
        write_coordtxt(square, tmp_path / "x.txt")
    tiny = FeatureBatch(np.array([shapely.box(605000, 3398000, 605000.00001, 3398000.00001)]), epsg=4549)
    with pytest.raises(GeometryError):
        write_coordtxt(tiny, tmp_path / "x.txt")
    assert not (tmp_path / "x.txt").exists()


def test_write_then_read_two_parcels(tmp_path: Path) -> None:
    doc = read_coordtxt(encode(sample_lines()))
    out = tmp_path / "again.txt"
    write_coordtxt(doc.parcels, out, attributes={"数据产生单位": "平湖市自然资源和规划局"})
    again = read_coordtxt(out)
    assert again.parcels.ids == doc.parcels.ids
    assert all(shapely.equals_exact(again.parcels.geometry, doc.parcels.geometry, tolerance=0))
    assert again.parcels.attributes["area_ha"] == [8.0, 3.0]


# --- round trip -------------------------------------------------------------------------------


def _star(cx: float, cy: float, radii: list[float], jitter: list[float]) -> list[tuple[float, float]]:
    n = len(radii)
    angles = [2 * np.pi * (k + 0.3 * j) / n for k, j in enumerate(jitter)]
    return [(cx + r * np.cos(a), cy + r * np.sin(a)) for r, a in zip(radii, angles, strict=True)]


coordinate = st.floats(0, 1, allow_nan=False)


@st.composite
def parcels(draw: st.DrawFn) -> shapely.Polygon | shapely.MultiPolygon:
    """Star-shaped parcels (vertex radius 200–400 m) with up to two holes, sometimes two parts."""
    cx = draw(st.floats(560_000, 640_000))
    cy = draw(st.floats(3_380_000, 3_420_000))

    def polygon(dx: float) -> shapely.Polygon:
        n = draw(st.integers(6, 12))
        radii = draw(st.lists(st.floats(200, 400), min_size=n, max_size=n))
        jitter = draw(st.lists(st.floats(-1, 1), min_size=n, max_size=n))
        shell = _star(cx + dx, cy, radii, jitter)
        holes = []
        for side in draw(st.sampled_from([[], [-1], [1], [-1, 1]])):
            m = draw(st.integers(3, 6))
            hole_radii = draw(st.lists(st.floats(5, 40), min_size=m, max_size=m))
            hole_jitter = draw(st.lists(st.floats(-1, 1), min_size=m, max_size=m))
            holes.append(_star(cx + dx + 60 * side, cy, hole_radii, hole_jitter))
        return shapely.Polygon(shell, holes)

    first = polygon(0.0)
    if draw(st.booleans()):
        return shapely.MultiPolygon([first, polygon(1000.0)])
    return first


@settings(max_examples=60, deadline=None)
@given(
    geom=parcels(),
    prefixed=st.booleans(),
    precision=st.sampled_from([0.0001, 0.001, 0.01]),
)
def test_round_trip_exact(tmp_path_factory: pytest.TempPathFactory, geom: object, prefixed: bool,
                          precision: float) -> None:
    """Reading a written file gives every coordinate rounded half-up to the precision, exactly."""
    epsg = 4528 if prefixed else 4549
    if prefixed:
        geom = shapely.transform(geom, lambda c: c + np.array([40_000_000.0, 0.0]))
    assert shapely.is_valid(geom)
    batch = FeatureBatch(np.array([geom], dtype=object), {"name": ["随机地块"]}, epsg=epsg)
    out = tmp_path_factory.mktemp("rt") / "rt.txt"
    write_coordtxt(batch, out, zone_prefix=prefixed, precision=precision)
    doc = read_coordtxt(out)
    assert doc.epsg == epsg and doc.precision == precision
    decimals = round(-np.log10(precision))
    expected = shapely.transform(geom, np.vectorize(lambda v: round_half_up(float(v), decimals)))
    got = doc.parcels.geometry[0]
    assert got.geom_type == expected.geom_type
    assert shapely.equals_exact(got, expected, tolerance=0)
    assert doc.parcels.attributes["area_ha"][0] == round_half_up(got.area / 10000, 4)


def test_round_coordinate_is_half_up() -> None:
    assert round_coordinate(0.00005) == 0.0001
    assert round_coordinate(2.675, 0.01) == 2.68
    assert round_coordinate(40605683.12345) == 40605683.1235
