"""The side channel (JSON over HTTP, OpenAPI at ``/openapi.json``): everything the FTP folder is not.

What a client observes over FTP follows the platform's document; verdicts,
diagnostics, rendered messages, the clock and the poller are here instead.  CI
jobs use it to drive time (``POST /api/clock/advance``), to wait for a verdict
without sleeping (``GET /api/archives/{name}?wait=30``) and to make throw-away
accounts so that parallel jobs can share one simulator (``POST /api/accounts``).

Every response has a model (``smsftp.simulator.web.models``), every error is an
RFC 9457 problem (``application/problem+json``), and every list pages the same
way: ``limit`` and ``offset`` in, ``total``, ``limit``, ``offset`` and a ``next``
link out.  Bound to loopback by default; the Host, Origin, content type and body
size of every request are checked first (``guard``).  When a token is configured
(always when bound elsewhere) every ``/api/`` request needs
``Authorization: Bearer TOKEN``.  The API explorer at ``/docs`` (Swagger UI) and
``/redoc`` loads its files from this server, never from a CDN.
"""

import asyncio
import secrets
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from smsftp.simulator.rules.accounts import LOGIN_MAX_LENGTH, LOGIN_PATTERN, Account, parse_accounts
from smsftp.simulator.rules.instants import format_instant, parse_instant
from smsftp.simulator.service.clock import real_monotonic
from smsftp.simulator.web import cabinet, faultsapi, problems
from smsftp.simulator.web.auth import bearer_token, token_matches
from smsftp.simulator.web.guard import GuardSettings, RequestGuard
from smsftp.simulator.web.limits import MAX_WAIT, ApiSettings
from smsftp.simulator.web.models import (
    CLOCK_MAX_YEAR,
    CLOCK_MIN_YEAR,
    AccountCreated,
    AccountIn,
    AccountList,
    Archive,
    ArchiveList,
    ClockAdvance,
    ClockSet,
    ClockState,
    FailedLoginList,
    Folder,
    Health,
    MessageList,
    PollList,
    PollResult,
    Readiness,
    ResetResult,
    UploadList,
)
from smsftp.simulator.web.paging import ListPage, MessagePage
from smsftp.simulator.web.problems import ApiProblem, FieldError

if TYPE_CHECKING:
    from smsftp.simulator.app import Simulator
    from smsftp.simulator.service.store import ArchiveRecord

WAIT_STEP = 0.05  # seconds between looks at the store while waiting
NAME_MAX = 255  # an archive's file name

LoginFilter = Annotated[
    str | None, Query(pattern=LOGIN_PATTERN, max_length=LOGIN_MAX_LENGTH, description="only this account's records")
]
LoginPath = Annotated[str, Path(pattern=LOGIN_PATTERN, max_length=LOGIN_MAX_LENGTH)]
ArchiveName = Annotated[str, Path(min_length=1, max_length=NAME_MAX, pattern=r"^[^\x00-\x1f/\\]+$")]


def account_json(account: Account) -> dict[str, Any]:
    data = {f.name: getattr(account, f.name) for f in fields(account) if f.name not in ("extra", "password")}
    data["senders"] = list(account.senders)
    return data


def _clock_json(sim: "Simulator") -> dict[str, Any]:
    due = sim.poller.next_due
    return {
        "now": format_instant(sim.clock.now()),
        "frozen": sim.clock.frozen,
        "poll_interval": sim.poll_interval,
        "next_poll": format_instant(due) if due else None,
        "polls": sim.poller.polls,
    }


def _invalid(where: str, rule: str, message: str) -> ApiProblem:
    return ApiProblem(
        422,
        f"body.{where}: {message}",
        "invalid-input",
        errors=[FieldError(loc=["body", where], type=rule, msg=message)],
    )


def _clock_range(instant: datetime, where: str) -> datetime:
    if not CLOCK_MIN_YEAR <= instant.year <= CLOCK_MAX_YEAR:
        raise _invalid(
            where,
            "instant_range",
            f"the clock stays within the years {CLOCK_MIN_YEAR} to {CLOCK_MAX_YEAR}, not {instant.year}",
        )
    return instant


