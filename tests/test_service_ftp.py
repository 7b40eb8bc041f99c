"""The simulator over FTP and FTPS with Python's ftplib on loopback (T1, T2, T4, P1-P3, Q15, Q22, Q27)."""

from __future__ import annotations

import ftplib
import io
import socket
import ssl
import struct
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smsftp.simulator.app import Simulator, wait_until
from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.service.clock import FrozenClock

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NAME = "guest_20261125120000.zip"
CampaignFactory = Callable[..., bytes]


def connect(
    sim: Simulator, login: str = "guest", password: str = "guest", *, tls: bool = False, cafile: Path | None = None
) -> ftplib.FTP:
    if tls:
        context = ssl.create_default_context(cafile=str(cafile or sim.cert_path))
        ftp: ftplib.FTP = ftplib.FTP_TLS(context=context, timeout=10)
    else:
        ftp = ftplib.FTP(timeout=10)
    ftp.connect(sim.ftp_host, sim.ftp_port)
    ftp.login(login, password)
    if isinstance(ftp, ftplib.FTP_TLS):
        ftp.prot_p()
    return ftp


def put(ftp: ftplib.FTP, name: str, data: bytes) -> None:
    ftp.storbinary(f"STOR {name}", io.BytesIO(data))


@pytest.fixture
def sim(service_sim: Simulator) -> Simulator:
    return service_sim


@pytest.fixture
def make_sim(service_cert: tuple[Path, Path]) -> Iterator[Callable[..., Simulator]]:
    started: list[Simulator] = []

    def make(**options: Any) -> Simulator:
        cert, key = service_cert
        options.setdefault("clock", FrozenClock(START))
        simulator = Simulator(api_port=None, cert=cert, key=key, **options).start()
        started.append(simulator)
        return simulator

    yield make
    for simulator in started:
        simulator.stop()


def test_t1_p1_p2_an_upload_is_processed_at_the_next_poll_and_deleted(
    sim: Simulator, campaign: CampaignFactory
) -> None:
    """Upload by plain FTP; ten seconds later the messages are stored and the folder is empty (P1, P2)."""
    with connect(sim) as ftp:
        put(ftp, NAME, campaign(3))
        assert ftp.nlst() == [NAME]
        [upload] = sim.uploads("guest")
        assert (upload.state, upload.transfer_type, upload.passive, upload.control_tls) == (
            "complete",
            "I",
            True,
            False,
        )
        assert upload.size == len(campaign(3)) and upload.client.startswith("127.0.0.1:")
        sim.advance(9)
        assert sim.archives() == []
        sim.advance(1)
        archive = sim.archive(NAME, "guest")
        assert archive is not None and (archive.status, archive.message_count) == ("accepted", 3)
        assert archive.upload_id == upload.id and archive.sha256 == upload.sha256
        assert [m.text for m in sim.messages("guest", NAME)] == ["Hello Name0!", "Hello Name1!", "Hello Name2!"]
        assert ftp.nlst() == [] and sim.folder("guest") == []


def test_t1_ftps_with_prot_p_is_journalled_as_encrypted(sim: Simulator, campaign: CampaignFactory) -> None:
    """Explicit FTPS: AUTH TLS, PBSZ 0, PROT P; both channels recorded as encrypted (T1)."""
    with connect(sim, tls=True) as ftp:
        put(ftp, NAME, campaign())
        ftp.set_pasv(False)  # active mode over TLS too (T4)
        put(ftp, "guest_20261125120001.zip", campaign())
    first, second = sim.uploads("guest")
    assert (first.control_tls, first.data_tls, first.passive, first.state) == (True, True, True, "complete")
    assert (second.control_tls, second.data_tls, second.passive, second.state) == (True, True, False, "complete")
    sim.advance(10)
    assert all("SMS806" not in [d.code for d in a.diagnostics] for a in sim.archives())


