"""An integrator's tests: our exporter and uploader against the simulated platform.

`export_campaign` and `upload` stand for your own code (normally imported from your package). The
fixtures `sms_simulator` and `sms_platform` come from smsftp's pytest plugin, active once smsftp is
installed; nothing needs to be configured.
"""

from __future__ import annotations

import ftplib
import io
import ssl
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smsftp.conformance.judge.targets import Platform
from smsftp.simulator.app import Simulator

# --8<-- [start:client]
# ---- the code under test: your exporter and your uploader ----------------------------------------


def export_campaign(
    login: str, stamp: datetime, recipients: list[tuple[str, str]], message: str, sender: str, senddate: str = ""
) -> tuple[str, bytes]:
    """Our exporter: a template campaign as the platform's document describes it."""
    contacts = "phone;attr1\r\n" + "".join(f"{phone};{name}\r\n" for phone, name in recipients)
    # A column we do not fill is left out: the platform's public document forbids unfilled columns.
    if senddate:
        template = f"message;sourceaddress;senddate\r\n{message};{sender};{senddate}\r\n"
    else:
        template = f"message;sourceaddress\r\n{message};{sender}\r\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sms/contacts.csv", contacts.encode("utf-8"))
        archive.writestr("sms/template.csv", template.encode("utf-8"))
    return f"{login}_{stamp:%Y%m%d%H%M%S}.zip", buffer.getvalue()


def upload(host: str, port: int, login: str, password: str, name: str, data: bytes, cafile: Path | None) -> None:
    """Our uploader: FTPS, binary, a temporary name renamed when complete."""
    with ftplib.FTP_TLS(context=ssl.create_default_context(cafile=cafile), timeout=30) as ftp:
        ftp.connect(host, port)
        ftp.auth()
        ftp.login(login, password)
        ftp.prot_p()
        ftp.storbinary(f"STOR {name}.part", io.BytesIO(data))
        ftp.rename(f"{name}.part", name)


# --8<-- [end:client]


# --8<-- [start:tests]
# ---- the tests -----------------------------------------------------------------------------------
NOON_MOSCOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 12:00 in Europe/Moscow, the demo account's zone


def test_campaign_renders_the_messages_we_meant(sms_simulator: Simulator) -> None:
    sim = sms_simulator  # frozen clock, demo account guest/guest with sender TESTSMS, empty folders
    sim.set_time(NOON_MOSCOW)
    name, data = export_campaign(
        "guest", NOON_MOSCOW, [("79031234567", "Анна"), ("79161234567", "Борис")], "Здравствуйте, #attr1#!", "TESTSMS"
    )
    upload(sim.ftp_host, sim.ftp_port, "guest", "guest", name, data, sim.cert_path)

    sim.advance(10)  # past the next 10-second poll: it runs before advance() returns

    archive = sim.archive(name, "guest")
    assert archive is not None, "the poll did not take the archive"
    assert archive.status == "accepted", [d.message for d in archive.diagnostics]
    messages = sim.messages(login="guest", archive=name)
    assert [(m.phone, m.text, m.sender) for m in messages] == [
        ("79031234567", "Здравствуйте, Анна!", "TESTSMS"),
        ("79161234567", "Здравствуйте, Борис!", "TESTSMS"),
    ]
    assert all(m.send_at == archive.processed_at for m in messages)  # no senddate: sent at once
    assert all(m.expires_at - m.send_at == timedelta(minutes=1440) for m in messages)  # default validity
    assert sim.folder("guest") == []  # processed archives are deleted


def test_scheduled_campaign_is_sent_in_the_clients_time_zone(sms_simulator: Simulator) -> None:
    sim = sms_simulator
    sim.set_time(NOON_MOSCOW)
    name, data = export_campaign(
        "guest", NOON_MOSCOW, [("79031234567", "Анна")], "Скидка, #attr1#!", "TESTSMS", senddate="20261126T10:00:00"
    )
    upload(sim.ftp_host, sim.ftp_port, "guest", "guest", name, data, sim.cert_path)
    sim.advance(10)

    [message] = sim.messages(login="guest", archive=name)
    assert message.send_at == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 10:00 Moscow time


def test_a_bad_number_is_diagnosed_and_only_its_row_dropped(sms_simulator: Simulator) -> None:
    sim = sms_simulator
    name, data = export_campaign(
        "guest", NOON_MOSCOW, [("89031234567", "Анна"), ("79161234567", "Борис")], "Здравствуйте, #attr1#!", "TESTSMS"
    )
    upload(sim.ftp_host, sim.ftp_port, "guest", "guest", name, data, sim.cert_path)
    sim.advance(10)

    archive = sim.archive(name, "guest")
    assert archive is not None
    assert (archive.status, archive.message_count, archive.rejected_rows) == ("accepted", 1, 1)
    [problem] = [d for d in archive.diagnostics if d.severity == "error"]
    assert (problem.code, problem.file, problem.line) == ("SMS503", "sms/contacts.csv", 2)  # leading 8
    assert "79031234567" in problem.hint  # the hint suggests the international form


def test_our_uploads_are_conformant(sms_simulator: Simulator, sms_platform: Platform) -> None:
    sim = sms_simulator  # sms_platform judges the uploads this simulator received
    name, data = export_campaign("guest", NOON_MOSCOW, [("79031234567", "Анна")], "Привет, #attr1#!", "TESTSMS")
    upload(sim.ftp_host, sim.ftp_port, "guest", "guest", name, data, sim.cert_path)
    sim.advance(10)

    # Name, binary transfer, temporary name then rename, TLS, and every content diagnostic.
    sms_platform.assert_client_conformant(fail_on="warning")


def test_a_careless_upload_is_caught(sms_simulator: Simulator, sms_platform: Platform) -> None:
    sim = sms_simulator
    name, data = export_campaign("guest", NOON_MOSCOW, [("79031234567", "Анна")], "Привет, #attr1#!", "TESTSMS")
    with ftplib.FTP() as ftp:  # plain FTP, straight to the final name
        ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))
    sim.advance(10)

    with pytest.raises(AssertionError, match="SMS805"):  # no temporary name (and SMS806: no TLS)
        sms_platform.assert_client_conformant(fail_on="warning")


# --8<-- [end:tests]
