"""The personal cabinet (R1) over HTTP: sign-in, isolation between accounts (T2), pages and JSON.

One in-process simulator with a frozen clock serves the module; archives reach it
through real FTP (ftplib) and the clock is advanced across a poll, as a client would
see it.  Pages are read through the app's ASGI interface (no browser; that is
``test_cabinet_browser.py``).
"""

from __future__ import annotations

import ftplib
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from smsftp.simulator.app import Simulator
from smsftp.simulator.rules.accounts import Account, demo_account
from smsftp.simulator.service.clock import FrozenClock
from smsftp.simulator.web.api import create_app
from smsftp.simulator.web.auth import COOKIE_NAME, SessionCodec, SessionTable, new_session, safe_next
from smsftp.simulator.web.views import daily_totals, filter_messages, local_time

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOKEN = "operator-token-for-tests"
GUEST_ARCHIVE = "guest_20261125120000.zip"
OTHER_ARCHIVE = "other_20261125120000.zip"
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def template_archive(contacts: list[tuple[str, str]], sender: str = "TESTSMS") -> bytes:
    """A template-mode archive (C1, M1): ``sms/contacts.csv`` and ``sms/template.csv``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sms/contacts.csv", "phone;attr1\n" + "".join(f"{p};{a}\n" for p, a in contacts))
        zf.writestr("sms/template.csv", f"message;sourceaddress\nHello #attr1#!;{sender}\n")
    return buf.getvalue()


def ftp_upload(sim: Simulator, login: str, password: str, name: str, data: bytes) -> None:
    """Upload as a careful client does: binary mode, a temporary name, then rename (Q22, Q27)."""
    with ftplib.FTP() as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port, timeout=10)
        ftp.login(login, password)
        ftp.storbinary(f"STOR {name}.part", io.BytesIO(data))
        ftp.rename(f"{name}.part", name)


def process(sim: Simulator, login: str, name: str) -> None:
    sim.advance(10)
    assert sim.wait_for_archive(name, timeout=10, login=login) is not None


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    accounts = {
        "guest": demo_account(),
        "other": Account(
            login="other",
            password="other-secret",
            senders=("TESTSMS",),
            default_sender="TESTSMS",
            timezone="Asia/Vladivostok",
        ),
        "third": Account(login="third", password="third-secret", senders=("TESTSMS",)),
    }
    with Simulator(
        accounts=accounts, state_dir=":memory:", api_port=None, clock=FrozenClock(START), api_token=TOKEN
    ) as simulator:
        # 89... is a leading-8 phone (Q8): the row is rejected, the archive accepted with a diagnostic.
        ftp_upload(
            simulator,
            "guest",
            "guest",
            GUEST_ARCHIVE,
            template_archive([("79031234567", "Ann"), ("79161112233", "Bob"), ("89035556677", "Eve")]),
        )
        ftp_upload(simulator, "other", "other-secret", OTHER_ARCHIVE, template_archive([("79990001122", "Secret")]))
        process(simulator, "guest", GUEST_ARCHIVE)
        process(simulator, "other", OTHER_ARCHIVE)
        yield simulator


@pytest.fixture(scope="module")
def app(sim: Simulator) -> Any:
    return create_app(sim)


def client(app: Any) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def sign_in(app: Any, login: str, password: str) -> TestClient:
    c = client(app)
    form = c.get("/cabinet/login")
    match = CSRF.search(form.text)
    assert match, "the sign-in form carries a CSRF token"
    reply = c.post(
        "/cabinet/login",
        data={"login": login, "password": password, "csrf": match.group(1), "next": "/cabinet/"},
        follow_redirects=False,
    )
    assert reply.status_code == 303, reply.text
    return c


def archive_id(sim: Simulator, login: str, name: str) -> int:
    record = sim.archive(name, login=login)
    assert record is not None
    return record.id


def csrf_of(page: str) -> str:
    match = CSRF.search(page)
    assert match
    return match.group(1)


# --- signing in -------------------------------------------------------------------------------------


def test_r1_pages_need_sign_in(app: Any) -> None:
    reply = client(app).get("/cabinet/", follow_redirects=False)
    assert reply.status_code == 303
    assert reply.headers["location"].startswith("/cabinet/login?next=")


def test_r1_sign_in_with_ftp_credentials_sets_a_safe_cookie(app: Any) -> None:
    c = client(app)
    form = c.get("/cabinet/login")
    reply = c.post(
        "/cabinet/login",
        data={"login": "guest", "password": "guest", "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert reply.status_code == 303
    cookie = reply.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/cabinet" in cookie
    page = c.get("/cabinet/")
    assert page.status_code == 200
    assert GUEST_ARCHIVE in page.text


def test_r1_wrong_password_is_refused(app: Any) -> None:
    c = client(app)
    form = c.get("/cabinet/login")
    reply = c.post(
        "/cabinet/login",
        data={"login": "guest", "password": "wrong", "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert reply.status_code == 401
    assert "Wrong login or password" in reply.text
    assert c.get("/cabinet/", follow_redirects=False).status_code == 303


def test_r1_unknown_login_is_refused_like_a_wrong_password(app: Any) -> None:
    c = client(app)
    form = c.get("/cabinet/login")
    reply = c.post(
        "/cabinet/login",
        data={"login": "nobody", "password": "guest", "csrf": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert reply.status_code == 401
    assert "Wrong login or password" in reply.text


def test_r1_sign_in_without_the_form_token_is_refused(app: Any) -> None:
    c = client(app)
    c.get("/cabinet/login")
    reply = c.post(
        "/cabinet/login", data={"login": "guest", "password": "guest", "csrf": "forged"}, follow_redirects=False
    )
    assert reply.status_code == 400
    assert c.get("/cabinet/", follow_redirects=False).status_code == 303


def test_r1_forged_cookie_is_ignored(app: Any) -> None:
    c = client(app)
    forged = SessionCodec(b"not the simulator's secret").dumps(new_session("guest"))
    c.cookies.set(COOKIE_NAME, forged, path="/cabinet")
    assert c.get("/cabinet/", follow_redirects=False).status_code == 303
    assert c.get("/cabinet/api/archives").status_code == 401


def test_r1_sign_out_needs_the_token_then_ends_the_session(app: Any) -> None:
    c = sign_in(app, "guest", "guest")
    page = c.get("/cabinet/")
    assert c.post("/cabinet/logout", data={"csrf": "forged"}).status_code == 400
    assert c.get("/cabinet/", follow_redirects=False).status_code == 200
    reply = c.post("/cabinet/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert reply.status_code == 303
    assert c.get("/cabinet/", follow_redirects=False).status_code == 303


def test_r1_sign_in_redirects_only_to_cabinet_pages() -> None:
    assert safe_next("/cabinet/uploads") == "/cabinet/uploads"
    for hostile in ("https://evil.example/", "//evil.example/cabinet/", "/cabinet/\\evil", "/api/reset", ""):
        assert safe_next(hostile) == "/cabinet/"


def test_r1_session_cookie_expires_and_rejects_tampering() -> None:
    codec = SessionCodec(b"k" * 32, max_age=60)
    session = new_session("guest")
    value = codec.dumps(session)
    assert codec.loads(value) == session
    assert codec.loads(value, now=session.issued + 61) is None
    payload, signature = value.split(".")
    assert codec.loads(f"{payload}x.{signature}") is None
    assert codec.loads("garbage") is None
    for hostile in (f"{payload}.{signature[:-1]}é", f"{payload}é.{signature}", "ünï.cödé", "\x00.\x00"):
        assert codec.loads(hostile) is None, hostile  # never an exception: just no session


def test_r1_the_session_table_revokes_expires_and_stays_bounded() -> None:
    table = SessionTable(max_age=60, max_sessions=3)
    first, second = new_session("guest"), new_session("other")
    table.add(first)
    table.add(second)
    assert first in table and second in table and new_session("guest") not in table
    table.revoke(first)
    assert first not in table and second in table
    for _ in range(5):
        table.add(new_session("third"))
    assert len(table) == 3 and second not in table  # the oldest went first
    stale = replace(new_session("guest"), issued=new_session().issued - 61)
    table.add(stale)
    table.add(new_session("guest"))
    assert stale not in table  # expired sessions are dropped when the next one is added


# --- what an account sees ---------------------------------------------------------------------------


def test_r1_archive_list_shows_status_counts_and_diagnostics_with_hints(app: Any) -> None:
    page = sign_in(app, "guest", "guest").get("/cabinet/").text
    row = re.search(r'<tr class="archive-row" data-archive="guest_20261125120000.zip".*?</tr>', page, re.S)
    assert row, page
    assert "accepted" in row.group(0) and "template" in row.group(0)
    assert 'data-label="Messages" class="num">2<' in row.group(0)
    assert 'data-label="Rejected rows" class="num">1<' in row.group(0)  # 89... (Q8)
    assert "Hint:" in page
    assert re.search(r"sms/contacts\.csv:4(:\d+)?", page), "the bad row's place, file:line:col"
    assert "statement Q8" in page or "statement C2" in page
    assert OTHER_ARCHIVE not in page


def test_r1_daily_totals_chart_is_server_rendered_svg(app: Any) -> None:
    page = sign_in(app, "guest", "guest").get("/cabinet/").text
    assert page.count("<svg") == 4  # archives, messages, parts, rejections
    table = re.search(r'data-testid="totals">.*?</table>', page, re.S)
    assert table
    assert re.findall(r'<td class="num">(\d+)</td>', table.group(0)) == ["1", "2", "2", "0", "1"]


def test_r1_messages_show_zone_and_utc_times_encoding_and_parts(app: Any, sim: Simulator) -> None:
    number = archive_id(sim, "guest", GUEST_ARCHIVE)
    page = sign_in(app, "guest", "guest").get(f"/cabinet/archives/{number}").text
    assert "Hello Ann!" in page and "Hello Bob!" in page
    message = next(m for m in sim.messages("guest") if m.phone == "79031234567")
    assert local_time(message.send_at, demo_account().zone) in page  # Europe/Moscow
    assert f"{message.send_at:%Y-%m-%d %H:%M:%S} UTC" in page
    assert local_time(message.expires_at, demo_account().zone) in page
    assert "GSM-7" in page


def test_r1_messages_search_by_phone_and_text(app: Any, sim: Simulator) -> None:
    c = sign_in(app, "guest", "guest")
    number = archive_id(sim, "guest", GUEST_ARCHIVE)
    by_phone = c.get(f"/cabinet/archives/{number}", params={"phone": "+7 916"}).text
    assert "79161112233" in by_phone and "79031234567" not in by_phone
    by_text = c.get(f"/cabinet/archives/{number}", params={"text": "ann"}).text
    assert "Hello Ann!" in by_text and "Hello Bob!" not in by_text
    nothing = c.get(f"/cabinet/archives/{number}", params={"phone": "7000"}).text
    assert 'data-testid="no-match"' in nothing


def test_r1_uploads_show_the_transcript(app: Any) -> None:
    page = sign_in(app, "guest", "guest").get("/cabinet/uploads").text
    assert f"RNTO {GUEST_ARCHIVE}" in page
    assert "TYPE I (binary)" in page
    assert "transfer complete" in page
    assert "control channel in plain text" in page
    assert OTHER_ARCHIVE not in page


def test_t2_another_accounts_archive_is_not_found_like_a_missing_one(app: Any, sim: Simulator) -> None:
    c = sign_in(app, "guest", "guest")
    theirs = archive_id(sim, "other", OTHER_ARCHIVE)
    missing = max(a.id for a in sim.archives()) + 100
    for url in (f"/cabinet/archives/{theirs}", f"/cabinet/archives/{theirs}?phone=7999"):
        reply = c.get(url)
        assert reply.status_code == 404
        assert "Secret" not in reply.text and OTHER_ARCHIVE not in reply.text
    assert c.get(f"/cabinet/archives/{theirs}").text == c.get(f"/cabinet/archives/{missing}").text
    for guess in (
        "/cabinet/archives/0",
        "/cabinet/archives/-1",
        "/cabinet/archives/abc",
        f"/cabinet/archives/{OTHER_ARCHIVE}",
        "/cabinet/archives/1/../2",
        "/cabinet/secret",
        "/cabinet/archives/%C2%B2",
        "/cabinet/archives/99999999999999999999999",
        "/cabinet/uploads/%C2%B2",
    ):
        assert c.get(guess).status_code == 404, guess


def test_t2_another_accounts_archive_is_not_found_by_json(app: Any, sim: Simulator) -> None:
    c = sign_in(app, "guest", "guest")
    theirs = archive_id(sim, "other", OTHER_ARCHIVE)
    missing = max(a.id for a in sim.archives()) + 100
    for path in (f"/cabinet/api/archives/{theirs}", f"/cabinet/api/archives/{theirs}/messages"):
        reply = c.get(path)
        assert reply.status_code == 404
        assert reply.json() == c.get(path.replace(str(theirs), str(missing))).json()
    listing = c.get("/cabinet/api/archives", params={"login": "other"}).json()
    assert {a["login"] for a in listing["archives"]} == {"guest"}
    uploads = c.get("/cabinet/api/uploads", params={"login": "other"}).json()
    assert {u["login"] for u in uploads["uploads"]} == {"guest"}
    mine = c.get(
        f"/cabinet/api/archives/{archive_id(sim, 'guest', GUEST_ARCHIVE)}/messages", params={"phone": "903"}
    ).json()
    assert [m["phone"] for m in mine["messages"]] == ["79031234567"]


def test_t2_another_accounts_upload_is_not_found(app: Any, sim: Simulator) -> None:
    c = sign_in(app, "guest", "guest")
    theirs = next(u.id for u in sim.uploads("other"))
    assert c.get(f"/cabinet/uploads/{theirs}").status_code == 404
    assert OTHER_ARCHIVE not in c.get("/cabinet/uploads", params={"login": "other"}).text
    assert OTHER_ARCHIVE not in c.get("/cabinet/", params={"login": "other"}).text


def test_t2_the_other_account_sees_only_its_own(app: Any, sim: Simulator) -> None:
    c = sign_in(app, "other", "other-secret")
    page = c.get("/cabinet/").text
    assert OTHER_ARCHIVE in page and GUEST_ARCHIVE not in page
    assert c.get(f"/cabinet/archives/{archive_id(sim, 'guest', GUEST_ARCHIVE)}").status_code == 404
    mine = c.get(f"/cabinet/archives/{archive_id(sim, 'other', OTHER_ARCHIVE)}").text
    assert "Hello Secret!" in mine
    assert "Asia/Vladivostok" in mine


def test_json_endpoints_need_a_session(app: Any) -> None:
    c = client(app)
    for path in (
        "/cabinet/api/version",
        "/cabinet/api/archives",
        "/cabinet/api/uploads",
        "/cabinet/api/archives/1",
        "/cabinet/api/archives/1/messages",
    ):
        refused = c.get(path)
        assert refused.status_code == 401 and refused.headers["content-type"] == "application/problem+json", path


def test_json_lists_page_like_the_api(app: Any) -> None:
    c = client(app)
    c.get("/cabinet/login", params={"token": TOKEN})
    first = c.get("/cabinet/api/archives", params={"limit": 1}).json()
    assert first["limit"] == 1 and first["total"] >= 2 and len(first["archives"]) == 1 and first["next"]
    second = c.get(first["next"]).json()
    assert second["offset"] == 1 and second["archives"][0]["id"] != first["archives"][0]["id"]
    assert c.get("/cabinet/api/archives", params={"limit": 0}).status_code == 422
    assert c.get("/cabinet/api/archives/1/messages", params={"phone": "9" * 33}).status_code == 422


# --- the operator -----------------------------------------------------------------------------------


def test_operator_view_with_bearer_token_sees_every_account(app: Any) -> None:
    c = client(app)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    listing = c.get("/cabinet/api/archives", headers=headers).json()
    assert {a["login"] for a in listing["archives"]} >= {"guest", "other"}
    only_other = c.get("/cabinet/api/archives", params={"login": "other"}, headers=headers).json()
    assert {a["login"] for a in only_other["archives"]} == {"other"}
    page = c.get("/cabinet/", headers=headers).text
    assert GUEST_ARCHIVE in page and OTHER_ARCHIVE in page
    wrong = c.get("/cabinet/api/archives", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_operator_sign_in_by_token_in_the_address(app: Any) -> None:
    c = client(app)
    reply = c.get("/cabinet/login", params={"token": TOKEN}, follow_redirects=False)
    assert reply.status_code == 303 and "token" not in reply.headers["location"]
    page = c.get("/cabinet/").text
    assert GUEST_ARCHIVE in page and OTHER_ARCHIVE in page and "operator" in page
    refused = client(app).get("/cabinet/login", params={"token": "guess"}, follow_redirects=False)
    assert refused.status_code == 401


def test_an_account_password_does_not_make_an_operator(app: Any) -> None:
    c = sign_in(app, "guest", "guest")
    assert c.get("/cabinet/api/archives", headers={"Authorization": "Bearer guest"}).json()["archives"]
    listing = c.get("/cabinet/api/archives", headers={"Authorization": "Bearer guest"}).json()
    assert {a["login"] for a in listing["archives"]} == {"guest"}


# --- live updates -----------------------------------------------------------------------------------


def test_r1_version_changes_when_an_archive_is_processed(app: Any, sim: Simulator) -> None:
    c = sign_in(app, "third", "third-secret")
    before = c.get("/cabinet/api/version").json()["version"]
    name = "third_20261125120000.zip"
    ftp_upload(sim, "third", "third-secret", name, template_archive([("79031234567", "Tom")]))
    uploaded = c.get("/cabinet/api/version").json()["version"]
    assert uploaded != before
    process(sim, "third", name)
    after = c.get("/cabinet/api/version").json()["version"]
    assert after != uploaded
    fragment = c.get("/cabinet/fragment/archives")
    assert fragment.headers["X-Cabinet-Version"] == after
    assert name in fragment.text and "<html" not in fragment.text
    assert GUEST_ARCHIVE not in fragment.text


def test_r1_pages_read_without_javascript(app: Any) -> None:
    page = sign_in(app, "guest", "guest").get("/cabinet/")
    assert '<noscript><meta http-equiv="refresh"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


# --- the arithmetic behind the pages ----------------------------------------------------------------


def test_r1_daily_totals_use_the_clients_day(sim: Simulator) -> None:
    archives = sim.archives("guest")
    moscow = demo_account().zone
    late = [replace(archives[0], id=99, received_at=datetime(2026, 11, 25, 21, 30, tzinfo=UTC))]
    totals = daily_totals(archives + late, {archives[0].id: 2, 99: 5}, moscow)
    assert [t.day for t in totals] == [date(2026, 11, 25), date(2026, 11, 26)]  # 21:30 UTC is 00:30 MSK
    assert totals[1].parts == 5 and totals[0].parts == 2


def test_r1_search_matches_phone_digits_anywhere(sim: Simulator) -> None:
    messages = sim.messages("guest")
    assert [m.phone for m in filter_messages(messages, "(916) 111", "")] == ["79161112233"]
    assert len(filter_messages(messages, "", "HELLO")) == 2
    assert filter_messages(messages, "", "") == messages


def test_r1_local_time_names_the_zone() -> None:
    instant = START + timedelta(seconds=10)
    assert local_time(instant, demo_account().zone) == "2026-11-25 12:00:10 MSK"
