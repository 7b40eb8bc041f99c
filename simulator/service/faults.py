"""Faults on demand: what a real FTP server and platform do to a client on a bad day.

A *fault* is one behaviour (``reply``, ``delay``, ``rate``, ``cut_after``,
``reset_after``, ``refuse_tls``, ``drop``, or on the platform side ``late``,
``outage``, ``stuck``) on one command (``on``: ``CONNECT``, any FTP command, or
``POLL``), for one account or all of them, and a *when*: ``times`` (at most that
many firings; 1 is one-shot), ``every`` (every Nth matching command), a seeded
``probability``, a time window on the simulator's clock (``from``/``until``, or
``for`` seconds from when the fault is added).  Conditions combine: all must hold.

The same dictionary comes from the HTTP API (``POST /api/faults``), an account's
``faults`` list in the accounts file, ``Simulator.fault(...)`` and, after
``parse_compact``, ``smsftp serve --fault``.  The compact syntax::

    ON[@LOGIN]:ITEM[,ITEM...]      ITEM: a reply code, a flag, or KEY=VALUE

    STOR@guest:452,times=1         the first STOR of guest is answered 452
    CONNECT:421,every=2            every second connection is greeted with 421
    STOR:cut_after=1000            data connections of STOR close after 1000 bytes
    AUTH:refuse_tls                AUTH TLS is accepted, then the handshake fails
    POLL:late=300,times=1          the next poll runs five minutes late

The registry only decides and counts; the FTP adapter (``ftpfaults``) and the
poller apply what fired, and every application is recorded in the store as a
``FaultEvent`` (``record``), beside the upload it hit, for the API, the cabinet
and the client judge.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from smsftp.simulator.rules.instants import format_instant, parse_instant
from smsftp.simulator.service.clock import Clock

CONNECT = "CONNECT"
POLL = "POLL"
DATA_COMMANDS = frozenset({"STOR", "APPE", "STOU"})
ACTIONS = ("reply", "delay", "rate", "cut_after", "reset_after", "refuse_tls", "drop", "late", "outage", "stuck")
POLL_ACTIONS = frozenset({"late", "outage", "stuck"})
FLAGS = frozenset({"refuse_tls", "drop", "outage"})
MAX_DELAY = 600.0  # seconds: a longer latency is a hung server, which ``drop`` models better
MAX_WINDOW = 10 * 366 * 86400.0  # seconds: a fault's window or a poll's lateness, ten years at most


class FaultError(ValueError):
    """A fault description that cannot be used; the message says which key and why."""


@dataclass(frozen=True)
class FaultSpec:
    """What to do, on which command, for whom, and when."""

    on: str
    login: str | None = None
    reply: int | None = None
    message: str | None = None
    delay: float | None = None  # seconds before the command is carried out
    rate: int | None = None  # bytes per second on the upload's data connection
    cut_after: int | None = None  # the data connection is closed after this many bytes
    reset_after: int | None = None  # ... or reset (TCP RST) after this many bytes
    refuse_tls: bool = False  # AUTH TLS answered 234, then the handshake is broken off
    drop: bool = False  # the control connection is closed once the command was answered
    late: float | None = None  # POLL: the poll runs this many seconds after it fell due
    outage: bool = False  # POLL: the account's folder is not looked at
    stuck: int | None = None  # POLL: each archive is left alone for this many polls
    times: int | None = None
    every: int | None = None
    probability: float | None = None
    seed: int | None = None
    start: datetime | None = None
    until: datetime | None = None

    @property
    def kind(self) -> str:
        """The action's key (``reply``, ``cut_after``, ...)."""
        for name in ACTIONS:
            value = getattr(self, name)
            if value is not None and value is not False:
                return name
        return "none"

    @property
    def transient(self) -> bool:
        """Whether a client should retry after meeting it (a 5xx reply is permanent)."""
        return not (self.reply is not None and self.reply >= 500)

    def compact(self) -> str:
        """The fault in ``--fault`` syntax (``STOR@guest:452,times=1``)."""
        items: list[str] = []
        for key, value in self.to_json().items():
            if key in ("on", "login"):
                continue
            if key == "reply":
                items.insert(0, str(value))
            elif value is True:
                items.append(key)
            else:
                items.append(f"{key}={value:g}" if isinstance(value, float) else f"{key}={value}")
        return f"{self.on}{'@' + self.login if self.login else ''}:{','.join(items)}"

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value is False:
                continue
            key = "from" if f.name == "start" else f.name
            data[key] = format_instant(value) if isinstance(value, datetime) else value
        return data


