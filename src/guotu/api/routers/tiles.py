"""Vector tiles (OGC API – Tiles, WebMercatorQuad, MVT), TileJSON 3.0 and tileset metadata."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from guotu.api.deps import ContextDep, Reader, StoreDep, TilesDep
from guotu.api.errors import responses
from guotu.api.responses import MVT, MVTResponse
from guotu.api.routers.ogc import CRS84, base_url
from guotu.core.errors import NotFoundError
from guotu.core.tiles import HALF_WORLD, MAX_ZOOM, TILE_MATRIX_SET, TILE_MATRIX_SET_URI, parse_tile
from guotu.onemap import query
from guotu.onemap.tiles import Tile
from guotu.store.base import LayerInfo

router = APIRouter(prefix="/ogc", tags=["vector tiles"])

MERCATOR_URI = "http://www.opengis.net/def/crs/EPSG/0/3857"
_JSON = "application/json"
_OBJECT: dict[int | str, dict[str, Any]] = {
    200: {"content": {_JSON: {"schema": {"type": "object"}}}, "description": "a JSON document"}}
_FIELD_TYPES = {"INTEGER": "Number", "REAL": "Number", "BOOLEAN": "Boolean"}
Datetime = Annotated[str | None, Query(description="a date: the features in force that day (default today)")]


def _check_tms(name: str) -> None:
    if name != TILE_MATRIX_SET:
        raise NotFoundError("tiles.unknown_matrix_set", name=name[:40])


def _template(base: str, layer: str, day: dt.date | None) -> str:
    url = f"{base}/ogc/collections/{layer}/tiles/{TILE_MATRIX_SET}/{{z}}/{{y}}/{{x}}"
    return url + (f"?datetime={day.isoformat()}" if day else "")


def _bounds(info: LayerInfo) -> list[float]:
    return list(info.bounds) if info.bounds else [-180.0, -85.0511287798066, 180.0, 85.0511287798066]


def _fields(info: LayerInfo) -> dict[str, str]:
    return {"fid": "Number", **{k: _FIELD_TYPES.get(v, "String") for k, v in info.fields.items()}}


def _geometry_kind(info: LayerInfo) -> str:
    kind = info.geometry_type.removeprefix("MULTI")
    return {"POINT": "points", "LINESTRING": "lines", "POLYGON": "polygons"}.get(kind, "geometry")


@router.get("/collections/{layer}/tiles", summary="The tilesets of a collection",
            responses={**_OBJECT, **responses(401, 403, 404)})
def tilesets(layer: str, request: Request, user: Reader, store: StoreDep) -> JSONResponse:
    info = store.layer(layer)
    href = f"{base_url(request)}/ogc/collections/{layer}/tiles/{TILE_MATRIX_SET}"
    return JSONResponse({"tilesets": [{
        "title": info.title or info.name, "dataType": "vector", "crs": MERCATOR_URI,
        "tileMatrixSetURI": TILE_MATRIX_SET_URI,
        "links": [{"href": href, "rel": "self", "type": _JSON, "title": "tileset"},
                  {"href": f"{base_url(request)}/ogc/tileMatrixSets/{TILE_MATRIX_SET}",
                   "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": _JSON}],
    }]})


@router.get("/collections/{layer}/tiles/{tms}", summary="Tileset metadata (OGC API – Tiles)",
            responses={**_OBJECT, **responses(400, 401, 403, 404)})
def tileset(layer: str, tms: str, request: Request, user: Reader, store: StoreDep, ctx: ContextDep,
            datetime: Datetime = None) -> JSONResponse:
    _check_tms(tms)
    info = store.layer(layer)
    day = query.parse_datetime(datetime)
    base = base_url(request)
    b = _bounds(info)
    return JSONResponse({
        "title": info.title or info.name, "dataType": "vector", "crs": MERCATOR_URI,
        "tileMatrixSetURI": TILE_MATRIX_SET_URI,
        "boundingBox": {"lowerLeft": b[:2], "upperRight": b[2:], "crs": CRS84},
        "minZoom": 0, "maxZoom": ctx.settings.tile_max_zoom,
        "layers": [{"id": info.name, "title": info.title, "dataType": "vector", "geometryType": _geometry_kind(info),
                    "minTileMatrix": "0", "maxTileMatrix": str(ctx.settings.tile_max_zoom),
                    "propertiesSchema": {"type": "object", "properties": {
                        k: {"type": v.lower()} for k, v in _fields(info).items()}}}],
        "links": [
            {"href": str(request.url), "rel": "self", "type": _JSON},
            {"href": _template(base, layer, day), "rel": "item", "type": MVT, "templated": True},
            {"href": f"{base}/ogc/collections/{layer}/tiles/{TILE_MATRIX_SET}/tilejson.json"
                     + (f"?datetime={day.isoformat()}" if day else ""),
             "rel": "alternate", "type": _JSON, "title": "TileJSON"},
            {"href": f"{base}/ogc/tileMatrixSets/{TILE_MATRIX_SET}",
             "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": _JSON},
        ],
    })


@router.get("/collections/{layer}/tiles/{tms}/tilejson.json", summary="TileJSON 3.0 of a layer's vector tiles",
            responses={**_OBJECT, **responses(400, 401, 403, 404)})
def tilejson(layer: str, tms: str, request: Request, user: Reader, store: StoreDep, ctx: ContextDep,
             datetime: Datetime = None) -> JSONResponse:
    _check_tms(tms)
    info = store.layer(layer)
    day = query.parse_datetime(datetime)
    b = _bounds(info)
    maxzoom = ctx.settings.tile_max_zoom
    return JSONResponse({
        "tilejson": "3.0.0", "name": info.name, "description": info.title, "version": "1.0.0", "scheme": "xyz",
        "tiles": [_template(base_url(request), layer, day)],
        "minzoom": 0, "maxzoom": maxzoom, "bounds": b,
        "center": [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2, min(10, maxzoom)],
        "vector_layers": [{"id": info.name, "description": info.title, "minzoom": 0, "maxzoom": maxzoom,
                           "fields": _fields(info)}],
    })


@router.get(
    "/collections/{layer}/tiles/{tms}/{z}/{y}/{x}",
    summary="One vector tile (MVT); 204 when the tile holds no feature",
    response_class=MVTResponse,
    responses={200: {"content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
                     "description": "a Mapbox Vector Tile with one layer named as the collection"},
               204: {"description": "an empty tile"}, **responses(400, 401, 403, 404)},
)
def tile(layer: str, tms: str, z: str, y: str, x: str, request: Request, user: Reader, tiles: TilesDep,
         datetime: Datetime = None) -> Response:
    _check_tms(tms)
    zi, yi, xi = parse_tile(z, y, x)
    return tile_response(tiles.entry(layer, zi, xi, yi, query.parse_datetime(datetime)),
                         request.headers.get("if-none-match"))


CACHE_CONTROL = "private, no-cache"  # a browser keeps the tile and revalidates it (ETag → 304): edits show at once


def tile_response(tile: Tile, if_none_match: str | None) -> Response:
    """200 with the MVT, 204 for an empty tile, 304 when the client holds this version (``If-None-Match``)."""
    headers = {"ETag": tile.etag, "Cache-Control": CACHE_CONTROL}
    if if_none_match is not None and tile.etag in {t.strip() for t in if_none_match.split(",")}:
        return Response(status_code=304, headers=headers)
    if tile.data is None:
        return Response(status_code=204, headers=headers)
    return MVTResponse(tile.data, headers=headers)


@router.get("/tileMatrixSets", summary="The tile matrix sets", responses={**_OBJECT, **responses(401, 403)})
def tile_matrix_sets(request: Request, user: Reader) -> JSONResponse:
    return JSONResponse({"tileMatrixSets": [{
        "id": TILE_MATRIX_SET, "title": "Google Maps Compatible for the World", "uri": TILE_MATRIX_SET_URI,
        "links": [{"href": f"{base_url(request)}/ogc/tileMatrixSets/{TILE_MATRIX_SET}", "rel": "self",
                   "type": _JSON}]}]})


@router.get("/tileMatrixSets/{tms}", summary="The WebMercatorQuad tile matrix set",
            responses={**_OBJECT, **responses(401, 403, 404)})
def tile_matrix_set(tms: str, user: Reader) -> JSONResponse:
    _check_tms(tms)
    matrices: list[dict[str, Any]] = []
    for z in range(MAX_ZOOM + 1):
        cell = 2 * HALF_WORLD / 256 / (1 << z)
        matrices.append({"id": str(z), "scaleDenominator": cell / 0.00028, "cellSize": cell,
                         "cornerOfOrigin": "topLeft", "pointOfOrigin": [-HALF_WORLD, HALF_WORLD],
                         "tileWidth": 256, "tileHeight": 256, "matrixWidth": 1 << z, "matrixHeight": 1 << z})
    return JSONResponse({"id": TILE_MATRIX_SET, "title": "Google Maps Compatible for the World",
                         "uri": TILE_MATRIX_SET_URI, "crs": MERCATOR_URI, "orderedAxes": ["X", "Y"],
                         "wellKnownScaleSet": "http://www.opengis.net/def/wkss/OGC/1.0/GoogleMapsCompatible",
                         "tileMatrices": matrices})
