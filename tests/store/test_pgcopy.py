"""pgcopy: binary COPY rows built a column at a time, read back by the real PostgreSQL/PostGIS."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import psycopg
import pytest
import shapely

from guotu.core.errors import InputError
from guotu.core.flatgeom import byte_strings, flatten
from guotu.store import pgcopy

TABLE = "pgcopy_t"
COLUMNS = "fid, t, i, r, d, b, g"


def where(i: int) -> tuple[str, str, Any]:
    return ("地块", "字段", f"R{i}")


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection with an empty temporary table (gone with the connection)."""
    with psycopg.connect(pg_url) as c:
        c.execute(f"CREATE TEMPORARY TABLE {TABLE} (fid bigint, t text, i bigint, r double precision, d date,"
                  " b boolean, g geometry(Geometry, 4490))")
        yield c
        c.rollback()


def copy_in(conn: psycopg.Connection[Any], *chunks: bytes, columns: str = COLUMNS) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {TABLE} ({columns}) FROM STDIN (FORMAT binary)") as copy:
        copy.write(pgcopy.HEADER + b"".join(chunks) + pgcopy.TRAILER)


def read_back(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute(f"SELECT fid, t, i, r, d, b, ST_AsBinary(g, 'NDR'), ST_SRID(g) FROM {TABLE}"
                        " ORDER BY fid").fetchall()


def flat_wkb(g: Any) -> tuple[Any, Any]:
    f = flatten(g)
    assert f is not None
    return f.encode()


def columns_of(fids: Sequence[int], t: Sequence[Any], i: Sequence[Any], r: Sequence[Any], d: Sequence[Any],
               b: Sequence[Any], g: Any) -> list[pgcopy.Column]:
    buf, offsets = flat_wkb(g)
    return [pgcopy.int8_column(fids), pgcopy.value_column(t, "TEXT", where), pgcopy.value_column(i, "INTEGER", where),
            pgcopy.value_column(r, "REAL", where), pgcopy.value_column(d, "DATE", where),
            pgcopy.value_column(b, "BOOLEAN", where), pgcopy.buffer_column(buf, offsets)]


def same_float(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a):
        return math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


TEXTS = ["湖北省武汉市 洪山区", "tab\there", "line\nbreak\r\nand more", "back\\slash \\N \\x00", "", None,
         "quote ' \" ; , |", "😀 four bytes", "plain"]
INTEGERS = [0, 1, -1, 2**62, -(2**62), 2**63 - 1, -(2**63), None, 12345678901]
REALS = [0.0, -0.0, math.inf, -math.inf, 1e-300, -1.5e300, None, math.nan, 3.141592653589793]
DATES = [dt.date(2000, 1, 1), dt.date(1999, 12, 31), dt.date(2000, 1, 2), dt.date(1900, 1, 1), dt.date(1, 1, 1),
         dt.date(9999, 12, 31), None, dt.date(2024, 2, 29), dt.date(1970, 1, 1)]
BOOLS = [True, False, None, True, False, True, False, True, None]
GEOMS = np.array([
    shapely.Polygon([(114, 30), (114.1, 30), (114.1, 30.1), (114, 30)],
                    [[(114.01, 30.01), (114.02, 30.01), (114.02, 30.02), (114.01, 30.01)]]),
    shapely.Point(114.3, 30.6),
    None,
    shapely.from_wkt("MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((2 2, 3 2, 3 3, 2 2)))"),
    shapely.LineString([(0, 0), (1, 1), (2, 0)]),
    shapely.from_wkt("MULTIPOINT ((1 2), (3 4))"),
    shapely.from_wkt("MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))"),
    shapely.Polygon(),
    shapely.box(-180, -90, 180, 90),
], dtype=object)


def test_every_value_round_trips(conn: psycopg.Connection[Any]) -> None:
    n = len(TEXTS)
    fids = list(range(1, n + 1))
    copy_in(conn, pgcopy.copy_rows(columns_of(fids, TEXTS, INTEGERS, REALS, DATES, BOOLS, GEOMS)))
    rows = read_back(conn)
    assert [r[0] for r in rows] == fids
    assert [r[1] for r in rows] == TEXTS
    assert [r[2] for r in rows] == INTEGERS
    for row, expected in zip(rows, REALS, strict=True):
        assert same_float(row[3], expected), (row[3], expected)
    assert [r[4] for r in rows] == DATES
    assert [r[5] for r in rows] == BOOLS
    wkb = byte_strings(*flat_wkb(GEOMS))
    assert [r[6] for r in rows] == wkb
    assert wkb == shapely.to_wkb(GEOMS, output_dimension=2, byte_order=1, flavor="iso").tolist()
    assert [r[7] for r in rows] == [None if g is None else 4490 for g in GEOMS]


def test_a_row_of_nulls_in_every_column(conn: psycopg.Connection[Any]) -> None:
    nulls = [None, None]
    g = np.array([None, None], dtype=object)
    copy_in(conn, pgcopy.copy_rows([*columns_of([7, 8], nulls, nulls, nulls, nulls, nulls, g)[1:],
                                    pgcopy.constant_int8_column(None, 2)]), columns="t, i, r, d, b, g, fid")
    assert conn.execute(f"SELECT * FROM {TABLE}").fetchall() == [(None,) * 7, (None,) * 7]


def test_rows_written_in_chunks_and_converted_values(conn: psycopg.Connection[Any]) -> None:
    """Values of other Python types, as ``postgis._to_pg`` may leave them, are converted to the field's."""
    chunk1 = pgcopy.copy_rows(columns_of(
        [1, 2, 3], [5, 1.5, dt.date(2024, 1, 31)], ["12", 2.0, True], [1, "2.5", False],
        ["2024-01-31", dt.datetime(1999, 12, 31, 23, 59), " 2000-01-01 "], [1, 0, "x"],
        np.array([shapely.Point(1, 2), None, shapely.Point(3, 4)], dtype=object)))
    chunk2 = pgcopy.copy_rows([
        pgcopy.int8_column([4, 5]), pgcopy.text_column(["第二块", None]),
        pgcopy.constant_int8_column(-(2**62), 2), pgcopy.value_column([None, 7], "REAL", where),
        pgcopy.value_column([None, dt.date(1850, 6, 1)], "DATE", where),
        pgcopy.value_column([False, None], "BOOLEAN", where),
        pgcopy.buffer_column(*flat_wkb(np.array([None, shapely.box(0, 0, 1, 1)], dtype=object))),
    ])
    copy_in(conn, chunk1, chunk2)
    rows = read_back(conn)
    assert [r[:6] for r in rows] == [
        (1, "5", 12, 1.0, dt.date(2024, 1, 31), True),
        (2, "1.5", 2, 2.5, dt.date(1999, 12, 31), False),
        (3, "2024-01-31", 1, 0.0, dt.date(2000, 1, 1), True),
        (4, "第二块", -(2**62), None, None, False),
        (5, None, -(2**62), 7.0, dt.date(1850, 6, 1), None),
    ]
    assert [None if r[6] is None else shapely.from_wkb(r[6]).wkt for r in rows] == [
        "POINT (1 2)", None, "POINT (3 4)", None, shapely.box(0, 0, 1, 1).wkt]


def test_many_rows(conn: psycopg.Connection[Any]) -> None:
    rng = np.random.default_rng(7)
    n = 3000
    ints = [int(v) for v in rng.integers(-(2**62), 2**62, n)]
    reals = [float(v) for v in rng.normal(0, 1e6, n)]
    texts = [f"记录{k}" * (k % 5) for k in range(n)]
    dates = [dt.date(2000, 1, 1) + dt.timedelta(days=int(v)) for v in rng.integers(-100000, 100000, n)]
    bools = [bool(v) for v in rng.integers(0, 2, n)]
    geoms = shapely.points(rng.uniform(73, 135, n), rng.uniform(3, 54, n))
    copy_in(conn, pgcopy.copy_rows(columns_of(range(n), texts, ints, reals, dates, bools, geoms)))
    rows = read_back(conn)
    assert [r[1:6] for r in rows] == list(zip(texts, ints, reals, dates, bools, strict=True))
    assert [r[6] for r in rows] == shapely.to_wkb(geoms, output_dimension=2, byte_order=1, flavor="iso").tolist()


def test_copy_rows_refuses_columns_of_different_lengths() -> None:
    with pytest.raises(ValueError):
        pgcopy.copy_rows([pgcopy.int8_column([1, 2]), pgcopy.text_column(["a"])])


# --- values a field cannot hold -------------------------------------------------------------------


@pytest.mark.parametrize(("values", "kind", "record", "shown"), [
    ([1, 2, "abc", 4], "INTEGER", "R2", "'abc'"),
    ([1.5], "INTEGER", "R0", "1.5"),
    ([1.0, None, 2.5], "INTEGER", "R2", "2.5"),
    (["1", 2**70], "INTEGER", "R1", repr(2**70)),
    ([None, "7", -(2**70)], "INTEGER", "R2", repr(-(2**70))),
    ([math.inf], "INTEGER", "R0", "inf"),
    ([1.0, "x"], "REAL", "R1", "'x'"),
    (["2024-01-31", "not a date"], "DATE", "R1", "'not a date'"),
    ([dt.date(2024, 1, 1), 20240101], "DATE", "R1", "20240101"),
])
def test_value_a_field_cannot_hold_is_an_input_error(values: list[Any], kind: str, record: str, shown: str) -> None:
    with pytest.raises(InputError) as err:
        pgcopy.value_column(values, kind, where)
    assert err.value.key == "store.bad_value"
    assert err.value.params["record"] == record
    assert err.value.params["layer"] == "地块" and err.value.params["field"] == "字段"
    assert err.value.params["kind"] == kind
    assert err.value.params["value"] == shown
    assert record in err.value.message and shown in err.value.message


@pytest.mark.parametrize(("values", "kind"), [([2**70], "INTEGER"), ([1, -(2**70)], "INTEGER"),
                                              ([2**63], "INTEGER"), ([1.0, 2**2000], "REAL")])
def test_out_of_range_plain_number_is_an_input_error(values: list[Any], kind: str) -> None:
    with pytest.raises(InputError) as err:
        pgcopy.value_column(values, kind, where)
    assert err.value.key == "store.bad_value"
    assert err.value.params["record"] == f"R{len(values) - 1}"


@pytest.mark.parametrize(("values", "kind", "expected"), [
    (["12"], "INTEGER", b"\x00" * 7 + b"\x0c"),
    ([2.0], "INTEGER", b"\x00" * 7 + b"\x02"),
    ([-1], "INTEGER", b"\xff" * 8),
    (["2024-01-31"], "DATE", (dt.date(2024, 1, 31) - dt.date(2000, 1, 1)).days.to_bytes(4, "big")),
    ([dt.datetime(2024, 1, 31, 18, 30)], "DATE", (dt.date(2024, 1, 31) - dt.date(2000, 1, 1)).days.to_bytes(4, "big")),
    ([dt.date(1999, 12, 31)], "DATE", b"\xff\xff\xff\xff"),
    ([1.5], "REAL", b"\x3f\xf8" + b"\x00" * 6),
    ([True, False], "BOOLEAN", b"\x01\x00"),
])
def test_accepted_values_in_their_binary_form(values: list[Any], kind: str, expected: bytes) -> None:
    data, offsets, nulls = pgcopy.value_column(values, kind, where)
    assert data.tobytes() == expected
    assert offsets.tolist() == [len(expected) // len(values) * k for k in range(len(values) + 1)]
    assert not nulls.any()
