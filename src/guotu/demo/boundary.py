"""The demo county's boundary: Pinghu (330482) as published by DataV in GCJ-02, converted to CGCS2000.

The packaged file ``guotu/data/pinghu_330482_gcj02.geojson`` holds the polygon exactly as published
(GCJ-02, the obfuscated coordinates of Chinese web maps, about 500 m off). :func:`load_boundary`
removes the offset with :func:`guotu.core.crs.gcj02_to_wgs84`. That yields WGS84, which agrees with
CGCS2000 (EPSG:4490) within about 1 m in Pinghu, well below the accuracy of the published line, so
the result is used as CGCS2000. Demo and test data only; see ``guotu/data/PINGHU_SOURCE.md``.

>>> b = load_boundary()
>>> b.geom_type, len(b.geoms), b.is_valid
('MultiPolygon', 7, True)
>>> [round(v, 3) for v in b.bounds]
[120.947, 30.479, 121.335, 30.859]
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import shapely

from guotu.core.crs import gcj02_geometries_to_wgs84

ADCODE = "330482"
COUNTY_NAME = "平湖市"
BOUNDARY_FILE = "pinghu_330482_gcj02.geojson"


@cache
def load_boundary_gcj02() -> Any:
    """The packaged boundary as published: a shapely MultiPolygon in GCJ-02 lon/lat."""
    text = (resources.files("guotu") / "data" / BOUNDARY_FILE).read_text(encoding="utf-8")
    collection = json.loads(text)
    (feature,) = collection["features"]
    return shapely.geometry.shape(feature["geometry"])


@cache
def load_boundary() -> Any:
    """The boundary in CGCS2000 lon/lat (EPSG:4490): GCJ-02 removed (WGS84 ≈ CGCS2000 within ~1 m)."""
    return gcj02_geometries_to_wgs84(np.array([load_boundary_gcj02()], dtype=object))[0]
