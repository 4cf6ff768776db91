"""Importers and exporters, chosen by file suffix.

Every reader returns a :class:`~guotu.formats.common.ReadResult` whose batch is in the file's own CRS
after the CRS plausibility checks; every writer takes a batch in any CRS.

================  ===========================  =====================================
format            suffix                       notes
================  ===========================  =====================================
GeoPackage        .gpkg (``FILE.gpkg:LAYER``)  CRS from the file
GeoJSON           .geojson, .json              lon/lat (RFC 7946) unless ``crs`` says otherwise
Shapefile         .shp                         GBK/UTF-8 via .cpg or detection; .prj required
coordinate txt    .txt                         the ministry's ``[属性描述]``/``[地块坐标]`` file
================  ===========================  =====================================
"""

from __future__ import annotations

from pathlib import Path

from guotu.core.errors import FormatError
from guotu.core.features import FeatureBatch
from guotu.formats.common import ReadResult

SUFFIXES = {".gpkg": "gpkg", ".geojson": "geojson", ".json": "geojson", ".shp": "shapefile", ".txt": "coordtxt"}


def split_layer(spec: str) -> tuple[Path, str | None]:
    """``FILE.gpkg:LAYER`` → (path, layer); any other path → (path, None)."""
    head, sep, tail = spec.rpartition(":")
    if sep and head.lower().endswith(".gpkg") and tail and "/" not in tail:
        return Path(head), tail
    return Path(spec), None


def format_of(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise FormatError("formats.unknown_suffix", path=str(path), suffixes=", ".join(sorted(SUFFIXES)))
    return kind


def read_features(
    spec: str | Path, *, crs: int | None = None, encoding: str | None = None, layer: str | None = None,
    gcj02: bool = False,
) -> ReadResult:
    """Read any supported file into a batch (in the file's CRS), with precise errors.

    ``gcj02`` declares lon/lat taken from a Chinese web map (GCJ-02): the offset is removed and the
    result is CGCS2000.
    """
    result = _read(spec, crs=crs, encoding=encoding, layer=layer)
    if gcj02:
        from guotu.core.crs import CGCS2000, GEOGRAPHIC, gcj02_geometries_to_wgs84
        from guotu.core.errors import CRSError

        batch = result.batch
        if batch.epsg not in GEOGRAPHIC:
            raise CRSError("formats.gcj02_not_geographic", source=result.source, epsg=batch.epsg)
        # A new batch (without the reader's flat form, which holds the shifted coordinates).
        result.batch = FeatureBatch(gcj02_geometries_to_wgs84(batch.geometry), batch.attributes, batch.fields,
                                    CGCS2000, batch.ids, batch.editions)
        result.notes.append("gcj02")
    return result


def _read(spec: str | Path, *, crs: int | None, encoding: str | None, layer: str | None) -> ReadResult:
    path, named_layer = split_layer(str(spec))
    layer = layer or named_layer
    kind = format_of(path)
    if kind == "gpkg":
        from guotu.formats.ogr import read_gpkg

        return read_gpkg(path, layer=layer, crs=crs)
    if kind == "geojson":
        from guotu.formats.geojson import read_geojson

        return read_geojson(path, crs=crs)
    if kind == "shapefile":
        from guotu.formats.shapefile import read_shapefile

        return read_shapefile(path, crs=crs, encoding=encoding)
    from guotu.formats.common import require_nonempty
    from guotu.formats.coordtxt import read_coordtxt

    require_nonempty(path)
    txt = read_coordtxt(path, encoding=encoding)
    return ReadResult(txt.parcels, str(path), txt.encoding, [f"epsg:{txt.epsg}"])


def write_features(batch: FeatureBatch, spec: str | Path, *, encoding: str | None = None) -> None:
    """Write a batch to any supported file (GeoPackage layer name from ``FILE.gpkg:LAYER``)."""
    path, layer = split_layer(str(spec))
    kind = format_of(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "gpkg":
        from guotu.formats.ogr import write_ogr

        # Not append: GDAL keeps the file's other layers and replaces a layer of the same name.
        write_ogr(batch, path, driver="GPKG", layer=layer or path.stem)
    elif kind == "geojson":
        from guotu.formats.geojson import write_geojson

        write_geojson(batch, path)
    elif kind == "shapefile":
        from guotu.formats.shapefile import write_shapefile

        write_shapefile(batch, path, encoding=encoding or "UTF-8")
    else:
        from guotu.formats.coordtxt import write_coordtxt

        write_coordtxt(batch, path, encoding=encoding or "gbk")


__all__ = ["ReadResult", "read_features", "split_layer", "write_features"]
