"""The one place where typed errors become HTTP statuses, and every error body has one shape:
``{"error": {"key", "message" (Chinese), "message_en", ["detail"]}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from guotu.core.errors import (
    AccessError,
    AuthenticationError,
    CodeError,
    ConflictError,
    CRSError,
    EncodingError,
    FormatError,
    GeometryError,
    GuotuError,
    IdentifierError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RecordError,
    StoreError,
    TooLargeError,
)
from guotu.core.messages import tr

log = logging.getLogger("guotu.api")

# Most specific first: the first class an error is an instance of gives its status.
STATUS: tuple[tuple[type[GuotuError], int], ...] = (
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (AccessError, 403),
    (TooLargeError, 413),
    (NotFoundError, 404),
    (ConflictError, 409),
    (EncodingError, 400),
    (GeometryError, 422),
    (CRSError, 422),
    (FormatError, 422),
    (RecordError, 422),
    (IdentifierError, 422),
    (CodeError, 422),
    (InputError, 400),
    (StoreError, 503),
)

DESCRIPTIONS = {
    400: "Bad request: a parameter or file that cannot be read (wrong bbox, date, encoding…)",
    401: "Login required, or the token is unknown or expired",
    403: "The user's roles do not allow this",
    404: "Unknown layer, feature, edition, user or tile",
    409: "Conflicts with what is stored (an existing name, an overlapping or superseded edition)",
    413: "The request body or upload is larger than GUOTU_MAX_UPLOAD_MB",
    422: "Well-formed but unusable content: malformed GeoJSON, invalid geometry, implausible coordinates",
}


class ErrorBody(BaseModel):
    key: str = Field(description="stable message key, e.g. geometry.problem")
    message: str = Field(description="the message in Chinese")
    message_en: str = Field(description="the message in English")
    detail: list[dict[str, Any]] | None = Field(None, description="per-field problems of a request")


class ErrorResponse(BaseModel):
    error: ErrorBody


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses."""
    return {code: {"model": ErrorResponse, "description": DESCRIPTIONS[code]} for code in codes}


def status_for(exc: GuotuError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_json(status: int, key: str, message: str, message_en: str, *, detail: list[dict[str, Any]] | None = None,
               headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"key": key, "message": message, "message_en": message_en}
    if detail is not None:
        body["detail"] = detail
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def from_key(code: int, key: str, /, **params: Any) -> JSONResponse:
    """An error response from a message key and its parameters."""
    return error_json(code, key, tr(key, language="zh", **params), tr(key, language="en", **params),
                      headers=_headers(code))


def _headers(status: int) -> dict[str, str] | None:
    return {"WWW-Authenticate": "Bearer"} if status == 401 else None


def _hide_location(request: Request, exc: GuotuError) -> None:
    """Callers need not learn where the database lives on the server."""
    ctx = getattr(request.app.state, "guotu", None)
    store = getattr(ctx, "store", None)
    location = getattr(store, "location", None)
    if not location:
        return
    for key, value in list(exc.params.items()):
        if isinstance(value, str) and location in value:
            exc.params[key] = value.replace(location, "guotu")


def guotu_error(request: Request, exc: GuotuError) -> JSONResponse:
    status = status_for(exc)
    _hide_location(request, exc)
    if status >= 500:
        log.error("%s %s: %s", request.method, request.url.path, exc.message_in("en"))
    return error_json(status, exc.key, exc.message_in("zh"), exc.message_in("en"), headers=_headers(status))


def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    for err in errors:
        if err.get("type") == "json_invalid":
            doc = str(getattr(exc, "body", "") or "")
            pos = err.get("loc", ("body", 0))[-1]
            pos = pos if isinstance(pos, int) else 0
            line = doc.count("\n", 0, pos) + 1
            column = pos - (doc.rfind("\n", 0, pos) + 1) + 1
            return from_key(400, "api.bad_json", line=line, column=column,
                            detail=str((err.get("ctx") or {}).get("error", err.get("msg", ""))))
    detail = [{"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")),
               "type": str(err.get("type", ""))} for err in errors]
    text = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in detail)[:500]
    return error_json(422, "api.invalid_request", tr("api.invalid_request", language="zh", detail=text),
                      tr("api.invalid_request", language="en", detail=text), detail=detail)


def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    cause = exc.__cause__
    if isinstance(cause, GuotuError):
        return guotu_error(request, cause)
    if exc.status_code == 404:
        return from_key(404, "api.not_found", path=request.url.path)
    if exc.status_code == 405:
        return from_key(405, "api.method_not_allowed", path=request.url.path, method=request.method)
    return from_key(exc.status_code, "api.http_error", status=exc.status_code, detail=str(exc.detail)[:200])


def internal_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return from_key(500, "api.internal", kind=type(exc).__name__)


def install(app: FastAPI) -> None:
    app.add_exception_handler(GuotuError, guotu_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, internal_error)
