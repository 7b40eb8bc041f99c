"""The store keeps uploads, claims, verdicts and messages; a crash leaves nothing half-visible (P2, Q15-Q17)."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from smsftp.simulator.rules.diagnostics import UPLOAD_NO_TEMPORARY_NAME, diagnostic
from smsftp.simulator.rules.outcome import Message
from smsftp.simulator.service.store import Store, StoreError

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _messages(n: int, first: int = 0) -> list[Message]:
    return [
        Message(
            phone=f"7903{1230000 + first + i:07d}",
            text=f"text {first + i}",
            sender="TESTSMS",
            send_at=AT,
            expires_at=AT + timedelta(days=1),
            encoding="GSM-7",
            segments=1,
            row=first + i + 2,
        )
        for i in range(n)
    ]


def _claim(store: Store, name: str = "guest_20261125120000.zip", login: str = "guest", sha: str = "aa") -> int:
    return store.claim(login=login, name=name, upload_id=None, size=10, mtime_ns=1, sha256=sha, received_at=AT)


@pytest.fixture
def store() -> Store:
    return Store(":memory:")


def test_p2_messages_are_invisible_until_the_verdict(store: Store) -> None:
    """Messages written in batches stay hidden while the claim is pending, then all appear (P2)."""
    archive_id = _claim(store)
    store.append_messages(archive_id, _messages(3))
    store.append_messages(archive_id, _messages(2, first=3))
    assert store.messages() == []
    assert store.archive("guest_20261125120000.zip").status == "pending"  # type: ignore[union-attr]
    store.finish(
        archive_id,
        status="accepted",
        mode="template",
        message_count=5,
        rejected_rows=0,
        diagnostics=[diagnostic(UPLOAD_NO_TEMPORARY_NAME)],
        processed_at=AT,
    )
    found = store.messages(login="guest")
    assert [m.row for m in found] == [2, 3, 4, 5, 6]
    assert found[0].archive == "guest_20261125120000.zip" and found[0].send_at == AT
    record = store.archive("guest_20261125120000.zip", "guest")
    assert record is not None and record.final and record.message_count == 5
    assert [d.code for d in record.diagnostics] == ["SMS805"]
    assert found[0].to_json()["send_at"] == "2026-11-25T12:00:00Z"


def test_q16_a_rejected_archive_keeps_no_messages(store: Store) -> None:
    """An archive rejected after messages were written (a late CRC error) drops them all."""
    archive_id = _claim(store)
    store.append_messages(archive_id, _messages(4))
    store.finish(
        archive_id,
        status="rejected",
        mode="template",
        message_count=4,
        rejected_rows=0,
        diagnostics=[],
        processed_at=AT,
    )
    assert store.messages() == [] and store.counts()["messages"] == 0
    assert store.archive("guest_20261125120000.zip").message_count == 0  # type: ignore[union-attr]


def test_p2_a_pending_claim_is_forgotten_after_a_crash(tmp_path: Path) -> None:
    """Start-up after kill -9: the claim without verdict and its partial messages go; verdicts stay."""
    path = tmp_path / "smsftp.sqlite3"
    store = Store(path)
    done = _claim(store, "guest_20261125120000.zip")
    store.append_messages(done, _messages(2))
    store.finish(
        done, status="accepted", mode="template", message_count=2, rejected_rows=0, diagnostics=[], processed_at=AT
    )
    pending = _claim(store, "guest_20261125120001.zip")
    store.append_messages(pending, _messages(3, first=2))
    store.close()  # a kill: nothing else happens to the file

    reopened = Store(path)
    assert reopened.forget_pending() == [("guest", "guest_20261125120001.zip")]
    assert [a.name for a in reopened.archives()] == ["guest_20261125120000.zip"]
    assert reopened.counts()["messages"] == 2
    again = _claim(reopened, "guest_20261125120001.zip")
    reopened.append_messages(again, _messages(3, first=2))
    reopened.finish(
        again, status="accepted", mode="template", message_count=3, rejected_rows=0, diagnostics=[], processed_at=AT
    )
    assert len(reopened.messages()) == 5 and len({m.id for m in reopened.messages()}) == 5


def test_q17_settled_claim_and_repeats(store: Store) -> None:
    """A processed file is recognised by name, size, mtime and checksum; its name counts as processed (Q17)."""
    archive_id = _claim(store, sha="abc")
    assert store.times_processed("guest", "guest_20261125120000.zip") == 0
    store.finish(
        archive_id, status="rejected", mode=None, message_count=0, rejected_rows=0, diagnostics=[], processed_at=AT
    )
    assert store.settled_claim("guest", "guest_20261125120000.zip", 10, 1, "abc") is not None
    assert store.settled_claim("guest", "guest_20261125120000.zip", 10, 2, "abc") is None  # re-uploaded
    assert store.times_processed("guest", "guest_20261125120000.zip") == 1


def test_q22_upload_journal_follows_the_file(store: Store) -> None:
    """In progress from STOR, then complete; a rename keeps the first name as the temporary one (Q22)."""
    upload_id = store.upload_started(
        login="guest",
        filename="a.zip.part",
        command="STOR",
        transfer_type="I",
        control_tls=True,
        data_tls=True,
        passive=True,
        client="127.0.0.1:1",
        at=AT,
    )
    assert store.upload_in_progress("guest", "a.zip.part")
    store.upload_ended(upload_id, state="complete", ending="closed", size=10, data_tls=True, at=AT)
    store.upload_hashed(upload_id, "ff")
    assert not store.upload_in_progress("guest", "a.zip.part")
    assert store.upload_renamed("guest", "a.zip.part", "a.zip") == upload_id
    current = store.current_upload("guest", "a.zip")
    assert current is not None and current.temp_name == "a.zip.part" and current.renamed_to == "a.zip"
    assert current.complete and current.sha256 == "ff"
    assert current.to_json()["started_at"] == "2026-11-25T12:00:00Z"
    claimed = store.claim(
        login="guest", name="a.zip", upload_id=upload_id, size=10, mtime_ns=1, sha256="ff", received_at=AT
    )
    assert claimed and store.current_upload("guest", "a.zip") is None  # consumed by the archive


def test_q22_transfers_open_at_a_crash_are_cut_off(store: Store) -> None:
    store.upload_started(
        login="guest",
        filename="a.zip",
        command="STOR",
        transfer_type="A",
        control_tls=False,
        data_tls=False,
        passive=False,
        client="127.0.0.1:1",
        at=AT,
    )
    assert store.abandon_in_progress(AT) == 1
    [upload] = store.uploads("guest")
    assert (upload.state, upload.ending) == ("cut_off", "restart")


def test_q15_a_left_alone_file_is_reported_once(store: Store) -> None:
    assert store.note("guest", "notes.txt", "SMS803", "left alone", AT)
    assert not store.note("guest", "notes.txt", "SMS803", "left alone", AT + timedelta(seconds=10))
    store.prune_notes("guest", set())
    assert store.notes() == []
    assert store.note("guest", "notes.txt", "SMS803", "left alone", AT)


def test_messages_filter_and_page(store: Store) -> None:
    """The API's filters: login, archive, phone; limit and offset across archives."""
    for n, name in enumerate(["guest_20261125120000.zip", "guest_20261125120001.zip"]):
        archive_id = _claim(store, name)
        store.append_messages(archive_id, _messages(3, first=3 * n))
        store.finish(
            archive_id,
            status="accepted",
            mode="template",
            message_count=3,
            rejected_rows=0,
            diagnostics=[],
            processed_at=AT,
        )
    assert [m.row for m in store.messages(limit=2, offset=2)] == [4, 5]
    assert [m.row for m in store.messages(offset=4)] == [6, 7]
    assert [m.archive for m in store.messages(archive="guest_20261125120001.zip")] == ["guest_20261125120001.zip"] * 3
    assert [m.row for m in store.messages(phone="79031230004")] == [6]
    assert store.count_messages() == 6 and store.count_messages(phone="79031230004") == 1
    assert store.messages(login="other") == []


