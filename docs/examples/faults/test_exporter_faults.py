"""The recipes as pytest tests: the plugin's ``sms_simulator`` fixture injects the fault, the exporter meets it.

pytest test_exporter_faults.py      # with smsftp installed: the plugin loads by itself
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from exporter import upload

NAME = "guest_20261125120000.zip"


def _archive(folder: Path) -> Path:
    path = folder / NAME
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("sms/contacts.csv", "phone;attr1\r\n" + "".join(f"7903{i:07d};N{i}\r\n" for i in range(300)))
        z.writestr("sms/template.csv", "message;sourceaddress\r\nHello #attr1#!;TESTSMS\r\n")
    return path


# --8<-- [start:tests]
def test_exporter_retries_a_421(sms_simulator, sms_platform, tmp_path):
    with sms_simulator.fault("CONNECT", reply=421, times=1) as fault:
        attempts = upload(_archive(tmp_path), host=sms_simulator.ftp_host, port=sms_simulator.ftp_port, backoff=0)
    assert attempts == 2 and fault.fired == 1
    sms_simulator.advance(10)
    assert sms_simulator.archive(NAME).status == "accepted"
    sms_platform.assert_client_conformant()  # SMS820 if the exporter had given up


def test_exporter_survives_a_cut_upload(sms_simulator, sms_platform, tmp_path):
    with sms_simulator.fault("STOR", login="guest", cut_after=1000, times=1):
        upload(_archive(tmp_path), host=sms_simulator.ftp_host, port=sms_simulator.ftp_port, backoff=0)
    cut, whole = sms_simulator.uploads("guest")
    assert (cut.state, cut.ending) == ("cut_off", "fault-cut")
    assert whole.command == "STOR" and whole.state == "complete"  # the whole archive again, not APPE
    sms_simulator.advance(10)
    assert len(sms_simulator.archives("guest")) == 1  # one campaign, one archive
    sms_platform.assert_client_conformant()  # SMS821 if it had appended the tail


# --8<-- [end:tests]
