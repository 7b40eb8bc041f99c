"""Errors of the HTTP API as RFC 9457 problem details (``application/problem+json``).

Every error the API answers has the same shape: ``type`` (a URI naming the kind of
problem; ``about:blank`` when the status says it all), ``title``, ``status``,
``detail`` (this occurrence, readable) and, for a 422, ``errors``: one entry per
field, with where it is (``loc``), the rule it breaks (``type``) and a message.

Only our own domain errors get a precise status (``FrozenClockRequired`` 409,
``NotStarted`` 503, ``AccountsFileError`` 422); any other exception is a bug of
ours and answers a plain 500 problem, never a guess such as "409 for every
``RuntimeError``".
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from smsftp.simulator.errors import FrozenClockRequired, NotStarted
from smsftp.simulator.rules.accounts import AccountsFileError

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:smsftp:problem:"
log = logging.getLogger("smsftp.api")

# The problem types of our own; the HTTP API reference lists them (tools/gen_docs.py reads this).
TYPES: dict[str, str] = {
    "invalid-input": "A parameter or a field of the body breaks a rule; `errors` lists each one.",
    "not-found": "No such record (archive, account); `detail` says which.",
    "not-processed-in-time": "`?wait=` ran out before the archive's verdict (advance the clock?).",
    "exists": "An account of that login exists already.",
    "frozen-clock-required": "Setting the clock needs `--clock frozen`.",
    "not-started": "The simulator is stopping or not started.",
    "unauthorized": "An API token is configured: send `Authorization: Bearer TOKEN`.",
    "host-not-allowed": "The `Host` header is neither a loopback name nor the configured host (DNS rebinding).",
    "cross-site": "A state-changing call from another origin (`Origin`, `Sec-Fetch-Site`).",
    "json-required": "A request body must be `content-type: application/json`.",
    "body-too-large": "The request body is over the limit (`--api-max-body`).",
    "too-many-waits": "This client already holds as many `?wait=` calls as allowed (`--api-waits-per-client`).",
}


class FieldError(BaseModel):
    """One broken rule in the input."""

    loc: list[str | int] = Field(description='where: ("body", "seconds"), ("query", "limit"), ...')
    type: str = Field(description="the rule, e.g. less_than_equal, string_pattern_mismatch, finite_number")
    msg: str = Field(description="the rule in words")


class Problem(BaseModel):
    """An RFC 9457 problem detail: every error response of the API."""

    type: str = Field(description=f"a URI: `about:blank` or `{TYPE_PREFIX}NAME` (see the list of problem types)")
    title: str
    status: int = Field(ge=400, le=599)
    detail: str = ""
    errors: list[FieldError] | None = Field(default=None, description="422 only: every broken rule")


class ApiProblem(StarletteHTTPException):
    """Raised by a route to answer a problem; ``kind`` is one of ``TYPES`` (or None for about:blank)."""

    def __init__(
        self,
        status: int,
        detail: str,
        kind: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[FieldError] | None = None,
    ) -> None:
        super().__init__(status, detail, dict(headers) if headers else None)
        if kind is not None and kind not in TYPES:
            raise ValueError(f"unknown problem type {kind!r}")
        self.kind = kind
        self.errors = list(errors) if errors is not None else None


def problem_response(
    status: int,
    detail: str,
    kind: str | None = None,
    *,
    errors: Sequence[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    title = _title(status)
    body = Problem(
        type=f"{TYPE_PREFIX}{kind}" if kind else "about:blank",
        title=title,
        status=status,
        detail=detail or title,
        errors=list(errors) if errors is not None else None,
    )
    response = JSONResponse(
        body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE, headers=headers
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# RFC 9110's names, pinned: Python 3.13 renamed some of http.HTTPStatus's phrases (413, 422), which would
# make the OpenAPI description, and the generated reference page, differ from one Python to the next.
_TITLES = {413: "Content Too Large", 416: "Range Not Satisfiable", 422: "Unprocessable Content"}


def _title(status: int) -> str:
    if status in _TITLES:
        return _TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def field_errors(raw: Sequence[Any]) -> list[FieldError]:
    """pydantic's error list, without the input echoed back (it may be 200 MiB or a password)."""
    found = []
    for item in raw:
        loc = [part if isinstance(part, int) else str(part) for part in item.get("loc", ())]
        found.append(FieldError(loc=loc, type=str(item.get("type", "invalid")), msg=str(item.get("msg", ""))))
    return found


def install(app: FastAPI) -> None:
    """Answer every error of ``app`` as problem+json."""

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        kind = getattr(exc, "kind", None)
        if kind is None and exc.status_code == 404:
            kind = "not-found"
        detail = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
        errors = getattr(exc, "errors", None)
        return problem_response(exc.status_code, detail, kind, errors=errors, headers=exc.headers)

    async def invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = field_errors(exc.errors())
        where = "; ".join(f"{'.'.join(map(str, e.loc))}: {e.msg}" for e in errors[:5])
        return problem_response(422, where or "invalid input", "invalid-input", errors=errors)

    async def accounts_error(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(422, str(exc), "invalid-input", errors=[])

    async def frozen_required(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(409, str(exc), "frozen-clock-required")

    async def not_started(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(503, str(exc), "not-started")

    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.error("event=api-error path=%s error=%r", request.url.path, exc, exc_info=exc)
        return problem_response(500, "an internal error of the simulator; it is logged")

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(AccountsFileError, accounts_error)
    app.add_exception_handler(FrozenClockRequired, frozen_required)
    app.add_exception_handler(NotStarted, not_started)
    app.add_exception_handler(Exception, bug)


def problem_openapi(spec: dict[str, Any]) -> dict[str, Any]:
    """Error responses documented as ``application/problem+json`` only (FastAPI puts a model under JSON)."""
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if not status.startswith(("4", "5")) or not isinstance(content, dict):
                    continue
                schema = content.get("application/json", {}).get("schema")
                if schema is not None and schema != {"$ref": "#/components/schemas/Problem"}:
                    continue  # a body of its own (/readyz's 503 says which part is down)
                content.pop("application/json", None)
                content[MEDIA_TYPE] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    schemas = spec.get("components", {}).get("schemas", {})
    # FastAPI's default 422 body is never sent: every 422 is a Problem.
    text = json.dumps(spec["paths"])
    for unused in ("HTTPValidationError", "ValidationError"):
        if f'/{unused}"' not in text:
            schemas.pop(unused, None)
    return spec


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` entry for these error statuses, all as ``Problem``."""
    return {
        status: {"model": Problem, "description": _title(status), "content": {MEDIA_TYPE: {}}} for status in statuses
    }
