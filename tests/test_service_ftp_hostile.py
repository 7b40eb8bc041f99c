"""Hostile and broken clients replayed against the real server on loopback (issue 10, rows 8, 9, 11, 12).

Each attack is bounded in count and time.  127.0.0.1 plays the attacker and 127.0.0.2 (loopback
too) a bystander, so that "one address is refused, the others are not" is shown for real.
"""

from __future__ import annotations

import errno
import ftplib
import io
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsftp.simulator.app import Simulator, wait_until
from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.service import ftpserver
from smsftp.simulator.service.clock import FrozenClock, real_monotonic
from smsftp.simulator.service.throttle import LoginThrottle, ThrottlePolicy

BYSTANDER = "127.0.0.2"
START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def make_sim(service_cert: tuple[Path, Path]) -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def make(**options: Any) -> Simulator:
        cert, key = service_cert
        options.setdefault("api_port", None)
        simulator = Simulator(clock=FrozenClock(START), cert=cert, key=key, **options).start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        simulator.stop()


def ftp(
    sim: Simulator, *, source: str = "127.0.0.1", login: str | None = "guest", password: str = "guest"
) -> ftplib.FTP:
    client = ftplib.FTP(timeout=10, source_address=(source, 0))
    client.connect(sim.ftp_host, sim.ftp_port)
    if login is not None:
        client.login(login, password)
    return client


def raw(sim: Simulator, source: str = "127.0.0.1") -> tuple[socket.socket, io.BufferedReader]:
    sock = socket.create_connection((sim.ftp_host, sim.ftp_port), timeout=10, source_address=(source, 0))
    return sock, sock.makefile("rb")


# --- row 8: connection flood -------------------------------------------------------------------------


def test_a_connection_flood_from_one_address_locks_out_only_that_address(make_sim: Callable[..., Simulator]) -> None:
    """Idle unauthenticated sockets from 127.0.0.1 up to the cap; the next gets 421, 127.0.0.2 still logs in."""
    sim = make_sim(ftp_max_connections_per_address=5)
    flood = [raw(sim) for _ in range(5)]
    try:
        assert all(reader.readline().startswith(b"220 ") for _, reader in flood)
        sock, reader = raw(sim)
        with sock:
            assert reader.readline().startswith(b"421 Too many connections from the same IP address")
            assert reader.readline() == b""  # and the server hung up
        with ftp(sim, source=BYSTANDER) as bystander:
            assert bystander.pwd() == "/"
        flood.pop()[0].close()  # one slot frees: the address may connect again
        assert wait_until(lambda: _logs_in(sim), 5)
    finally:
        for sock, _ in flood:
            sock.close()


def _logs_in(sim: Simulator) -> bool:
    try:
        with ftp(sim):
            return True
    except ftplib.error_temp:
        return False


def test_a_connection_that_does_not_log_in_is_closed_after_the_login_timeout(
    make_sim: Callable[..., Simulator],
) -> None:
    """Pre-login timeout: an idle unauthenticated socket gets 421 and is closed; a logged-in one is not."""
    sim = make_sim(ftp_login_timeout=0.3)
    with ftp(sim) as logged_in:
        sock, reader = raw(sim)
        with sock:
            started = real_monotonic()
            assert reader.readline().startswith(b"220 ")
            assert reader.readline().startswith(b"421 Login timed out")
            assert reader.readline() == b""
            assert real_monotonic() - started < 5
        assert logged_in.voidcmd("NOOP").startswith("200")
        assert logged_in.sendcmd("REIN").startswith("230")  # logged out: the login clock starts again
        with pytest.raises(ftplib.error_temp, match="421 Login timed out"):
            logged_in.getresp()


