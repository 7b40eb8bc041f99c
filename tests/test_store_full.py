"""A full store while an archive is processed (issue 10 row 11, the processing side): the processing is
rolled back with SMS830, the archive waits in its folder and gets exactly one record once there is room
again; other archives go on meanwhile.  The store's cap (``max_store_bytes``, SQLite's max_page_count)
makes a full disk without root or a small filesystem; a real server over FTP."""

from __future__ import annotations

import ftplib
import io
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import httpx

from smsftp.simulator.app import Simulator
from smsftp.simulator.rules.diagnostics import UPLOAD_STORE_FULL
from smsftp.simulator.service.clock import FrozenClock
from smsftp.simulator.service.store import disk_full

CampaignFactory = Callable[..., bytes]
BIG, SMALL = "guest_20261125120000.zip", "guest_20261125120001.zip"
ROWS = 20_000  # about 1.5 MB of message rows: far past the cap


def _stor(sim: Simulator, name: str, data: bytes) -> None:
    with ftplib.FTP(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {name}", io.BytesIO(data))


def _campaign_rows(rows: int) -> bytes:
    import zipfile

    contacts = "phone;attr1\r\n" + "".join(f"7916{i:07d};Name{i}\r\n" for i in range(rows))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sms/contacts.csv", contacts)
        archive.writestr("sms/template.csv", "message;sourceaddress\r\nHello #attr1#!;TESTSMS\r\n")
    return buffer.getvalue()


def test_a_full_store_rolls_back_defers_and_recovers_with_one_record(tmp_path: Path, campaign: CampaignFactory) -> None:
    clock = FrozenClock(datetime(2026, 11, 25, 12, tzinfo=UTC))
    with Simulator(state_dir=tmp_path, tls="off", clock=clock, max_store_bytes=600 << 10) as sim:
        errors = len(sim.errors)
        _stor(sim, BIG, _campaign_rows(ROWS))
        _stor(sim, SMALL, campaign(3))
        for _ in range(2):  # full twice: rolled back twice, never a record
            sim.advance(10)
            assert [(a.name, a.status) for a in sim.archives()] == [(SMALL, "accepted")]
            assert sim.folder("guest") == [BIG]
            assert sim.store.pending_claims("guest", BIG) == []
        (note,) = sim.notes("guest")
        assert (note.name, note.code) == (BIG, UPLOAD_STORE_FULL.code) and "full" in note.message
        health = httpx.get(f"{sim.api_url}/api/health", timeout=10).json()
        assert health["poller"]["deferred_store_full"] == 2 and health["poller"]["alive"] is True
        assert health["internal_errors"] == errors  # a full store is not our bug
        with closing(sqlite3.connect(tmp_path / "smsftp.sqlite3")) as db, db:  # the rolled-back rows are gone
            assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 3

        sim.store.limit(None)  # space is back
        sim.advance(10)
        records = [(a.name, a.status, a.message_count) for a in sim.archives()]
        assert records == [(SMALL, "accepted", 3), (BIG, "accepted", ROWS)]
        assert sim.folder("guest") == [] and sim.notes("guest") == []
        assert sim.store.count_messages(archive=BIG) == ROWS
        assert len(sim.errors) == errors


def test_disk_full_is_recognised_from_sqlite_and_from_the_file_system() -> None:
    with closing(sqlite3.connect(":memory:")) as full:
        full.execute("CREATE TABLE t (x)")
        full.execute("PRAGMA max_page_count=2")
        try:
            full.executemany("INSERT INTO t VALUES (?)", [("x" * 4000,)] * 10)
        except sqlite3.OperationalError as exc:
            assert disk_full(exc)
        else:
            raise AssertionError("a capped database must refuse")
    assert disk_full(OSError(28, "No space left on device"))
    assert not disk_full(sqlite3.OperationalError("no such table: x"))
    assert not disk_full(ValueError("database or disk is full"))
