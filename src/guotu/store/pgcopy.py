"""Rows for PostgreSQL's ``COPY ... FROM STDIN (FORMAT binary)``, built a column at a time.

A bulk write sends hundreds of thousands of rows. Formatting them value by value (psycopg's
``write_row``) costs more than the server's work on them, and the text format makes the server
decode hex geometries and parse numbers. So each column is turned into one buffer of its values in
PostgreSQL's binary wire form (geometries come as one buffer of WKB from :mod:`guotu.core.flatgeom`,
which PostGIS's binary input reads as it is), and a compiled loop interleaves the columns into rows:
a field count, then each value as its length and bytes (length -1 for null).

Binary form of each layer field type (``postgis._PG_TYPES``): TEXT and DATETIME ``text`` (UTF-8),
INTEGER ``bigint`` (8 bytes, big-endian), REAL ``double precision`` (IEEE 754, big-endian), DATE
``date`` (days since 2000-01-01, 4 bytes), BOOLEAN ``boolean`` (one byte). A value that the field's
type cannot hold raises an InputError naming the layer, field, record and value (the text format
would have failed on the server with the server's message).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import struct
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from guotu.core.errors import InputError

Column = tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64], npt.NDArray[np.bool_]]  # bytes, offsets, nulls

HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)  # signature, flags, header extension length
TRAILER = struct.pack(">h", -1)
_EPOCH = dt.date(2000, 1, 1).toordinal()


def text_column(values: Sequence[str | None]) -> Column:
    """A column of text values (None is null)."""
    nulls = _nulls(values)
    strings: list[str] = [v for v in values if v is not None] if nulls.any() else list(values)  # type: ignore[arg-type]
    joined = "".join(strings)
    data = joined.encode("utf-8")
    if len(data) == len(joined):  # ASCII: a character is a byte
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
    else:
        lengths = np.fromiter((len(s.encode("utf-8")) for s in strings), dtype=np.int64, count=len(strings))
    return np.frombuffer(data, dtype=np.uint8), _offsets(lengths, nulls), nulls


def value_column(values: Sequence[Any], kind: str, where: Callable[[int], tuple[str, str, Any]]) -> Column:
    """A column of one layer field type, from the values as the store holds them (``postgis._to_pg``).

    ``where(i)`` names value i for an error: (layer, field, record)."""
    if kind in ("TEXT", "DATETIME"):
        if all(type(v) is str or v is None for v in values):
            return text_column(values)
        return text_column([None if v is None else _text(v) for v in values])
    dtype, convert = _BINARY[kind]
    n = len(values)
    nulls = _nulls(values)
    plain = _PLAIN[kind]
    numbers = None
    if set(map(type, values)) <= plain:  # already of the type (the usual case): one conversion in C
        with contextlib.suppress(OverflowError):  # one is out of range: the loop below names it
            numbers = np.array([0 if v is None else v for v in values], dtype=dtype)
    if numbers is None:
        converted = []
        for i, v in enumerate(values):
            try:
                converted.append(0 if v is None else convert(v))
            except (TypeError, ValueError, OverflowError):
                layer, field, record = where(i)
                raise InputError("store.bad_value", layer=layer, field=field, kind=kind, record=record,
                                 value=repr(v)) from None
        try:
            numbers = np.array(converted, dtype=dtype)
        except OverflowError:
            i = next(k for k, v in enumerate(converted) if not _fits(v, dtype))
            layer, field, record = where(i)
            raise InputError("store.bad_value", layer=layer, field=field, kind=kind, record=record,
                             value=repr(values[i])) from None
    size = np.dtype(dtype).itemsize
    data = np.ascontiguousarray(numbers[~nulls]).view(np.uint8)
    return data, _offsets(np.full(n - int(nulls.sum()), size, dtype=np.int64), nulls), nulls


def buffer_column(data: npt.NDArray[np.uint8], offsets: npt.NDArray[np.int64]) -> Column:
    """A column already encoded as one buffer (WKB geometries); an empty entry is null."""
    return data, offsets, offsets[1:] == offsets[:-1]


def int8_column(values: Sequence[int]) -> Column:
    """A column of bigint values, none null (feature ids)."""
    data = np.asarray(values, dtype=">i8").view(np.uint8)
    return data, np.arange(len(values) + 1, dtype=np.int64) * 8, np.zeros(len(values), dtype=np.bool_)


def constant_int8_column(value: int | None, n: int) -> Column:
    """The same bigint (or null) on every row."""
    if value is None:
        return np.zeros(0, dtype=np.uint8), np.zeros(n + 1, dtype=np.int64), np.ones(n, dtype=np.bool_)
    return int8_column([value] * n)


def copy_rows(columns: Sequence[Column]) -> bytes:
    """The binary COPY rows these columns make (all of one length), without header or trailer."""
    n = len(columns[0][2])
    if any(len(c[2]) != n for c in columns):
        raise ValueError("COPY columns of different lengths")
    data = np.concatenate([c[0] for c in columns])
    bases = np.cumsum([0, *(len(c[0]) for c in columns[:-1])])
    offsets = np.stack([c[1] + b for c, b in zip(columns, bases, strict=True)])
    nulls = np.stack([c[2] for c in columns])
    return bytes(_interleave(data, offsets, nulls))


def _nulls(values: Sequence[Any]) -> npt.NDArray[np.bool_]:
    if None not in values:  # a scan in C: the usual case
        return np.zeros(len(values), dtype=np.bool_)
    return np.fromiter((v is None for v in values), dtype=np.bool_, count=len(values))


def _offsets(lengths: npt.NDArray[np.int64], nulls: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    full = np.zeros(len(nulls), dtype=np.int64)
    full[~nulls] = lengths
    offsets = np.zeros(len(nulls) + 1, dtype=np.int64)
    np.cumsum(full, out=offsets[1:])
    return offsets


@njit(cache=True, nogil=True)
def _interleave(data: Any, offsets: Any, nulls: Any) -> Any:
    k, n = nulls.shape
    size = 0
    for i in range(n):
        size += 2 + 4 * k  # the field count, and a length per field
        for c in range(k):
            if not nulls[c, i]:
                size += offsets[c, i + 1] - offsets[c, i]
    out = np.empty(size, dtype=np.uint8)
    pos = 0
    for i in range(n):
        out[pos] = (k >> 8) & 255
        out[pos + 1] = k & 255
        pos += 2
        for c in range(k):
            length = -1 if nulls[c, i] else offsets[c, i + 1] - offsets[c, i]
            for b in range(4):  # big-endian int32 (two's complement for -1)
                out[pos + b] = (length >> (8 * (3 - b))) & 255
            pos += 4
            if length > 0:
                lo = offsets[c, i]
                out[pos : pos + length] = data[lo : lo + length]
                pos += length
    return out


def _text(value: Any) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _integer(value: Any) -> int:
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    if isinstance(value, str):
        return int(value.strip())
    return int(value)


def _date(value: Any) -> int:
    if isinstance(value, str):
        value = dt.date.fromisoformat(value.strip())
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        raise TypeError(value)
    return value.toordinal() - _EPOCH


def _fits(value: Any, dtype: str) -> bool:
    try:
        np.array([value], dtype=dtype)
    except OverflowError:
        return False
    return True


_BINARY: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "INTEGER": (">i8", _integer), "REAL": (">f8", float), "DATE": (">i4", _date), "BOOLEAN": ("u1", bool),
}
_PLAIN: dict[str, set[type]] = {"INTEGER": {int, type(None)}, "REAL": {float, int, type(None)},
                                "DATE": set(), "BOOLEAN": {bool, type(None)}}