def test_failed_logins_polls_and_reset(store: Store) -> None:
    store.login_failed("guest", "127.0.0.1:5", False, AT)
    store.poll_recorded(AT, found=1, processed=1, skipped=0, seconds=0.01)
    assert [f.login for f in store.failed_logins()] == ["guest"]
    assert store.polls()[0].to_json()["at"] == "2026-11-25T12:00:00Z"
    store.reset()
    assert set(store.counts().values()) == {0}
    store.reset()  # nothing written since: skipped, and still empty
    store.login_failed("guest", "127.0.0.1:6", False, AT)
    assert store.counts()["failed_logins"] == 1
    store.reset()  # a write after a skipped reset is still forgotten
    assert set(store.counts().values()) == {0}


def test_a_store_of_another_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "smsftp.sqlite3"
    Store(path).close()
    import sqlite3

    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE meta SET value='0' WHERE key='schema'")
    with pytest.raises(StoreError, match="schema"):
        Store(path)


def test_p2_rows_of_a_run_are_stored_and_read_back_as_messages(store: Store) -> None:
    """ArchiveRun.batches' plain rows (append_rows) come back as the same MessageRecords as Message objects."""
    from smsftp.simulator.rules.schedule import micros

    archive_id = _claim(store)
    sent, expires = micros(AT), micros(AT + timedelta(days=1))
    store.append_rows(
        archive_id,
        [(79031230000, "text 0", sent, expires, 7, 1, 2), (79031230001, "Привет", sent, expires, 16, 1, 3)],
        "TESTSMS",
    )
    other = _claim(store, "guest_20261125120001.zip")
    store.append_messages(other, _messages(2))
    for done in (archive_id, other):
        store.finish(
            done, status="accepted", mode="template", message_count=2, rejected_rows=0, diagnostics=[], processed_at=AT
        )
    first = store.messages(archive="guest_20261125120000.zip")
    second = store.messages(archive="guest_20261125120001.zip")
    assert first[0].to_json() | {"id": 0, "archive": ""} == second[0].to_json() | {"id": 0, "archive": ""}
    assert (first[1].phone, first[1].text, first[1].encoding, first[1].sender) == (
        "79031230001",
        "Привет",
        "UCS-2",
        "TESTSMS",
    )
    assert first[1].send_at == AT and first[1].expires_at == AT + timedelta(days=1)


