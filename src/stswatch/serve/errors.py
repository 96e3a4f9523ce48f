"""One JSON shape for every error the API returns, and the handlers that produce it.

Every non-2xx answer is ``{"error": {"status", "code", "message", "details"}}``, where
``message`` is one sentence a person can act on and ``details`` lists the offending
parameters (for 422) as ``{"where", "name", "problem", "value"}``. A few errors add a
top-level member: a 409 on a stale triage version carries the ``current`` record.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from stswatch.errors import InputError, StswatchError, UsageError

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_parameter",
    500: "internal_error",
}


class ApiError(Exception):
    """An error answer: status, message, and optional extra top-level members."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.extra = extra or {}
        self.headers = headers


def not_found(what: str, value: object, hint: str) -> ApiError:
    return ApiError(404, f"No {what} {value!r}. Hint: {hint}")


def invalid(name: str, value: object, problem: str, where: str = "query") -> ApiError:
    """A 422 for one parameter that passed type checks but makes no sense."""
    return ApiError(
        422,
        f"{where} parameter {name!r} = {value!r}: {problem}",
        details=[{"where": where, "name": name, "problem": problem, "value": value}],
    )


def body(status: int, message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "error": {
            "status": status,
            "code": CODES.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_")),
            "message": message,
            "details": details or [],
        }
    }


def _response(
    status: int,
    message: str,
    details: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    content = body(status, message, details) | jsonable_encoder(extra or {})
    return JSONResponse(content, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for e in exc.errors():
        loc = [str(p) for p in e.get("loc", ())]
        where = loc[0] if loc else "request"
        name = ".".join(loc[1:]) or where
        value = e.get("input")
        if isinstance(value, dict | list | bytes):
            value = None  # do not echo whole bodies
        out.append({"where": where, "name": name, "problem": e.get("msg", ""), "value": value})
    return out


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into the shape above."""

    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return _response(exc.status, exc.message, exc.details, exc.extra, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        message = "; ".join(
            f"{d['where']} parameter {d['name']!r}: {d['problem']}"
            + (f" (got {d['value']!r})" if d["value"] is not None else "")
            for d in details
        )
        return _response(422, message or "The request is not valid.", details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404:
            message = "No such endpoint. Hint: the API is under /api; see /api/openapi.json."
        return _response(exc.status_code, message, headers=getattr(exc, "headers", None))

    @app.exception_handler(StswatchError)
    async def _stswatch(_: Request, exc: StswatchError) -> JSONResponse:
        # Library errors reaching the API come from what the caller sent (a list file that
        # cannot be read, an older list version): the request cannot be processed as is.
        status = 422 if isinstance(exc, UsageError | InputError) else 400
        return _response(status, str(exc))