class WaitSlots:
    """How many ``?wait=`` calls each client address holds; past the limit a wait is refused (429)."""

    def __init__(self, per_client: int) -> None:
        self.per_client = per_client
        self._held: Counter[str] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def hold(self, client: str) -> Iterator[None]:
        with self._lock:
            if self._held[client] >= self.per_client:
                raise ApiProblem(
                    429,
                    f"{client} already waits on {self.per_client} archives (--api-waits-per-client)",
                    "too-many-waits",
                    headers={"Retry-After": "1"},
                )
            self._held[client] += 1
        try:
            yield
        finally:
            with self._lock:
                self._held[client] -= 1
                if self._held[client] <= 0:
                    del self._held[client]

    def held(self) -> int:
        with self._lock:
            return sum(self._held.values())


def create_app(sim: "Simulator", settings: ApiSettings | None = None) -> FastAPI:
    """The HTTP API of one simulator, with the cabinet's pages and a local API explorer."""
    settings = settings or ApiSettings()
    app = FastAPIOffline(
        title="smsftp simulator",
        version="1",
        description=__doc__,
        docs_url="/docs",
        redoc_url="/redoc",
        static_url="/docs-static",
        favicon_url="/docs-static/favicon.png",
    )
    problems.install(app)
    build_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problems.problem_openapi(build_openapi())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(RequestGuard, settings=GuardSettings(host=sim.host, max_body=settings.max_body))
    slots = WaitSlots(settings.waits_per_client)
    app.state.wait_slots = slots

    def authorize(request: Request) -> None:
        if sim.api_token is None:
            return
        if not token_matches(sim.api_token, bearer_token(request.headers.get("authorization"))):
            raise ApiProblem(
                401,
                "an API token is required: Authorization: Bearer TOKEN",
                "unauthorized",
                headers={"WWW-Authenticate": "Bearer"},
            )

    api = APIRouter(
        prefix="/api", dependencies=[Depends(authorize)], responses=problems.responses(401, 403, 413, 415, 422)
    )

    @api.get("/health", summary="Liveness, addresses, counts, the poller and internal errors", response_model=Health)
    async def health() -> dict[str, Any]:
        # async, its store reads on a worker: it answers while waits and pages run.
        parts = await run_in_threadpool(sim.readiness)
        return {
            "status": "ok" if all(parts.values()) else "degraded",
            "ready": parts,
            "poller": sim.poller_health(),
            "ftp": {"host": sim.ftp_host, "port": sim.ftp_port, "tls": sim.tls},
            "clock": _clock_json(sim),
            "naive_poller": sim.naive_poller,
            "counts": await run_in_threadpool(sim.store.counts),
            "internal_errors": len(sim.errors),
            "cert_path": str(sim.cert_path) if sim.cert_path else None,
        }

    @api.get("/accounts", summary="Accounts the FTP server accepts (never their passwords)", response_model=AccountList)
    def list_accounts(page: ListPage) -> dict[str, Any]:
        every = sorted(sim.accounts.items())
        shown = page.of(every)
        return {"accounts": [account_json(a) for _, a in shown], **page.answer(len(every))}

    @api.post(
        "/accounts",
        status_code=201,
        summary="Create a throw-away account (CI jobs sharing a simulator)",
        response_model=AccountCreated,
        responses=problems.responses(409),
    )
    def create_account(body: AccountIn) -> dict[str, Any]:
        account_settings = body.model_dump(exclude_none=True)
        login = account_settings.pop("login", None) or f"ci{secrets.token_hex(4)}"
        account_settings.setdefault("password", secrets.token_urlsafe(12))
        if login in sim.accounts:
            raise ApiProblem(409, f"account {login!r} exists", "exists")
        # AccountsFileError (an unknown encoding or time zone) answers 422 before anything is kept.
        account = parse_accounts({"accounts": {login: account_settings}}, "POST /api/accounts")[login]
        sim.add_account(account)
        return {**account_json(account), "password": account.password}

    @api.get("/uploads", summary="The upload journal", response_model=UploadList)
    def uploads(page: ListPage, login: LoginFilter = None) -> dict[str, Any]:
        every = sim.uploads(login)
        shown = page.of(every)
        return {"uploads": [u.to_json() for u in shown], **page.answer(len(every))}

    @api.get(
        "/archives",
        summary="Archives taken by the poller: status, mode, counts, diagnostics",
        response_model=ArchiveList,
    )
    def archives(page: ListPage, login: LoginFilter = None) -> dict[str, Any]:
        every = sim.archives(login)
        shown = page.of(every)
        return {"archives": [a.to_json() for a in shown], **page.answer(len(every))}

    def look(name: str, login: str | None) -> tuple["ArchiveRecord | None", bool]:
        record = sim.archive(name, login)
        try:
            awaiting = sim.awaiting(name, login)
        except (OSError, ValueError):  # a name no file system takes: nothing of that name waits
            awaiting = False
        return record, awaiting

    async def wait_for(name: str, login: str | None, timeout: float) -> "ArchiveRecord | None":
        # Not sim.wait_for_archive: that blocks a worker thread for the whole wait.  Each look
        # is a short job on a worker; between looks the wait is only a timer on the event loop.
        deadline = real_monotonic() + timeout
        while True:
            record, awaiting = await run_in_threadpool(look, name, login)
            if record is not None and record.final and not awaiting:
                return record
            remaining = deadline - real_monotonic()
            if remaining <= 0 or not sim.started:
                return None
            await asyncio.sleep(min(remaining, WAIT_STEP))

    @api.get(
        "/archives/{name}",
        summary="The latest archive of that name; ?wait=SECONDS waits for its verdict",
        response_model=Archive,
        responses=problems.responses(404, 408, 429),
    )
    async def archive(
        request: Request,
        name: ArchiveName,
        login: LoginFilter = None,
        wait: Annotated[
            float,
            Query(
                ge=0,
                le=MAX_WAIT,
                allow_inf_nan=False,
                description=f"seconds to wait for the verdict (at most {MAX_WAIT:g})",
            ),
        ] = 0,
    ) -> dict[str, Any]:
        if wait > 0:
            with slots.hold(request.client.host if request.client else "?"):
                record = await wait_for(name, login, min(wait, settings.max_wait))
            if record is not None:
                return record.to_json()
        record, awaiting = await run_in_threadpool(look, name, login)
        if record is None and not awaiting:
            raise ApiProblem(404, f"no archive {name!r}" + (f" for {login!r}" if login else ""), "not-found")
        if wait > 0:
            raise ApiProblem(
                408, f"{name!r} was not processed within {wait:g} s (advance the clock?)", "not-processed-in-time"
            )
        if record is None:
            raise ApiProblem(404, f"{name!r} waits in the folder; it has not been polled yet", "not-found")
        return record.to_json()

    @api.get(
        "/messages",
        summary="Rendered messages (same fields as smsftp check --format json --messages)",
        response_model=MessageList,
    )
    def messages(
        page: MessagePage,
        login: LoginFilter = None,
        archive: Annotated[str | None, Query(min_length=1, max_length=NAME_MAX)] = None,
        phone: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    ) -> dict[str, Any]:
        found = sim.messages(login, archive, phone, limit=page.limit, offset=page.offset)
        total = sim.store.count_messages(login, archive, phone)
        return {"messages": [m.to_json() for m in found], **page.answer(total)}

    @api.get("/clock", summary="The simulator's clock and the poll schedule", response_model=ClockState)
    def get_clock() -> dict[str, Any]:
        return _clock_json(sim)

    @api.post(
        "/clock",
        summary="Set the frozen clock; polls due up to that instant run first",
        response_model=ClockState,
        responses=problems.responses(409),
    )
    def set_clock(body: ClockSet) -> dict[str, Any]:
        try:
            instant = parse_instant(body.at)
        except (ValueError, OverflowError):
            raise _invalid("at", "instant", f"{body.at!r} is not an ISO 8601 instant") from None
        sim.set_time(_clock_range(instant, "at"))
        return _clock_json(sim)

    @api.post(
        "/clock/advance",
        summary="Advance the clock; the polls that fell due run before the reply",
        response_model=ClockState,
    )
    def advance(body: ClockAdvance) -> dict[str, Any]:
        # Checked before any effect: a target past the calendar is refused with no poll run.
        try:
            target = sim.clock.now() + timedelta(seconds=body.seconds)
        except OverflowError:
            raise _invalid("seconds", "instant_range", f"the clock cannot move past year {CLOCK_MAX_YEAR}") from None
        _clock_range(target, "seconds")
        sim.advance(body.seconds)
        return _clock_json(sim)

    @api.post("/poll", summary="Poll every folder now", response_model=PollResult)
    def poll() -> dict[str, Any]:
        outcome = sim.poll_now()
        return {"found": outcome.found, "processed": outcome.processed, "in_progress": outcome.skipped}

    @api.post("/reset", summary="Forget uploads, archives and messages; empty the folders", response_model=ResetResult)
    def reset() -> dict[str, Any]:
        sim.reset()
        return {"status": "reset"}

    @api.get(
        "/folder/{login}",
        summary="Files now in an account's folder, and files left alone (SMS803)",
        response_model=Folder,
        responses=problems.responses(404),
    )
    def folder(login: LoginPath) -> dict[str, Any]:
        if login not in sim.accounts:
            raise ApiProblem(404, f"no account {login!r}", "not-found")
        return {"login": login, "files": sim.folder(login), "notes": [n.to_json() for n in sim.notes(login)]}

    @api.get("/failed-logins", summary="Refused FTP logins", response_model=FailedLoginList)
    def failed_logins(page: ListPage, login: LoginFilter = None) -> dict[str, Any]:
        every = sim.failed_logins(login)
        shown = page.of(every)
        return {"failed_logins": [f.to_json() for f in shown], "count": len(every), **page.answer(len(every))}

    @api.get(
        "/polls",
        summary="Polls that found something, newest first (empty polls are only counted)",
        response_model=PollList,
    )
    def polls(page: ListPage) -> dict[str, Any]:
        newest_first = sim.polls(page.offset + page.limit)[::-1]
        return {
            "polls": [p.to_json() for p in newest_first[page.offset :]],
            "polls_run": sim.poller.polls,
            **page.answer(sim.store.counts().get("polls", 0)),
        }

    faultsapi.install(api, sim)  # /api/faults: faults on demand
    app.include_router(api)

    @app.get(
        "/readyz",
        summary="Readiness: 200 only when the FTP server, the poller and the store are up, else 503",
        response_model=Readiness,
        responses={503: {"model": Readiness, "description": "a part is down; the body says which"}},
    )
    def readyz(response: Response) -> dict[str, Any]:
        parts = sim.readiness()
        response.status_code = 200 if all(parts.values()) else 503
        return {"ready": all(parts.values()), **parts}

    # The cabinet is part of the product: failing to import it is a bug that must show, not a missing page.
    cabinet.install(app, sim)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        # A browser pointed at the printed address lands on the cabinet (307 keeps the method).
        return RedirectResponse("/cabinet/", status_code=307)

    return app


