"""The upload journal: every upload's facts, checksums after the fact, one log line per event (T1, Q22)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsftp.simulator.service.clock import FrozenClock
from smsftp.simulator.service.journal import Journal, logfmt
from smsftp.simulator.service.store import Store

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def journal() -> Iterator[Journal]:
    j = Journal(Store(":memory:"), FrozenClock(AT))
    j.start()
    yield j
    j.close()


def test_logfmt_quotes_only_what_needs_it() -> None:
    line = logfmt("upload", login="guest", file="my file.zip", ok=True, size=None, note='say "hi"', at=AT)
    assert line == 'event=upload login=guest file="my file.zip" ok=yes note="say \\"hi\\"" at=2026-11-25T12:00:00Z'


def test_q22_an_upload_from_start_to_checksum(
    journal: Journal, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """In progress at STOR, complete at the end; the checksum follows; the rename is journalled (Q22)."""
    data = b"PK\x03\x04" + bytes(range(256)) * 100
    path = tmp_path / "guest_20261125120000.zip.part"
    path.write_bytes(data)
    caplog.set_level(logging.INFO, logger="smsftp")
    upload_id = journal.upload_started(
        login="guest",
        filename=path.name,
        command="STOR",
        transfer_type="I",
        control_tls=True,
        data_tls=True,
        passive=True,
        client="127.0.0.1:1",
    )
    assert journal.in_progress("guest", path.name)
    journal.upload_ended(
        upload_id,
        login="guest",
        filename=path.name,
        state="complete",
        ending="closed",
        path=str(path),
        size=len(data),
        data_tls=True,
    )
    path.unlink()  # the checksum does not depend on the file staying: it was opened at the end
    journal.renamed("guest", path.name, "guest_20261125120000.zip")
    [upload] = journal.uploads("guest")
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert (upload.state, upload.size, upload.temp_name) == ("complete", len(data), path.name)
    assert journal.current("guest", "guest_20261125120000.zip") == upload
    assert not journal.in_progress("guest", path.name)
    events = [r.getMessage().split()[0] for r in caplog.records]
    assert events == ["event=upload-start", "event=upload", "event=rename"]


def test_t2_failed_logins_are_counted(journal: Journal) -> None:
    journal.login_failed("guest", "127.0.0.1:2", tls=True)
    journal.login_failed("nobody", "127.0.0.1:3", tls=False)
    assert [(f.login, f.tls, f.at) for f in journal.store.failed_logins()] == [
        ("guest", True, AT),
        ("nobody", False, AT),
    ]


def test_an_aborted_upload_is_a_warning(journal: Journal, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="smsftp")
    upload_id = journal.upload_started(
        login="guest",
        filename="a.zip",
        command="STOR",
        transfer_type="I",
        control_tls=False,
        data_tls=False,
        passive=False,
        client="127.0.0.1:1",
    )
    journal.upload_ended(
        upload_id,
        login="guest",
        filename="a.zip",
        state="aborted",
        ending="ABOR",
        path=str(tmp_path / "missing.zip"),
        size=None,
        data_tls=False,
    )
    [upload] = journal.uploads()
    assert (upload.state, upload.ending, upload.sha256) == ("aborted", "ABOR", None)
    assert caplog.records[-1].levelno == logging.WARNING


def test_q22_in_progress_from_memory_follows_a_rename_and_a_refusal(journal: Journal) -> None:
    """Q22: an open transfer is in progress under the name it now has; a refused STOR leaves nothing."""
    upload_id = journal.upload_started(
        login="guest",
        filename="a.zip.part",
        command="STOR",
        transfer_type="I",
        control_tls=True,
        data_tls=True,
        passive=True,
        client="127.0.0.1:1",
    )
    journal.store.upload_ended(upload_id, state="complete", ending="closed", size=1, data_tls=True, at=AT)
    assert journal.in_progress("guest", "a.zip.part")  # the handler has not reported the end yet
    journal.renamed("guest", "a.zip.part", "a.zip")
    assert journal.in_progress("guest", "a.zip") and not journal.in_progress("guest", "a.zip.part")
    refused = journal.upload_started(
        login="guest",
        filename="b.zip",
        command="STOR",
        transfer_type="I",
        control_tls=True,
        data_tls=True,
        passive=True,
        client="127.0.0.1:1",
    )
    journal.upload_refused(refused)
    assert not journal.in_progress("guest", "b.zip")
    assert [u.filename for u in journal.uploads()] == ["a.zip.part"]
