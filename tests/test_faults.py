"""Faults on demand (T1, T4, P1): the registry's when-conditions, every FTP fault over loopback, the poll faults,
the HTTP API and the accounts file.  Real ftplib clients against the real server; time on the frozen clock."""

from __future__ import annotations

import ftplib
import io
import re
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from smsftp.simulator.app import Simulator
from smsftp.simulator.rules.accounts import AccountsFileError, parse_accounts
from smsftp.simulator.service.clock import FrozenClock, real_monotonic
from smsftp.simulator.service.faults import FaultError, FaultRegistry, parse_compact, parse_fault

NAME = "guest_20261125120000.zip"
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CampaignFactory = Callable[..., bytes]


@pytest.fixture
def sim(clean_sim: Simulator) -> Iterator[Simulator]:
    yield clean_sim
    clean_sim.faults.clear()


def _login(sim: Simulator) -> ftplib.FTP:
    ftp = ftplib.FTP(timeout=10)
    ftp.connect(sim.ftp_host, sim.ftp_port)
    ftp.login("guest", "guest")
    return ftp


def _stor(sim: Simulator, data: bytes, name: str = NAME) -> None:
    with _login(sim) as ftp:
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


# --- the model ----------------------------------------------------------------------------------------
def test_compact_syntax_equals_the_json_shape() -> None:
    compact = parse_compact("STOR@guest:452,times=1", START)
    assert compact == parse_fault({"login": "guest", "on": "STOR", "reply": 452, "times": 1}, START)
    assert compact.compact() == "STOR@guest:452,times=1"
    assert parse_compact("POLL:outage,for=60", START).until == START + timedelta(seconds=60)
    assert parse_compact("AUTH:refuse-tls", START).refuse_tls
    assert parse_compact("STOR:cut_after=1000,probability=0.5,seed=7", START).seed == 7


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"on": "STOR"}, "exactly one of"),
        ({"on": "STOR", "reply": 452, "drop": True}, "exactly one of"),
        ({"on": "STOR", "reply": 226}, "4xx or 5xx"),
        ({"on": "STOR", "reply": "452"}, "must be int"),
        ({"on": "STOR", "reply": 452, "colour": "red"}, "unknown key"),
        ({"on": "RNTO", "cut_after": 10}, "data connection"),
        ({"on": "CONNECT", "login": "guest", "reply": 421}, "login is not known"),
        ({"on": "STOR", "late": 5}, "on=POLL"),
        ({"on": "POLL", "reply": 421}, "only"),
        ({"on": "POLL", "late": 5, "login": "guest"}, "every account"),
        ({"on": "STOR", "reply": 452, "probability": 1.5}, "probability"),
        ({"on": "STOR", "reply": 452, "seed": 1}, "goes with"),
        ({"on": "STOR", "reply": 452, "times": 0}, "at least 1"),
        ({"on": "STOR", "reply": 452, "from": "yesterday"}, "ISO 8601"),
        ({"on": "STOR", "delay": 10_000}, "delay"),
        ({"on": "STOR", "reply": 452, "message": "two\nlines"}, "one line"),
    ],
)
def test_bad_fault_descriptions_are_refused_with_the_reason(data: dict[str, object], says: str) -> None:
    with pytest.raises(FaultError, match=says):
        parse_fault(data, START)


def test_compact_syntax_errors_name_the_item() -> None:
    with pytest.raises(FaultError, match="expected ON"):
        parse_compact("STOR452", START)
    with pytest.raises(FaultError, match="'loud'"):
        parse_compact("STOR:loud", START)


def test_when_conditions_times_every_probability_window() -> None:
    clock = FrozenClock(START)
    registry = FaultRegistry(clock)
    once = registry.add(parse_compact("STOR:452,times=1", START))
    assert [f.id for f in registry.fire("guest", "STOR")] == [once.id]
    assert registry.fire("guest", "STOR") == []
    registry.clear()
    third = registry.add(parse_compact("STOR@guest:452,every=3", START))
    fired = [bool(registry.fire("guest", "STOR")) for _ in range(6)]
    assert fired == [False, False, True, False, False, True] and third.fired == 2
    assert registry.fire("other", "STOR") == []  # another account is not touched
    registry.clear()
    registry.add(parse_compact("STOR:452,probability=0.5,seed=3", START))
    first = [bool(registry.fire("guest", "STOR")) for _ in range(40)]
    registry.clear(())  # counters and the seeded generator start again
    again = [bool(registry.fire("guest", "STOR")) for _ in range(40)]
    assert first == again and 5 < sum(first) < 35
    registry.clear()
    registry.add(parse_compact("STOR:452,for=60", START))
    assert registry.fire("guest", "STOR")
    clock.advance(60)
    assert registry.fire("guest", "STOR") == []


