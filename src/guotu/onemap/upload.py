"""Compliance review of what a user sends over the web: an uploaded file or a GeoJSON document.

The web layer saves the upload in a temporary folder under its own (sanitised) name; this module
unpacks a zipped Shapefile, reads the site like ``guotu check`` does, reviews it, and makes every
message name the file as the user knows it (never the temporary path).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import CGCS2000
from guotu.core.errors import FormatError, GuotuError
from guotu.core.features import FeatureBatch
from guotu.core.geometry import area_m2
from guotu.core.policy import DEFAULT_POLICY, GeometryPolicy
from guotu.core.units import report_m2, report_mu
from guotu.formats import read_features
from guotu.formats.archive import extract_zip, site_file
from guotu.formats.geojson import parse_geojson, to_features
from guotu.onemap.compliance import Review, review_site
from guotu.store.base import Store

UPLOAD_SUFFIXES = (".txt", ".geojson", ".json", ".gpkg", ".zip")
_UNSAFE = re.compile(r"[^\w.\-（）()\[\] ]+")


def safe_filename(filename: str | None) -> str:
    """The base name of an uploaded file with only harmless characters (its suffix kept).

    >>> safe_filename("../../etc/红线 v2.txt"), safe_filename(None)
    ('红线 v2.txt', 'site')
    """
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = _UNSAFE.sub("_", base).lstrip(".")[:120]
    return base or "site"


def check_suffix(name: str) -> None:
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise FormatError("upload.bad_suffix", name=name, suffixes=", ".join(UPLOAD_SUFFIXES))


def review_upload(
    store: Store, path: Path, *, date: dt.date | None = None, policy: GeometryPolicy = DEFAULT_POLICY,
    max_unpacked: int = 200 * 2**20,
) -> tuple[Review, FeatureBatch]:
    """Review the site in an uploaded file saved at ``path`` (its name is the user's file name)."""
    display = path.name
    folder = path.parent
    try:
        check_suffix(display)
        target = path
        if path.suffix.lower() == ".zip":
            unpacked = folder / "unpacked"
            unpacked.mkdir()
            target = site_file(extract_zip(path, unpacked, max_bytes=max_unpacked, source=display), display)
        read = read_features(target)
        label = display if target == path else f"{display}/{target.relative_to(folder / 'unpacked')}"
        review = review_site(store, read.batch, date=date, policy=policy, source=label)
        return review, read.batch
    except GuotuError as exc:
        _hide_folder(exc, folder, display)
        raise


def _hide_folder(exc: GuotuError, folder: Path, display: str) -> None:
    """Name the user's file in the message, not the temporary folder it was saved in."""
    roots = [str(folder / "unpacked") + "/", str(folder) + "/", str(folder)]
    for key, value in list(exc.params.items()):
        if isinstance(value, str):
            for root in roots:
                value = value.replace(root, "" if root.endswith("/") else display)
            exc.params[key] = value


def review_document(
    store: Store, doc: Any, *, date: dt.date | None = None, policy: GeometryPolicy = DEFAULT_POLICY,
    source: str = "GeoJSON",
) -> tuple[Review, FeatureBatch]:
    """Review a site given as a GeoJSON geometry, Feature or FeatureCollection (already parsed JSON)."""
    if not isinstance(doc, dict):
        raise FormatError("geojson.not_geojson", source=source)
    read = parse_geojson(doc, source=source)
    return review_site(store, read.batch, date=date, policy=policy, source=source), read.batch


def review_geometry(review: Review, site: FeatureBatch) -> dict[str, Any]:
    """The site and the overlap pieces as GeoJSON FeatureCollections (lon/lat), for drawing on a map."""
    site_geo = site.to_epsg(CGCS2000)
    site_areas = area_m2(site_geo.geometry, CGCS2000, review.policy)
    labels = {str(f.id): f.label for f in review.features}
    site_fc = FeatureBatch(
        site_geo.geometry,
        {"label": [labels.get(str(site.record_id(i)), str(site.record_id(i))) for i in range(len(site))],
         "area_m2": [report_m2(float(a)) for a in site_areas],
         "area_mu": [report_mu(float(a)) for a in site_areas]},
        {}, CGCS2000, list(site.ids or []),
    )
    features: list[dict[str, Any]] = []
    group_labels = {(name, g.group): g.label for name, res in review.layers.items() for g in res.groups}
    for layer, pieces in review.pieces.items():
        if len(pieces) == 0:
            continue
        areas = area_m2(pieces.geometry, pieces.epsg, review.policy)
        keep = np.flatnonzero(~shapely.is_empty(pieces.geometry))
        batch = pieces.take(keep)
        groups = batch.attributes["group"]
        batch.attributes = {
            "layer": [layer] * len(batch),
            "group": groups,
            "label": [group_labels.get((layer, g), g) for g in groups],
            "area_m2": [report_m2(float(areas[k])) for k in keep],
            "site_feature": batch.attributes["site_feature"],
            "feature": batch.attributes["feature"],
        }
        batch.ids = [f"{layer}.{n}" for n in range(1, len(batch) + 1)]
        features += to_features(batch)
    return {
        "site": {"type": "FeatureCollection", "features": to_features(site_fc)},
        "overlaps": {"type": "FeatureCollection", "features": features},
    }
