"""The HTTP side channel: verdicts, messages, clock, accounts, server-side waits, the token (P1, P2, Q17)."""

from __future__ import annotations

import ftplib
import io
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from smsftp.simulator.app import Simulator, is_loopback
from smsftp.simulator.service.clock import SystemClock

NAME = "guest_20261125120000.zip"
CampaignFactory = Callable[..., bytes]


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    assert sim.api_url is not None
    with httpx.Client(base_url=sim.api_url, timeout=30) as c:
        yield c


def upload(sim: Simulator, data: bytes, name: str = NAME, login: str = "guest", password: str = "guest") -> None:
    with ftplib.FTP(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.login(login, password)
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


@pytest.fixture
def sim(clean_sim: Simulator) -> Simulator:
    return clean_sim


def test_openapi_describes_every_endpoint(client: httpx.Client) -> None:
    paths = set(client.get("/openapi.json").json()["paths"])
    assert {
        "/api/health",
        "/api/accounts",
        "/api/uploads",
        "/api/archives",
        "/api/archives/{name}",
        "/api/messages",
        "/api/clock",
        "/api/clock/advance",
        "/api/poll",
        "/api/reset",
        "/api/folder/{login}",
        "/api/failed-logins",
        "/api/polls",
    } <= paths


def test_the_root_redirects_to_the_cabinet(client: httpx.Client) -> None:
    """R1: a browser pointed at the printed address lands on the cabinet; the root is not in the API's schema."""
    response = client.get("/")
    assert response.status_code == 307 and response.headers["location"] == "/cabinet/"
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_health_says_where_and_when(sim: Simulator, client: httpx.Client) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok" and body["ftp"]["port"] == sim.ftp_port and body["clock"]["frozen"] is True
    assert body["cert_path"] == str(sim.cert_path) and body["internal_errors"] == 0


def test_p1_p2_upload_poll_verdict_messages(sim: Simulator, client: httpx.Client, campaign: CampaignFactory) -> None:
    """Upload, POST /api/poll, then archives, messages (filtered and paged), folder and journal."""
    upload(sim, campaign(5))
    assert client.get("/api/folder/guest").json()["files"] == [NAME]
    assert client.post("/api/poll").json() == {"found": 1, "processed": 1, "in_progress": 0}
    [archive] = client.get("/api/archives", params={"login": "guest"}).json()["archives"]
    assert (archive["name"], archive["status"], archive["mode"], archive["message_count"]) == (
        NAME,
        "accepted",
        "template",
        5,
    )
    page = client.get("/api/messages", params={"login": "guest", "limit": 2, "offset": 1}).json()
    assert page["total"] == 5 and [m["row"] for m in page["messages"]] == [3, 4]
    one = client.get("/api/messages", params={"phone": "79031230004"}).json()
    assert one["total"] == 1 and one["messages"][0]["text"] == "Hello Name4!"
    assert client.get("/api/folder/guest").json()["files"] == []
    assert client.get("/api/uploads").json()["uploads"][0]["sha256"] == archive["sha256"]
    assert client.get("/api/polls").json()["polls"][0]["processed"] == 1


def test_clock_set_and_advance(sim: Simulator, client: httpx.Client, campaign: CampaignFactory) -> None:
    """POST /api/clock sets the frozen instant; /advance runs the due poll before it answers (P1)."""
    body = client.post("/api/clock", json={"at": "2026-12-01T09:00:00Z"}).json()
    assert body["now"] == "2026-12-01T09:00:00Z" and body["frozen"] is True
    upload(sim, campaign())
    advanced = client.post("/api/clock/advance", json={"seconds": 10}).json()
    assert advanced["now"] == "2026-12-01T09:00:10Z"
    archive = client.get(f"/api/archives/{NAME}").json()
    assert archive["status"] == "accepted" and archive["processed_at"] <= advanced["now"]
    assert client.post("/api/clock", json={"at": "not a date"}).status_code == 422
    assert client.post("/api/clock/advance", json={"seconds": -1}).status_code == 422


def test_archive_wait_returns_when_processed(sim: Simulator, client: httpx.Client, campaign: CampaignFactory) -> None:
    """?wait=SECONDS answers as soon as the verdict exists: no sleep loops in clients."""
    upload(sim, campaign())
    mover = threading.Timer(0.2, sim.advance, args=(10,))
    mover.start()
    response = client.get(f"/api/archives/{NAME}", params={"wait": 10, "login": "guest"})
    mover.join()
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_archive_wait_deadline_and_unknown_names(
    sim: Simulator, client: httpx.Client, campaign: CampaignFactory
) -> None:
    assert client.get("/api/archives/guest_20000101000000.zip", params={"wait": 0.1}).status_code == 404
    upload(sim, campaign())
    waiting = client.get(f"/api/archives/{NAME}")
    assert waiting.status_code == 404 and "not been polled" in waiting.json()["detail"]
    assert client.get(f"/api/archives/{NAME}", params={"wait": 0.2}).status_code == 408


def test_q17_wait_is_for_the_new_upload_of_a_repeated_name(
    sim: Simulator, client: httpx.Client, campaign: CampaignFactory
) -> None:
    upload(sim, campaign(1))
    sim.advance(10)
    upload(sim, campaign(2))
    assert client.get(f"/api/archives/{NAME}", params={"wait": 0.2}).status_code == 408
    sim.advance(10)
    again = client.get(f"/api/archives/{NAME}", params={"wait": 1}).json()
    assert again["message_count"] == 2 and "SMS804" in [d["code"] for d in again["diagnostics"]]


def test_throw_away_accounts(sim: Simulator, client: httpx.Client, campaign: CampaignFactory) -> None:
    """POST /api/accounts: parallel CI jobs share one simulator, each with its own login and folder (T2)."""
    made = client.post("/api/accounts", json={"mode": "template", "senders": ["SHOP"]})
    assert made.status_code == 201
    account = made.json()
    login, password = account["login"], account["password"]
    assert login.startswith("ci") and password and account["senders"] == ["SHOP"]
    assert login in [a["login"] for a in client.get("/api/accounts").json()["accounts"]]
    name = f"{login}_20261125120000.zip"
    upload(sim, campaign(2, sender="SHOP"), name=name, login=login, password=password)
    sim.advance(10)
    assert sim.archive(name, login).status == "accepted"  # type: ignore[union-attr]
    assert client.post("/api/accounts", json={"login": login}).status_code == 409
    assert client.post("/api/accounts", json={"login": "x", "mode": "fancy"}).status_code == 422
    # Issue 10: a bytes codec as the account's encoding took a 1,850-byte zip to 4 GiB; refused, not kept.
    refused = client.post("/api/accounts", json={"login": "bz", "encoding": "bz2_codec"})
    # The API's schema lists the text encodings it takes, so the 422 names the field and the choices.
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "encoding"]
    assert "cp1251" in refused.json()["errors"][0]["msg"]
    assert "bz" not in sim.accounts
    assert client.get("/api/folder/nobody").status_code == 404