# --- FTP faults over loopback ----------------------------------------------------------------------------
def test_reply_instead_of_stor_then_the_retry_goes_through(sim: Simulator, campaign: CampaignFactory) -> None:
    with sim.fault("STOR", login="guest", reply=452, times=1) as fault:
        with pytest.raises(ftplib.error_temp, match=r"^452"):
            _stor(sim, campaign())
        assert sim.uploads("guest") == []  # the refused STOR never started an upload
        _stor(sim, campaign())
        assert fault.fired == 1
    [event] = sim.fault_events("guest")
    assert (event.kind, event.command, event.argument, event.reply, event.upload_id) == (
        "reply",
        "STOR",
        NAME,
        452,
        None,
    )
    assert [u.state for u in sim.uploads("guest")] == ["complete"]
    sim.advance(10)
    record = sim.archive(NAME)
    assert record is not None and record.status == "accepted"


@pytest.mark.parametrize(
    ("on", "code"), [("PASS", 530), ("RNFR", 550), ("RNTO", 553), ("STOR", 450), ("STOR", 451), ("STOR", 425)]
)
def test_reply_codes_on_login_rename_and_data(sim: Simulator, campaign: CampaignFactory, on: str, code: int) -> None:
    with sim.fault(on, login="guest", reply=code, times=1):
        ftp = ftplib.FTP(timeout=10)
        ftp.connect(sim.ftp_host, sim.ftp_port)
        error = ftplib.error_perm if code >= 500 else ftplib.error_temp
        with pytest.raises(error, match=f"^{code}"):
            ftp.login("guest", "guest")
            ftp.storbinary("STOR x.part", io.BytesIO(campaign()))
            ftp.rename("x.part", NAME)
        ftp.close()
    assert [(e.command, e.reply) for e in sim.fault_events()] == [(on, code)]
    assert "guest" not in sim.fault_events()[0].argument or on != "PASS"  # never the password


def test_421_at_connect_closes_the_connection(sim: Simulator) -> None:
    with sim.fault("CONNECT", reply=421, times=1):
        ftp = ftplib.FTP(timeout=10)
        with pytest.raises(ftplib.error_temp, match=r"^421"):
            ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.close()
        _login(sim).quit()  # one-shot: the next connection is greeted as usual


def test_latency_per_command_on_the_loops_timer(sim: Simulator) -> None:
    with sim.fault("PWD", delay=0.2), _login(sim) as ftp:
        started = real_monotonic()
        assert ftp.pwd() == "/"
        assert real_monotonic() - started >= 0.19
        started = real_monotonic()
        ftp.voidcmd("NOOP")  # other commands are not slowed down
        assert real_monotonic() - started < 0.19


def test_throttled_data_channel(sim: Simulator) -> None:
    with sim.fault("STOR", rate=40_000), _login(sim) as ftp:
        started = real_monotonic()
        ftp.storbinary("STOR slow.bin", io.BytesIO(b"x" * 20_000))
        assert real_monotonic() - started >= 0.4  # 20 kB at 40 kB/s
    [upload] = sim.uploads("guest")
    assert upload.state == "complete" and upload.size == 20_000


@pytest.mark.parametrize(("key", "ending"), [("cut_after", "fault-cut"), ("reset_after", "fault-reset")])
def test_data_connection_cut_or_reset_after_n_bytes(sim: Simulator, key: str, ending: str) -> None:
    ftp = _login(sim)
    with sim.fault("STOR", login="guest", times=1, **{key: 1000}), pytest.raises((ftplib.error_temp, OSError)):
        ftp.storbinary("STOR cut.part", io.BytesIO(b"x" * 200_000))  # a reset may come before the 426
    ftp.close()
    [upload] = sim.uploads("guest")
    assert (upload.state, upload.ending, upload.size) == ("cut_off", ending, 1000)
    [event] = sim.fault_events("guest")
    assert event.upload_id == upload.id and event.kind == key