def parse_fault(data: Mapping[str, Any], now: datetime, source: str = "fault") -> FaultSpec:
    """A ``FaultSpec`` from the JSON/TOML shape; ``for`` is counted from ``now``."""
    if not isinstance(data, Mapping):
        raise FaultError(f"{source}: a fault is a table of keys, not {data!r}")
    known = {f.name for f in fields(FaultSpec)} - {"start"} | {"from", "for"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise FaultError(f"{source}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    on = data.get("on")
    if not isinstance(on, str) or not on.strip():
        raise FaultError(f"{source}: 'on' names the command (CONNECT, STOR, RNTO, ..., or POLL)")
    values: dict[str, Any] = {"on": on.strip().upper()}
    for key in ("login", "message"):
        if data.get(key) is not None:
            values[key] = _typed(source, key, data[key], str)
    for key in ("reply", "rate", "cut_after", "reset_after", "stuck", "times", "every", "seed"):
        if data.get(key) is not None:
            values[key] = _typed(source, key, data[key], int)
    for key in ("delay", "late", "probability"):
        if data.get(key) is not None:
            values[key] = float(_typed(source, key, data[key], (int, float)))
    for key in sorted(FLAGS):
        if data.get(key) is not None:
            values[key] = _typed(source, key, data[key], bool)
    for key, name in (("from", "start"), ("until", "until")):
        if data.get(key) is not None:
            try:
                values[name] = parse_instant(str(data[key]))
            except ValueError:
                raise FaultError(f"{source}: '{key}' must be an ISO 8601 instant, not {data[key]!r}") from None
    if data.get("for") is not None:
        seconds = float(_typed(source, "for", data["for"], (int, float)))
        if not 0 < seconds <= MAX_WINDOW:  # also NaN and infinity, which no clock can add
            raise FaultError(f"{source}: 'for' must be a number of seconds in (0, {MAX_WINDOW:g}]")
        if "until" in values:
            raise FaultError(f"{source}: give 'for' or 'until', not both")
        try:
            values["until"] = values.get("start", now) + timedelta(seconds=seconds)
        except OverflowError:
            raise FaultError(f"{source}: 'for' runs past the last instant a clock can hold") from None
    spec = FaultSpec(**values)
    _validate(spec, source)
    return spec


def _typed(source: str, key: str, value: Any, kind: type | tuple[type, ...]) -> Any:
    if isinstance(value, bool) and kind is not bool:
        raise FaultError(f"{source}: '{key}' must be a number, not {value!r}")
    if not isinstance(value, kind):
        name = kind.__name__ if isinstance(kind, type) else "number"
        raise FaultError(f"{source}: '{key}' must be {name}, not {value!r}")
    return value


def _validate(spec: FaultSpec, source: str) -> None:
    actions = [name for name in ACTIONS if getattr(spec, name) not in (None, False)]
    if len(actions) != 1:
        raise FaultError(
            f"{source}: give exactly one of {', '.join(ACTIONS)}" + (f" (got {', '.join(actions)})" if actions else "")
        )
    kind = actions[0]
    if spec.on == POLL and kind not in POLL_ACTIONS:
        raise FaultError(f"{source}: on POLL only {', '.join(sorted(POLL_ACTIONS))} apply, not {kind}")
    if spec.on != POLL and kind in POLL_ACTIONS:
        raise FaultError(f"{source}: {kind} is a platform fault: use on=POLL")
    if kind == "late" and spec.login is not None:
        raise FaultError(f"{source}: a late poll is late for every account; leave 'login' out")
    if spec.on == CONNECT and spec.login is not None:
        raise FaultError(f"{source}: at CONNECT the login is not known yet; leave 'login' out")
    if spec.on == CONNECT and kind not in ("reply", "delay", "drop"):
        raise FaultError(f"{source}: at CONNECT only reply, delay and drop apply")
    if kind in ("rate", "cut_after", "reset_after") and spec.on not in DATA_COMMANDS:
        raise FaultError(f"{source}: {kind} acts on an upload's data connection: on=STOR, APPE or STOU")
    if kind == "refuse_tls" and spec.on != "AUTH":
        raise FaultError(f"{source}: refuse_tls acts on AUTH")
    if spec.reply is not None and not 400 <= spec.reply <= 599:
        raise FaultError(f"{source}: 'reply' must be a 4xx or 5xx code, not {spec.reply}")
    if spec.message is not None and ("\r" in spec.message or "\n" in spec.message):
        raise FaultError(f"{source}: 'message' must be one line")
    if spec.delay is not None and not 0 < spec.delay <= MAX_DELAY:
        raise FaultError(f"{source}: 'delay' must be in (0, {MAX_DELAY:g}] seconds")
    if spec.late is not None and not 0 < spec.late <= MAX_WINDOW:
        raise FaultError(f"{source}: 'late' must be a number of seconds in (0, {MAX_WINDOW:g}]")
    for key in ("rate", "stuck", "times", "every"):
        value = getattr(spec, key)
        if value is not None and value < 1:
            raise FaultError(f"{source}: '{key}' must be at least 1, not {value}")
    for key in ("cut_after", "reset_after"):
        value = getattr(spec, key)
        if value is not None and value < 0:
            raise FaultError(f"{source}: '{key}' must be 0 or more bytes, not {value}")
    if spec.probability is not None and not 0 < spec.probability <= 1:
        raise FaultError(f"{source}: 'probability' must be in (0, 1]")
    if spec.seed is not None and spec.probability is None:
        raise FaultError(f"{source}: 'seed' goes with 'probability'")
    if spec.start is not None and spec.until is not None and spec.until <= spec.start:
        raise FaultError(f"{source}: 'until' must be after 'from'")


def parse_compact(text: str, now: datetime) -> FaultSpec:
    """``ON[@LOGIN]:ITEM[,ITEM...]`` (see the module's docstring) as a ``FaultSpec``."""
    head, sep, tail = text.partition(":")
    if not sep or not head or not tail:
        raise FaultError(f"{text!r}: expected ON[@LOGIN]:ITEM[,ITEM...], e.g. STOR@guest:452,times=1")
    on, _, login = head.partition("@")
    data: dict[str, Any] = {"on": on}
    if login:
        data["login"] = login
    for item in tail.split(","):
        item = item.strip()
        key, eq, value = item.partition("=")
        if not eq:
            if item.isdigit():
                data["reply"] = int(item)
            elif item.replace("-", "_") in FLAGS:
                data[item.replace("-", "_")] = True
            else:
                raise FaultError(f"{text!r}: {item!r} is neither a reply code, a flag nor KEY=VALUE")
            continue
        key = key.strip().replace("-", "_")
        data[key] = _compact_value(value.strip())
    return parse_fault(data, now, f"--fault {text}")


def _compact_value(text: str) -> Any:
    if text.lower() in ("true", "yes"):
        return True
    if text.lower() in ("false", "no"):
        return False
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


@dataclass
class Fault:
    """A fault in the registry: its spec, where it came from, and how often it matched and fired."""

    id: int
    spec: FaultSpec
    source: str  # cli, accounts, api, python
    added_at: datetime
    matched: int = 0
    fired: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            **self.spec.to_json(),
            "kind": self.spec.kind,
            "source": self.source,
            "added_at": format_instant(self.added_at),
            "matched": self.matched,
            "fired": self.fired,
        }


Recorder = Callable[..., None]


class FaultRegistry:
    """The faults in force; thread-safe (the FTP loop, the poller and the API all ask)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._faults: dict[int, Fault] = {}
        self._ids = itertools.count(1)
        self._recorder: Recorder | None = None

    def attach(self, recorder: Recorder | None) -> None:
        """Where ``record`` writes (the store's ``fault_recorded``); None until the store is open."""
        self._recorder = recorder

    def add(self, spec: FaultSpec, source: str = "api") -> Fault:
        with self._lock:
            fault = Fault(next(self._ids), spec, source, self.clock.now())
            if spec.seed is not None:
                fault._rng.seed(spec.seed)
            self._faults[fault.id] = fault
            return fault

    def remove(self, fault_id: int) -> bool:
        with self._lock:
            return self._faults.pop(fault_id, None) is not None

    def clear(self, sources: Sequence[str] | None = None) -> int:
        """Remove the faults (of these sources only, when given); the others' counters start again."""
        with self._lock:
            gone = [i for i, f in self._faults.items() if sources is None or f.source in sources]
            for i in gone:
                del self._faults[i]
            for f in self._faults.values():
                f.matched = f.fired = 0
                if f.spec.seed is not None:
                    f._rng.seed(f.spec.seed)
            return len(gone)

    def get(self, fault_id: int) -> Fault | None:
        return self._faults.get(fault_id)

    def __iter__(self) -> Iterator[Fault]:
        with self._lock:  # a snapshot: the API may add or remove faults meanwhile
            return iter(sorted(self._faults.values(), key=lambda f: f.id))

    def __len__(self) -> int:
        return len(self._faults)

    def fire(self, login: str | None, on: str, kinds: frozenset[str] | None = None) -> list[Fault]:
        """The faults that act on this command now: each one that matches is counted, and fires or not."""
        if not self._faults:  # the common case: no lock, no clock
            return []
        now = self.clock.now()
        fired: list[Fault] = []
        with self._lock:
            for fault in sorted(self._faults.values(), key=lambda f: f.id):
                spec = fault.spec
                if spec.on != on or (spec.login is not None and spec.login != login):
                    continue
                if kinds is not None and spec.kind not in kinds:
                    continue
                if (spec.start is not None and now < spec.start) or (spec.until is not None and now >= spec.until):
                    continue
                if spec.times is not None and fault.fired >= spec.times:
                    continue
                fault.matched += 1
                if spec.every is not None and fault.matched % spec.every:
                    continue
                if spec.probability is not None and fault._rng.random() >= spec.probability:
                    continue
                fault.fired += 1
                fired.append(fault)
        return fired

    def record(
        self,
        fault: Fault,
        *,
        login: str | None,
        command: str,
        argument: str = "",
        detail: str = "",
        upload_id: int | None = None,
        client: str = "",
    ) -> None:
        """One application of a fault, for the journal (store), the API and the judge."""
        from smsftp.simulator.service.journal import log_event

        log_event(
            "fault",
            fault=fault.id,
            kind=fault.spec.kind,
            login=login,
            command=command,
            argument=argument or None,
            detail=detail,
            upload=upload_id,
            client=client or None,
        )
        if self._recorder is not None:
            self._recorder(
                fault_id=fault.id,
                kind=fault.spec.kind,
                transient=fault.spec.transient,
                login=login,
                command=command,
                argument=argument,
                reply=fault.spec.reply,
                detail=detail,
                upload_id=upload_id,
                client=client,
                at=self.clock.now(),
            )


def specs_from_accounts(accounts: Mapping[str, Any], now: datetime) -> list[FaultSpec]:
    """The ``faults`` lists of the accounts file (kept in ``Account.extra``); the login is the account's.

    Each entry is a table (the HTTP API's keys) or a compact string (``STOR:452,times=1``).
    """
    specs: list[FaultSpec] = []
    for login, account in accounts.items():
        entries = getattr(account, "extra", {}).get("faults")
        if entries is None:
            continue
        if not isinstance(entries, list):
            raise FaultError(f"[accounts.{login}] faults: must be a list of tables or strings")
        for index, entry in enumerate(entries):
            where = f"[accounts.{login}] faults[{index}]"
            if isinstance(entry, str):
                spec = parse_compact(entry, now)
            else:
                spec = parse_fault(entry, now, where)
            if spec.login is not None and spec.login != login:
                raise FaultError(f"{where}: login {spec.login!r} in account {login!r}")
            if spec.on == CONNECT or spec.kind == "late":
                raise FaultError(f"{where}: {spec.on} {spec.kind} cannot be per account; use smsftp serve --fault")
            specs.append(replace(spec, login=login))
    return specs


class PollFaults:
    """The platform-side faults as the poller asks for them; keeps which archives are held (``stuck``)."""

    def __init__(self, registry: FaultRegistry) -> None:
        self.registry = registry
        self._held: dict[tuple[str, str], int] = {}  # polls an archive still waits
        self._late_taken = False

    def late(self) -> float:
        """Seconds by which the poll that fell due now is put off (0: run it now); once per poll."""
        if self._late_taken:
            return 0.0
        fired = self.registry.fire(None, POLL, frozenset({"late"}))
        seconds = sum(f.spec.late or 0.0 for f in fired)
        for fault in fired:
            self.registry.record(fault, login=None, command=POLL, detail=f"poll put off by {fault.spec.late:g} s")
        self._late_taken = bool(seconds)
        return seconds

    def polled(self) -> None:
        """A poll ran: the next one may be late again."""
        self._late_taken = False

    def outage(self, login: str) -> Literal["", "bounded", "open"]:
        """Whether this poll leaves the account's folder alone: ``bounded`` when the outage has an end."""
        fired = self.registry.fire(login, POLL, frozenset({"outage"}))
        for fault in fired:
            self.registry.record(fault, login=login, command=POLL, detail="poll outage: folder not looked at")
        if not fired:
            return ""
        return "bounded" if all(f.spec.until is not None or f.spec.times is not None for f in fired) else "open"

    def hold(self, login: str, name: str) -> bool:
        """Whether this poll leaves the archive unprocessed (``stuck``)."""
        key = (login, name)
        if key not in self._held:
            fired = self.registry.fire(login, POLL, frozenset({"stuck"}))
            if not fired:
                return False
            polls = max(f.spec.stuck or 0 for f in fired)
            for fault in fired:
                detail = f"stuck for {polls} poll(s)"
                self.registry.record(fault, login=login, command=POLL, argument=name, detail=detail)
            self._held[key] = polls
        if self._held[key] <= 0:
            return False
        self._held[key] -= 1
        return True

    def taken(self, login: str, name: str) -> None:
        """The archive was processed: a new upload of the name may be held again."""
        self._held.pop((login, name), None)
