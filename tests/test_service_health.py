"""One bad folder never stops the others; the poller never dies silently; health and /readyz say so
(issue 10 rows 1 and 18, the poller's side).  A real simulator: FTP, poller, store and HTTP API."""

from __future__ import annotations

import ftplib
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from smsftp.simulator.app import Simulator, wait_until
from smsftp.simulator.rules.accounts import Account, demo_account
from smsftp.simulator.service.clock import Clock, FrozenClock, SystemClock

CampaignFactory = Callable[..., bytes]
NAME = "guest_20261125120000.zip"
# Logins the file system refuses as folder names; both sort before "guest", so a poll meets them first.
BAD_LOGINS = ("a" * 300, "a\0b")


def _accounts() -> dict[str, Account]:
    return {**{login: Account(login=login, password="x") for login in BAD_LOGINS}, "guest": demo_account()}


@pytest.fixture
def make_sim(tmp_path: Path, service_cert: tuple[Path, Path]) -> Iterator[Callable[[Clock, float], Simulator]]:
    started: list[Simulator] = []

    def make(clock: Clock, interval: float = 10.0) -> Simulator:
        cert, key = service_cert
        sim = Simulator(
            accounts=_accounts(), state_dir=tmp_path, clock=clock, poll_interval=interval, cert=cert, key=key
        )
        started.append(sim.start())
        return sim

    yield make
    for sim in started:
        sim.stop()


def _upload(sim: Simulator, data: bytes) -> None:
    with ftplib.FTP(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {NAME}", io.BytesIO(data))


def _get(sim: Simulator, path: str) -> httpx.Response:
    return httpx.get(f"{sim.api_url}{path}", timeout=10)


def test_a_folder_that_cannot_be_polled_is_counted_and_the_others_go_on(
    make_sim: Callable[[Clock, float], Simulator], campaign: CampaignFactory
) -> None:
    sim = make_sim(FrozenClock(datetime(2026, 11, 25, 12, tzinfo=UTC)), 10.0)
    errors_before = len(sim.errors)
    _upload(sim, campaign(3))
    for _ in range(2):
        assert httpx.post(f"{sim.api_url}/api/clock/advance", json={"seconds": 10}, timeout=30).status_code == 200
    record = sim.archive(NAME, "guest")
    assert record is not None and record.status == "accepted" and record.message_count == 3
    health = _get(sim, "/api/health").json()
    assert health["status"] == "ok" and health["ready"] == {"ftp": True, "poller": True, "store": True}
    assert health["poller"]["alive"] is True
    assert health["poller"]["folder_failures"] == {login: 2 for login in BAD_LOGINS}
    assert "File name too long" in health["poller"]["last_failure"]  # "a" * 300 sorts after "a\0b"
    assert health["internal_errors"] - errors_before == 4
    assert _get(sim, "/readyz").status_code == 200


def test_on_the_system_clock_the_poller_thread_survives_every_poll(
    make_sim: Callable[[Clock, float], Simulator], campaign: CampaignFactory
) -> None:
    sim = make_sim(SystemClock(), 0.05)
    _upload(sim, campaign(2))
    assert wait_until(lambda: sim.poller_health()["folder_failures"].get("a\0b", 0) >= 3, 10)
    assert wait_until(lambda: (r := sim.archive(NAME, "guest")) is not None and r.final, 10)
    assert sim.poller_health()["alive"] is True
    assert _get(sim, "/readyz").json() == {"ready": True, "ftp": True, "poller": True, "store": True}


def test_readyz_is_503_and_health_degraded_once_the_poller_is_down(
    make_sim: Callable[[Clock, float], Simulator],
) -> None:
    sim = make_sim(FrozenClock(datetime(2026, 11, 25, 12, tzinfo=UTC)), 10.0)
    assert _get(sim, "/readyz").status_code == 200
    sim.poller.stop()
    response = _get(sim, "/readyz")
    assert response.status_code == 503
    assert response.json() == {"ready": False, "ftp": True, "poller": False, "store": True}
    health = _get(sim, "/api/health").json()
    assert health["status"] == "degraded" and health["poller"]["alive"] is False


def test_a_kept_alive_connection_is_not_held_by_delayed_acks(
    make_sim: Callable[[Clock, float], Simulator],
) -> None:
    """Replies go out without waiting for the client's delayed ACK (TCP_NODELAY): before, every request
    on a kept-alive connection took 40 ms more, whatever it asked."""
    import statistics
    import time

    sim = make_sim(FrozenClock(datetime(2026, 11, 25, 12, tzinfo=UTC)), 10.0)
    with httpx.Client(base_url=str(sim.api_url), timeout=10) as client:
        seconds = []
        for _ in range(15):
            started = time.perf_counter()
            client.get("/readyz").raise_for_status()
            seconds.append(time.perf_counter() - started)
    assert statistics.median(seconds) < 0.03
