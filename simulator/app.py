"""The fake platform in one object: FTP/FTPS server, poller, store, clock and HTTP API.

``Simulator`` is what ``smsftp serve`` runs, what the pytest plugin starts, and
what a test can use directly::

    with Simulator() as sim:  # ephemeral ports, temporary state, frozen clock
        ftp = ftplib.FTP()
        ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.login("guest", "guest")
        ftp.storbinary("STOR guest_20261125120000.zip", archive)
        sim.advance(10)  # the poll that fell due runs before this returns
        assert sim.archive("guest_20261125120000.zip").status == "accepted"

Start-up order matters for crash safety and for speed: the store recovers first
(claims without a verdict, transfers cut by the crash), then the FTP listener
opens (a login works from here), then the poller's schedule starts.  The HTTP API
starts only when something asks for it (``api_url``, ``start_api``): FastAPI and
uvicorn take four times longer to import and start than everything before them,
and most tests never use them.

Time and freezegun: the default clock is a ``FrozenClock`` at the current second
(read through ``datetime.now``, so inside ``freeze_time`` it is the frozen time);
``SystemClock`` reads ``datetime.now`` on every call and follows ``freeze_time``
too.  The simulator's own timers never read frozen time: pyftpdlib's scheduler,
the HTTP server's event loop and every wait with a deadline use
``smsftp.simulator.service.clock.real_monotonic``, which freezegun does not patch.  So no
freezegun configuration is needed.  Adding ``freezegun.configure(
extend_ignore_list=["pyftpdlib", "uvicorn", "asyncio"])`` does no harm either.
"""

from __future__ import annotations

import ipaddress
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from smsftp.simulator.errors import FrozenClockRequired, NotStarted
from smsftp.simulator.rules.accounts import Account, demo_account
from smsftp.simulator.rules.schedule import ZoneLookup
from smsftp.simulator.service.clock import Clock, FrozenClock, SystemClock, real_monotonic
from smsftp.simulator.service.faults import (
    Fault,
    FaultRegistry,
    FaultSpec,
    PollFaults,
    parse_fault,
    specs_from_accounts,
)
from smsftp.simulator.service.journal import Journal, log_event, recover
from smsftp.simulator.service.limits import (
    DEFAULT_FOLDER_QUOTA,
    DEFAULT_LOGIN_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
    FtpLimits,
)
from smsftp.simulator.service.statelock import StateLock
from smsftp.simulator.service.store import (
    ArchiveRecord,
    FailedLogin,
    FaultEvent,
    FolderNote,
    MessageRecord,
    PollRecord,
    Store,
    UploadRecord,
)
from smsftp.simulator.service.throttle import DEFAULT_BACKOFF, DEFAULT_FAILURES, LoginThrottle, ThrottlePolicy

if TYPE_CHECKING:
    from smsftp.simulator.service.ftpserver import FtpService
    from smsftp.simulator.service.poller import Poller, PollOutcome
    from smsftp.simulator.web.api import ApiServer
    from smsftp.simulator.web.limits import ApiSettings

TlsPolicy = Literal["off", "optional", "required"]
DATABASE = "smsftp.sqlite3"