def test_tls_handshake_refused(sim: Simulator) -> None:
    with sim.fault("AUTH", refuse_tls=True, times=1):
        ftp = ftplib.FTP_TLS(timeout=10)
        ftp.connect(sim.ftp_host, sim.ftp_port)
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            ftp.auth()
        ftp.close()
    assert [e.kind for e in sim.fault_events()] == ["refuse_tls"]


def test_control_connection_dropped_after_a_command(sim: Simulator) -> None:
    with sim.fault("CWD", login="guest", drop=True):
        ftp = _login(sim)
        ftp.cwd("/")  # the reply arrives, then the connection goes
        with pytest.raises((EOFError, ConnectionError, ftplib.error_temp)):
            ftp.pwd()
        ftp.close()


# --- poll faults -------------------------------------------------------------------------------------------
def test_poll_late_by_n_seconds(sim: Simulator, campaign: CampaignFactory) -> None:
    _stor(sim, campaign())
    with sim.fault("POLL", late=25, times=1):
        due = sim.poller.next_due
        assert due is not None
        sim.set_time(due + timedelta(seconds=24))
        assert sim.archive(NAME) is None
        sim.advance(1)
        record = sim.archive(NAME)
        assert record is not None and record.processed_at == due + timedelta(seconds=25)


def test_poll_outage_for_a_window(sim: Simulator, campaign: CampaignFactory) -> None:
    _stor(sim, campaign())
    with sim.fault("POLL", outage=True, duration=60):
        sim.advance(55)
        assert sim.archive(NAME) is None and sim.folder("guest") == [NAME]
        sim.advance(10)
        assert sim.archive(NAME) is not None


def test_archive_stuck_for_n_polls(sim: Simulator, campaign: CampaignFactory) -> None:
    _stor(sim, campaign())
    with sim.fault("POLL", login="guest", stuck=2, times=1):
        sim.advance(20)
        assert sim.archive(NAME) is None
        sim.advance(10)
        record = sim.archive(NAME)
        assert record is not None and record.status == "accepted"
    assert [e.detail for e in sim.fault_events("guest")] == ["stuck for 2 poll(s)"]


# --- API, accounts file, reset ---------------------------------------------------------------------------
def test_http_api_adds_lists_and_removes_faults(sim: Simulator, campaign: CampaignFactory) -> None:
    assert sim.api_url is not None
    with httpx.Client(base_url=sim.api_url, timeout=30) as api:
        made = api.post("/api/faults", json={"login": "guest", "on": "STOR", "reply": 452, "times": 1})
        assert made.status_code == 201, made.text
        body = made.json()
        assert body["reply"] == 452 and body["fired"] == 0 and isinstance(body["id"], int)
        with pytest.raises(ftplib.error_temp):
            _stor(sim, campaign())
        [listed] = api.get("/api/faults").json()["faults"]
        assert listed["id"] == body["id"] and listed["fired"] == 1
        [event] = api.get("/api/faults/events").json()["events"]
        assert event["fault_id"] == body["id"] and event["reply"] == 452
        bad = api.post("/api/faults", json={"on": "STOR", "reply": 200})
        assert bad.status_code == 422 and "4xx or 5xx" in bad.json()["detail"]
        assert api.post("/api/faults", json={"on": "STOR", "login": "nobody", "reply": 452}).status_code == 422
        other = api.post("/api/faults", json={"on": "POLL", "stuck": 1, "for": 30}).json()
        assert api.delete(f"/api/faults/{body['id']}").json() == {"removed": 1}
        assert api.delete(f"/api/faults/{body['id']}").status_code == 404
        assert [f["id"] for f in api.get("/api/faults").json()["faults"]] == [other["id"]]
        assert api.delete("/api/faults").json() == {"removed": 1}
        assert api.get("/api/faults").json() == {"faults": []}


