"""The poller picks, orders and hands over; nothing else (P1-P4, Q1, Q15, Q17, Q22, Q27).

Files are put into the folder directly and the journal is told what an FTP
server would have told it, so each rule is checked without a network.
"""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from smsftp.simulator.app import wait_until
from smsftp.simulator.rules.accounts import Account, demo_account
from smsftp.simulator.service.clock import FrozenClock, SystemClock
from smsftp.simulator.service.journal import Journal
from smsftp.simulator.service.poller import Poller
from smsftp.simulator.service.store import Store

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CampaignFactory = Callable[..., bytes]


@dataclass
class Rig:
    root: Path
    store: Store
    journal: Journal
    clock: FrozenClock
    poller: Poller
    accounts: dict[str, Account]

    def drop(
        self,
        name: str,
        data: bytes,
        *,
        login: str = "guest",
        upload: str | None = "complete",
        transfer_type: str = "I",
        temp: str | None = None,
        tls: bool = True,
    ) -> Path:
        """Put a file in the folder as an FTP upload would (``upload=None``: no journal entry)."""
        folder = self.root / login
        folder.mkdir(parents=True, exist_ok=True)
        first = temp or name
        (folder / first).write_bytes(data)
        if upload is not None:
            upload_id = self.journal.upload_started(
                login=login,
                filename=first,
                command="STOR",
                transfer_type=transfer_type,
                control_tls=tls,
                data_tls=tls,
                passive=True,
                client="127.0.0.1:1",
            )
            if upload != "in_progress":
                self.journal.upload_ended(
                    upload_id,
                    login=login,
                    filename=first,
                    state=upload,  # type: ignore[arg-type]
                    ending="closed",
                    path=str(folder / first),
                    size=len(data),
                    data_tls=tls,
                )
        if temp is not None:
            (folder / temp).rename(folder / name)
            self.journal.renamed(login, temp, name)
        return folder / name

    def names(self) -> list[str]:
        return [a.name for a in self.store.archives()]


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(naive: bool = False, interval: float = 10.0) -> Rig:
        store = Store(":memory:")
        clock = FrozenClock(START)
        journal = Journal(store, clock)
        accounts = {"guest": demo_account(), "other": Account(login="other", password="x", senders=("TESTSMS",))}
        poller = Poller(
            store=store,
            journal=journal,
            root=tmp_path,
            accounts=lambda: accounts,
            clock=clock,
            interval=interval,
            naive=naive,
        )
        poller.recover()
        poller.start()
        rig = Rig(tmp_path, store, journal, clock, poller, accounts)
        made.append(rig)
        return rig

    yield make
    for rig in made:
        rig.poller.stop()


def test_p1_polls_run_exactly_when_due_each_at_its_instant(
    make_rig: Callable[..., Rig], campaign: CampaignFactory
) -> None:
    """Advancing the frozen clock runs the polls that fell due, in order, at their own instants (P1)."""
    rig = make_rig()
    rig.drop("guest_20261125120000.zip", campaign())
    rig.clock.advance(9.5)
    assert rig.poller.polls == 0 and rig.names() == []
    rig.clock.advance(0.5)
    assert rig.poller.polls == 1
    assert rig.store.archives()[0].processed_at == START + timedelta(seconds=10)
    rig.drop("guest_20261125120001.zip", campaign())
    rig.clock.advance(25)  # due at +20 and +30; the file is taken at +20
    assert rig.poller.polls == 3
    assert rig.store.archives()[1].processed_at == START + timedelta(seconds=20)
    rig.clock.advance(3600 * 24 * 365)  # a year of empty polls is counted, not run one by one
    assert rig.poller.polls == 3 + 6 * 60 * 24 * 365
    assert rig.poller.next_due == START + timedelta(days=365, seconds=40)


