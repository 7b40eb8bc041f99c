"""The side channel (JSON over HTTP, OpenAPI at ``/openapi.json``): everything the FTP folder is not.

What a client observes over FTP follows the platform's document; verdicts,
diagnostics, rendered messages, the clock and the poller are here instead.  CI
jobs use it to drive time (``POST /api/clock/advance``), to wait for a verdict
without sleeping (``GET /api/archives/{name}?wait=30``) and to make throw-away
accounts so that parallel jobs can share one simulator (``POST /api/accounts``).

Bound to loopback by default.  When a token is configured (always when bound
elsewhere) every ``/api/`` request needs ``Authorization: Bearer TOKEN``.

``create_app`` builds the app; the cabinet's pages are mounted on the same app
by ``smsftp.simulator.web.cabinet.install(app, sim)`` when that module is present.
``ApiServer`` runs it with uvicorn on a thread whose event loop reads real time,
so the API keeps working inside freezegun's ``freeze_time``.
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, ConfigDict, Field

from smsftp.simulator.rules.accounts import Account, AccountsFileError, parse_accounts
from smsftp.simulator.rules.instants import format_instant, parse_instant
from smsftp.simulator.service.clock import real_monotonic
from smsftp.simulator.web import faultsapi

if TYPE_CHECKING:
    from smsftp.simulator.app import Simulator

MAX_WAIT = 600.0


class ClockSet(BaseModel):
    at: str = Field(description="ISO 8601 instant, e.g. 2026-11-25T12:00:00Z (naive means UTC)")


class ClockAdvance(BaseModel):
    seconds: float = Field(
        ge=0,
        description="how far to move the clock (a frozen one, or the system clock "
        "pushed forward); due polls run before the reply",
    )


class AccountIn(BaseModel):
    """A throw-away account; omitted login and password are generated. Other keys as in the accounts file."""

    model_config = ConfigDict(extra="allow")
    login: str | None = None
    password: str | None = None
    mode: str = "auto"
    senders: list[str] = Field(default_factory=lambda: ["TESTSMS"])
    default_sender: str | None = "TESTSMS"


def account_json(account: Account) -> dict[str, Any]:
    data = {f.name: getattr(account, f.name) for f in fields(account) if f.name != "extra"}
    data["senders"] = list(account.senders)
    return data


MESSAGES_PER_PAGE = 10_000  # most messages one GET /api/messages reply holds (memory per request)


def _clock_json(sim: Simulator) -> dict[str, Any]:
    due = sim.poller.next_due
    return {
        "now": format_instant(sim.clock.now()),
        "frozen": sim.clock.frozen,
        "poll_interval": sim.poll_interval,
        "next_poll": format_instant(due) if due else None,
        "polls": sim.poller.polls,
    }


def create_app(sim: Simulator) -> FastAPI:
    """The HTTP API of one simulator, plus the cabinet's pages when installed."""
    app = FastAPI(title="smsftp simulator", version="1", description=__doc__)

    def authorize(request: Request) -> None:
        if sim.api_token is None:
            return
        scheme, _, offered = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(offered.strip().encode(), sim.api_token.encode()):
            raise HTTPException(
                401, "an API token is required: Authorization: Bearer TOKEN", headers={"WWW-Authenticate": "Bearer"}
            )

    api = APIRouter(prefix="/api", dependencies=[Depends(authorize)])

    def frozen_only(what: str) -> None:
        if not sim.clock.frozen:
            raise HTTPException(409, f"{what} needs a frozen clock; this simulator runs on the system clock")

    @api.get("/health", summary="Liveness, addresses, counts, the poller and internal errors")
    def health() -> dict[str, Any]:
        parts = sim.readiness()
        return {
            "status": "ok" if all(parts.values()) else "degraded",
            "ready": parts,
            "poller": sim.poller_health(),
            "ftp": {"host": sim.ftp_host, "port": sim.ftp_port, "tls": sim.tls},
            "clock": _clock_json(sim),
            "naive_poller": sim.naive_poller,
            "counts": sim.store.counts(),
            "internal_errors": len(sim.errors),
            "cert_path": str(sim.cert_path) if sim.cert_path else None,
        }

    @api.get("/accounts", summary="Accounts the FTP server accepts")
    def list_accounts() -> dict[str, Any]:
        return {"accounts": [account_json(a) for _, a in sorted(sim.accounts.items())]}

    @api.post("/accounts", status_code=201, summary="Create a throw-away account (CI jobs sharing a simulator)")
    def create_account(body: AccountIn) -> dict[str, Any]:
        settings = body.model_dump(exclude_none=True)
        login = settings.pop("login", None) or f"ci{secrets.token_hex(4)}"
        settings.setdefault("password", secrets.token_urlsafe(12))
        if login in sim.accounts:
            raise HTTPException(409, f"account {login!r} exists")
        try:
            account = parse_accounts({"accounts": {login: settings}}, "POST /api/accounts")[login]
        except AccountsFileError as exc:
            raise HTTPException(422, str(exc)) from None
        sim.add_account(account)
        return account_json(account)

    @api.get("/uploads", summary="The upload journal")
    def uploads(login: str | None = None) -> dict[str, Any]:
        return {"uploads": [u.to_json() for u in sim.uploads(login)]}

    @api.get("/archives", summary="Archives taken by the poller: status, mode, counts, diagnostics")
    def archives(login: str | None = None) -> dict[str, Any]:
        return {"archives": [a.to_json() for a in sim.archives(login)]}

    @api.get(
        "/archives/{name}",
        summary="The latest archive of that name; ?wait=SECONDS waits for its verdict",
        responses={404: {"description": "no such archive"}, 408: {"description": "not processed in time"}},
    )
    def archive(name: str, login: str | None = None, wait: float = 0) -> dict[str, Any]:
        if wait > 0:
            record = sim.wait_for_archive(name, min(wait, MAX_WAIT), login)
            if record is not None:
                return record.to_json()
        record = sim.archive(name, login)
        if record is None and not sim.awaiting(name, login):
            raise HTTPException(404, f"no archive {name!r}" + (f" for {login!r}" if login else ""))
        if wait > 0:
            raise HTTPException(408, f"{name!r} was not processed within {wait:g} s (advance the clock?)")
        if record is None:
            raise HTTPException(404, f"{name!r} waits in the folder; it has not been polled yet")
        return record.to_json()

    @api.get("/messages", summary="Rendered messages (same fields as smsftp check --format json --messages)")
    def messages(
        login: str | None = None,
        archive: str | None = None,
        phone: str | None = None,
        limit: int = MESSAGES_PER_PAGE,
        offset: int = 0,
    ) -> dict[str, Any]:
        """One page: at most 10,000 messages (``limit``) from ``offset``; ``total`` counts them all.
        A page costs the same at any offset and in any size of archive."""
        limit, offset = max(0, min(limit, MESSAGES_PER_PAGE)), max(0, offset)
        found = sim.messages(login, archive, phone, limit=limit, offset=offset)
        return {
            "messages": [m.to_json() for m in found],
            "total": sim.store.count_messages(login, archive, phone),
            "limit": limit,
            "offset": offset,
        }

    @api.get("/clock", summary="The simulator's clock and the poll schedule")
    def get_clock() -> dict[str, Any]:
        return _clock_json(sim)

    @api.post("/clock", summary="Set the frozen clock; polls due up to that instant run first")
    def set_clock(body: ClockSet) -> dict[str, Any]:
        frozen_only("setting the clock")
        try:
            instant = parse_instant(body.at)
        except ValueError:
            raise HTTPException(422, f"{body.at!r} is not an ISO 8601 instant") from None
        sim.set_time(instant)
        return _clock_json(sim)

    @api.post("/clock/advance", summary="Advance the clock; the polls that fell due run before the reply")
    def advance(body: ClockAdvance) -> dict[str, Any]:
        sim.advance(body.seconds)
        return _clock_json(sim)

    @api.post("/poll", summary="Poll every folder now")
    def poll() -> dict[str, Any]:
        outcome = sim.poll_now()
        return {"found": outcome.found, "processed": outcome.processed, "in_progress": outcome.skipped}

    @api.post("/reset", summary="Forget uploads, archives and messages; empty the folders")
    def reset() -> dict[str, Any]:
        sim.reset()
        return {"status": "reset"}

    @api.get("/folder/{login}", summary="Files now in an account's folder, and files left alone (SMS803)")
    def folder(login: str) -> dict[str, Any]:
        if login not in sim.accounts:
            raise HTTPException(404, f"no account {login!r}")
        return {"login": login, "files": sim.folder(login), "notes": [n.to_json() for n in sim.notes(login)]}

    @api.get("/failed-logins", summary="Refused FTP logins")
    def failed_logins(login: str | None = None) -> dict[str, Any]:
        found = sim.failed_logins(login)
        return {"failed_logins": [f.to_json() for f in found], "count": len(found)}

    @api.get("/polls", summary="Polls that found something (empty polls are only counted)")
    def polls(limit: int = 100) -> dict[str, Any]:
        return {"polls": [p.to_json() for p in sim.polls(max(1, min(limit, 10000)))], "total": sim.poller.polls}

    faultsapi.install(api, sim)  # /api/faults: faults on demand
    app.include_router(api)

    @app.get(
        "/readyz",
        summary="Readiness: 200 only when the FTP server, the poller and the store are up, else 503",
        responses={503: {"description": "a part is down; the body says which"}},
    )
    def readyz() -> JSONResponse:
        parts = sim.readiness()
        return JSONResponse({"ready": all(parts.values()), **parts}, status_code=200 if all(parts.values()) else 503)

    @app.exception_handler(RuntimeError)
    async def runtime_error(request: Request, exc: RuntimeError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=409)

    home = "/cabinet/" if _install_cabinet(app, sim) else "/docs"

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        # A browser pointed at the printed address lands on the cabinet (307 keeps the method).
        return RedirectResponse(home, status_code=307)

    return app


def _install_cabinet(app: FastAPI, sim: Simulator) -> bool:
    """The cabinet's pages (R1) live on the same app; the simulator runs without them too."""
    try:
        from smsftp.simulator.web import cabinet
    except ImportError:
        return False
    cabinet.install(app, sim)
    return True


class ApiServer:
    """uvicorn on its own thread and event loop, on a socket bound before start (the port is known at once)."""

    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        import uvicorn

        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named, not 0: only then does asyncio set TCP_NODELAY on each connection, without
        # which a reply's second write waits for the client's delayed ACK (40 ms on every request).
        self._socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self._socket.listen(128)
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