def test_reset_forgets_everything_but_accounts_and_clock(
    sim: Simulator, client: httpx.Client, campaign: CampaignFactory
) -> None:
    upload(sim, campaign())
    upload(sim, b"left", name="notes.txt")
    before = client.get("/api/clock").json()["now"]
    assert client.post("/api/reset").json() == {"status": "reset"}
    assert client.get("/api/uploads").json()["uploads"] == [] and sim.folder("guest") == []
    assert client.get("/api/clock").json()["now"] == before


def test_the_system_clock_can_be_pushed_forward_but_not_set(
    service_cert: tuple[Path, Path], campaign: CampaignFactory
) -> None:
    """P1 without a 10-second wait on real time: advancing past a poll runs it before the reply."""
    cert, key = service_cert
    with (
        Simulator(clock=SystemClock(), cert=cert, key=key, poll_interval=3600) as sim,
        httpx.Client(base_url=sim.api_url or "", timeout=30) as client,
    ):
        upload(sim, campaign())
        before = datetime.fromisoformat(client.get("/api/clock").json()["now"].replace("Z", "+00:00"))
        assert client.post("/api/clock/advance", json={"seconds": 60}).status_code == 200
        assert client.get(f"/api/archives/{NAME}").status_code == 404  # the hourly poll is not due yet
        assert sim.folder("guest") == [NAME]
        moved = client.post("/api/clock/advance", json={"seconds": 3600}).json()
        assert moved["frozen"] is False
        assert datetime.fromisoformat(moved["now"].replace("Z", "+00:00")) - before >= timedelta(seconds=3660)
        assert client.get(f"/api/archives/{NAME}").json()["status"] == "accepted"
        assert sim.folder("guest") == []
        assert client.post("/api/clock", json={"at": "2026-01-01T00:00:00Z"}).status_code == 409
        assert client.post("/api/clock/advance", json={"seconds": -1}).status_code == 422