def test_t4_active_mode_over_plain_ftp(sim: Simulator, campaign: CampaignFactory) -> None:
    with connect(sim) as ftp:
        ftp.set_pasv(False)
        put(ftp, NAME, campaign())
    assert [u.passive for u in sim.uploads()] == [False]


def test_t2_a_wrong_password_is_refused_and_counted(sim: Simulator) -> None:
    """T2: a wrong password gets the normal 530; anonymous is refused too; both are counted."""
    for login, password in (("guest", "wrong"), ("anonymous", "me@example.com")):
        with ftplib.FTP(timeout=10) as ftp:
            ftp.connect(sim.ftp_host, sim.ftp_port)
            with pytest.raises(ftplib.error_perm, match="530"):
                ftp.login(login, password)
    assert [f.login for f in sim.failed_logins()] == ["guest", "anonymous"]


def test_t2_a_client_sees_and_touches_only_its_own_folder(sim: Simulator, campaign: CampaignFactory) -> None:
    """T2: no way into another folder by `..`, absolute paths or a symlink planted on the server."""
    sim.add_account(Account(login="other", password="secret", senders=("TESTSMS",)))
    with connect(sim) as ftp:
        put(ftp, NAME, campaign())
    assert sim.state_dir is not None
    (sim.state_dir / "ftp" / "other" / "link").symlink_to(sim.state_dir / "ftp" / "guest")
    with connect(sim, "other", "secret") as ftp:
        assert ftp.nlst() == []  # the symlink is not even listed
        for path in (f"../guest/{NAME}", f"/../guest/{NAME}", f"/guest/{NAME}", f"link/{NAME}"):
            with pytest.raises(ftplib.error_perm, match="550"):
                ftp.retrbinary(f"RETR {path}", lambda _: None)
            with pytest.raises(ftplib.error_perm, match="550"):
                ftp.delete(path)
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.cwd("link")
        ftp.cwd("..")
        assert ftp.pwd() == "/" and ftp.nlst() == []
    assert sim.folder("guest") == [NAME]


def test_t4_file_commands_work_inside_the_folder(sim: Simulator) -> None:
    """T4: MKD/CWD/CDUP/RMD, LIST/NLST/MLSD, SIZE/MDTM, RETR, APPE, RNFR/RNTO, DELE."""
    with connect(sim) as ftp:
        ftp.mkd("sub")
        ftp.cwd("sub")
        put(ftp, "a.txt", b"hello ")
        ftp.storbinary("APPE a.txt", io.BytesIO(b"world"))
        assert ftp.size("a.txt") == 11
        assert ftp.voidcmd("MDTM a.txt").startswith("213 ")
        got = io.BytesIO()
        ftp.retrbinary("RETR a.txt", got.write)
        assert got.getvalue() == b"hello world"
        ftp.rename("a.txt", "b.txt")
        assert [name for name, _ in ftp.mlsd()] == ["b.txt"]
        lines: list[str] = []
        ftp.retrlines("LIST", lines.append)
        assert len(lines) == 1 and lines[0].endswith("b.txt")
        ftp.delete("b.txt")
        ftp.cwd("..")
        ftp.rmd("sub")
        assert ftp.nlst() == []
    # A rename follows the file's latest upload, the one whose facts the poller would use.
    assert [(u.command, u.filename, u.final_name) for u in sim.uploads()] == [
        ("STOR", "sub/a.txt", "sub/a.txt"),
        ("APPE", "sub/a.txt", "sub/b.txt"),
    ]


