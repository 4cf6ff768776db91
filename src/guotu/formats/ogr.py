"""Reading and writing through GDAL (pyogrio): foreign GeoPackages and the writers of all formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyogrio
import pyogrio.raw
import shapely

from guotu.core.crs import epsg_of
from guotu.core.errors import CRSError, FormatError, StoreError
from guotu.core.features import FeatureBatch
from guotu.formats.common import ReadResult, batch_from_wkb, check_batch_coordinates, require_nonempty
from guotu.store.base import EDITION_COLUMN


def read_gpkg(
    path: str | Path, *, layer: str | None = None, crs: int | None = None, source: str | None = None
) -> ReadResult:
    """Read one layer of any GeoPackage (the first spatial layer when none is named)."""
    from guotu.store.gpkg import check_sqlite_file

    p = Path(path)
    src = source or str(p)
    require_nonempty(p)
    try:
        check_sqlite_file(p)
    except StoreError as exc:
        raise FormatError("formats.bad_gpkg", source=src, detail=exc.message) from exc
    try:
        layers = [(str(n), t) for n, t in pyogrio.list_layers(p)]
    except Exception as exc:
        raise FormatError("formats.bad_gpkg", source=src, detail=str(exc).splitlines()[0]) from exc
    spatial = [n for n, t in layers if t is not None]
    if layer is None:
        if not spatial:
            raise FormatError("formats.no_spatial_layer", source=src)
        layer = spatial[0]
    elif layer not in spatial:
        raise FormatError("formats.no_such_layer", source=src, layer=layer, available=", ".join(spatial))
    try:
        meta, fids, wkb, columns = pyogrio.raw.read(p, layer=layer, return_fids=True)[:4]
    except Exception as exc:
        raise FormatError("formats.bad_gpkg", source=src, detail=str(exc).splitlines()[0]) from exc
    if crs is None:
        crs = epsg_of(meta.get("crs"))
        if crs is None:
            raise CRSError("formats.no_crs", source=src)
    if len(wkb) == 0:
        raise FormatError("formats.no_features", source=f"{src}:{layer}")
    names = [str(n) for n in meta["fields"]]
    keep = [i for i, n in enumerate(names) if n != EDITION_COLUMN]
    batch = batch_from_wkb(wkb, [names[i] for i in keep], [columns[i] for i in keep], crs,
                           [int(f) for f in fids], f"{src}:{layer}")
    check_batch_coordinates(batch, f"{src}:{layer}")
    return ReadResult(batch, f"{src}:{layer}", "utf-8")


def write_ogr(
    batch: FeatureBatch, path: str | Path, *, driver: str, layer: str, encoding: str | None = None,
    append: bool = False,
) -> None:
    from guotu.formats.shapefile import fields_for_ogr

    names, arrays = fields_for_ogr(batch)
    geoms = batch.geometry
    types = sorted({shapely.get_type_id(g) for g in geoms})
    geometry_type = {(3,): "Polygon", (6,): "MultiPolygon", (3, 6): "MultiPolygon", (0,): "Point",
                     (1,): "LineString", (5,): "MultiLineString", (1, 5): "MultiLineString",
                     (4,): "MultiPoint", (0, 4): "MultiPoint"}.get(tuple(types), "Unknown")
    if geometry_type.startswith("Multi"):
        single = {"MultiPolygon": 3, "MultiLineString": 1, "MultiPoint": 0}[geometry_type]
        maker = {3: shapely.multipolygons, 1: shapely.multilinestrings, 0: shapely.multipoints}[single]
        geoms = np.asarray([maker([g]) if shapely.get_type_id(g) == single else g for g in geoms], dtype=object)
    wkb = shapely.to_wkb(geoms, output_dimension=2)
    kwargs = {"encoding": encoding} if encoding else {}
    pyogrio.raw.write(
        str(path), wkb, arrays, names, layer=layer, driver=driver, crs=f"EPSG:{batch.epsg}",
        geometry_type=geometry_type, append=append, **kwargs,
    )
