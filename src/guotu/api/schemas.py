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


# --- the land ledger (guotu.ledger.browse, guotu.ledger.history; docs/ledger.md) -------------------
class LedgerChoiceOut(BaseModel):
    value: str
    label: str


class LedgerFieldOut(BaseModel):
    name: str
    type: Literal["TEXT", "INTEGER", "REAL", "DATE"]
    label: str
    required: bool
    choices: list[LedgerChoiceOut]


class LedgerKindOut(BaseModel):
    """A record kind: its Chinese label, fields, dates, links and the states its records filter by."""

    kind: str
    label: str
    description: str
    geometry: str | None
    geometry_required: bool
    dates: list[str]
    main_date: str | None = Field(description="the date the period filter (from, to) applies to")
    links: list[dict[str, str]]
    unique: list[str]
    fields: list[LedgerFieldOut]
    statuses: list[LedgerChoiceOut] = Field(description="values of the records' `status` filter")


class LedgerRecordOut(BaseModel):
    """A record as `guotu ledger records --json`, plus `states` (and `land`, `status`, `geometry`)."""

    model_config = ConfigDict(extra="allow")
    id: str
    kind: str
    dates: dict[str, str | None]
    links: dict[str, Any]
    area_m2: float | None = None
    area_mu: float | None = None
    attrs: dict[str, Any]
    states: list[str] = Field(default_factory=list, description="the status filter's values holding on `on`")
    status: dict[str, Any] | None = None
    land: dict[str, Any] | None = Field(None, description="parcels and batches: supplied / unsupplied on `on`")
    geometry: dict[str, Any] | None = Field(None, description="GeoJSON geometry, lon/lat (with geometry=true)")


class LedgerRecordsOut(BaseModel):
    kind: str | None
    on: dt.date
    matched: int
    returned: int
    offset: int
    limit: int
    records: list[LedgerRecordOut]


class LedgerRecordDetailOut(LedgerRecordOut):
    label: str = Field(description="the kind's Chinese label")
    on: dt.date
    map: dict[str, Any] = Field(description="FeatureCollection of the land the record concerns (role, label…)")


class LedgerFigureOut(BaseModel):
    """A figure as `guotu ledger figures --json`."""

    model_config = ConfigDict(extra="allow")
    id: str
    label: str
    value: float
    unit: str
    definition: str
    records: list[str]
    breakdown: list[dict[str, Any]] | None = None


class LedgerFigureRecordsOut(BaseModel):
    figure: LedgerFigureOut
    kind: str | None
    label: str | None
    on: dt.date
    matched: int
    records: list[LedgerRecordOut]


class LedgerWriteOut(BaseModel):
    kind: str
    ids: list[str] = Field(description="the record ids written")
    count: int


class LedgerReconcileOut(BaseModel):
    """As `guotu ledger reconcile --json`."""

    model_config = ConfigDict(extra="allow")
    on: dt.date | None
    totals: dict[str, float]
    problem_count: int
    batches: list[dict[str, Any]]
    problems: list[dict[str, Any]]


class LedgerHistoryEntryOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    date: dt.date
    type: str
    label: str
    kind: str
    record: str
    detail: str
    supply: str | None = None
    computed: bool = False
    planned: bool = False


class LedgerHistoryOut(BaseModel):
    id: str
    kind: Literal["batch_parcel", "supply"]
    on: dt.date
    parcels: list[dict[str, Any]]
    supplies: list[dict[str, Any]]
    entries: list[LedgerHistoryEntryOut]
    map: dict[str, Any]