@pytest.mark.parametrize(
    "body",
    [
        {"on": "POLL", "stuck": 1, "for": 1e300},  # Schemathesis found this one: a 500 (OverflowError)
        {"on": "POLL", "stuck": 1, "for": "NaN"},
        {"on": "POLL", "stuck": 1, "from": "9999-12-31T00:00:00Z", "for": 86400 * 30},
        {"on": "POLL", "late": 1e300},
    ],
)
def test_windows_no_clock_can_hold_are_a_problem_not_a_crash(sim: Simulator, body: dict[str, object]) -> None:
    assert sim.api_url is not None
    with httpx.Client(base_url=sim.api_url, timeout=30) as api:
        if body.get("for") == "NaN":  # JSON has no NaN literal; Python's encoder writes one, as clients may
            answer = api.post(
                "/api/faults",
                content='{"on": "POLL", "stuck": 1, "for": NaN}',
                headers={"content-type": "application/json"},
            )
        else:
            answer = api.post("/api/faults", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert api.get("/api/faults").json() == {"faults": []}


def test_accounts_file_faults_and_reset(tmp_path: Path, campaign: CampaignFactory) -> None:
    accounts = parse_accounts(
        {
            "accounts": {
                "guest": {
                    "password": "guest",
                    "senders": ["TESTSMS"],
                    "faults": ["STOR:452,times=1", {"on": "RNTO", "reply": 553, "times": 1}],
                }
            }
        }
    )
    with Simulator(accounts=accounts, api_port=None, clock=FrozenClock(START), tls="off") as sim:
        assert [(f.spec.login, f.source) for f in sim.faults] == [("guest", "accounts")] * 2
        with pytest.raises(ftplib.error_temp, match=r"^452"):
            _stor(sim, campaign())
        sim.fault("STOR", reply=451)
        sim.reset()  # faults added at run time go; configured ones stay, counting from zero
        assert [f.fired for f in sim.faults] == [0, 0] and len(sim.faults) == 2
    # A malformed faults key stops at the accounts file, with the account and key, before any server starts.
    with pytest.raises(AccountsFileError, match=r"\[accounts\.guest\] faults: must be a list"):
        parse_accounts({"accounts": {"guest": {"faults": "STOR:452"}}})


def test_cabinet_transcript_tells_the_faults_an_upload_met(sim: Simulator, campaign: CampaignFactory) -> None:
    """R1: the cabinet's upload page shows the 452 met before the upload and the cut that hit an upload."""
    with sim.fault("STOR", login="guest", reply=452, times=1), pytest.raises(ftplib.error_temp):
        _stor(sim, campaign())
    _stor(sim, campaign())
    ftp = _login(sim)
    with sim.fault("STOR", login="guest", cut_after=100, times=1), pytest.raises((ftplib.error_temp, OSError)):
        ftp.storbinary("STOR cut.part", io.BytesIO(b"x" * 100_000))
    ftp.close()
    retried, cut = sim.uploads("guest")
    assert sim.api_url is not None
    with httpx.Client(base_url=sim.api_url, timeout=30) as web:
        token = re.search(r'name="csrf" value="([^"]+)"', web.get("/cabinet/login").text)
        assert token is not None
        form = {"login": "guest", "password": "guest", "csrf": token.group(1), "next": "/cabinet/"}
        assert web.post("/cabinet/login", data=form).status_code == 303
        page = web.get(f"/cabinet/uploads/{retried.id}").text
        assert "before this upload: STOR" in page and "452" in page
        page = web.get(f"/cabinet/uploads/{cut.id}").text
        assert "injected: data connection closed after 100 bytes" in page
        assert "an injected fault" in page  # the ending, told in words


def test_cut_and_throttle_over_ftps(sim: Simulator) -> None:
    """The data faults act on a TLS data channel too (T1): after the handshake, on the decrypted bytes."""
    context = ssl.create_default_context(cafile=str(sim.cert_path))
    ftp = ftplib.FTP_TLS(context=context, timeout=10)
    ftp.connect(sim.ftp_host, sim.ftp_port)
    ftp.auth()
    ftp.login("guest", "guest")
    ftp.prot_p()
    with sim.fault("STOR", login="guest", cut_after=5000, times=1), pytest.raises((ftplib.error_temp, OSError)):
        ftp.storbinary("STOR tls.part", io.BytesIO(b"x" * 300_000))
    ftp.close()
    [upload] = sim.uploads("guest")
    assert (upload.state, upload.ending, upload.data_tls) == ("cut_off", "fault-cut", True)
    assert upload.size == 5000


def test_open_ended_outage_lets_a_long_advance_skip_its_polls(sim: Simulator, campaign: CampaignFactory) -> None:
    """An outage without an end records no poll per 10 s of a year: idle polls are only counted (P1)."""
    _stor(sim, campaign())
    fault = sim.fault("POLL", outage=True)
    polls = sim.poller.polls
    started = real_monotonic()
    sim.advance(365 * 24 * 3600)
    assert real_monotonic() - started < 5 and sim.poller.polls - polls == 365 * 24 * 360
    assert sim.archive(NAME) is None and len(sim.fault_events()) < 5
    fault.remove()
    sim.advance(10)
    assert sim.archive(NAME) is not None
