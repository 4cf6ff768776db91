"""The land ledger (用地"一本账"): kinds, records, figures, reconciliation, the xlsx workbook, land histories.

Thin: parameters are parsed here, the use cases are :mod:`guotu.ledger.browse`,
:mod:`guotu.ledger.history` and :mod:`guotu.ledger.service` (the same answers as ``guotu ledger``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response

from guotu.api.deps import ContextDep, LedgerEditor, Reader, StoreDep
from guotu.api.errors import responses
from guotu.api.schemas import (
    LedgerFigureOut,
    LedgerFigureRecordsOut,
    LedgerHistoryOut,
    LedgerKindOut,
    LedgerReconcileOut,
    LedgerRecordDetailOut,
    LedgerRecordsOut,
    LedgerWriteOut,
)
from guotu.ledger import browse, history, service
from guotu.ledger.figures import FigureParams
from guotu.ledger.model import get_kind
from guotu.onemap.query import parse_date

router = APIRouter(tags=["ledger"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Kind = Annotated[str | None, Query(description="a record kind (GET /api/ledger/kinds); default every kind")]
Town = Annotated[str | None, Query(description="9-digit town code: only that town's records")]
From = Annotated[str | None, Query(alias="from", description="first day YYYY-MM-DD (included)")]
To = Annotated[str | None, Query(description="last day YYYY-MM-DD (included)")]
On = Annotated[str | None, Query(description="YYYY-MM-DD: the date statuses are computed on (default today)")]
WithGeometry = Annotated[bool, Query(description="add each record's GeoJSON geometry (lon/lat)")]
StockFrom = Annotated[int | None, Query(description="earlier stock window start (default 2009)")]
StockTo = Annotated[int | None, Query(description="its end (default: the year before `from`)")]
RateYears = Annotated[int | None, Query(ge=1, le=100, description="supply rate window in years (default 5)")]
DueDays = Annotated[int | None, Query(ge=0, le=3650, description="contracts due within N days of `to` (default 90)")]

_RECORDS_BODY = Body(
    description="a GeoJSON FeatureCollection or Feature (one feature per record, `record_id` among its "
                "properties; needed for parcels and supplies), or a JSON array of objects, one object, or "
                "`{\"records\": [...]}`. All or nothing.",
    examples=[[{"record_id": "Q2025", "source": "省下达计划指标", "year": 2025, "amount_mu": 800,
                "received_on": "2025-02-01", "town_code": "330482101"}]],
)


def _period(start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """The period of figures: ``to`` defaults to today, ``from`` to 1 January of ``to``'s year."""
    last = parse_date(end, "to") or dt.date.today()
    first = parse_date(start, "from") or dt.date(last.year, 1, 1)
    return first, last


def _params(stock_from: int | None, stock_to: int | None, rate_years: int | None, due_days: int | None
            ) -> FigureParams:
    given = {"stock_from_year": stock_from, "stock_to_year": stock_to, "supply_rate_years": rate_years,
             "due_within_days": due_days}
    return FigureParams(**{k: v for k, v in given.items() if v is not None})  # type: ignore[arg-type]


@router.get("/api/ledger/kinds", summary="The record kinds with their Chinese labels, fields and status filters",
            response_model=list[LedgerKindOut], responses=responses(401, 403))
def ledger_kinds(user: Reader) -> JSONResponse:
    return JSONResponse(browse.kinds_catalog())


@router.get("/api/ledger/records", summary="A page of ledger records, filtered by kind, town, period and status",
            response_model=LedgerRecordsOut, responses=responses(400, 401, 403, 422))
def ledger_records(
    user: Reader, store: StoreDep, ctx: ContextDep, kind: Kind = None, town: Town = None,
    start: From = None, to: To = None,
    status: Annotated[str | None, Query(description="a state of the kind (its `statuses`), on `date`")] = None,
    ids: Annotated[str | None, Query(description="comma-separated record ids")] = None,
    date: On = None,
    limit: Annotated[int, Query(ge=1, description="page size (at most GUOTU_MAX_ITEMS)")] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
    geometry: WithGeometry = False,
) -> JSONResponse:
    wanted = [i.strip() for i in ids.split(",") if i.strip()] if ids else None
    return JSONResponse(browse.records_page(
        store, kind, town=town, start=parse_date(start, "from"), end=parse_date(to, "to"), status=status,
        ids=wanted, on=parse_date(date, "date"), limit=limit, offset=offset, geometry=geometry,
        max_limit=ctx.settings.max_items))