def test_t1_tls_required_refuses_a_plain_login(make_sim: Callable[..., Simulator], campaign: CampaignFactory) -> None:
    """--tls required: USER before AUTH TLS is refused, and so is a data connection before PROT P."""
    sim = make_sim(tls="required")
    with ftplib.FTP(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        with pytest.raises(ftplib.error_perm, match="550 SSL/TLS required"):
            ftp.login("guest", "guest")
    context = ssl.create_default_context(cafile=str(sim.cert_path))
    with ftplib.FTP_TLS(context=context, timeout=10) as tls:
        tls.connect(sim.ftp_host, sim.ftp_port)
        tls.login("guest", "guest")
        with pytest.raises(ftplib.error_perm, match="550 SSL/TLS required on the data channel"):
            put(tls, NAME, campaign())
        tls.prot_p()
        put(tls, NAME, campaign())
    assert [u.data_tls for u in sim.uploads()] == [True]


def test_t1_tls_off_offers_no_auth_tls(make_sim: Callable[..., Simulator]) -> None:
    sim = make_sim(tls="off")
    assert sim.cert_path is None
    with ftplib.FTP_TLS(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        with pytest.raises(ftplib.error_perm, match="500"):
            ftp.auth()


def test_p3_two_archives_are_processed_oldest_name_first(sim: Simulator, campaign: CampaignFactory) -> None:
    """P3/Q1: uploaded newest first, processed by the timestamp in the name."""
    with connect(sim) as ftp:
        put(ftp, "guest_20261125120500.zip", campaign(1))
        put(ftp, "guest_20261125120000.zip", campaign(1))
    sim.advance(10)
    assert [a.name for a in sim.archives()] == ["guest_20261125120000.zip", "guest_20261125120500.zip"]
    assert sim.folder("guest") == []


def test_q15_a_file_that_is_not_a_zip_is_left_alone(sim: Simulator) -> None:
    with connect(sim) as ftp:
        put(ftp, "readme.txt", b"not an archive")
        sim.advance(30)
        assert ftp.nlst() == ["readme.txt"]
    assert [(n.name, n.code) for n in sim.notes("guest")] == [("readme.txt", "SMS803")]
    assert sim.archives() == []


def _send_half_then_advance(sim: Simulator, data: bytes) -> tuple[ftplib.FTP, socket.socket]:
    ftp = connect(sim)
    conn = ftp.transfercmd(f"STOR {NAME}")
    conn.sendall(data[: len(data) // 2])
    assert wait_until(lambda: (sim.state_dir / "ftp" / "guest" / NAME).stat().st_size > 0, 5)  # type: ignore[operator]
    sim.advance(10)
    return ftp, conn


def test_q22_an_upload_held_open_across_a_poll_waits_for_its_end(sim: Simulator, campaign: CampaignFactory) -> None:
    """Q22: the poll that falls due mid-transfer leaves the file; the next one after the end takes it."""
    data = campaign(200)
    ftp, conn = _send_half_then_advance(sim, data)
    assert sim.archives() == [] and sim.folder("guest") == [NAME]
    assert [u.state for u in sim.uploads()] == ["in_progress"]
    conn.sendall(data[len(data) // 2 :])
    conn.close()
    ftp.voidresp()
    ftp.quit()
    sim.advance(10)
    archive = sim.archive(NAME)
    assert archive is not None and (archive.status, archive.message_count) == ("accepted", 200)


def test_q22_the_naive_poller_takes_a_half_written_file(
    make_sim: Callable[..., Simulator], campaign: CampaignFactory
) -> None:
    """Q22 naive: the same upload is taken half-written and rejected as incomplete (SMS802)."""
    sim = make_sim(naive_poller=True)
    data = campaign(200)
    ftp, conn = _send_half_then_advance(sim, data)
    archive = sim.archive(NAME)
    assert archive is not None and archive.status == "rejected"
    assert "SMS802" in [d.code for d in archive.diagnostics]
    conn.sendall(data[len(data) // 2 :])
    conn.close()
    ftp.voidresp()
    ftp.quit()
    sim.advance(10)
    assert len(sim.archives()) == 1 and sim.folder("guest") == []
    assert [u.state for u in sim.uploads()] == ["complete"]


def test_q27_an_ascii_mode_upload_is_diagnosed_as_such(sim: Simulator) -> None:
    """Q27: TYPE A turns the zip's CRLF bytes into LF on the server; the verdict names ASCII mode."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as stored:
        stored.writestr("sms/contacts.csv", "phone;attr1\r\n79031230000;Anna\r\n")
        stored.writestr("sms/template.csv", "message;sourceaddress\r\nHello #attr1#!;TESTSMS\r\n")
    with connect(sim) as ftp:
        ftp.voidcmd("TYPE A")
        conn = ftp.transfercmd(f"STOR {NAME}")
        conn.sendall(buffer.getvalue())
        conn.close()
        ftp.voidresp()
    [upload] = sim.uploads()
    assert upload.transfer_type == "A" and upload.size == len(buffer.getvalue().replace(b"\r\n", b"\n"))
    sim.advance(10)
    archive = sim.archive(NAME)
    assert archive is not None and archive.status == "rejected" and archive.diagnostics[0].code == "SMS801"


def test_q22_abor_is_journalled_as_aborted(sim: Simulator, campaign: CampaignFactory) -> None:
    with connect(sim) as ftp:
        conn = ftp.transfercmd(f"STOR {NAME}")
        conn.sendall(campaign(100)[:500])
        assert wait_until(lambda: sim.folder("guest") == [NAME], 5)
        assert ftp.abort().startswith("426")
        assert ftp.getmultiline().startswith("226")
        conn.close()
    assert wait_until(lambda: [(u.state, u.ending) for u in sim.uploads()] == [("aborted", "ABOR")], 5)


def test_q22_a_reset_data_connection_is_cut_off(sim: Simulator, campaign: CampaignFactory) -> None:
    """A data connection reset mid-transfer (RST) is not a complete upload, whatever pyftpdlib says."""
    with connect(sim) as ftp:
        conn = ftp.transfercmd(f"STOR {NAME}")
        conn.sendall(campaign(100)[:500])
        assert wait_until(lambda: (sim.state_dir / "ftp" / "guest" / NAME).stat().st_size == 500, 5)  # type: ignore[operator]
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()
        assert wait_until(lambda: [u.state for u in sim.uploads()] == ["cut_off"], 5)
    assert sim.uploads()[0].ending == "reset"
    sim.advance(10)
    archive = sim.archive(NAME)
    assert archive is not None and archive.status == "rejected"
    assert "SMS807" in [d.code for d in archive.diagnostics]


def test_q22_a_lost_control_connection_cuts_the_upload_off(sim: Simulator, campaign: CampaignFactory) -> None:
    ftp = connect(sim)
    conn = ftp.transfercmd(f"STOR {NAME}")
    conn.sendall(campaign(100)[:500])
    assert wait_until(lambda: sim.folder("guest") == [NAME], 5)
    ftp.close()
    assert wait_until(lambda: [(u.state, u.ending) for u in sim.uploads()] == [("cut_off", "control-lost")], 5)
    conn.close()


def test_q22_a_tls_data_stream_cut_without_close_notify(sim: Simulator, campaign: CampaignFactory) -> None:
    """FTPS: the end of an upload is the TLS close_notify; a bare TCP close is a cut-off transfer."""
    ftp = connect(sim, tls=True)
    conn = ftp.transfercmd(f"STOR {NAME}")
    conn.sendall(campaign(100)[:500])
    assert wait_until(lambda: sim.folder("guest") == [NAME], 5)
    conn.close()  # ssl.SSLSocket.close() sends no close_notify; unwrap() would
    assert wait_until(lambda: [(u.state, u.ending) for u in sim.uploads()] == [("cut_off", "tls-eof")], 5)
    ftp.close()


def test_memory_state_keeps_nothing_after_stop(service_cert: tuple[Path, Path], campaign: CampaignFactory) -> None:
    """``state_dir=':memory:'``: SQLite in memory, FTP folders in a temporary directory removed at stop."""
    cert, key = service_cert
    with Simulator(state_dir=":memory:", api_port=None, cert=cert, key=key, clock=FrozenClock(START)) as sim:
        assert sim.store.path == ":memory:"
        with connect(sim) as ftp:
            put(ftp, NAME, campaign(2))
        sim.advance(10)
        assert sim.archive(NAME).message_count == 2  # type: ignore[union-attr]
        folder = sim.state_dir
    assert folder is not None and not folder.exists()


@pytest.mark.parametrize("listing", ["NLST", "LIST", "MLSD"])
def test_t1_t4_an_empty_listing_over_tls_ends_cleanly(sim: Simulator, listing: str) -> None:
    """T1/T4: `dir` of an empty folder after PROT P; pyftpdlib used to cut an empty NLST mid-handshake."""
    with connect(sim, tls=True) as ftp:
        for _ in range(5):  # it failed 19 times in 20 before the fix
            if listing == "MLSD":
                assert list(ftp.mlsd()) == []
            else:
                lines: list[str] = []
                ftp.retrlines(listing, lines.append)
                assert lines == []
        assert ftp.voidcmd("NOOP").startswith("200")
    assert sim.errors == []


def test_t1_an_empty_file_over_tls_goes_both_ways(sim: Simulator) -> None:
    """T1: STOR and RETR of a 0-byte file with PROT P; the upload is journalled complete."""
    with connect(sim, tls=True) as ftp:
        put(ftp, "empty.txt", b"")
        got = io.BytesIO()
        ftp.retrbinary("RETR empty.txt", got.write)
        assert got.getvalue() == b"" and ftp.nlst() == ["empty.txt"]
    [upload] = sim.uploads()
    assert (upload.state, upload.size, upload.data_tls) == ("complete", 0, True)


def test_q22_a_poll_right_after_the_150_reply_leaves_the_upload_alone(
    sim: Simulator, campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q22: the journal records the upload before the server opens the file and answers 150.

    Journalling is slowed down on purpose, so that a journal written after the 150 reply
    (the old order) would leave a poll in the gap free to take the empty file.
    """
    real = sim.store.upload_started

    def slow(**fields: Any) -> int:
        import time

        time.sleep(0.2)
        return real(**fields)

    monkeypatch.setattr(sim.store, "upload_started", slow)
    data = campaign(20)
    with connect(sim) as ftp:
        conn = ftp.transfercmd(f"STOR {NAME}")  # returns once the 150 reply is in
        outcome = sim.poll_now()
        assert (outcome.processed, outcome.skipped) == (0, 1) and sim.archives() == []
        conn.sendall(data)
        conn.close()
        ftp.voidresp()
        with pytest.raises(ftplib.error_perm, match="550"):  # refused: no upload is left in the journal
            put(ftp, f"no-such-folder/{NAME}", data)
    assert [(u.filename, u.state) for u in sim.uploads()] == [(NAME, "complete")]
    assert sim.poll_now().processed == 1
    archive = sim.archive(NAME)
    assert archive is not None and (archive.status, archive.message_count) == ("accepted", 20)


def test_errors_in_the_ftp_thread_reach_simulator_errors(
    sim: Simulator, campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the server's hooks (pyftpdlib's thread) is kept in ``errors``, as the poller's are."""

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("journal is down")

    monkeypatch.setattr(sim.store, "upload_ended", broken)
    with connect(sim) as ftp:
        put(ftp, NAME, campaign())  # the end of the upload cannot be journalled; the client still gets 226
    assert wait_until(lambda: len(sim.errors) == 1, 5)
    assert isinstance(sim.errors[0], RuntimeError) and str(sim.errors[0]) == "journal is down"

    monkeypatch.setattr(sim.store, "upload_started", broken)
    with connect(sim) as ftp:
        with pytest.raises(ftplib.error_temp, match=r"^451 "):
            put(ftp, "guest_20261125120001.zip", campaign())  # a STOR it cannot journal is not taken
        assert ftp.voidcmd("NOOP").startswith("200")  # and the session goes on
    assert wait_until(lambda: len(sim.errors) == 2, 5)
    assert str(sim.errors[1]) == "journal is down"
    assert sim.folder("guest") == [NAME]


def test_t4_feat_lists_only_what_the_server_does(sim: Simulator) -> None:
    """FEAT no longer advertises MFMT, which the server refuses (no modification times set by clients)."""
    with connect(sim) as ftp:
        features = [line.strip() for line in ftp.sendcmd("FEAT").splitlines()[1:-1]]
        assert "MFMT" not in features and {"MDTM", "SIZE", "AUTH TLS", "EPSV"} <= set(features)
        with pytest.raises(ftplib.error_perm, match="550"):
            ftp.sendcmd("MFMT 20260101000000 x")


def test_m6_the_service_reads_localtime_with_the_register_it_is_given(make_sim: Callable[..., Simulator]) -> None:
    """Issue 13: the register reaches the poller as a parameter (`serve --register`); without one, the shipped
    table.  One archive, two services over real FTP: a Zabaykalsky number by a test register, then by the table."""
    from smsftp.simulator.rules.timezones import ZoneResolver, parse_register

    register = parse_register(
        "АВС/ DEF;От;До;Емкость;Оператор;Регион;ИНН\n914;0;999999;1000000;x;Забайкальский край;1\n".encode()
    )
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("sms/contacts.csv", "phone\n79140000001\n")
        z.writestr("sms/template.csv", "message;sourceaddress;senddate;localtime\nHi;TESTSMS;20261126T10:00:00;1\n")
    sent = []
    for resolver in (ZoneResolver(register), None):
        sim = make_sim(resolver=resolver)
        with connect(sim) as ftp:
            put(ftp, NAME, data.getvalue())
        sim.advance(10)
        [message] = sim.messages("guest", NAME)
        sent.append(message.send_at.isoformat())
    # 10:00 in Chita (UTC+9) by the test register; the real register puts 914 000... in Irkutsk (UTC+8).
    assert sent == ["2026-11-26T01:00:00+00:00", "2026-11-26T02:00:00+00:00"]


@pytest.mark.parametrize(
    ("command", "reply", "transfer_type"),
    [
        ("TYPE A", "200 Type set to: ASCII.", "A"),
        ("TYPE A N", "200 Type set to: ASCII.", "A"),
        ("TYPE I", "200 Type set to: Binary.", "I"),
        ("TYPE L 8", "200 Type set to: Binary.", "I"),
    ],
)
def test_t4_the_transfer_types_the_document_lists(sim: Simulator, command: str, reply: str, transfer_type: str) -> None:
    """TYPE A N is ASCII (N, non-print, is A's default format); TYPE L 8 is binary (RFC 959 3.1.1)."""
    with connect(sim) as ftp:
        assert ftp.sendcmd(command) == reply
        conn = ftp.transfercmd("STOR t.txt")
        conn.sendall(b"a\r\nb\r\n")
        conn.close()
        ftp.voidresp()
    [upload] = sim.uploads()
    assert upload.transfer_type == transfer_type
    assert upload.size == (6 if transfer_type == "I" else 4)  # ASCII mode stores CRLF as LF


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("MODE S", "200"),
        ("MODE B", "504"),  # block mode: RFC 959 "not implemented for that parameter"
        ("MODE C", "504"),
        ("MODE X", "501"),
        ("TYPE A T", "504"),  # Telnet and carriage-control formats
        ("TYPE A C", "504"),
        ("TYPE E", "504"),  # EBCDIC
        ("TYPE L 7", "504"),
        ("TYPE X", "501"),
        ("STRU F", "200"),
        ("STRU R", "504"),
    ],
)
def test_t4_modes_and_types_get_rfc_959_replies(sim: Simulator, command: str, code: str) -> None:
    """What pyftpdlib cannot do is refused with 504, nonsense with 501; the session goes on either way."""
    with connect(sim) as ftp:
        if code == "200":
            assert ftp.sendcmd(command).startswith("200")
        else:
            with pytest.raises(ftplib.error_perm, match=f"^{code} "):
                ftp.sendcmd(command)
        put(ftp, "after.txt", b"x")
        assert ftp.size("after.txt") == 1
    assert sim.errors == []
