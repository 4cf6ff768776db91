"""Response classes: GeoJSON (UTF-8, Chinese kept as is) and Mapbox Vector Tiles."""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse, Response

from guotu.core.features import FeatureBatch
from guotu.formats.geojson import to_features

GEOJSON = "application/geo+json"
MVT = "application/vnd.mapbox-vector-tile"


class GeoJSONResponse(JSONResponse):
    media_type = GEOJSON

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


class MVTResponse(Response):
    media_type = MVT


def feature_dicts(batch: FeatureBatch, *, with_edition: bool = True, precision: int = 9,
                  swap_axes: bool = False) -> list[dict[str, Any]]:
    extra = {"edition": list(batch.editions)} if with_edition and batch.editions is not None and any(
        batch.editions) else None
    return to_features(batch, precision=precision, swap_axes=swap_axes, extra=extra)
