"""Shapefile reading and writing with attention to the attribute encoding and the .prj.

Chinese shapefiles come in GBK or UTF-8. The encoding is taken, in order, from ``--encoding``, from
the ``.cpg`` file, or detected: every text value of the .dbf must decode as strict UTF-8, otherwise
GB18030 (a superset of GBK) is used. A declared encoding that does not decode every value is an error
naming the record and the field, so a GBK file is never loaded as UTF-8 mojibake. A missing ``.prj``
is refused unless the CRS is given.
"""

from __future__ import annotations

import codecs
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pyogrio
import pyogrio.raw

from guotu.core.crs import CGCS2000, epsg_of
from guotu.core.errors import CRSError, EncodingError, FormatError
from guotu.core.features import FeatureBatch
from guotu.formats.common import ReadResult, batch_from_wkb, check_batch_coordinates, require_nonempty

_CPG_ALIASES = {"UTF8": "utf-8", "UTF-8": "utf-8", "GBK": "gbk", "CP936": "gbk", "936": "gbk",
                "GB2312": "gbk", "GB18030": "gb18030", "65001": "utf-8"}


def dbf_text_fields(dbf: Path) -> tuple[list[str], list[list[bytes]]]:
    """Raw bytes of every character field of a dBase III file: (field names, rows of values)."""
    data = dbf.read_bytes()
    if len(data) < 32:
        raise FormatError("shapefile.bad_dbf", path=str(dbf), detail="header shorter than 32 bytes")
    n_records, header_len, record_len = struct.unpack_from("<IHH", data, 4)
    fields: list[tuple[bytes, str, int, int]] = []
    pos, offset = 32, 1
    while pos + 32 <= header_len and data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\x00", 1)[0]
        kind = chr(data[pos + 11])
        length = data[pos + 16]
        fields.append((name, kind, offset, length))
        offset += length
        pos += 32
    expected = header_len + n_records * record_len
    if len(data) < expected:
        raise FormatError("shapefile.truncated_dbf", path=str(dbf), expected=expected, actual=len(data))
    text = [(n, o, ln) for n, k, o, ln in fields if k == "C"]
    rows: list[list[bytes]] = []
    for r in range(n_records):
        base = header_len + r * record_len
        rows.append([data[base + o : base + o + ln].rstrip(b" \x00") for _, o, ln in text])
    return [n.decode("latin-1") for n, _, _ in text], rows


def detect_encoding(dbf: Path, declared: str | None, source: str) -> str:
    """The encoding to read ``dbf`` with; a declared one is verified on every text value."""
    names, rows = dbf_text_fields(dbf)
    if declared:
        codec = _codec(declared, source)
        for r, row in enumerate(rows, start=1):
            for name, value in zip(names, row, strict=True):
                try:
                    value.decode(codec)
                except UnicodeDecodeError as exc:
                    hint = "gbk" if codec == "utf-8" and _decodes(value, "gb18030") else "?"
                    raise EncodingError("shapefile.wrong_encoding", source=source, record=r, field=name,
                                        encoding=declared, hint=hint, offset=exc.start) from exc
        return codec
    if all(_decodes(v, "utf-8") for row in rows for v in row):
        return "utf-8"
    for r, row in enumerate(rows, start=1):
        for name, value in zip(names, row, strict=True):
            if not _decodes(value, "gb18030"):
                raise EncodingError("shapefile.undecodable", source=source, record=r, field=name)
    return "gb18030"


def _decodes(value: bytes, codec: str) -> bool:
    try:
        value.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _codec(name: str, source: str) -> str:
    key = name.strip().upper()
    codec = _CPG_ALIASES.get(key, name.strip().lower())
    try:
        codecs.lookup(codec)
    except LookupError as exc:
        raise EncodingError("shapefile.unknown_encoding", source=source, encoding=name) from exc
    return codec


def read_shapefile(
    path: str | Path, *, crs: int | None = None, encoding: str | None = None, source: str | None = None
) -> ReadResult:
    shp = Path(path)
    src = source or str(shp)
    require_nonempty(shp)
    stem = shp.with_suffix("")
    dbf = _sidecar(stem, ".dbf")
    if dbf is None:
        raise FormatError("shapefile.missing_part", source=src, part=".dbf")
    if _sidecar(stem, ".shx") is None:
        raise FormatError("shapefile.missing_part", source=src, part=".shx")
    prj = _sidecar(stem, ".prj")
    cpg = _sidecar(stem, ".cpg")
    declared = encoding
    notes: list[str] = []
    if declared is None and cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip() or None
        notes.append(f"cpg:{declared}")
    codec = detect_encoding(dbf, declared, src)
    if crs is None:
        if prj is None:
            raise CRSError("shapefile.missing_prj", source=src)
        try:
            crs = epsg_of(prj.read_text(encoding="utf-8", errors="replace"))
        except CRSError as exc:
            raise CRSError("shapefile.unknown_prj", source=src) from exc
        if crs is None:
            raise CRSError("shapefile.unknown_prj", source=src)
    try:
        meta, fids, wkb, columns = pyogrio.raw.read(shp, encoding=_gdal_encoding(codec), return_fids=True)[:4]
    except Exception as exc:
        raise FormatError("formats.unreadable", source=src, detail=str(exc).splitlines()[0]) from exc
    if len(wkb) == 0:
        raise FormatError("formats.no_features", source=src)
    ids = [int(f) + 1 for f in fids]  # record numbers, 1-based as users count them
    batch = batch_from_wkb(wkb, list(meta["fields"]), columns, crs, ids, src)
    check_batch_coordinates(batch, src)
    return ReadResult(batch, src, codec, notes)


def _gdal_encoding(codec: str) -> str:
    return {"utf-8": "UTF-8", "gbk": "CP936", "gb18030": "GB18030"}.get(codec, codec.upper())


def _sidecar(stem: Path, suffix: str) -> Path | None:
    for candidate in (stem.with_suffix(suffix), stem.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return None


def write_shapefile(batch: FeatureBatch, path: str | Path, *, encoding: str = "UTF-8") -> None:
    """Write a shapefile with a .prj and a .cpg (UTF-8 by default; GBK for older desktop tools)."""
    from guotu.formats.ogr import write_ogr

    write_ogr(batch, path, driver="ESRI Shapefile", layer=Path(path).stem, encoding=encoding)
    Path(path).with_suffix(".cpg").write_text("UTF-8" if encoding.upper() in ("UTF-8", "UTF8") else
                                              "GBK", encoding="ascii")


def fields_for_ogr(batch: FeatureBatch) -> tuple[list[str], list[np.ndarray[Any, Any]]]:
    names = list(batch.attributes)
    arrays: list[np.ndarray[Any, Any]] = []
    for n in names:
        kind = batch.fields.get(n, "TEXT")
        values = batch.attributes[n]
        if kind == "INTEGER" and all(v is not None for v in values):
            arrays.append(np.asarray(values, dtype=np.int64))
        elif kind in ("INTEGER", "REAL"):
            arrays.append(np.asarray([np.nan if v is None else float(v) for v in values], dtype=np.float64))
        else:
            arrays.append(np.asarray([None if v is None else (v.isoformat() if hasattr(v, "isoformat")
                                      else str(v)) for v in values], dtype=object))
    return names, arrays


__all__ = ["CGCS2000", "read_shapefile", "write_shapefile"]