def test_limits_are_checked_when_the_simulator_is_made() -> None:
    for bad in ({"ftp_login_timeout": 0}, {"ftp_max_connections_per_address": -1}, {"ftp_folder_quota": -5}):
        with pytest.raises(ValueError):
            Simulator(**bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Simulator(login_backoff=0)


# --- row 9: password guessing ------------------------------------------------------------------------


def _guess(sim: Simulator, password: str, source: str = "127.0.0.1", login: str = "guest") -> str:
    """One login attempt on a fresh connection; the server's reply to PASS."""
    with ftp(sim, source=source, login=None) as client:
        try:
            return client.login(login, password)
        except ftplib.Error as exc:
            return str(exc)


def test_password_guessing_is_throttled_per_address_and_per_login(make_sim: Callable[..., Simulator]) -> None:
    """After 3 failures, even the right password gets 421 unchecked, from that address and for that login."""
    sim = make_sim(login_failures=3, login_backoff=1.0)
    sim.add_account(Account(login="other", password="secret", senders=("TESTSMS",)))
    replies: list[str] = []
    guessers = [threading.Thread(target=lambda: replies.append(_guess(sim, "wrong"))) for _ in range(3)]
    for thread in guessers:  # in parallel: pyftpdlib's 0.5 s delay is per connection, as for a real guesser
        thread.start()
    for thread in guessers:
        thread.join(10)
    assert [r[:3] for r in replies] == ["530"] * 3
    assert _guess(sim, "guest").startswith("421 Too many failed logins")  # the right password, not checked
    assert _guess(sim, "guest", source=BYSTANDER).startswith("421")  # the login is locked from anywhere
    assert _guess(sim, "secret", source=BYSTANDER, login="other").startswith("230")  # others are not
    assert _guess(sim, "secret", login="other").startswith("421")  # nor is anything from the guesser's address
    assert len(sim.failed_logins("guest")) == 3  # throttled attempts are refused, not counted again
    assert wait_until(lambda: _guess(sim, "guest").startswith("230"), 5, interval=0.1)  # the back-off ends
    assert sim.errors == []


def test_the_throttle_counts_within_its_window_and_forgets_after_it() -> None:
    now = [0.0]
    throttle = LoginThrottle(ThrottlePolicy(failures=2, backoff=10.0), now=lambda: now[0])
    throttle.failed("10.0.0.1", "a")
    now[0] = 11.0  # the first failure left the window
    throttle.failed("10.0.0.1", "a")
    assert throttle.retry_after("10.0.0.1", "a") == 0.0
    throttle.failed("10.0.0.9", "a")  # a second failure for the login within the window, another address
    assert throttle.retry_after("10.0.0.5", "a") == 10.0  # the login is locked wherever it comes from
    assert throttle.retry_after("10.0.0.9", "b") == 0.0  # that address failed once only
    throttle.failed("10.0.0.9", "c")
    assert throttle.retry_after("10.0.0.9", "b") == 10.0  # now it did twice: locked for any login
    assert throttle.retry_after("10.0.0.5", "b") == 0.0
    now[0] = 21.0
    assert throttle.retry_after("10.0.0.9", "a") == 0.0
    off = LoginThrottle(ThrottlePolicy(failures=0), now=lambda: now[0])
    for _ in range(100):
        off.failed("x", "y")
    assert off.retry_after("x", "y") == 0.0


def test_cabinet_sign_in_failures_are_recorded_and_share_the_ftp_throttle(
    make_sim: Callable[..., Simulator],
) -> None:
    """Failed cabinet sign-ins land in failed logins; with FTP's, they lock both doors."""
    sim = make_sim(api_port=0, login_failures=3, login_backoff=30.0)
    assert _guess(sim, "wrong").startswith("530")  # one over FTP
    with httpx.Client(base_url=str(sim.api_url), timeout=10) as web:

        def sign_in(password: str) -> httpx.Response:
            form = web.get("/cabinet/login")
            match = re.search(r'name="csrf" value="([^"]+)"', form.text)
            assert match is not None
            data = {"login": "guest", "password": password, "csrf": match.group(1), "next": "/cabinet/"}
            return web.post("/cabinet/login", data=data)

        assert [sign_in("wrong").status_code for _ in range(2)] == [401, 401]
        refused = sign_in("guest")  # the right password, not checked
        assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
        assert 0 < int(refused.headers["retry-after"]) <= 30
    assert [(f.login, f.client.split(":")[0]) for f in sim.failed_logins()] == [("guest", "127.0.0.1")] * 3
    assert _guess(sim, "guest").startswith("421")  # FTP is locked for that login too


# --- row 11: disk full and quota ---------------------------------------------------------------------


def test_a_per_account_quota_is_enforced_with_552(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(ftp_folder_quota=1000)
    with ftp(sim) as client:
        client.storbinary("STOR a.bin", io.BytesIO(b"a" * 600))
        with pytest.raises(ftplib.error_perm, match="552 Exceeded storage allocation"):
            client.storbinary("STOR b.bin", io.BytesIO(b"b" * 600))
        assert client.voidcmd("NOOP").startswith("200")  # the session goes on
        client.storbinary("STOR a.bin", io.BytesIO(b"A" * 900))  # replacing a file frees its bytes first
        client.storbinary("APPE a.bin", io.BytesIO(b"A" * 100))  # exactly full
        with pytest.raises(ftplib.error_perm, match=r"552 .*holds its quota of 1000 bytes"):
            client.storbinary("STOR c.bin", io.BytesIO(b"c"))  # refused before the transfer starts
        with pytest.raises(ftplib.error_perm, match="552 Exceeded storage allocation"):
            client.storbinary("STOU", io.BytesIO(b"u"))  # a unique name takes room too
        client.delete("a.bin")
        client.storbinary("STOR c.bin", io.BytesIO(b"c" * 1000))
    assert [(u.command, u.filename.startswith("ftpd."), u.state, u.ending) for u in sim.uploads()] == [
        ("STOR", False, "complete", "closed"),
        ("STOR", False, "aborted", "quota"),
        ("STOR", False, "complete", "closed"),
        ("APPE", False, "complete", "closed"),
        ("STOU", True, "aborted", "quota"),
        ("STOR", False, "complete", "closed"),
    ]
    assert sim.errors == []


class _DiskFullFile(ftpserver.UploadFile):
    """An upload file whose writes go to /dev/full: the kernel's real ENOSPC, without root or a small disk."""

    def __init__(self, name: str, mode: str, *, limit: int | None) -> None:
        super().__init__("/dev/full", "wb", limit=limit)
        self.name = name


def test_a_full_disk_is_452_and_the_session_goes_on(
    make_sim: Callable[..., Simulator], monkeypatch: pytest.MonkeyPatch, campaign: Callable[..., bytes]
) -> None:
    sim = make_sim()
    monkeypatch.setattr(ftpserver, "UploadFile", _DiskFullFile)
    with ftp(sim) as client:
        with pytest.raises(ftplib.error_temp, match="452 Insufficient storage space"):
            client.storbinary("STOR guest_20261125120000.zip", io.BytesIO(campaign(50)))
        monkeypatch.undo()  # space is back
        client.storbinary("STOR guest_20261125120001.zip", io.BytesIO(campaign(2)))
    assert [(u.state, u.ending) for u in sim.uploads()] == [("aborted", "disk-full"), ("complete", "closed")]
    assert sim.errors == []


def test_an_upload_file_never_loses_bytes_silently() -> None:
    """A raw write to a full device raises ENOSPC instead of reporting a short write."""
    with ftpserver.UploadFile("/dev/full", "wb", limit=None) as full, pytest.raises(OSError) as caught:
        full.write(b"x" * 70_000)
    assert caught.value.errno == errno.ENOSPC


# --- row 12: NUL bytes in paths ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["MKD x\0y", "STOR a\0b.zip", "CWD a\0b", "DELE a\0b", "RNFR a\0b", "SIZE a\0"])
def test_a_nul_byte_in_a_path_is_501_and_the_connection_is_kept(sim_nul: Simulator, command: str) -> None:
    with ftp(sim_nul) as client:
        with pytest.raises(ftplib.error_perm, match=r"501 .*NUL"):
            client.sendcmd(command)
        assert client.voidcmd("NOOP").startswith("200") and client.nlst() == []
    assert sim_nul.errors == []


def test_a_nul_byte_before_login_is_501_too(sim_nul: Simulator) -> None:
    with ftp(sim_nul, login=None) as client:
        with pytest.raises(ftplib.error_perm, match="501"):
            client.sendcmd("USER gu\0est")
        assert client.login("guest", "guest").startswith("230")


@pytest.fixture
def sim_nul(service_sim: Simulator) -> Simulator:
    return service_sim


# --- TLS: modern ciphers only ------------------------------------------------------------------------


def test_tls12_refuses_a_client_offering_only_aes128_sha(service_sim: Simulator) -> None:
    old = ssl.create_default_context(cafile=str(service_sim.cert_path))
    old.maximum_version = ssl.TLSVersion.TLSv1_2
    old.set_ciphers("AES128-SHA")
    with ftplib.FTP_TLS(context=old, timeout=10) as client:
        client.connect(service_sim.ftp_host, service_sim.ftp_port)
        with pytest.raises(ssl.SSLError, match=r"HANDSHAKE_FAILURE|handshake failure|NO_SHARED_CIPHER"):
            client.auth()
    modern = ssl.create_default_context(cafile=str(service_sim.cert_path))
    modern.maximum_version = ssl.TLSVersion.TLSv1_2
    with ftplib.FTP_TLS(context=modern, timeout=10) as client:
        client.connect(service_sim.ftp_host, service_sim.ftp_port)
        client.login("guest", "guest")
        name, version, _ = client.sock.cipher()  # type: ignore[attr-defined]
        assert version == "TLSv1.2" and name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name)
    with ftplib.FTP_TLS(context=ssl.create_default_context(cafile=str(service_sim.cert_path)), timeout=10) as client:
        client.connect(service_sim.ftp_host, service_sim.ftp_port)
        client.login("guest", "guest")
        assert client.sock.version() == "TLSv1.3"  # type: ignore[attr-defined]