class ApiServer:
    """uvicorn on its own thread and event loop, on a socket bound before start (the port is known at once)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        import uvicorn

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not 0: only then does asyncio set TCP_NODELAY on each connection, without
        # which a reply's second write waits for the client's delayed ACK (40 ms on every request).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._socket.bind((host, port))
            self._socket.listen(128)
        except OSError:  # a port in use: `smsftp serve` names it; the socket must not leak meanwhile
            self._socket.close()
            raise
        self.host, self.port = host, self._socket.getsockname()[1]
        shown = f"[{host}]" if family == socket.AF_INET6 else host
        self.url = f"http://{shown}:{self.port}"
        # A client still waiting in ?wait= must not hold the shutdown up for long.
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def start(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._run, name="smsftp-api", daemon=True)
        self._thread.start()
        deadline = real_monotonic() + timeout
        while not self._server.started and self.error is None and real_monotonic() < deadline:
            time.sleep(0.002)
        if not self._server.started:
            raise RuntimeError(f"the HTTP API did not start: {self.error!r}")

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        # The loop's timers (uvicorn's shutdown check, timeouts) must not stop under freeze_time.
        loop.time = real_monotonic  # type: ignore[method-assign]
        try:
            loop.run_until_complete(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # reported by start()
            self.error = exc
        finally:
            loop.close()

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._socket.close()