def test_p2_any_phone_and_sender_is_stored_as_given(store: Store) -> None:
    """append_messages keeps any text as the phone (leading zeros, signs) and a message's own sender."""
    archive_id = _claim(store)
    odd = [
        Message(
            phone=phone, text="x", sender=sender, send_at=AT, expires_at=AT, encoding="GSM-7", segments=1, row=i + 2
        )
        for i, (phone, sender) in enumerate(
            [("79031234567", "A"), ("0079031234567", "A"), ("+7903", "B"), ("99999999999999999999", "A"), ("", "A")]
        )
    ]
    store.append_messages(archive_id, odd)
    store.finish(
        archive_id, status="accepted", mode="plain", message_count=5, rejected_rows=0, diagnostics=[], processed_at=AT
    )
    assert [(m.phone, m.sender) for m in store.messages()] == [(m.phone, m.sender) for m in odd]
    for m in odd:
        assert [r.phone for r in store.messages(phone=m.phone)] == [m.phone]
        assert store.count_messages(phone=m.phone) == 1
    assert store.messages(phone="79031234567.0") == [] and store.messages(phone="7.9031234567E+10") == []
    later = [
        Message(
            phone="79031234568", text="y", sender=sender, send_at=AT, expires_at=AT, encoding="UCS-2", segments=1, row=9
        )
        for sender in ("B", "A")
    ]
    again = _claim(store, "guest_20261125120001.zip")
    store.append_messages(again, later[:1])
    store.append_messages(again, later[1:])  # a batch that starts with another sender than the archive's
    store.finish(
        again, status="accepted", mode="plain", message_count=2, rejected_rows=0, diagnostics=[], processed_at=AT
    )
    assert [m.sender for m in store.messages(archive="guest_20261125120001.zip")] == ["B", "A"]


def _rows(n: int, first: int = 0) -> list[tuple[int | str, str, int, int, int, int, int]]:
    return [(79031230000 + first + i, f"text {first + i}", 0, 86_400_000_000, 7, 1, first + i + 2) for i in range(n)]