@router.get("/api/ledger/records/{kind}/{record_id}",
            summary="One ledger record with its geometry and the land it concerns (for the map)",
            response_model=LedgerRecordDetailOut, responses=responses(400, 401, 403, 404))
def ledger_record(kind: str, record_id: str, user: Reader, store: StoreDep, date: On = None) -> JSONResponse:
    return JSONResponse(browse.record_detail(store, kind, record_id, parse_date(date, "date")))


@router.post("/api/ledger/records/{kind}", summary="Add ledger records of one kind (planner), all or nothing",
             response_model=LedgerWriteOut, status_code=201, responses=responses(400, 401, 403, 413, 422))
def add_ledger_records(kind: str, body: Annotated[dict[str, Any] | list[Any], _RECORDS_BODY],
                       user: LedgerEditor, store: StoreDep) -> LedgerWriteOut:
    added = browse.add_document(store, get_kind(kind).kind, body, actor=user.name)
    return LedgerWriteOut(kind=kind, ids=[r.id for r in added], count=len(added))


@router.get("/api/ledger/figures", summary="The figures of a period (as `guotu ledger figures --json`)",
            response_model=list[LedgerFigureOut], responses=responses(400, 401, 403, 422))
def ledger_figures(
    user: Reader, store: StoreDep, start: From = None, to: To = None, town: Town = None,
    stock_from_year: StockFrom = None, stock_to_year: StockTo = None, rate_years: RateYears = None,
    due_days: DueDays = None,
) -> JSONResponse:
    first, last = _period(start, to)
    params = _params(stock_from_year, stock_to_year, rate_years, due_days)
    return JSONResponse(browse.figures_json(store, first, last, town, params))


@router.get("/api/ledger/figures/{figure_id}/records", summary="The records behind one figure of a period",
            response_model=LedgerFigureRecordsOut, responses=responses(400, 401, 403, 404, 422))
def ledger_figure_records(
    figure_id: str, user: Reader, store: StoreDep, start: From = None, to: To = None, town: Town = None,
    stock_from_year: StockFrom = None, stock_to_year: StockTo = None, rate_years: RateYears = None,
    due_days: DueDays = None, geometry: WithGeometry = False,
) -> JSONResponse:
    first, last = _period(start, to)
    params = _params(stock_from_year, stock_to_year, rate_years, due_days)
    return JSONResponse(browse.figure_records(store, figure_id, first, last, town, params, geometry=geometry))


@router.get("/api/ledger/reconcile",
            summary="Per batch: approved = supplied + unsupplied, and the problems (`guotu ledger reconcile --json`)",
            response_model=LedgerReconcileOut, responses=responses(400, 401, 403))
def ledger_reconcile(
    user: Reader, store: StoreDep, ctx: ContextDep,
    date: Annotated[str | None, Query(description="only batches approved and supplies signed by then")] = None,
) -> JSONResponse:
    return JSONResponse(service.reconciliation(store, parse_date(date, "date")).as_dict(ctx.settings.lang))


@router.get("/api/ledger/export.xlsx", summary="The year's figures and records as an xlsx workbook (download)",
            response_class=Response,
            responses={200: {"description": "the workbook", "content": {XLSX: {"schema": {"type": "string",
                                                                                          "format": "binary"}}}},
                       **responses(400, 401, 403, 422)})
def ledger_export(
    user: Reader, store: StoreDep,
    year: Annotated[int | None, Query(ge=1900, le=9999, description="the year (default this year)")] = None,
) -> Response:
    chosen = year or dt.date.today().year
    content = browse.export_xlsx(store, chosen)
    name = f"用地一本账_{chosen}.xlsx"
    return Response(content, media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename=\"ledger-{chosen}.xlsx\"; filename*=UTF-8''{quote(name)}"})


@router.get("/api/ledger/parcels/{record_id}/history",
            summary="The whole history of a batch parcel or a supply (宗地档案), in date order",
            response_model=LedgerHistoryOut, responses=responses(400, 401, 403, 404))
def ledger_history(
    record_id: str, user: Reader, store: StoreDep, date: On = None,
    kind: Annotated[str | None, Query(description="batch_parcel or supply (default: a parcel first)")] = None,
) -> JSONResponse:
    return JSONResponse(history.land_history(store, record_id, kind, parse_date(date, "date")))
