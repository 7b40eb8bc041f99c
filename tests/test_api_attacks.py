"""Attacks on the HTTP edge, replayed against the real server over loopback (issue 10 rows 1, 6, 7, 14-16).

Each test sends what a hostile page, a careless script or a fuzzer sent, and asserts the
"must be": a precise problem (RFC 9457), nothing kept, nothing run, the server still
answering.  Bounded in count and time; 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest

from smsftp.conformance.errors import ConformanceError
from smsftp.simulator.app import Simulator
from smsftp.simulator.errors import SimulatorError
from smsftp.simulator.service.clock import real_monotonic
from smsftp.simulator.web.limits import DEFAULT_MAX_BODY, ApiSettings

PROBLEM = "application/problem+json"


@pytest.fixture
def client(clean_sim: Simulator) -> Iterator[httpx.Client]:
    assert clean_sim.api_url is not None
    with httpx.Client(base_url=clean_sim.api_url, timeout=30) as c:
        yield c


def problem(response: httpx.Response, status: int, kind: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert body["status"] == status and body["type"] == f"urn:smsftp:problem:{kind}" and body["title"]
    return body


# --- row 1: logins -----------------------------------------------------------------------------
@pytest.mark.parametrize("login", ["a\x00b", "x" * 300, "../up", "-dash", "sp ace", ".hidden"])
def test_row1_a_bad_login_is_refused_with_the_rule_and_nothing_is_kept(
    clean_sim: Simulator, client: httpx.Client, login: str
) -> None:
    before = dict(clean_sim.accounts)
    body = problem(client.post("/api/accounts", json={"login": login}), 422, "invalid-input")
    assert "a login is 1 to 64 of the characters" in str(body["detail"])
    [error] = body["errors"]  # type: ignore[misc]
    assert error["loc"] == ["body", "login"]
    assert dict(clean_sim.accounts) == before
    assert client.post("/api/poll").status_code == 200  # every folder still polls


def test_row1_a_good_login_is_made_and_its_password_shown_once(client: httpx.Client) -> None:
    made = client.post("/api/accounts", json={"login": "ci_row1.ok-1"})
    assert made.status_code == 201 and made.json()["password"]
    listed = client.get("/api/accounts").json()
    assert "ci_row1.ok-1" in [a["login"] for a in listed["accounts"]]


# --- row 6: the browser as the attacker --------------------------------------------------------
def test_row6_a_foreign_host_is_refused(client: httpx.Client) -> None:
    """DNS rebinding: a page of evil.example resolved to 127.0.0.1 sends its own Host."""
    problem(client.get("/api/health", headers={"Host": "evil.example:8121"}), 403, "host-not-allowed")
    problem(client.get("/cabinet/", headers={"Host": "evil.example"}), 403, "host-not-allowed")
    for host in ("127.0.0.1", "localhost:8121", "[::1]:8121"):
        assert client.get("/api/health", headers={"Host": host}).status_code == 200


def test_row6_cross_site_state_changes_are_refused_before_any_effect(
    clean_sim: Simulator, client: httpx.Client
) -> None:
    folder = clean_sim.state_dir / "ftp" / "guest"  # type: ignore[operator]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "keep.txt").write_bytes(b"x")
    polls = clean_sim.poller.polls
    problem(client.post("/api/reset", headers={"Origin": "http://evil.example"}), 403, "cross-site")
    problem(client.post("/api/poll", headers={"Sec-Fetch-Site": "cross-site"}), 403, "cross-site")
    evil_form = client.post(
        "/api/clock/advance", content=b"seconds=10", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    problem(evil_form, 415, "json-required")
    problem(
        client.post("/api/accounts", content=b'{"login":"x"}', headers={"content-type": "text/plain"}),
        415,
        "json-required",
    )
    assert (folder / "keep.txt").exists() and clean_sim.poller.polls == polls
    own = client.post("/api/poll", headers={"Origin": str(client.base_url).rstrip("/")})
    assert own.status_code == 200


def test_row6_accounts_never_show_passwords(client: httpx.Client) -> None:
    client.post("/api/accounts", json={"password": "hunter2-secret"})
    text = client.get("/api/accounts").text
    assert "password" not in text and "hunter2-secret" not in text and "guest" in text


# --- row 7: waits ------------------------------------------------------------------------------
def test_row7_forty_waits_hold_no_worker_and_health_answers(clean_sim: Simulator, client: httpx.Client) -> None:
    done: list[int] = []

    def wait(i: int) -> None:
        with httpx.Client(base_url=client.base_url, timeout=30) as own:
            done.append(own.get(f"/api/archives/guest_2026112512{i:04d}.zip", params={"wait": 3}).status_code)

    waiters = [threading.Thread(target=wait, args=(i,)) for i in range(40)]
    for t in waiters:
        t.start()
    deadline = real_monotonic() + 5
    app = clean_sim._api._server.config.app  # type: ignore[union-attr]
    while app.state.wait_slots.held() < 40 and real_monotonic() < deadline:
        time.sleep(0.01)
    assert app.state.wait_slots.held() == 40  # all forty are waiting now
    started = real_monotonic()
    assert client.get("/api/health").status_code == 200
    assert client.get("/api/archives").status_code == 200  # a sync route too: worker threads are free
    assert real_monotonic() - started < 1.0
    for t in waiters:
        t.join(10)
    assert done == [404] * 40  # names that never came


def test_row7_waits_are_bounded_per_client(service_cert: tuple[Path, Path]) -> None:
    cert, key = service_cert
    with (
        Simulator(cert=cert, key=key, api_settings=ApiSettings(waits_per_client=2)) as sim,
        httpx.Client(base_url=sim.api_url or "", timeout=30) as client,
    ):
        held = [
            threading.Thread(target=client.get, args=(f"/api/archives/a{i}.zip",), kwargs={"params": {"wait": 2}})
            for i in range(2)
        ]
        for t in held:
            t.start()
        slots = sim._api._server.config.app.state.wait_slots  # type: ignore[union-attr]
        deadline = real_monotonic() + 5
        while slots.held() < 2 and real_monotonic() < deadline:
            time.sleep(0.01)
        refused = client.get("/api/archives/a3.zip", params={"wait": 2})
        assert problem(refused, 429, "too-many-waits") and refused.headers["retry-after"] == "1"
        assert client.get("/api/archives/a3.zip").status_code == 404  # no wait: answered at once
        for t in held:
            t.join(10)
        problem(client.get("/api/archives/a.zip", params={"wait": 601}), 422, "invalid-input")


# --- row 14: the clock -------------------------------------------------------------------------
@pytest.mark.parametrize("seconds", ["1e18", "Infinity", "-Infinity", "NaN", "1e400", "-1", '"ten"'])
def test_row14_advance_out_of_range_is_422_before_any_poll(
    clean_sim: Simulator, client: httpx.Client, seconds: str
) -> None:
    before = client.get("/api/clock").json()
    response = client.post(
        "/api/clock/advance", content=f'{{"seconds": {seconds}}}', headers={"content-type": "application/json"}
    )
    problem(response, 422, "invalid-input")
    assert client.get("/api/clock").json() == before  # not moved, no poll ran


@pytest.mark.parametrize(
    "at", ["9999-12-31T00:00:00Z", "0999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2026-13-01T00:00:00Z"]
)
def test_row14_set_out_of_range_is_422(client: httpx.Client, at: str) -> None:
    before = client.get("/api/clock").json()
    body = problem(client.post("/api/clock", json={"at": at}), 422, "invalid-input")
    assert body["errors"][0]["loc"] == ["body", "at"]  # type: ignore[index]
    assert client.get("/api/clock").json() == before


def test_row14_instants_have_four_digit_years_and_the_calendar_has_an_end(client: httpx.Client) -> None:
    low = client.post("/api/clock", json={"at": "1000-01-01T00:00:00Z"})
    assert low.status_code == 200 and low.json()["now"] == "1000-01-01T00:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", low.json()["next_poll"])
    assert client.post("/api/clock", json={"at": "9998-12-31T23:59:00Z"}).status_code == 200
    problem(client.post("/api/clock/advance", json={"seconds": 86400}), 422, "invalid-input")
    assert client.get("/api/clock").json()["now"] == "9998-12-31T23:59:00Z"


# --- row 15: cabinet sessions ------------------------------------------------------------------
def _sign_in(client: httpx.Client) -> str:
    form = client.get("/cabinet/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    signed = client.post("/cabinet/login", data={"login": "guest", "password": "guest", "csrf": csrf})
    assert signed.status_code == 303
    return client.cookies["smsftp_cabinet"]


def test_row15_sign_out_revokes_a_copied_cookie(clean_sim: Simulator) -> None:
    with httpx.Client(base_url=clean_sim.api_url or "", timeout=30) as browser:
        copied = _sign_in(browser)
        page = browser.get("/cabinet/")
        assert page.status_code == 200
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        assert browser.post("/cabinet/logout", data={"csrf": csrf}).status_code == 303
    with httpx.Client(base_url=clean_sim.api_url or "", timeout=30, cookies={"smsftp_cabinet": copied}) as thief:
        assert thief.get("/cabinet/").status_code == 303  # to the sign-in form
        problem(thief.get("/cabinet/api/archives"), 401, "unauthorized")


@pytest.mark.parametrize(
    "cookie",
    [
        b"smsftp_cabinet=abc.\xc3\xa9\xc3\xa9",
        b"smsftp_cabinet=\xff\xfe.x",
        b"smsftp_cabinet=a.b.c",
        b"smsftp_cabinet=%%%",
    ],
)
def test_row15_a_malformed_cookie_is_just_anonymous(clean_sim: Simulator, cookie: bytes) -> None:
    with httpx.Client(base_url=clean_sim.api_url or "", timeout=30) as client:
        page = client.get("/cabinet/", headers={"Cookie": cookie})
        assert page.status_code == 303 and page.headers["location"].startswith("/cabinet/login")
        problem(client.get("/cabinet/api/archives", headers={"Cookie": cookie}), 401, "unauthorized")
        assert client.get("/cabinet/login", headers={"Cookie": cookie}).status_code == 200


# --- row 16: body size -------------------------------------------------------------------------
def _raw(sim: Simulator, head: bytes, body_chunks: Iterable[bytes] = ()) -> tuple[bytes, int]:
    """Send ``head`` and then chunks until the server answers; the reply and the body bytes sent."""
    assert sim.api_url is not None
    host, port = sim.api_url.removeprefix("http://").rsplit(":", 1)
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(head)
        s.setblocking(False)
        reply = b""
        for chunk in body_chunks:
            with contextlib.suppress(BlockingIOError):
                reply += s.recv(65536)
            if reply:
                break
            try:
                s.sendall(chunk)
            except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        s.settimeout(10)
        while b"\r\n\r\n" not in reply:
            more = s.recv(65536)
            if not more:
                break
            reply += more
    return reply, sent


def test_row16_a_200_mib_body_is_refused_by_its_length_before_it_is_read(clean_sim: Simulator) -> None:
    head = (
        b"POST /api/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % (200 * 1024 * 1024)
    )
    reply, _ = _raw(clean_sim, head)
    assert reply.startswith(b"HTTP/1.1 413") and PROBLEM.encode() in reply
    assert clean_sim.api_url and httpx.get(f"{clean_sim.api_url}/api/health").status_code == 200


def test_row16_a_chunked_body_is_cut_at_the_limit(clean_sim: Simulator) -> None:
    head = (
        b"POST /api/accounts HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        b"transfer-encoding: chunked\r\n\r\n"
    )
    piece = b"x" * 65536
    chunks = (b"%x\r\n%s\r\n" % (len(piece), piece) for _ in range(3200))  # up to 200 MiB
    reply, sent = _raw(clean_sim, head, chunks)
    assert reply.startswith(b"HTTP/1.1 413")
    assert sent < 16 * DEFAULT_MAX_BODY  # refused near the limit, not after 200 MiB


# --- issue 13 item 7: one root per package ---------------------------------------------------
def test_every_exception_of_ours_has_its_package_root() -> None:
    import smsftp.conformance.client.fixture as fixture
    import smsftp.conformance.client.uploader as uploader
    import smsftp.conformance.errors as conformance_errors
    import smsftp.conformance.judge.outcomes as outcomes
    import smsftp.conformance.judge.runner as runner
    import smsftp.conformance.judge.targets as targets
    import smsftp.conformance.live.safety as safety
    import smsftp.conformance.live.target as live
    import smsftp.simulator.errors as errors
    from smsftp.simulator.rules import accounts, timezones
    from smsftp.simulator.service import store, tls

    simulator = [accounts.AccountsFileError, timezones.RegisterError]
    simulator += [tls.CertificateError, store.StoreError, errors.NotStarted, errors.FrozenClockRequired]
    conformance = [fixture.FixtureError, uploader.UploadError, live.LiveNotAllowed, safety.SafetyRefusal]
    conformance += [targets.ClientNotConformant, outcomes.OutcomeError, runner._Stop]
    assert all(issubclass(cls, SimulatorError) for cls in simulator)
    assert all(issubclass(cls, ConformanceError) for cls in conformance)
    # The tree is drawn in each package's errors docstring: every class appears in it.
    drawn = (errors.__doc__ or "") + (conformance_errors.__doc__ or "")
    assert [cls.__name__ for cls in simulator + conformance if cls.__name__ not in drawn] == []


def test_the_explorer_loads_nothing_from_elsewhere(client: httpx.Client) -> None:
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        sources = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
        assert sources and all(s.startswith("/") for s in sources), sources
        assert "http://" not in html and "https://" not in html  # no CDN, no web font
        for source in sources:
            assert client.get(source).status_code == 200, source