def test_p2_a_crashed_claim_is_dropped_in_batches_and_its_space_returned(tmp_path: Path) -> None:
    """A claim killed after 60,000 rows: restart drops every row, batch by batch, and the file shrinks."""
    path = tmp_path / "smsftp.sqlite3"
    store = Store(path)
    kept = _claim(store, "guest_20261125120000.zip")
    store.append_rows(kept, _rows(10), "TESTSMS")
    store.finish(
        kept, status="accepted", mode="template", message_count=10, rejected_rows=0, diagnostics=[], processed_at=AT
    )
    crashed = _claim(store, "guest_20261125120001.zip")
    for start in range(0, 60_000, 1000):
        store.append_rows(crashed, _rows(1000, first=start), "TESTSMS")
    store.close()  # kill -9: nothing more reaches the file
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    full = path.stat().st_size

    reopened = Store(path)
    assert reopened.forget_pending(batch=7000) == [("guest", "guest_20261125120001.zip")]
    assert reopened.counts()["messages"] == 10
    assert [m.row for m in reopened.messages()] == list(range(2, 12))
    with closing(sqlite3.connect(path)) as db, db:
        assert db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    assert path.stat().st_size < full / 4


def test_p2_rows_past_every_claim_are_orphans_and_go(tmp_path: Path) -> None:
    """Message rows no archive owns (a store written by an older smsftp) are deleted at start-up."""
    path = tmp_path / "smsftp.sqlite3"
    Store(path).close()
    with closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT INTO messages (phone, text, send_at, expires_at, encoding, segments, row) VALUES (?,?,?,?,?,?,?)",
            _rows(2500),
        )
    reopened = Store(path)
    assert reopened.forget_pending(batch=1000) == []
    with closing(sqlite3.connect(path)) as db, db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0


def test_rows_are_read_by_column_name_not_position(tmp_path: Path) -> None:
    """A column added to every table (a later schema) shifts nothing: every field is read by name."""
    path = tmp_path / "smsftp.sqlite3"
    store = Store(path)
    upload = store.upload_started(
        login="guest",
        filename="a.zip",
        command="STOR",
        transfer_type="I",
        control_tls=True,
        data_tls=False,
        passive=True,
        client="127.0.0.1",
        at=AT,
    )
    archive_id = store.claim(
        login="guest", name="a.zip", upload_id=upload, size=10, mtime_ns=1, sha256="ab", received_at=AT
    )
    store.append_rows(archive_id, _rows(3), "TESTSMS")
    store.finish(
        archive_id, status="accepted", mode="plain", message_count=3, rejected_rows=1, diagnostics=[], processed_at=AT
    )
    store.close()
    with closing(sqlite3.connect(path)) as db, db:
        for table in ("uploads", "archives", "messages"):
            db.execute(f"ALTER TABLE {table} ADD COLUMN zzz_added TEXT DEFAULT 'x'")
    reopened = Store(path)
    (u,) = reopened.uploads()
    assert (u.filename, u.control_tls, u.data_tls, u.passive, u.client) == ("a.zip", True, False, True, "127.0.0.1")
    (a,) = reopened.archives()
    assert (a.status, a.mode, a.message_count, a.rejected_rows, a.sha256, a.upload_id) == (
        "accepted",
        "plain",
        3,
        1,
        "ab",
        upload,
    )
    first = reopened.messages()[0]
    assert (first.phone, first.sender, first.encoding) == ("79031230000", "TESTSMS", "GSM-7")
    assert [m.row for m in reopened.messages(limit=2, offset=1)] == [3, 4]
    assert reopened.count_messages(phone="79031230001") == 1


def test_the_previous_upload_is_the_logins_own_whatever_page_it_is_on(store: Store) -> None:
    """The cabinet's transcript tells the faults met since the login's previous upload; that one comes from the
    store, so the oldest row of a page still finds its predecessor on the next page."""
    ids = [
        store.upload_started(
            login=login,
            filename=f"{n}.zip",
            command="STOR",
            transfer_type="I",
            control_tls=False,
            data_tls=False,
            passive=True,
            client="127.0.0.1:1",
            at=AT,
        )
        for n, login in enumerate(["guest", "other", "guest", "other"])
    ]
    assert store.previous_upload_id("guest", ids[2]) == ids[0]
    assert store.previous_upload_id("other", ids[3]) == ids[1]
    assert store.previous_upload_id("guest", ids[0]) == 0