def _new_token() -> str:
    import secrets  # only off loopback: not worth its import time on every start

    return secrets.token_urlsafe(18)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Simulator:
    """The fake platform; a context manager.  Every API below is safe from any thread."""

    def __init__(
        self,
        *,
        accounts: Mapping[str, Account] | None = None,
        state_dir: str | Path | None = None,
        host: str = "127.0.0.1",
        ftp_port: int = 0,
        api_port: int | None = 0,
        tls: TlsPolicy = "optional",
        cert: Path | None = None,
        key: Path | None = None,
        clock: Clock | None = None,
        poll_interval: float = 10.0,
        naive_poller: bool = False,
        api_token: str | None = None,
        max_store_bytes: int | None = None,
        resolver: ZoneLookup | None = None,
        faults: Sequence[FaultSpec] = (),
        api_settings: ApiSettings | None = None,
        ftp_max_connections_per_address: int = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
        ftp_login_timeout: float = DEFAULT_LOGIN_TIMEOUT,
        ftp_folder_quota: int = DEFAULT_FOLDER_QUOTA,
        login_failures: int = DEFAULT_FAILURES,
        login_backoff: float = DEFAULT_BACKOFF,
    ) -> None:
        if tls not in ("off", "optional", "required"):
            raise ValueError(f"tls must be off, optional or required, not {tls!r}")
        if poll_interval <= 0:
            raise ValueError("poll_interval must be positive")
        self.ftp_limits = FtpLimits(ftp_max_connections_per_address, ftp_login_timeout, ftp_folder_quota)
        # One throttle for FTP and the cabinet: a password guesser cannot switch doors.
        self.login_throttle = LoginThrottle(ThrottlePolicy(login_failures, login_backoff))
        self._accounts: dict[str, Account] = dict(accounts) if accounts is not None else {"guest": demo_account()}
        self._initial_accounts = self._accounts  # what ``restore`` goes back to
        self._accounts_lock = threading.Lock()
        self._state_arg = state_dir
        self.host = host
        self._ftp_port_arg, self._api_port_arg = ftp_port, api_port
        self.tls: TlsPolicy = tls
        self._cert_arg, self._key_arg = cert, key
        self.clock: Clock = clock if clock is not None else FrozenClock()
        self.poll_interval = poll_interval
        self.naive_poller = naive_poller
        self.max_store_bytes = max_store_bytes  # the SQLite file's cap; None: only the disk's
        self.resolver = resolver  # recipients' time zones (localtime=1); None: the shipped numbering table
        # Off loopback the API is reachable by others: a token is then required, made up if not given.
        self.api_token = api_token or (None if is_loopback(host) else _new_token())
        self._api_settings = api_settings  # the HTTP side's limits; None: its documented defaults
        self.state_dir: Path | None = None
        self.cert_path: Path | None = None
        self.key_path: Path | None = None
        self.ftp_host, self.ftp_port = host, ftp_port
        self._api_url: str | None = None
        self._start_instant: datetime | None = None
        self._temporary: Path | None = None
        self._state_lock: StateLock | None = None
        self._clock_keeper: _ClockKeeper | None = None
        self._store: Store | None = None
        self._journal: Journal | None = None
        self._poller: Poller | None = None
        self._ftp: FtpService | None = None
        self._api: ApiServer | None = None
        self._api_lock = threading.Lock()
        # One list for the FTP server's loop and the poller, appended to only: a reader keeps an index.
        self._errors: list[BaseException] = []
        self.started = False
        # Faults on demand: from the command line, the accounts file, the API and ``fault()``.
        self.faults = FaultRegistry(self.clock)
        for spec in faults:
            self.faults.add(spec, "cli")
        for spec in specs_from_accounts(self._accounts, self.clock.now()):
            self.faults.add(spec, "accounts")

    # --- life cycle ---------------------------------------------------------------------------------
    def start(self) -> Simulator:
        if self.started:
            return self
        database, ftp_root = self._prepare_state()  # takes the state folder's lock first
        try:
            self._start(database, ftp_root)
        except BaseException:
            self._abandon_start()
            raise
        return self

    def _start(self, database: str, ftp_root: Path) -> None:
        from smsftp.simulator.service.ftpserver import FtpService

        self._store = store = Store(database, max_bytes=self.max_store_bytes)
        if isinstance(self.clock, FrozenClock) and self._temporary is None:
            self._clock_keeper = _ClockKeeper(self.clock, store).resume()
        self._journal = journal = Journal(store, self.clock)
        self.faults.attach(store.fault_recorded)
        recover(store, self.clock.now())
        journal.start()
        self._ftp = FtpService(
            host=self.host,
            port=self._ftp_port_arg,
            root=ftp_root,
            accounts=self._account_map,
            journal=journal,
            tls=self.tls,
            ssl_context=self._tls_context(),
            errors=self._errors,
            faults=self.faults,
            limits=self.ftp_limits,
            throttle=self.login_throttle,
        )
        self.ftp_host, self.ftp_port = self._ftp.host, self._ftp.port
        self._ftp.start()
        from smsftp.simulator.service.poller import Poller  # after the listener: a login need not wait for it

        self._poller = Poller(
            store=store,
            journal=journal,
            root=ftp_root,
            accounts=self._account_map,
            clock=self.clock,
            interval=self.poll_interval,
            naive=self.naive_poller,
            errors=self._errors,
            work=self._work_folder(),
            resolver=self.resolver,
            faults=PollFaults(self.faults),
        )
        self._poller.start()
        self.started = True
        if isinstance(self.clock, FrozenClock):
            self._start_instant = self.clock.now()
        log_event(
            "start",
            ftp=f"{self.ftp_host}:{self.ftp_port}",
            tls=self.tls,
            state=self.state_dir,
            clock="frozen" if self.clock.frozen else "system",
            at=self.clock.now(),
        )

    def _abandon_start(self) -> None:
        """A start that failed half-way (a port in use): undo what it opened, the lock last."""
        for part in (self._poller, self._ftp, self._api):
            if part is not None:
                try:
                    part.stop()
                except Exception:  # the start's own error is the one to report
                    log_event("stop-failed", part=type(part).__name__)
        if self._clock_keeper is not None:
            self._clock_keeper.release()
            self._clock_keeper = None
        if self._journal is not None:
            self._journal.close()
        if self._store is not None:
            self._store.close()
        self._poller = self._ftp = self._api = self._journal = self._store = None
        self._release_state()

    def _release_state(self) -> None:
        if self._state_lock is not None:
            self._state_lock.release()
            self._state_lock = None
        if self._temporary is not None:
            import shutil

            shutil.rmtree(self._temporary, ignore_errors=True)
            self._temporary = None

    @property
    def api_url(self) -> str | None:
        """The HTTP API's base URL, starting the API on first use; None when made with ``api_port=None``."""
        if self._api_url is None and self._api_port_arg is not None and self.started:
            self.start_api()
        return self._api_url

    def start_api(self) -> str:
        """Start the HTTP API now (``smsftp serve`` does, to report a busy port at once); its URL."""
        if not self.started:
            raise RuntimeError("the simulator is not started")
        if self._api_port_arg is None:
            raise RuntimeError("this simulator was made without an HTTP API (api_port=None)")
        with self._api_lock:
            if self._api is None:
                with _real_datetime_for_imports():
                    from smsftp.simulator.web.api import ApiServer, create_app

                    api = ApiServer(create_app(self, self._api_settings), self.host, self._api_port_arg)
                api.start()
                self._api, self._api_url = api, api.url
        assert self._api_url is not None
        return self._api_url

    def _prepare_state(self) -> tuple[str, Path]:
        if self._state_arg is None or str(self._state_arg) == ":memory:":
            import tempfile

            self._temporary = Path(tempfile.mkdtemp(prefix="smsftp-"))
            self.state_dir = self._temporary
            database = ":memory:" if self._state_arg is not None else str(self._temporary / DATABASE)
        else:
            self.state_dir = Path(self._state_arg).resolve()
            self.state_dir.mkdir(parents=True, exist_ok=True)
            # Before recovery, the certificate or any port: a second server must touch nothing here.
            self._state_lock = StateLock(self.state_dir).acquire()
            database = str(self.state_dir / DATABASE)
        root = self.state_dir / "ftp"
        root.mkdir(exist_ok=True)
        return database, root

    def _work_folder(self) -> Path:
        """The poller's claimed copies, on the state folder's file system (an archive may be big)."""
        assert self.state_dir is not None
        work = self.state_dir / "work"
        work.mkdir(exist_ok=True)
        return work

    def _tls_context(self) -> Any:
        if self.tls == "off":
            return None
        from smsftp.simulator.service.tls import ensure_certificate, load_pair, server_context

        assert self.state_dir is not None
        pair = (
            load_pair(self._cert_arg, self._key_arg) if self._cert_arg else ensure_certificate(self.state_dir / "tls")
        )
        self.cert_path, self.key_path = pair.cert, pair.key
        return server_context(pair)

    def stop(self) -> None:
        """Finish the archive in progress, close every connection, keep nothing temporary."""
        if not self.started:
            return
        self.started = False  # ends every wait_for_archive
        assert self._poller and self._ftp and self._journal and self._store
        self._poller.stop()
        self._ftp.stop()
        with self._api_lock:
            if self._api is not None:
                self._api.stop()
                self._api, self._api_url = None, None
        if self._clock_keeper is not None:
            self._clock_keeper.release()
            self._clock_keeper = None
        self._journal.close()
        self._store.close()
        log_event("stop", polls=self._poller.polls)
        self._release_state()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def store(self) -> Store:
        if self._store is None:
            raise NotStarted("the simulator is not started")
        return self._store

    @property
    def poller(self) -> Poller:
        if self._poller is None:
            raise NotStarted("the simulator is not started")
        return self._poller

    # --- accounts ----------------------------------------------------------------------------------
    def _account_map(self) -> Mapping[str, Account]:
        return self._accounts  # replaced, never mutated: readers in other threads see a whole map

    @property
    def accounts(self) -> Mapping[str, Account]:
        return self._accounts

    def add_account(self, account: Account) -> None:
        specs = specs_from_accounts({account.login: account}, self.clock.now())  # a bad fault adds nothing
        with self._accounts_lock:
            self._accounts = {**self._accounts, account.login: account}
        if self.state_dir is not None:
            (self.state_dir / "ftp" / account.login).mkdir(parents=True, exist_ok=True)
        for spec in specs:
            self.faults.add(spec, "accounts")

    # --- faults on demand ----------------------------------------------------------------------------
    def fault(self, on: str, **keys: Any) -> FaultHandle:
        """Add a fault (the HTTP API's keys, ``from`` as ``start``, ``for`` as ``duration``); a context manager.

        ``with sim.fault("STOR", login="guest", reply=452, times=1) as fault: ...`` removes it on exit;
        ``fault.fired`` says how often it fired, ``fault.events()`` what the client met.
        """
        data: dict[str, Any] = {"on": on, **keys}
        if "start" in data:
            data["from"] = data.pop("start")
        if "duration" in data:
            data["for"] = data.pop("duration")
        for key in ("from", "until"):
            if isinstance(data.get(key), datetime):
                data[key] = data[key].isoformat()
        return FaultHandle(self, self.faults.add(parse_fault(data, self.clock.now(), f"fault({on!r})"), "python"))

    def fault_events(self, login: str | None = None) -> list[FaultEvent]:
        """Every fault a client met, oldest first (also ``GET /api/faults/events``)."""
        return self.store.fault_events(login)

    # --- time and polling --------------------------------------------------------------------------
    def _frozen(self, what: str) -> FrozenClock:
        if not isinstance(self.clock, FrozenClock):
            raise FrozenClockRequired(f"{what} needs a frozen clock; this simulator runs on the system clock")
        return self.clock

    def advance(self, seconds: float) -> None:
        """Move the clock forward; the polls that fell due run, in order, before this returns.

        A frozen clock stops at every poll on the way.  The system clock is pushed forward
        (``SystemClock.skip``) and the poll that fell due in the span runs at once.
        """
        if isinstance(self.clock, FrozenClock):
            self.clock.advance(seconds)
        elif isinstance(self.clock, SystemClock):
            self.clock.skip(seconds)
            self.poller.skipped(seconds)
        else:
            raise FrozenClockRequired("advance() needs a FrozenClock or a SystemClock")

    def set_time(self, instant: datetime) -> None:
        self._frozen("set_time()").set(instant)

    def poll_now(self) -> PollOutcome:
        return self.poller.poll(self.clock.now())

    @property
    def errors(self) -> list[BaseException]:
        """Exceptions caught in the FTP server's loop and in the poller, oldest first (our bugs, never
        the client's input).  Only ever appended to, across ``reset``: remember ``len`` and look past it."""
        return self._errors

    # --- health ------------------------------------------------------------------------------------
    def readiness(self) -> dict[str, bool]:
        """Which parts are up: the FTP server's loop, the poller, the store."""
        return {
            "ftp": self.started and self._ftp is not None and self._ftp.alive,
            "poller": self.started and self._poller is not None and self._poller.alive,
            "store": self.started and self._store is not None and self._store.usable(),
        }

    def poller_health(self) -> dict[str, Any]:
        """The poller's liveness, polls and the folders it could not poll (login: failed polls)."""
        poller = self.poller
        return {
            "alive": poller.alive,
            "polls": poller.polls,
            "deferred_store_full": poller.deferred,
            "folder_failures": dict(poller.folder_failures),
            "last_failure": poller.last_failure,
        }

    # --- records -----------------------------------------------------------------------------------
    def uploads(self, login: str | None = None) -> list[UploadRecord]:
        assert self._journal is not None, "the simulator is not started"
        return self._journal.uploads(login)

    def archives(self, login: str | None = None) -> list[ArchiveRecord]:
        return self.store.archives(login)

    def archive(self, name: str, login: str | None = None) -> ArchiveRecord | None:
        return self.store.archive(name, login)

    def messages(
        self,
        login: str | None = None,
        archive: str | None = None,
        phone: str | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[MessageRecord]:
        return self.store.messages(login, archive, phone, limit=limit, offset=offset)

    def failed_logins(self, login: str | None = None) -> list[FailedLogin]:
        return self.store.failed_logins(login)

    def login_failed(self, login: str, address: str, *, tls: bool) -> None:
        """A failed sign-in outside FTP (the cabinet): recorded and throttled like a failed FTP login."""
        assert self._journal is not None, "the simulator is not started"
        self.login_throttle.failed(address, login)
        self._journal.login_failed(login, address, tls)

    def login_retry_after(self, login: str, address: str) -> float:
        """Seconds before ``login`` may be tried from ``address`` again (0.0: now), FTP and cabinet alike."""
        return self.login_throttle.retry_after(address, login)

    def notes(self, login: str | None = None) -> list[FolderNote]:
        return self.store.notes(login)

    def polls(self, limit: int = 100) -> list[PollRecord]:
        return self.store.polls(limit)

    def folder(self, login: str) -> list[str]:
        """File names now in the account's FTP folder (top level, as the poller sees it)."""
        path = self._folder(login)
        if not path.is_dir():
            return []
        return sorted(p.name for p in path.iterdir() if p.is_file() and not p.is_symlink())

    def _folder(self, login: str) -> Path:
        if self.state_dir is None:
            raise NotStarted("the simulator is not started")
        return self.state_dir / "ftp" / login

    def awaiting(self, name: str, login: str | None) -> bool:
        """Whether a file of that name still waits in a folder: a newer verdict is coming."""
        logins = [login] if login is not None else list(self._accounts)
        return any((self._folder(lg) / name).is_file() for lg in logins)

    def wait_for_archive(self, name: str, timeout: float, login: str | None = None) -> ArchiveRecord | None:
        """The archive's final record once processed; None at the deadline.

        A record that is final while a file of the same name still waits in the
        folder (a repeated upload, Q17) is not the answer yet.
        """
        deadline = real_monotonic() + timeout
        store = self.store
        with store.changed:
            while True:
                record = store.archive(name, login)
                if record is not None and record.final and not self.awaiting(name, login):
                    return record
                remaining = deadline - real_monotonic()
                if remaining <= 0 or not self.started:
                    return None
                # Files disappear without a store notification: look again at least every 50 ms.
                store.changed.wait(min(remaining, 0.05))

    def reset(self) -> None:
        """Forget uploads, archives, messages and failed logins (and their throttling) and empty every
        folder; accounts and clock stay."""
        import shutil

        poller = self.poller
        with poller.paused():
            self.store.reset()
            self.faults.clear(("api", "python"))  # configured faults stay, their counters start again
            self.login_throttle.reset()
            root = self._folder("")
            for folder in root.iterdir():
                if folder.is_dir() and not folder.is_symlink():
                    for child in folder.iterdir():
                        if child.is_dir() and not child.is_symlink():
                            shutil.rmtree(child, ignore_errors=True)
                        else:
                            child.unlink(missing_ok=True)
        log_event("reset")

    def restore(self) -> None:
        """Back to the state it started in: ``reset``, the accounts it was made with (folders of
        accounts added since are removed) and, on a frozen clock, the instant it started at.

        The pytest plugin calls this before every test, so no test sees another one's state.
        """
        import shutil

        with self._accounts_lock:
            added = set(self._accounts) - set(self._initial_accounts)
            self._accounts = self._initial_accounts
        self.reset()
        for login in added:
            shutil.rmtree(self._folder(login), ignore_errors=True)
        if isinstance(self.clock, FrozenClock) and self._start_instant is not None:
            self.clock.set(self._start_instant)  # backwards: the poll schedule starts again from there
        log_event("restore")


class _ClockKeeper:
    """Keeps a frozen clock's instant in the state folder at every stop, and resumes from it.

    A restart that started the clock afresh would make ``processed_at`` go backwards; the clock
    resumes at the later of the instant it was given and the one saved (a ``--at`` in the past is
    overruled, and logged).
    """

    def __init__(self, clock: FrozenClock, store: Store) -> None:
        self.clock, self.store = clock, store

    def resume(self) -> _ClockKeeper:
        saved = self.store.saved_clock()
        if saved is not None and saved > self.clock.now():
            log_event("clock", given=self.clock.now(), resumed_at=saved, action="resume-saved")
            self.clock.set(saved)
        self.store.clock_saved(self.clock.now())
        self.clock.subscribe(self)
        return self

    def due(self) -> datetime | None:
        return None

    def clock_moved(self, before: datetime, now: datetime, horizon: datetime) -> None:
        self.store.clock_saved(now)

    def release(self) -> None:
        self.clock.unsubscribe(self)


class FaultHandle:
    """A fault added by ``Simulator.fault``; leaving its ``with`` block removes it."""

    def __init__(self, sim: Simulator, fault: Fault) -> None:
        self.sim, self.fault = sim, fault

    @property
    def id(self) -> int:
        return self.fault.id

    @property
    def fired(self) -> int:
        return self.fault.fired

    def events(self) -> list[FaultEvent]:
        return [e for e in self.sim.fault_events() if e.fault_id == self.fault.id]

    def remove(self) -> None:
        self.sim.faults.remove(self.fault.id)

    def __enter__(self) -> FaultHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


@contextmanager
def _real_datetime_for_imports() -> Iterator[None]:
    """Import FastAPI with the real ``datetime`` classes even inside ``freeze_time``.

    pydantic subclasses ``datetime.date`` when imported (FastAPI imports parts of it
    while routes are added); freezegun's ``FakeDate`` makes that a metaclass conflict.
    """
    import datetime as dt

    freezegun_api = sys.modules.get("freezegun.api")
    real_date = getattr(freezegun_api, "real_date", dt.date)
    if dt.date is real_date:
        yield
        return
    fake_date, fake_datetime = dt.date, dt.datetime
    dt.date, dt.datetime = real_date, freezegun_api.real_datetime  # type: ignore[union-attr, misc]
    try:
        yield
    finally:
        dt.date, dt.datetime = fake_date, fake_datetime  # type: ignore[misc]


def wait_until(predicate: Any, timeout: float, interval: float = 0.01) -> bool:
    """Poll ``predicate`` until true or the deadline (real time, freezegun-proof); for tests and tools."""
    deadline = real_monotonic() + timeout
    while not predicate():
        if real_monotonic() >= deadline:
            return False
        time.sleep(interval)
    return True
