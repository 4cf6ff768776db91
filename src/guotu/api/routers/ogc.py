"""OGC API – Features (Part 1 Core, GeoJSON, OpenAPI 3.0; Part 2 CRS) at /ogc, one collection per layer.

Coordinates are CRS84 (lon/lat) by default; ``crs=`` gives EPSG:4490 or EPSG:4326 (lat/lon order, as
those CRSs define) or EPSG:4549 (northing/easting, as EPSG defines the zone). ``datetime`` is a date:
the features in force that day (default today).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from guotu.api.deps import ContextDep, Reader, StoreDep
from guotu.api.errors import responses
from guotu.api.responses import GEOJSON, GeoJSONResponse, feature_dicts
from guotu.core.crs import CGCS2000, GEOGRAPHIC
from guotu.core.errors import InputError, NotFoundError
from guotu.core.messages import tr
from guotu.onemap import query
from guotu.store.base import Store

router = APIRouter(prefix="/ogc", tags=["OGC API – Features"])

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{}"
SUPPORTED_EPSG = (4490, 4326, 4549)
CRS_LIST = [CRS84, *(EPSG_URI.format(c) for c in SUPPORTED_EPSG)]
STORAGE_CRS = EPSG_URI.format(CGCS2000)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
]
_ITEM_PARAMS = {"bbox", "bbox-crs", "limit", "offset", "datetime", "crs", "f"}
_JSON = "application/json"
_OBJECT: dict[int | str, dict[str, Any]] = {
    200: {"content": {_JSON: {"schema": {"type": "object"}}}, "description": "a JSON document"}}
_GEO: dict[int | str, dict[str, Any]] = {
    200: {"content": {GEOJSON: {"schema": {"type": "object"}}}, "description": "GeoJSON"}}


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def parse_crs(text: str | None, param: str = "crs") -> tuple[int, bool, str]:
    """(EPSG code, whether coordinates are in (y, x) order, the CRS URI) of a crs/bbox-crs value."""
    if text is None or not text.strip():
        return CGCS2000, False, CRS84
    value = text.strip().strip("[]")
    upper = value.upper()
    if upper in ("CRS84", "OGC:CRS84") or value.rstrip("/") == CRS84:
        return CGCS2000, False, CRS84
    code: int | None = None
    for prefix in ("http://www.opengis.net/def/crs/EPSG/0/", "https://www.opengis.net/def/crs/EPSG/0/",
                   "EPSG:", "URN:OGC:DEF:CRS:EPSG::"):
        if upper.startswith(prefix.upper()) and value[len(prefix):].isdigit():
            code = int(value[len(prefix):])
    if code not in SUPPORTED_EPSG:
        raise InputError("api.bad_crs", crs=value[:80], allowed=", ".join(CRS_LIST))
    assert code is not None
    return code, query.axis_swapped(code), EPSG_URI.format(code)


def _link(href: str, rel: str, type_: str = _JSON, title: str = "", **more: Any) -> dict[str, Any]:
    out = {"href": href, "rel": rel, "type": type_, **more}
    if title:
        out["title"] = title
    return out


def collection_doc(store: Store, name: str, base: str) -> dict[str, Any]:
    info = store.layer(name)
    editions = [e for e in store.editions(name) if e.status != "draft"]
    href = f"{base}/ogc/collections/{name}"
    doc: dict[str, Any] = {
        "id": info.name, "title": info.title or info.name, "description": info.title or info.name,
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [list(info.bounds)] if info.bounds else [[-180.0, -90.0, 180.0, 90.0]],
                               "crs": CRS84}},
        "crs": CRS_LIST, "storageCrs": STORAGE_CRS,
        "links": [
            _link(href, "self", title=info.title),
            _link(f"{href}/items", "items", GEOJSON, "features"),
            _link(f"{href}/tiles", "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector", _JSON, "vector tiles"),
        ],
    }
    if editions:
        start = min(e.valid_from for e in editions).isoformat()
        ends = [e.valid_to for e in editions]
        end = None if any(v is None for v in ends) else max(v for v in ends if v is not None).isoformat()
        doc["extent"]["temporal"] = {"interval": [[start, end]],
                                     "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return doc


@router.get("", summary="Landing page", responses={**_OBJECT, **responses(401, 403)})
def landing(request: Request, user: Reader, ctx: ContextDep) -> JSONResponse:
    base = base_url(request)
    return JSONResponse({
        "title": tr("api.title", language=ctx.settings.lang),
        "description": tr("api.description", language=ctx.settings.lang),
        "links": [
            _link(f"{base}/ogc", "self", title="landing page"),
            _link(f"{base}/openapi.json", "service-desc", "application/vnd.oai.openapi+json;version=3.0", "OpenAPI"),
            _link(f"{base}/docs", "service-doc", "text/html", "API documentation"),
            _link(f"{base}/ogc/conformance", "conformance", title="conformance classes"),
            _link(f"{base}/ogc/collections", "data", title="collections"),
            _link(f"{base}/ogc/tileMatrixSets", "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes",
                  title="tile matrix sets"),
        ],
    })


@router.get("/conformance", summary="Conformance classes", responses={**_OBJECT, **responses(401, 403)})
def conformance(user: Reader) -> JSONResponse:
    return JSONResponse({"conformsTo": CONFORMANCE})


@router.get("/collections", summary="The collections (one per layer)", responses={**_OBJECT, **responses(401, 403)})
def collections(request: Request, user: Reader, store: StoreDep) -> JSONResponse:
    base = base_url(request)
    return JSONResponse({
        "links": [_link(f"{base}/ogc/collections", "self")],
        "collections": [collection_doc(store, info.name, base) for info in store.layers()],
        "crs": CRS_LIST,
    })


@router.get("/collections/{layer}", summary="One collection", responses={**_OBJECT, **responses(401, 403, 404)})
def collection(layer: str, request: Request, user: Reader, store: StoreDep) -> JSONResponse:
    return JSONResponse(collection_doc(store, layer, base_url(request)))


@router.get(
    "/collections/{layer}/items",
    summary="Features of a collection; any other parameter FIELD=VALUE filters",
    responses={**_GEO, **responses(400, 401, 403, 404, 422)},
)
def items(
    layer: str, request: Request, user: Reader, store: StoreDep, ctx: ContextDep,
    bbox: Annotated[str | None, Query(description="minx,miny,maxx,maxy in bbox-crs (default CRS84)")] = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs", description="CRS of bbox (a URI)")] = None,
    limit: Annotated[int, Query(ge=1, description="page size (larger values are clamped to GUOTU_MAX_ITEMS)",
                                json_schema_extra={"maximum": 10_000})] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
    datetime: Annotated[str | None, Query(description="a date: the features in force that day")] = None,
    crs: Annotated[str | None, Query(description="CRS of the response (a URI); default CRS84")] = None,
) -> GeoJSONResponse:
    info = store.layer(layer)
    out_epsg, out_swap, out_uri = parse_crs(crs)
    box = None
    if bbox:
        b_epsg, b_swap, _ = parse_crs(bbox_crs, "bbox-crs")
        box = query.bbox_to_storage(query.parse_bbox(bbox), b_epsg, swap_axes=b_swap)
    filters = {k: v for k, v in request.query_params.items() if k not in _ITEM_PARAMS and k in info.fields}
    page = query.features_page(
        store, layer, bbox=box, as_of=query.parse_datetime(datetime), where=query.parse_filters(info, filters) or None,
        limit=min(limit, ctx.settings.max_items), offset=offset, cache=ctx.reads, max_limit=ctx.settings.max_items,
    )
    batch = page.batch.to_epsg(out_epsg)
    links = [_link(str(request.url), "self", GEOJSON),
             _link(f"{base_url(request)}/ogc/collections/{layer}", "collection", _JSON)]
    if page.has_next:
        links.append(_link(str(request.url.include_query_params(offset=offset + page.limit, limit=page.limit)),
                           "next", GEOJSON))
    if offset > 0:
        links.append(_link(str(request.url.include_query_params(offset=max(0, offset - page.limit),
                                                                 limit=page.limit)), "prev", GEOJSON))
    return GeoJSONResponse(
        {"type": "FeatureCollection",
         "features": feature_dicts(batch, with_edition=False, precision=_precision(out_epsg), swap_axes=out_swap),
         "numberMatched": page.matched, "numberReturned": page.returned,
         "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "links": links},
        headers={"Content-Crs": f"<{out_uri}>"},
    )


@router.get("/collections/{layer}/items/{fid}", summary="One feature",
            responses={**_GEO, **responses(400, 401, 403, 404)})
def item(
    layer: str, fid: str, request: Request, user: Reader, store: StoreDep,
    crs: Annotated[str | None, Query(description="CRS of the response (a URI); default CRS84")] = None,
) -> GeoJSONResponse:
    store.layer(layer)
    out_epsg, out_swap, out_uri = parse_crs(crs)
    if not fid.isdigit():
        raise NotFoundError("store.unknown_feature", layer=layer, fid=fid[:40])
    batch = query.get_feature(store, layer, int(fid)).to_epsg(out_epsg)
    feature = feature_dicts(batch, with_edition=False, precision=_precision(out_epsg), swap_axes=out_swap)[0]
    feature["links"] = [_link(str(request.url), "self", GEOJSON),
                        _link(f"{base_url(request)}/ogc/collections/{layer}", "collection", _JSON)]
    return GeoJSONResponse(feature, headers={"Content-Crs": f"<{out_uri}>"})


def _precision(epsg: int) -> int:
    return 9 if epsg in GEOGRAPHIC else 4