def test_p1_setting_the_clock_back_restarts_the_schedule(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.clock.set(START - timedelta(hours=1))
    assert rig.poller.next_due == START - timedelta(hours=1) + timedelta(seconds=10)
    assert rig.poller.polls == 0


def test_p3_q1_the_oldest_name_first_then_completion_then_name(
    make_rig: Callable[..., Rig], campaign: CampaignFactory
) -> None:
    """Q1: by the name's timestamp, whatever the upload order; then upload completion; then the name."""
    rig = make_rig()
    rig.drop("guest_20261125120500.zip", campaign())
    rig.drop("guest_20261125120000.zip", campaign())
    rig.clock.advance(1)
    rig.drop("guest_x.zip", campaign())  # no timestamp: after the named ones, by completion time
    rig.clock.advance(1)
    rig.drop("guest_a.zip", campaign())
    rig.drop("guest_20261125115959.zip", campaign(), login="other")
    rig.poller.poll()
    assert [(a.login, a.name) for a in rig.store.archives()] == [
        ("guest", "guest_20261125120000.zip"),
        ("guest", "guest_20261125120500.zip"),
        ("guest", "guest_x.zip"),
        ("guest", "guest_a.zip"),
        ("other", "guest_20261125115959.zip"),
    ]


def test_q30_one_archive_per_check_when_the_account_says_so(
    make_rig: Callable[..., Rig], campaign: CampaignFactory
) -> None:
    """Q30: by default a check takes every waiting archive; the setting leaves one per check, earliest first."""
    rig = make_rig()
    rig.accounts["guest"] = replace(rig.accounts["guest"], one_archive_per_check=True)
    for name in ("guest_20261125120002.zip", "guest_20261125120000.zip", "guest_20261125120001.zip"):
        rig.drop(name, campaign())
    rig.drop("guest_20261125115959.zip", campaign(), login="other")  # another account is not held back
    rig.clock.advance(10)
    assert sorted(rig.names()) == ["guest_20261125115959.zip", "guest_20261125120000.zip"]
    rig.clock.advance(20)
    processed = {a.name: a.processed_at for a in rig.store.archives() if a.login == "guest"}
    assert processed == {
        "guest_20261125120000.zip": START + timedelta(seconds=10),
        "guest_20261125120001.zip": START + timedelta(seconds=20),
        "guest_20261125120002.zip": START + timedelta(seconds=30),
    }


def test_p2_every_archive_is_deleted_after_processing(make_rig: Callable[..., Rig], campaign: CampaignFactory) -> None:
    """P2, Q16: accepted or rejected, the archive leaves the folder; its verdict stays in the store."""
    rig = make_rig()
    good = rig.drop("guest_20261125120000.zip", campaign(2))
    bad = rig.drop("guest_20261125120001.zip", b"not a zip at all")
    rig.poller.poll()
    assert not good.exists() and not bad.exists()
    statuses = {a.name: (a.status, a.message_count) for a in rig.store.archives()}
    assert statuses == {"guest_20261125120000.zip": ("accepted", 2), "guest_20261125120001.zip": ("rejected", 0)}
    assert len(rig.store.messages(login="guest")) == 2


def test_q15_other_files_stay_and_are_reported_once(make_rig: Callable[..., Rig], campaign: CampaignFactory) -> None:
    """Q15: only exactly `.zip` is an archive; `notes.txt` and `.ZIP` stay, each reported once (SMS803)."""
    rig = make_rig()
    notes = rig.drop("notes.txt", b"hello")
    upper = rig.drop("GUEST_20261125120000.ZIP", campaign())
    rig.poller.poll()
    rig.clock.advance(10)
    assert notes.exists() and upper.exists() and rig.names() == []
    assert [(n.name, n.code) for n in rig.store.notes("guest")] == [
        ("GUEST_20261125120000.ZIP", "SMS803"),
        ("notes.txt", "SMS803"),
    ]
    assert rig.store.notes()[0].first_seen == START


def test_q22_a_file_being_uploaded_is_not_touched(make_rig: Callable[..., Rig], campaign: CampaignFactory) -> None:
    """Q22: while the journal says the upload runs, the poller leaves the file alone."""
    rig = make_rig()
    path = rig.drop("guest_20261125120000.zip", campaign(), upload="in_progress")
    outcome = rig.poller.poll()
    assert (outcome.found, outcome.skipped) == (0, 1) and path.exists() and rig.names() == []


def test_q22_the_naive_poller_takes_it_anyway(make_rig: Callable[..., Rig], campaign: CampaignFactory) -> None:
    """Q22 naive: half a file under the final name is taken and rejected as incomplete (SMS802)."""
    rig = make_rig(naive=True)
    data = campaign(50)
    path = rig.drop("guest_20261125120000.zip", data[: len(data) // 2], upload="in_progress")
    rig.poller.poll()
    [archive] = rig.store.archives()
    assert archive.status == "rejected"
    codes = [d.code for d in archive.diagnostics]
    assert "SMS802" in codes and "SMS805" in codes
    assert not path.exists()


def test_q17_a_repeated_name_is_processed_again_with_a_warning(
    make_rig: Callable[..., Rig], campaign: CampaignFactory
) -> None:
    rig = make_rig()
    rig.drop("guest_20261125120000.zip", campaign(1))
    rig.poller.poll()
    rig.drop("guest_20261125120000.zip", campaign(1))
    rig.poller.poll()
    first, second = rig.store.archives()
    assert "SMS804" not in [d.code for d in first.diagnostics]
    assert "SMS804" in [d.code for d in second.diagnostics] and second.status == "accepted"
    assert len(rig.store.messages()) == 2


def test_q22_t1_upload_facts_become_warnings(make_rig: Callable[..., Rig], campaign: CampaignFactory) -> None:
    """A temporary name and TLS give no warning; a direct, plain upload gets SMS805 and SMS806."""
    rig = make_rig()
    rig.drop("guest_20261125120000.zip", campaign(), temp="guest_20261125120000.zip.part", tls=True)
    rig.drop("guest_20261125120001.zip", campaign(), tls=False)
    rig.drop("guest_20261125120002.zip", campaign(), upload=None)
    rig.poller.poll()
    codes = {a.name: [d.code for d in a.diagnostics] for a in rig.store.archives()}
    assert codes == {
        "guest_20261125120000.zip": [],
        "guest_20261125120001.zip": ["SMS805", "SMS806"],
        "guest_20261125120002.zip": [],
    }


def test_q22_an_aborted_upload_is_processed_and_says_so(
    make_rig: Callable[..., Rig], campaign: CampaignFactory
) -> None:
    rig = make_rig()
    data = campaign(40)
    rig.drop("guest_20261125120000.zip", data[:100], upload="aborted")
    rig.poller.poll()
    [archive] = rig.store.archives()
    assert archive.status == "rejected" and "SMS807" in [d.code for d in archive.diagnostics]


def test_q27_an_ascii_mode_upload_is_diagnosed(make_rig: Callable[..., Rig]) -> None:
    """Q27: a stored zip whose CRLF became LF, uploaded with TYPE A, is rejected with SMS801."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as stored:
        stored.writestr("sms/contacts.csv", "phone;attr1\r\n79031230000;Anna\r\n")
        stored.writestr("sms/template.csv", "message;sourceaddress\r\nHello #attr1#!;TESTSMS\r\n")
    rig = make_rig()
    rig.drop("guest_20261125120000.zip", buffer.getvalue().replace(b"\r\n", b"\n"), transfer_type="A")
    rig.poller.poll()
    [archive] = rig.store.archives()
    assert archive.status == "rejected" and archive.diagnostics[0].code == "SMS801"
    assert rig.poller.errors == []


def test_p4_one_archive_at_a_time(
    make_rig: Callable[..., Rig], campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P4: polls started from several threads never process two archives at once."""
    active, peak = [0], [0]
    real = Poller._judge

    def counting(self: Poller, *args: Any) -> Any:
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        try:
            return real(self, *args)
        finally:
            active[0] -= 1

    monkeypatch.setattr(Poller, "_judge", counting)
    rig = make_rig()
    for second in range(6):
        rig.drop(f"guest_2026112512000{second}.zip", campaign())
    threads = [threading.Thread(target=rig.poller.poll) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert peak[0] == 1 and len(rig.names()) == 6


def test_p1_a_system_clock_polls_on_a_timer(tmp_path: Path, campaign: CampaignFactory) -> None:
    store = Store(":memory:")
    clock = SystemClock()
    journal = Journal(store, clock)
    poller = Poller(
        store=store,
        journal=journal,
        root=tmp_path,
        accounts=lambda: {"guest": demo_account()},
        clock=clock,
        interval=0.05,
    )
    (tmp_path / "guest").mkdir()
    (tmp_path / "guest" / "guest_20261125120000.zip").write_bytes(campaign())
    poller.start()
    try:
        assert wait_until(lambda: len(store.archives()) == 1 and store.archives()[0].final, 5)
        assert poller.next_due is None
    finally:
        poller.stop()
    assert not (tmp_path / "guest" / "guest_20261125120000.zip").exists()


def test_p2_recovery_deletes_what_was_processed_and_redoes_what_was_not(
    make_rig: Callable[..., Rig], campaign: CampaignFactory
) -> None:
    """Exactly once: a verdict whose file survived (crash before delete) is not redone; a bare claim is."""
    rig = make_rig()
    done = rig.drop("guest_20261125120000.zip", campaign(2))
    rig.poller.poll()
    done.write_bytes(campaign(2))  # the same bytes, but a new file: a repeated upload, processed again (Q17)
    rig.poller.poll()
    assert len(rig.store.archives()) == 2

    leftover = rig.drop("guest_20261125120001.zip", campaign(3), upload=None)
    import hashlib
    import os

    st = os.stat(leftover)
    sha = hashlib.sha256(leftover.read_bytes()).hexdigest()
    archive_id = rig.store.claim(
        login="guest",
        name=leftover.name,
        upload_id=None,
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        sha256=sha,
        received_at=START,
    )
    rig.store.finish(
        archive_id,
        status="accepted",
        mode="template",
        message_count=0,
        rejected_rows=0,
        diagnostics=[],
        processed_at=START,
    )
    rig.poller.poll()  # a crash hit between the verdict and the deletion
    assert not leftover.exists() and len(rig.store.archives()) == 3

    pending = rig.drop("guest_20261125120002.zip", campaign(4), upload=None)
    rig.store.claim(login="guest", name=pending.name, upload_id=None, size=1, mtime_ns=1, sha256="x", received_at=START)
    rig.poller.recover()  # start-up after a crash during processing
    rig.poller.poll()
    assert [a.status for a in rig.store.archives(name=pending.name)] == ["accepted"]
    assert rig.store.archive(pending.name).message_count == 4  # type: ignore[union-attr]


class _Dropper:
    """Another clock listener: an archive arrives at each of its instants, in the middle of an advance."""

    def __init__(self, rig: Rig, campaign: CampaignFactory, instants: list[datetime]) -> None:
        self.rig, self.campaign, self.instants = rig, campaign, instants

    def due(self) -> datetime | None:
        return self.instants[0] if self.instants else None

    def clock_moved(self, before: datetime, now: datetime, horizon: datetime) -> None:
        while self.instants and self.instants[0] <= now:
            self.instants.pop(0)
            self.rig.drop(f"guest_{now:%Y%m%d%H%M%S}.zip", self.campaign(1))


def test_p1_each_poll_of_an_advance_runs_with_the_clock_at_its_instant(
    make_rig: Callable[..., Rig], campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P1: advance(35) stops at +10, +20, +30; each poll, and each upload on the way, sees its own instant."""
    rig = make_rig()
    seen: list[tuple[datetime, datetime]] = []
    real = Poller._judge

    def spy(self: Poller, c: Any, account: Account, at: datetime, *rest: Any) -> Any:
        seen.append((at, rig.clock.now()))
        return real(self, c, account, at, *rest)

    monkeypatch.setattr(Poller, "_judge", spy)
    rig.clock.subscribe(_Dropper(rig, campaign, [START + timedelta(seconds=s) for s in (5, 15, 25)]))
    assert rig.clock.advance(35) == START + timedelta(seconds=35)
    polls = [START + timedelta(seconds=s) for s in (10, 20, 30)]
    assert [p.at for p in rig.store.polls()] == polls and rig.poller.polls == 3
    assert [(a.name, a.processed_at) for a in rig.store.archives()] == [
        (f"guest_{t - timedelta(seconds=5):%Y%m%d%H%M%S}.zip", t) for t in polls
    ]
    assert seen == [(t, t) for t in polls]
    assert [u.started_at for u in rig.store.uploads()] == [t - timedelta(seconds=5) for t in polls]
    assert [a.received_at for a in rig.store.archives()] == [t - timedelta(seconds=5) for t in polls]


def test_p1_idle_polls_are_skipped_only_up_to_the_next_listener(
    make_rig: Callable[..., Rig], campaign: CampaignFactory
) -> None:
    """An hour with one upload at +30 min: the poll right after it takes it; the rest is only counted."""
    rig = make_rig()
    rig.clock.subscribe(_Dropper(rig, campaign, [START + timedelta(minutes=30, seconds=5)]))
    rig.clock.advance(3600)
    [archive] = rig.store.archives()
    assert archive.processed_at == START + timedelta(minutes=30, seconds=10)
    assert rig.poller.polls == 360 and rig.poller.next_due == START + timedelta(seconds=3610)


def test_q22_an_upload_that_begins_while_the_file_is_read_waits(
    make_rig: Callable[..., Rig], campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q22: asked again after reading: a STOR of the same name that began meanwhile defers the file."""
    import smsftp.simulator.service.poller as poller_module

    rig = make_rig()
    name = "guest_20261125120000.zip"
    rig.drop(name, campaign(2))
    started: list[int] = []
    real = poller_module._copy_hashing

    def racing(source: Any, copy: Any) -> tuple[str, int]:
        if not started:
            started.append(
                rig.journal.upload_started(
                    login="guest",
                    filename=name,
                    command="STOR",
                    transfer_type="I",
                    control_tls=True,
                    data_tls=True,
                    passive=True,
                    client="127.0.0.1:2",
                )
            )
        return real(source, copy)

    monkeypatch.setattr(poller_module, "_copy_hashing", racing)
    outcome = rig.poller.poll()
    assert (outcome.processed, outcome.skipped) == (0, 1) and rig.names() == []
    assert rig.poller.poll().skipped == 1  # still running
    rig.journal.upload_ended(
        started[0],
        login="guest",
        filename=name,
        state="complete",
        ending="closed",
        path=str(rig.root / "guest" / name),
        size=None,
        data_tls=True,
    )
    assert rig.poller.poll().processed == 1
    [archive] = rig.store.archives()
    assert archive.status == "accepted" and archive.upload_id == started[0]


def test_q22_a_file_that_grows_while_it_is_read_waits(
    make_rig: Callable[..., Rig], campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Q22, belt and braces: a file whose size moved while the poller read it (a writer the journal does not
    know) is put back for the next poll, never judged on a torn read."""
    import smsftp.simulator.service.poller as poller_module

    rig = make_rig()
    path = rig.drop("guest_20261125120000.zip", campaign(2), upload=None)
    data = path.read_bytes()
    path.write_bytes(data[:100])
    real = poller_module._copy_hashing

    def growing(source: Any, copy: Any) -> tuple[str, int]:
        digest = real(source, copy)
        path.write_bytes(data)  # the rest arrives after the poller's read
        return digest

    monkeypatch.setattr(poller_module, "_copy_hashing", growing)
    assert rig.poller.poll().skipped == 1 and rig.names() == []
    monkeypatch.setattr(poller_module, "_copy_hashing", real)
    assert rig.poller.poll().processed == 1
    assert rig.store.archives()[0].status == "accepted"


def test_p2_a_crash_inside_processing_is_rejected_with_sms222(
    make_rig: Callable[..., Rig], campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """P2: our bug while judging: the archive is rejected with SMS222 (naming the exception) and deleted."""
    rig = make_rig()
    path = rig.drop("guest_20261125120000.zip", campaign(3))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("phone")

    monkeypatch.setattr("smsftp.simulator.rules.processing.process_archive", broken)
    assert rig.poller.poll().processed == 1
    [archive] = rig.store.archives()
    assert archive.status == "rejected" and not path.exists() and rig.store.messages() == []
    [sms222] = [d for d in archive.diagnostics if d.code == "SMS222"]
    assert sms222.severity == "error" and sms222.statement == "P2"
    assert "KeyError: 'phone'" in sms222.message and "guest_20261125120000.zip" in sms222.message
    assert [type(e) for e in rig.poller.errors] == [KeyError]