def test_a_configured_token_is_required(service_cert: tuple[Path, Path]) -> None:
    """With a token (always when bound off loopback) every /api/ call needs Authorization: Bearer."""
    cert, key = service_cert
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    assert Simulator(host="192.0.2.1").api_token  # made up when not given, never used here
    with (
        Simulator(api_token="s3cret", cert=cert, key=key) as sim,
        httpx.Client(base_url=sim.api_url or "", timeout=30) as client,
    ):
        assert client.get("/api/health").status_code == 401
        assert client.get("/api/health", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/health", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_serve_refuses_contradictory_options() -> None:
    """`smsftp serve` usage errors exit 2 before anything starts."""
    from click.testing import CliRunner

    from smsftp.simulator.serve import serve

    runner = CliRunner()
    assert runner.invoke(serve, ["--at", "2026-11-25T12:00:00Z"]).exit_code == 2  # --at needs --clock frozen
    assert runner.invoke(serve, ["--clock", "frozen", "--at", "yesterday"]).exit_code == 2
    assert runner.invoke(serve, ["--poll-interval", "0"]).exit_code == 2


def test_every_operation_is_typed_and_every_error_is_a_problem(client: httpx.Client) -> None:
    """A client can be generated from /openapi.json: each success names its schema, each error Problem."""
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            success = next(v for k, v in operation["responses"].items() if k.startswith("2"))
            assert "$ref" in success["content"]["application/json"]["schema"], (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert "application/problem+json" in response["content"], (method, path, status)
    assert {"Problem", "FieldError", "Archive", "MessageList", "Health"} <= set(spec["components"]["schemas"])


def test_every_list_pages_the_same_way_with_a_next_link(
    sim: Simulator, client: httpx.Client, campaign: CampaignFactory
) -> None:
    for stamp in ("20261125120000", "20261125120001", "20261125120002"):
        upload(sim, campaign(1), name=f"guest_{stamp}.zip")
    sim.advance(10)
    for path, key in (("/api/archives", "archives"), ("/api/uploads", "uploads"), ("/api/messages", "messages")):
        first = client.get(path, params={"limit": 2}).json()
        assert (first["total"], first["limit"], first["offset"], len(first[key])) == (3, 2, 0, 2), path
        second = client.get(first["next"]).json()
        assert (second["offset"], len(second[key]), second["next"]) == (2, 1, None), path
        assert {str(x) for x in first[key] + second[key]} == {str(x) for x in client.get(path).json()[key]}
    for path in ("/api/accounts", "/api/failed-logins", "/api/polls"):
        body = client.get(path, params={"limit": 1, "offset": 0}).json()
        assert {"total", "limit", "offset", "next"} <= set(body), path
        for bad in ({"limit": 0}, {"limit": 10**6}, {"offset": -1}, {"limit": "x"}):
            response = client.get(path, params=bad)
            assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"


def test_the_account_models_follow_every_account_setting() -> None:
    """A setting added to ``Account`` must be settable by POST /api/accounts and shown by GET (not the password)."""
    from dataclasses import fields

    from smsftp.simulator.rules.accounts import Account
    from smsftp.simulator.web.models import AccountIn, AccountOut

    settings = {f.name for f in fields(Account)} - {"extra"}
    assert set(AccountOut.model_fields) == settings - {"password"}
    assert set(AccountIn.model_fields) == settings - {"senders_known"}
