"""Layers, editions and features (GeoJSON, EPSG:4490 lon/lat); identify and measure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request

from guotu.api.deps import ContextDep, EditionEditor, FeatureEditor, Reader, StoreDep
from guotu.api.errors import responses
from guotu.api.responses import GeoJSONResponse, feature_dicts
from guotu.api.schemas import (
    EditionIn,
    EditionOut,
    FeatureCollectionOut,
    FeatureOut,
    IdentifyLayer,
    IdentifyOut,
    LayerOut,
    MeasureIn,
    MeasureOut,
    WriteOut,
)
from guotu.onemap import edit, query

router = APIRouter(tags=["layers"])

_FEATURE_PARAMS = {"bbox", "as_of", "limit", "offset"}
_GEOJSON_BODY = Body(
    description="a GeoJSON Feature or FeatureCollection (lon/lat unless a legacy `crs` member names another CRS)",
    examples=[{"type": "Feature", "properties": {"name": "示例地块"},
               "geometry": {"type": "Polygon", "coordinates": [[[121.0, 30.7], [121.001, 30.7], [121.001, 30.701],
                                                                [121.0, 30.701], [121.0, 30.7]]]}}],
)
FeatureBody = Annotated[dict[str, Any], _GEOJSON_BODY]
AsOf = Annotated[str | None, Query(description="YYYY-MM-DD: features in force that day (default today)")]


@router.get("/api/layers", summary="The layers with their schema, bounds and editions", response_model=list[LayerOut],
            responses=responses(401, 403))
def list_layers(user: Reader, store: StoreDep) -> list[LayerOut]:
    return [LayerOut.of(info, store.editions(info.name)) for info in store.layers()]


@router.get("/api/layers/{layer}", summary="One layer", response_model=LayerOut, responses=responses(401, 403, 404))
def get_layer(layer: str, user: Reader, store: StoreDep) -> LayerOut:
    return LayerOut.of(store.layer(layer), store.editions(layer))


@router.get("/api/layers/{layer}/editions", summary="The editions of a layer with their validity dates",
            response_model=list[EditionOut], responses=responses(401, 403, 404))
def list_editions(layer: str, user: Reader, store: StoreDep) -> list[EditionOut]:
    return [EditionOut.of(e) for e in store.editions(layer)]


@router.post("/api/layers/{layer}/editions", summary="Add an edition (planner)", response_model=EditionOut,
             status_code=201, responses=responses(400, 401, 403, 404, 409, 413, 422))
def create_edition(layer: str, body: EditionIn, user: EditionEditor, store: StoreDep) -> EditionOut:
    created = edit.add_edition(store, layer, body.name, valid_from=body.valid_from, status=body.status,
                               valid_to=body.valid_to, approved_on=body.approved_on, document=body.document,
                               actor=user.name)
    return EditionOut.of(created)


@router.get(
    "/api/layers/{layer}/features",
    summary="A page of a layer's features (the attribute table); any other parameter FIELD=VALUE filters",
    response_model=FeatureCollectionOut, response_class=GeoJSONResponse, responses=responses(400, 401, 403, 404, 422),
)
def list_features(
    layer: str, request: Request, user: Reader, store: StoreDep, ctx: ContextDep,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (EPSG:4490)")] = None,
    as_of: AsOf = None,
    limit: Annotated[int, Query(ge=1, description="page size (at most GUOTU_MAX_ITEMS)")] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> GeoJSONResponse:
    info = store.layer(layer)
    filters = {k: v for k, v in request.query_params.items() if k not in _FEATURE_PARAMS}
    page = query.features_page(
        store, layer, bbox=query.parse_bbox(bbox) if bbox else None, as_of=query.parse_date(as_of),
        where=query.parse_filters(info, filters) or None, limit=limit, offset=offset, cache=ctx.reads,
        max_limit=ctx.settings.max_items,
    )
    return GeoJSONResponse({
        "type": "FeatureCollection", "features": feature_dicts(page.batch),
        "numberMatched": page.matched, "numberReturned": page.returned, "as_of": page.as_of.isoformat(),
    })


@router.get("/api/layers/{layer}/features/{fid}", summary="One feature by id", response_model=FeatureOut,
            response_class=GeoJSONResponse, responses=responses(401, 403, 404, 422))
def get_feature(layer: str, fid: int, user: Reader, store: StoreDep) -> GeoJSONResponse:
    return GeoJSONResponse(feature_dicts(query.get_feature(store, layer, fid))[0])


@router.post("/api/layers/{layer}/features", summary="Add features (planner), in one audited transaction",
             response_model=WriteOut, status_code=201, responses=responses(400, 401, 403, 404, 409, 413, 422))
def create_features(
    layer: str, body: FeatureBody, user: FeatureEditor, store: StoreDep,
    edition: Annotated[str | None, Query(description="the edition to write to (needed for a versioned layer)")] = None,
) -> WriteOut:
    fids = edit.add_features(store, layer, body, edition=edition, actor=user.name)
    return WriteOut(layer=layer, fids=fids, count=len(fids), revision=store.revision(layer))


@router.put("/api/layers/{layer}/features/{fid}",
            summary="Replace a feature's geometry and the properties given (planner)",
            response_model=WriteOut, responses=responses(400, 401, 403, 404, 409, 413, 422))
def update_feature(layer: str, fid: int, body: FeatureBody, user: FeatureEditor, store: StoreDep) -> WriteOut:
    edit.update_feature(store, layer, fid, body, actor=user.name)
    return WriteOut(layer=layer, fids=[fid], count=1, revision=store.revision(layer))


@router.delete("/api/layers/{layer}/features/{fid}", summary="Delete a feature (planner)", response_model=WriteOut,
               responses=responses(401, 403, 404, 409, 422))
def delete_feature(layer: str, fid: int, user: FeatureEditor, store: StoreDep) -> WriteOut:
    count = edit.delete_features(store, layer, [fid], actor=user.name)
    return WriteOut(layer=layer, fids=[fid], count=count, revision=store.revision(layer))


@router.get("/api/identify", summary="The features under a point, per layer", response_model=IdentifyOut,
            responses=responses(400, 401, 403, 404, 422))
def identify(
    user: Reader, store: StoreDep,
    lon: Annotated[float, Query(description="longitude (EPSG:4490)")],
    lat: Annotated[float, Query(description="latitude (EPSG:4490)")],
    as_of: AsOf = None,
    layers: Annotated[str | None, Query(description="comma-separated layer names (default all)")] = None,
    tolerance_m: Annotated[float, Query(description="distance for points and lines, metres")] = 1.0,
) -> IdentifyOut:
    names = [n.strip() for n in layers.split(",") if n.strip()] if layers else None
    day = query.as_of_day(query.parse_date(as_of))
    hits = query.identify(store, lon, lat, as_of=day, layers=names, tolerance_m=tolerance_m)
    return IdentifyOut(lon=lon, lat=lat, as_of=day, layers=[
        IdentifyLayer(layer=h.layer.name, title=h.layer.title,
                      features=[FeatureOut(**f) for f in feature_dicts(h.batch)])
        for h in hits
    ])


@router.post("/api/measure", summary="Area (m², mu) and length of a geometry, in the county's metric zone",
             response_model=MeasureOut, responses=responses(400, 413, 422))
def measure(body: MeasureIn, user: Reader) -> MeasureOut:
    m = query.measure(body.geometry)
    return MeasureOut(area_m2=m.area_m2, area_mu=m.area_mu, length_m=m.length_m, metric_epsg=m.metric_epsg)
