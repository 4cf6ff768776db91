"""Request and response models: what /openapi.json documents."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from guotu.store.base import Edition, LayerInfo, User


class UserOut(BaseModel):
    name: str
    display_name: str = ""
    roles: list[str]
    active: bool = True

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(name=user.name, display_name=user.display_name, roles=list(user.roles), active=user.active)


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    token: str = Field(description="send as `Authorization: Bearer TOKEN`")
    user: UserOut
    expires_at: dt.datetime


class UserIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    roles: list[str] = Field(min_length=1, description="viewer, planner and/or administrator")
    display_name: str = ""


class UserPatch(BaseModel):
    password: str | None = Field(None, max_length=1024)
    roles: list[str] | None = None
    display_name: str | None = None
    active: bool | None = None


class OkOut(BaseModel):
    ok: bool = True


class EditionOut(BaseModel):
    id: int
    layer: str
    name: str
    status: str
    valid_from: dt.date
    valid_to: dt.date | None = None
    approved_on: dt.date | None = None
    document: str = ""

    @classmethod
    def of(cls, e: Edition) -> EditionOut:
        return cls(id=e.id, layer=e.layer, name=e.name, status=e.status, valid_from=e.valid_from,
                   valid_to=e.valid_to, approved_on=e.approved_on, document=e.document)


class EditionIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    valid_from: dt.date
    status: Literal["draft", "approved", "superseded"] = "draft"
    valid_to: dt.date | None = None
    approved_on: dt.date | None = None
    document: str = Field("", description="the approval document (批复文号)")


class LayerOut(BaseModel):
    name: str
    title: str
    geometry_type: str
    count: int
    versioned: bool
    bounds: list[float] | None = Field(None, description="lon/lat box [minx, miny, maxx, maxy] (EPSG:4490)")
    fields: dict[str, str]
    editions: list[EditionOut]

    @classmethod
    def of(cls, info: LayerInfo, editions: list[Edition]) -> LayerOut:
        return cls(name=info.name, title=info.title, geometry_type=info.geometry_type, count=info.count,
                   versioned=info.versioned, bounds=list(info.bounds) if info.bounds else None,
                   fields=dict(info.fields), editions=[EditionOut.of(e) for e in editions])


class FeatureOut(BaseModel):
    """A GeoJSON Feature (lon/lat, EPSG:4490); ``id`` is the feature id (fid)."""

    model_config = ConfigDict(extra="allow")
    type: Literal["Feature"] = "Feature"
    id: int | str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    geometry: dict[str, Any] | None = None


class FeatureCollectionOut(BaseModel):
    """A GeoJSON FeatureCollection with paging counts."""

    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[FeatureOut]
    numberMatched: int | None = None
    numberReturned: int | None = None


class WriteOut(BaseModel):
    layer: str
    fids: list[int] = Field(description="the features written or deleted")
    count: int
    revision: int = Field(description="the layer's revision after the write (tile caches key on it)")


class MeasureIn(BaseModel):
    geometry: dict[str, Any] = Field(description="a GeoJSON geometry (or Feature), lon/lat")


class MeasureOut(BaseModel):
    area_m2: float
    area_mu: float
    length_m: float = Field(description="length of a line, perimeter of an area")
    metric_epsg: int = Field(description="the county's metric zone the figures were computed in")


class IdentifyLayer(BaseModel):
    layer: str
    title: str
    features: list[FeatureOut]


class IdentifyOut(BaseModel):
    lon: float
    lat: float
    as_of: dt.date
    layers: list[IdentifyLayer]


class AuditOut(BaseModel):
    id: int
    at: str
    actor: str
    action: str
    layer: str | None
    detail: dict[str, Any]


class ComplianceOut(BaseModel):
    """The document of `guotu check --json` (see docs/compliance.md), plus ``geometry`` when asked."""

    model_config = ConfigDict(extra="allow")
    date: str
    source: str
    verdict: Literal["pass", "attention", "conflict"]
    site_area_m2: float
    site_area_mu: float
    control_lines: dict[str, Any]
    rules: list[dict[str, Any]]
    geometry: dict[str, Any] | None = None
