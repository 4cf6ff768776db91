"""Compliance review of a project site: an uploaded file or a GeoJSON body."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from guotu.api.deps import ContextDep, Reviewer, StoreDep
from guotu.api.errors import responses
from guotu.api.schemas import ComplianceOut
from guotu.core.errors import EncodingError, InputError, TooLargeError
from guotu.core.features import FeatureBatch
from guotu.onemap.compliance import Review, review_json
from guotu.onemap.query import parse_date
from guotu.onemap.report import render_text
from guotu.onemap.report_html import render_html
from guotu.onemap.review_index import enable_warm_reviews
from guotu.onemap.upload import check_suffix, review_document, review_geometry, review_upload, safe_filename
from guotu.store.base import Store

router = APIRouter(tags=["compliance"])

_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary",
                                    "description": "coordinate .txt, .geojson/.json, .gpkg, or a .zip of a Shapefile"}},
        }},
        "application/json": {"schema": {
            "type": "object", "description": "a GeoJSON geometry, Feature or FeatureCollection (lon/lat)",
            "example": {"type": "Polygon", "coordinates": [[[121.0, 30.7], [121.002, 30.7], [121.002, 30.702],
                                                            [121.0, 30.702], [121.0, 30.7]]]},
        }},
    },
}
_OK: dict[int | str, dict[str, Any]] = {200: {
    "description": "the review: JSON (as `guotu check --json`), a printable HTML page, or the text report",
    "content": {"text/html": {"schema": {"type": "string"}}, "text/plain": {"schema": {"type": "string"}}}}}


@router.post(
    "/api/compliance",
    summary="Compliance review (合规性审查) of a site: multipart upload `file` or a GeoJSON body",
    response_model=ComplianceOut,
    responses={**_OK, **responses(400, 401, 403, 404, 413, 422)},
    openapi_extra={"requestBody": _BODY},
)
async def compliance(
    request: Request, user: Reviewer, store: StoreDep, ctx: ContextDep,
    date: Annotated[str | None, Query(description="review date YYYY-MM-DD (default today)")] = None,
    format: Annotated[Literal["json", "html", "txt"], Query(description="json, html or txt")] = "json",
    geometry: Annotated[bool, Query(description="add the site and overlap pieces as GeoJSON (json only)")] = False,
) -> Response:
    day = parse_date(date, "date")
    enable_warm_reviews(store)  # the server keeps the reviewed layers indexed (docs/compliance.md)
    language = ctx.settings.lang
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        review, site = await _review_upload(request, store, day, ctx.settings.max_upload_bytes,
                                            int(ctx.settings.max_unpacked_mb * 2**20))
    elif content_type == "application/json" or content_type.endswith("+json"):
        raw = await request.body()
        doc = _json(raw)
        review, site = await run_in_threadpool(review_document, store, doc, date=day)
    else:
        raise InputError("upload.bad_content_type", content_type=content_type or "—")
    if format == "html":
        return HTMLResponse(render_html(review, language))
    if format == "txt":
        name = f"合规性审查_{review.date.isoformat()}.txt"
        return PlainTextResponse(render_text(review, language), headers={
            "Content-Disposition": f"attachment; filename=\"compliance_{review.date.isoformat()}.txt\"; "
                                   f"filename*=UTF-8''{quote(name)}"})
    doc_out = review_json(review, language)
    if geometry:
        doc_out["geometry"] = review_geometry(review, site)
    return JSONResponse(doc_out)


def _json(raw: bytes) -> Any:
    """The JSON body; malformed JSON is 400 naming the place, as for every other JSON body."""
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise EncodingError("geojson.not_utf8", source="GeoJSON", offset=exc.start) from exc
    except json.JSONDecodeError as exc:
        raise InputError("api.bad_json", line=exc.lineno, column=exc.colno, detail=exc.msg) from exc
    except RecursionError as exc:  # "[[[[…" nested beyond Python's limit
        raise InputError("api.bad_json", line=1, column=1, detail="nested too deeply") from exc


async def _review_upload(request: Request, store: Store, day: dt.date | None, limit: int,
                         unpacked_limit: int) -> tuple[Review, FeatureBatch]:
    async with request.form(max_files=1, max_fields=5) as form:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InputError("upload.no_file")
        name = safe_filename(upload.filename)
        check_suffix(name)
        folder = Path(tempfile.mkdtemp(prefix="guotu-upload-"))
        try:
            path = folder / name
            size = 0
            with path.open("wb") as out:
                while chunk := await upload.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        raise TooLargeError("upload.too_large", limit_mb=f"{limit / 2**20:g}")
                    out.write(chunk)
            return await run_in_threadpool(review_upload, store, path, date=day, max_unpacked=unpacked_limit)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
