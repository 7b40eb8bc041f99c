"""The personal cabinet (R1): the client's view of its broadcasts, served beside the HTTP API.

``install(app, sim)`` adds server-rendered pages under ``/cabinet/`` and a few
JSON endpoints under ``/cabinet/api/`` to the simulator's FastAPI app.  Every
read goes through the signed-in session's scope: an account sees only its own
archives, messages and uploads, and anything outside that scope answers 404
exactly as a record that does not exist would, so ids cannot be probed.

Who is looking comes from one FastAPI dependency (``viewer``, and ``signed_in`` that
requires someone): a page without a session redirects to the sign-in form, a JSON
endpoint answers a 401 problem.

Pages work without JavaScript.  ``static/cabinet.js`` only polls
``/cabinet/api/version`` and swaps in the live fragment when it changes.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import fastapi
import jinja2
from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.instants import utc
from smsftp.simulator.web import views as views
from smsftp.simulator.web.auth import (
    COOKIE_NAME,
    MAX_AGE,
    Session,
    SessionCodec,
    SessionTable,
    bearer_token,
    check_password,
    csrf_ok,
    new_session,
    safe_next,
    token_matches,
)
from smsftp.simulator.web.models import TEXT_MAX, Archive, ArchiveList, CabinetMessages, CabinetVersion, UploadList
from smsftp.simulator.web.paging import ListPage, MessagePage
from smsftp.simulator.web.problems import ApiProblem, problem_response, responses

if TYPE_CHECKING:
    from smsftp.simulator.app import Simulator
    from smsftp.simulator.service.store import ArchiveDay, ArchiveRecord, UploadRecord

log = logging.getLogger("smsftp.cabinet")

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
PAGE_SIZE = 100  # messages on an archive's page
ARCHIVES_PER_PAGE = 100  # archives on the overview's page
UPLOADS_PER_PAGE = 100  # uploads on the uploads page
MESSAGES_PER_REQUEST = 10_000  # most messages one /cabinet/api/archives/{id}/messages reply holds

# Our pages load nothing from elsewhere and run only our own script file.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(Exception):
    """Raised by ``signed_in``: nobody is signed in; pages redirect, JSON answers 401."""


def viewer(request: Request) -> Session | None:
    """The one session dependency: who is looking, or ``None``."""
    cabinet = cast(Cabinet, request.app.state.cabinet)
    return cabinet.session_of(request)


def signed_in(session: Annotated[Session | None, Depends(viewer)]) -> Session:
    if session is None:
        raise SignInRequired
    return session


Viewer = Annotated[Session | None, Depends(viewer)]
SignedIn = Annotated[Session, Depends(signed_in)]
# Only the operator's choice of account counts (an account's is ignored); bounded all the same.
LoginChoice = Annotated[str, Query(max_length=64)]
RecordId = Annotated[str, fastapi.Path(max_length=32)]


def install(app: FastAPI, sim: Simulator) -> None:
    """Serve the cabinet from ``app``: pages under ``/cabinet/``, its files under ``/cabinet/static/``."""
    cabinet = Cabinet(sim)
    app.state.cabinet = cabinet
    app.mount("/cabinet/static", StaticFiles(directory=STATIC), name="cabinet-static")
    app.include_router(cabinet.router)

    async def to_sign_in(request: Request, exc: Exception) -> Response:
        path = request.url.path
        if path.startswith("/cabinet/api/"):
            return problem_response(401, "sign in to the cabinet first", "unauthorized")
        if path.startswith("/cabinet/fragment/"):
            return Response(status_code=401)
        return cabinet.to_login(request)

    app.add_exception_handler(SignInRequired, to_sign_in)


class Cabinet:
    """The cabinet's routes, bound to one simulator and one session secret."""

    def __init__(self, sim: Simulator, *, codec: SessionCodec | None = None) -> None:
        self.sim = sim
        # A new secret per simulator run: restarting signs everybody out.
        self.codec = codec or SessionCodec()
        self.sessions = SessionTable(max_age=self.codec.max_age)
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(utc_time=views.utc_time, iso=views.iso, where=views.where, code=views.inline_code)
        self.env.globals.update(severity_counts=views.severity_counts, upload_state=views.upload_state)
        # Keyed by more than the id: a reset store hands out the same ids again.
        self._parts_cache: dict[tuple[int, str, datetime | None], int] = {}
        self.router = APIRouter()
        self._routes()

    # --- plumbing -------------------------------------------------------------------------------

    def _routes(self) -> None:
        page: dict[str, Any] = {"response_class": HTMLResponse, "include_in_schema": False}
        add = self.router.add_api_route
        add("/cabinet", self.root, methods=["GET"], **page)
        add("/cabinet/", self.overview, methods=["GET"], **page)
        add("/cabinet/fragment/archives", self.overview_fragment, methods=["GET"], **page)
        add("/cabinet/archives/{archive_id}", self.archive_page, methods=["GET"], **page)
        add("/cabinet/uploads", self.uploads_page, methods=["GET"], **page)
        add("/cabinet/fragment/uploads", self.uploads_fragment, methods=["GET"], **page)
        add("/cabinet/uploads/{upload_id}", self.upload_page, methods=["GET"], **page)
        add("/cabinet/login", self.login_form, methods=["GET"], **page)
        add("/cabinet/login", self.login, methods=["POST"], **page)
        add("/cabinet/logout", self.logout, methods=["POST"], **page)
        api: dict[str, Any] = {"tags": ["cabinet"], "methods": ["GET"], "responses": responses(401, 404, 422)}
        add(
            "/cabinet/api/version",
            self.api_version,
            summary="Change stamp of the viewer's records",
            response_model=CabinetVersion,
            **api,
        )
        add(
            "/cabinet/api/archives",
            self.api_archives,
            summary="The viewer's archives, newest first",
            response_model=ArchiveList,
            **api,
        )
        add(
            "/cabinet/api/archives/{archive_id}",
            self.api_archive,
            summary="One of the viewer's archives",
            response_model=Archive,
            **api,
        )
        add(
            "/cabinet/api/archives/{archive_id}/messages",
            self.api_messages,
            summary="Messages of one of the viewer's archives",
            response_model=CabinetMessages,
            **api,
        )
        add(
            "/cabinet/api/uploads",
            self.api_uploads,
            summary="The viewer's uploads",
            response_model=UploadList,
            **api,
        )
        # Last, so that it only catches what nothing above matched: an HTML 404, same for all.
        add("/cabinet/{rest:path}", self.not_found, methods=["GET", "POST"], **page)

    def _accounts(self) -> Mapping[str, Account]:
        return self.sim.accounts

    def _zone(self, login: str | None) -> tzinfo:
        account = self._accounts().get(login) if login else None
        return account.zone if account is not None else ZoneInfo("UTC")

    def session_of(self, request: Request) -> Session | None:
        """The signed-in viewer: the operator by bearer token, else whoever the cookie names."""
        if token_matches(self.sim.api_token, bearer_token(request.headers.get("authorization"))):
            return new_session(operator=True)
        session = self.codec.loads(request.cookies.get(COOKIE_NAME))
        if session is None or not session.signed_in or session not in self.sessions:
            return None  # signed out (revoked server-side), or a restart since
        if session.login is not None and session.login not in self._accounts():
            return None  # the account was removed since sign-in
        return session

    def _render(
        self, name: str, request: Request, session: Session | None, *, status: int = 200, **context: Any
    ) -> HTMLResponse:
        context.setdefault("live", None)
        html = self.env.get_template(name).render(
            session=session, path=request.url.path, csrf=session.csrf if session else "", **context
        )
        response = HTMLResponse(html, status_code=status)
        response.headers.update(SECURITY_HEADERS)
        return response

    def _sign_in(self, response: Response, session: Session) -> None:
        self.sessions.add(session)
        self._set_cookie(response, session)

    def _set_cookie(self, response: Response, session: Session) -> None:
        response.set_cookie(
            COOKIE_NAME, self.codec.dumps(session), max_age=MAX_AGE, path="/cabinet", httponly=True, samesite="lax"
        )

    def to_login(self, request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/cabinet/login?next={quote(target, safe='')}", status_code=303)

    def not_found(self, request: Request, session: Viewer) -> HTMLResponse:
        return self._render(
            "cabinet/error.html",
            request,
            session,
            status=404,
            title="Not found",
            detail="There is nothing at this address for your account.",
        )

    # --- what a session may see ----------------------------------------------------------------

    def _scope(self, session: Session, wanted: str | None) -> str | None:
        # Only the operator chooses whose records to look at; an account's choice is ignored.
        if session.operator:
            return wanted or None
        return session.login

    # Every read below asks the store for what the page shows: a page of a list, one record, sums
    # and counts done in SQL, so that a page costs the same for a 10-message archive as for a
    # 1,000,000-message one, and for 20 archives as for 20,000.

    def _previous(self, upload: UploadRecord) -> int:
        # From the store, not from the page: the upload before the page's oldest row is on the next page.
        return self.sim.store.previous_upload_id(upload.login, upload.id)

    def _uploads(self, scope: str | None) -> list[UploadRecord]:
        return sorted(self.sim.uploads(scope), key=lambda u: u.id, reverse=True)

    def _version(self, scope: str | None) -> str:
        return views.change_stamp(self.sim.store.activity(scope))

    def _archive(self, session: Session, archive_id: str) -> ArchiveRecord | None:
        if not _is_id(archive_id):
            return None
        found = self.sim.store.archive_by_id(int(archive_id), session.scope)
        return found if found is not None and session.sees(found.login) else None

    def _upload(self, session: Session, upload_id: str) -> UploadRecord | None:
        if not _is_id(upload_id):
            return None
        found = self.sim.store.upload_by_id(int(upload_id), session.scope)
        return found if found is not None and session.sees(found.login) else None

    def _parts(self, archive: ArchiveRecord | ArchiveDay) -> int:
        """SMS parts of an accepted archive; a final verdict never changes, so each is summed once."""
        if archive.status != "accepted":
            return 0
        key = (archive.id, archive.sha256, archive.processed_at)
        if key not in self._parts_cache:
            self._parts_cache[key] = self.sim.store.archive_parts(archive.id)
        return self._parts_cache[key]

    def _totals(self, scope: str | None, zone: tzinfo) -> list[views.DayTotals]:
        """The latest ``CHART_DAYS`` days that had archives, read from a window of time that widens
        until it holds that many days (or every archive): a long history is never read whole."""
        store = self.sim.store
        latest = store.latest_received(scope)
        if latest is None:
            return []
        everything = store.count_archives(scope)
        span = timedelta(days=views.CHART_DAYS + 1)
        while True:
            days = store.archive_days(scope, latest - span)
            if len(days) >= everything or len({utc(d.received_at).astimezone(zone).date() for d in days}) > (
                views.CHART_DAYS
            ):
                return views.daily_totals(days, {d.id: self._parts(d) for d in days}, zone)
            span *= 4

    def _live_context(self, session: Session, scope: str | None, page: int = 1) -> dict[str, Any]:
        store = self.sim.store
        count = store.count_archives(scope)
        pages = max(1, -(-count // ARCHIVES_PER_PAGE))
        page = min(max(page, 1), pages)
        archives = store.archives_page(scope, limit=ARCHIVES_PER_PAGE, offset=(page - 1) * ARCHIVES_PER_PAGE)
        totals = self._totals(scope, self._zone(scope) if scope else UTC)
        query = {"login": scope} if session.operator and scope else {}
        return {
            "archives": archives,
            "archive_count": count,
            "page": page,
            "pages": pages,
            "page_link": lambda n: f"/cabinet/?{urlencode({**query, 'page': n})}",
            "totals": totals,
            "charts": views.day_charts(totals),
            "zone_of": self._zone,
            "local": views.local_time,
            "scope": scope,
            "version": self._version(scope),
        }

    # --- pages ---------------------------------------------------------------------------------

    def root(self) -> Response:
        return RedirectResponse("/cabinet/", status_code=307)

    def _list_page(
        self,
        request: Request,
        session: Session,
        login: str,
        template: str,
        fragment: str,
        context: Callable[[Session, str | None, int], dict[str, Any]],
        page: int = 1,
    ) -> Response:
        """A list page (archives, uploads) whose live part reloads from ``fragment``."""
        scope = self._scope(session, login)
        params = {"login": scope} if session.operator and scope else {}
        if page > 1:
            params["page"] = str(page)
        query = f"?{urlencode(params)}" if params else ""
        return self._render(
            template,
            request,
            session,
            live=f"{fragment}{query}",
            accounts=sorted(self._accounts()) if session.operator else [],
            **context(session, scope, page),
        )

    def _list_fragment(
        self,
        request: Request,
        session: Session,
        login: str,
        template: str,
        context: Callable[[Session, str | None, int], dict[str, Any]],
        page: int = 1,
    ) -> Response:
        values = context(session, self._scope(session, login), page)
        response = self._render(template, request, session, **values)
        response.headers["X-Cabinet-Version"] = values["version"]
        return response

    def overview(self, request: Request, session: SignedIn, login: LoginChoice = "", page: int = 1) -> Response:
        return self._list_page(
            request, session, login, "cabinet/overview.html", "/cabinet/fragment/archives", self._live_context, page
        )

    def overview_fragment(
        self, request: Request, session: SignedIn, login: LoginChoice = "", page: int = 1
    ) -> Response:
        return self._list_fragment(request, session, login, "cabinet/_overview_live.html", self._live_context, page)

    def archive_page(
        self, request: Request, session: SignedIn, archive_id: str, phone: str = "", text: str = "", page: int = 1
    ) -> Response:
        archive = self._archive(session, archive_id)
        if archive is None:
            return self.not_found(request, session)
        store = self.sim.store
        digits, wanted = views.digits(phone), text.strip()
        total = store.count_archive_messages(archive)
        matched = store.count_archive_messages(archive, digits=digits, text=wanted) if digits or wanted else total
        pages = max(1, -(-matched // PAGE_SIZE))
        page = min(max(page, 1), pages)
        shown = store.archive_messages(
            archive, digits=digits, text=wanted, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        upload = self._upload(session, str(archive.upload_id)) if archive.upload_id is not None else None

        def page_link(number: int) -> str:
            params = {k: v for k, v in (("phone", phone), ("text", text)) if v}
            params["page"] = str(number)
            return f"{request.url.path}?{urlencode(params)}#messages"

        return self._render(
            "cabinet/archive.html",
            request,
            session,
            archive=archive,
            upload=upload,
            messages=shown,
            total=total,
            matched=matched,
            phone=phone,
            text=text,
            page=page,
            pages=pages,
            page_link=page_link,
            zone=self._zone(archive.login),
            local=views.local_time,
            parts=self._parts(archive),
            live=None if archive.status != "pending" else request.url.path,
            version=self._version(session.scope),
        )

    def _uploads_context(self, session: Session, scope: str | None, page: int = 1) -> dict[str, Any]:
        store = self.sim.store
        count = store.count_uploads(scope)
        pages = max(1, -(-count // UPLOADS_PER_PAGE))
        page = min(max(page, 1), pages)
        uploads = store.uploads_page(scope, limit=UPLOADS_PER_PAGE, offset=(page - 1) * UPLOADS_PER_PAGE)
        query = {"login": scope} if session.operator and scope else {}
        events = self.sim.fault_events()
        return {
            "uploads": uploads,
            "upload_count": count,
            "page": page,
            "pages": pages,
            "page_link": lambda n: f"/cabinet/uploads?{urlencode({**query, 'page': n})}",
            "transcript": lambda u: views.transcript(
                u, self._zone(u.login), views.faults_of(u, events, self._previous(u))
            ),
            "zone_of": self._zone,
            "local": views.local_time,
            "scope": scope,
            "version": self._version(scope),
        }

    def uploads_page(self, request: Request, session: SignedIn, login: LoginChoice = "", page: int = 1) -> Response:
        return self._list_page(
            request, session, login, "cabinet/uploads.html", "/cabinet/fragment/uploads", self._uploads_context, page
        )

    def uploads_fragment(self, request: Request, session: SignedIn, login: LoginChoice = "", page: int = 1) -> Response:
        return self._list_fragment(request, session, login, "cabinet/_uploads_live.html", self._uploads_context, page)

    def upload_page(self, request: Request, session: SignedIn, upload_id: str) -> Response:
        upload = self._upload(session, upload_id)
        if upload is None:
            return self.not_found(request, session)
        archives = self.sim.store.archives_of_upload(upload.id)
        return self._render(
            "cabinet/upload.html",
            request,
            session,
            upload=upload,
            archives=archives,
            lines=views.transcript(
                upload,
                self._zone(upload.login),
                views.faults_of(upload, self.sim.fault_events(), self._previous(upload)),
            ),
            zone=self._zone(upload.login),
            local=views.local_time,
        )

    # --- signing in and out --------------------------------------------------------------------

    def login_form(self, request: Request, next: str = "", token: str = "") -> Response:
        target = safe_next(next)
        if token:
            if not token_matches(self.sim.api_token, token):
                log.warning("cabinet: operator sign-in with a wrong token from %s", _client(request))
                anonymous = new_session()
                response = self._render(
                    "cabinet/login.html",
                    request,
                    anonymous,
                    status=401,
                    next=target,
                    error="That is not the simulator's API token.",
                )
                self._set_cookie(response, anonymous)
                return response
            # Redirect so that the token does not stay in the address bar or the history.
            redirect = RedirectResponse(target, status_code=303)
            self._sign_in(redirect, new_session(operator=True))
            return redirect
        current = self.codec.loads(request.cookies.get(COOKIE_NAME))
        if current is not None and current.signed_in and self.session_of(request) is not None:
            return RedirectResponse(target, status_code=303)
        anonymous = current if current is not None and not current.signed_in else new_session()
        response = self._render("cabinet/login.html", request, anonymous, next=target, error="")
        self._set_cookie(response, anonymous)
        return response

    def login(
        self,
        request: Request,
        login: Annotated[str, Form()] = "",
        password: Annotated[str, Form()] = "",
        csrf: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
    ) -> Response:
        target = safe_next(next)
        current = self.codec.loads(request.cookies.get(COOKIE_NAME))
        if not csrf_ok(current, csrf):
            anonymous = new_session()
            response = self._render(
                "cabinet/login.html",
                request,
                anonymous,
                status=400,
                next=target,
                error="The form expired. Please sign in again.",
            )
            self._set_cookie(response, anonymous)
            return response
        address = _client(request)
        wait = self.sim.login_retry_after(login.strip(), address)
        if wait > 0:
            # Throttled like FTP (same counts): the password is not checked during the back-off.
            anonymous = new_session()
            response = self._render(
                "cabinet/login.html",
                request,
                anonymous,
                status=429,
                next=target,
                error=f"Too many failed sign-ins. Try again in {math.ceil(wait)} seconds.",
                login=login,
            )
            response.headers["Retry-After"] = str(math.ceil(wait))
            self._set_cookie(response, anonymous)
            return response
        account = check_password(self._accounts(), login.strip(), password)
        if account is None:
            log.warning("cabinet: failed sign-in for %r from %s", login, address)
            self.sim.login_failed(login.strip(), address, tls=request.url.scheme == "https")
            anonymous = new_session()
            response = self._render(
                "cabinet/login.html",
                request,
                anonymous,
                status=401,
                next=target,
                error="Wrong login or password.",
                login=login,
            )
            self._set_cookie(response, anonymous)
            return response
        log.info("cabinet: %s signed in from %s", account.login, _client(request))
        redirect = RedirectResponse(target, status_code=303)
        self._sign_in(redirect, new_session(account.login))
        return redirect

    def logout(self, request: Request, session: Viewer, csrf: Annotated[str, Form()] = "") -> Response:
        current = self.codec.loads(request.cookies.get(COOKIE_NAME))
        if not csrf_ok(current, csrf):
            return self._render(
                "cabinet/error.html",
                request,
                session,
                status=400,
                title="Form expired",
                detail="Reload the page and sign out again.",
            )
        assert current is not None  # csrf_ok needs a session
        # Server-side: the cookie's value stops working everywhere, including any copy of it.
        self.sessions.revoke(current)
        log.info("cabinet: %s signed out from %s", current.login or "operator", _client(request))
        redirect = RedirectResponse("/cabinet/login", status_code=303)
        self._set_cookie(redirect, new_session())
        return redirect

    # --- JSON, for the page's script and for scripts of the signed-in client ------------------

    def api_version(self, response: Response, session: SignedIn, login: LoginChoice = "") -> dict[str, Any]:
        """A value that changes whenever the viewer's archives or uploads change.

        Needs the cabinet's session cookie, or ``Authorization: Bearer API_TOKEN`` for the operator.
        """
        response.headers["Cache-Control"] = "no-store"
        return {"version": self._version(self._scope(session, login))}

    def api_archives(
        self, response: Response, session: SignedIn, page: ListPage, login: LoginChoice = ""
    ) -> dict[str, Any]:
        """The viewer's archives, newest first (the operator's: every account's, or ``login``'s).

        Needs the cabinet's session cookie, or ``Authorization: Bearer API_TOKEN`` for the operator.
        """
        response.headers["Cache-Control"] = "no-store"
        scope = self._scope(session, login)
        shown = self.sim.store.archives_page(scope, limit=page.limit, offset=page.offset)
        return {"archives": [a.to_json() for a in shown], **page.answer(self.sim.store.count_archives(scope))}

    def api_archive(self, response: Response, session: SignedIn, archive_id: RecordId) -> dict[str, Any]:
        """One archive of the viewer's, with its diagnostics; 404 for any other.

        Needs the cabinet's session cookie, or ``Authorization: Bearer API_TOKEN`` for the operator.
        """
        response.headers["Cache-Control"] = "no-store"
        return self._archive_or_404(session, archive_id).to_json()

    def api_messages(
        self,
        response: Response,
        session: SignedIn,
        archive_id: RecordId,
        page: MessagePage,
        phone: Annotated[str, Query(max_length=32)] = "",
        text: Annotated[str, Query(max_length=TEXT_MAX)] = "",
    ) -> dict[str, Any]:
        """The rendered messages of one of the viewer's archives, searchable as on the page, one page
        at a time: ``limit`` (at most 10,000) from ``offset``; ``matched`` (and ``total``) count them all.

        Needs the cabinet's session cookie, or ``Authorization: Bearer API_TOKEN`` for the operator.
        """
        response.headers["Cache-Control"] = "no-store"
        archive = self._archive_or_404(session, archive_id)
        digits, wanted = views.digits(phone), text.strip()
        store = self.sim.store
        found = store.archive_messages(archive, digits=digits, text=wanted, limit=page.limit, offset=page.offset)
        matched = store.count_archive_messages(archive, digits=digits, text=wanted)
        return {
            "archive": archive.name,
            "messages": [m.to_json() for m in found],
            "matched": matched,
            **page.answer(matched),
        }

    def api_uploads(
        self, response: Response, session: SignedIn, page: ListPage, login: LoginChoice = ""
    ) -> dict[str, Any]:
        """The viewer's uploads as the FTP server journalled them.

        Needs the cabinet's session cookie, or ``Authorization: Bearer API_TOKEN`` for the operator.
        """
        response.headers["Cache-Control"] = "no-store"
        every = self._uploads(self._scope(session, login))
        return {"uploads": [u.to_json() for u in page.of(every)], **page.answer(len(every))}

    def _archive_or_404(self, session: Session, archive_id: str) -> ArchiveRecord:
        archive = self._archive(session, archive_id)
        if archive is None:
            raise ApiProblem(404, "no such archive", "not-found")
        return archive


def _is_id(text: str) -> bool:
    # isdigit alone accepts "²" and other digits that int() refuses.
    return text.isascii() and text.isdigit() and len(text) < 19


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"
