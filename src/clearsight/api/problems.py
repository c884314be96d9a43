"""Errors as RFC 9457 problem details (``application/problem+json``).

Every error the API returns is one of these: the domain exception family mapped to a
status and a stable problem type, FastAPI's request validation and Starlette's routing
errors in the same shape, and anything unexpected as a generic 500 whose body names no
internals (SEC-3); the traceback goes to the server log only. Items that are hidden
and items that do not exist both raise :class:`NotFound`, so they give the same answer.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearsight.errors import (
    AuditFailure,
    ClearsightError,
    Conflict,
    IntegrityError,
    InvalidData,
    InvalidValue,
    NotFound,
    PermissionDenied,
    PurposeRequired,
    StoreError,
)
from clearsight.governance.tokens import TokenRefused

MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("clearsight.api")

#: (exception class, status, problem slug, title), most specific first
_MAPPING: tuple[tuple[type[ClearsightError], int, str, str], ...] = (
    (TokenRefused, 401, "unauthenticated", "Authentication required"),
    (PurposeRequired, 400, "purpose-required", "A lawful purpose is required"),
    (PermissionDenied, 403, "forbidden", "Not allowed"),
    (NotFound, 404, "not-found", "Not found"),
    (InvalidValue, 422, "invalid-input", "Invalid input"),
    (InvalidData, 422, "invalid-input", "Invalid input"),
    (Conflict, 409, "conflict", "Conflict with stored state"),
    (AuditFailure, 503, "audit-unavailable", "The audit log could not be written"),
    (StoreError, 503, "store-unavailable", "The store is unavailable"),
    (IntegrityError, 500, "integrity-failure", "Integrity check failed"),
)

_STATUS_TITLES = {400: "Bad request", 401: "Authentication required", 403: "Not allowed", 404: "Not found",
                  405: "Method not allowed", 406: "Not acceptable", 413: "Request too large",
                  415: "Unsupported media type", 422: "Invalid input"}


def problem_type(slug: str) -> str:
    return f"urn:clearsight:problem:{slug}"


def problem(status: int, slug: str, title: str, detail: str, request: Request | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": problem_type(slug), "title": title, "status": status, "detail": detail}
    if request is not None:
        body["instance"] = request.url.path
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def classify(exc: ClearsightError) -> tuple[int, str, str]:
    for cls, status, slug, title in _MAPPING:
        if isinstance(exc, cls):
            return status, slug, title
    return 400, "request-refused", "The request could not be carried out"


def _domain(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ClearsightError)
    status, slug, title = classify(exc)
    extra: dict[str, Any] = {}
    detail = exc.message
    if isinstance(exc, InvalidData) and exc.problems:
        extra["problems"] = [p.as_dict() for p in exc.problems]
        detail = detail.split("\n", 1)[0]
    headers = {"WWW-Authenticate": 'Bearer realm="clearsight"'} if status == 401 else None
    return problem(status, slug, title, detail, request, headers=headers, **extra)


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for e in exc.errors():
        loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body", "header")]
        problems.append({"field": ".".join(loc) or "request", "message": str(e.get("msg", "invalid"))})
    summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
    return problem(422, "invalid-input", "Invalid input", summary or "the request is not valid", request,
                   problems=problems)


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    title = _STATUS_TITLES.get(status, "Request refused")
    detail = exc.detail if isinstance(exc.detail, str) else title
    if status == 404:
        detail = f"nothing at {request.url.path}"
    return problem(status, title.lower().replace(" ", "-"), title, detail, request,
                   headers=dict(exc.headers) if exc.headers else None)


def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal-error", "Internal error",
                   "the request could not be completed; the error has been logged for the operators", request)


def install(app: FastAPI) -> None:
    """Register the problem+json handlers on an app."""
    app.add_exception_handler(ClearsightError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["MEDIA_TYPE", "classify", "install", "problem", "problem_type"]
