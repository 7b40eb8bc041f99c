"""What a conformance case is: a recipe, the statements it checks, and the outcome the spec expects.

The field-by-field contract (which the corpus builder relies on too) is in the
docstring of ``smsftp.conformance.cases``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from smsftp.conformance.client.builder import ArchiveSpec, build_archive
from smsftp.simulator.rules.accounts import Account, demo_account

Status = Literal["accepted", "rejected", "ignored", "accepted|rejected"]
# "accepted|rejected": the document leaves open whether a bad row rejects its archive (Q9); either way no
# message goes to it.  Such an expectation has no messages: what it pins is that nothing was sent.
EITHER: Status = "accepted|rejected"
Encoding = Literal["GSM-7", "UCS-2"]
Scenario = Literal[
    "standard",  # upload every file in order, then wait until each is processed (or left alone)
    "sequential",  # upload one, wait until it is processed, then the next (Q17, P1)
    "p1-timing",  # sequential, and the second archive is processed exactly one poll interval after the first
    "hold-open",  # the upload stays open across a poll; the archive is processed only once complete (Q22)
    "wrong-password",  # a login with a wrong password is refused; nothing else happens (T2)
    "isolation",  # a second account sees nothing of the first one's folder (T2)
    "ftp-commands",  # LIST/NLST/SIZE/RETR/DELE on a file left in the folder (T4, Q15)
    "side-channel",  # standard, then the statistics are read on the simulator's HTTP API (R1)
    "one-check",  # standard, then: were the archives waiting together processed in the same check? (Q30)
]
SCENARIOS: tuple[str, ...] = Scenario.__args__  # type: ignore[attr-defined]
_CODE = re.compile(r"SMS\d{3}(\|SMS\d{3})*")
DEMO_SENDER = "TESTSMS"  # the document's example sender, approved for the demo account
ACCOUNT_FIELDS = frozenset(f.name for f in fields(Account)) - {"extra"}


@dataclass(frozen=True)
class AfterProcessing:
    """An instant relative to when the platform processed the archive: ``minutes`` after it.

    Messages sent at once have ``send_at = AfterProcessing(0)``; their lifetime
    runs from there (``AfterProcessing(1440)`` for the default validity).
    """

    minutes: int = 0

    def resolve(self, processed_at: datetime) -> datetime:
        return processed_at + timedelta(minutes=self.minutes)

    def to_json(self) -> str:
        return f"processing+{self.minutes}m"


@dataclass(frozen=True)
class ClientTime:
    """A wall-clock time in the client's own time zone (C3, M5), ``minutes`` after it.

    The instant depends on the account: the simulator's account of the case, or the live
    account's zone (``--live-timezone``), so that a live account outside Moscow is judged right.
    """

    local: datetime  # naive
    minutes: int = 0

    def resolve(self, zone: ZoneInfo) -> datetime:
        return self.local.replace(tzinfo=zone).astimezone(UTC) + timedelta(minutes=self.minutes)

    def to_json(self) -> str:
        return f"{self.local:%Y-%m-%dT%H:%M:%S} client time" + (f"+{self.minutes}m" if self.minutes else "")


Instant = datetime | AfterProcessing | ClientTime
AT_ONCE = AfterProcessing(0)


def instant_json(value: Instant, zone: ZoneInfo | None = None) -> str:
    """ISO 8601 UTC; a ``ClientTime`` as UTC when the account's ``zone`` is known, else as written."""
    if isinstance(value, ClientTime) and zone is not None:
        value = value.resolve(zone)
    if isinstance(value, AfterProcessing | ClientTime):
        return value.to_json()
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plus_minutes(at: Instant, minutes: int) -> Instant:
    if isinstance(at, AfterProcessing):
        return AfterProcessing(at.minutes + minutes)
    if isinstance(at, ClientTime):
        return ClientTime(at.local, at.minutes + minutes)
    return at + timedelta(minutes=minutes)


def resolve_instant(value: Instant, zone: ZoneInfo, processed_at: datetime | None = None) -> datetime | None:
    """The UTC instant of an expectation; None for ``AfterProcessing`` without ``processed_at``."""
    if isinstance(value, ClientTime):
        return value.resolve(zone)
    if isinstance(value, AfterProcessing):
        return value.resolve(processed_at) if processed_at is not None else None
    return value


@dataclass(frozen=True)
class ExpectedMessage:
    """One SMS exactly as the spec says the platform renders it."""

    phone: str
    text: str
    sender: str
    send_at: Instant
    expires_at: Instant
    segments: int
    encoding: Encoding

    def to_json(self, zone: ZoneInfo | None = None) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "text": self.text,
            "sender": self.sender,
            "send_at": instant_json(self.send_at, zone),
            "expires_at": instant_json(self.expires_at, zone),
            "segments": self.segments,
            "encoding": self.encoding,
        }


def sms(
    phone: str,
    text: str,
    segments: int,
    encoding: Encoding,
    *,
    sender: str = DEMO_SENDER,
    at: Instant = AT_ONCE,
    validity: int = 1440,
) -> ExpectedMessage:
    """An expected message; ``expires_at`` is ``validity`` minutes after ``at`` (M4, N5)."""
    return ExpectedMessage(phone, text, sender, at, plus_minutes(at, validity), segments, encoding)


@dataclass(frozen=True)
class ExpectedArchive:
    """The outcome for one uploaded file.

    ``codes``: diagnostic codes that must all appear (``"SMS212|SMS213"`` means
    either); only the simulator's side channel shows them.  ``messages``: the
    exact messages, or ``None`` when only ``count`` is checked.
    """

    status: Status
    codes: tuple[str, ...] = ()
    messages: tuple[ExpectedMessage, ...] | None = ()
    count: int | None = None  # messages expected when ``messages`` is None

    def __post_init__(self) -> None:
        bad = [c for c in self.codes if not _CODE.fullmatch(c)]
        if bad:
            raise ValueError(f"not diagnostic codes: {bad}")
        if self.status != "accepted" and self.messages:
            raise ValueError("only an accepted archive has messages")

    @property
    def message_count(self) -> int | None:
        return len(self.messages) if self.messages is not None else self.count

    def to_json(self, zone: ZoneInfo | None = None) -> dict[str, Any]:
        return {
            "status": self.status,
            "codes": list(self.codes),
            "messages": [m.to_json(zone) for m in self.messages] if self.messages is not None else None,
            "message_count": self.message_count,
        }


@dataclass(frozen=True)
class Expected:
    """Everything a case expects: one ``ExpectedArchive`` per uploaded file, in upload order."""

    archives: tuple[ExpectedArchive, ...]
    folder_after: tuple[str, ...] = ()  # names left in the folder; may use {login} and {stamp}
    order: tuple[int, ...] | None = None  # processing order as indices into ``archives``

    @property
    def status(self) -> tuple[Status, ...]:
        return tuple(a.status for a in self.archives)

    @property
    def codes(self) -> tuple[tuple[str, ...], ...]:
        return tuple(a.codes for a in self.archives)

    @property
    def messages(self) -> tuple[tuple[ExpectedMessage, ...] | None, ...]:
        return tuple(a.messages for a in self.archives)

    def to_json(self, login: str = "guest", zone: ZoneInfo | None = None) -> dict[str, Any]:
        """``zone``: the account's time zone, to write client-time instants in UTC (C3)."""
        return {
            "archives": [a.to_json(zone) for a in self.archives],
            "folder_after": [name.format(login=login) for name in self.folder_after],
            "order": list(self.order) if self.order is not None else None,
        }


def one(
    status: Status,
    *codes: str,
    messages: tuple[ExpectedMessage, ...] | None = (),
    count: int | None = None,
    folder_after: tuple[str, ...] = (),
) -> Expected:
    """The expectation of a one-archive case."""
    return Expected((ExpectedArchive(status, codes, messages, count),), folder_after)


@dataclass(frozen=True)
class RawFile:
    """A file that no archive builder makes: uploaded as these bytes under this name."""

    name: str
    data: bytes

    def to_json(self) -> dict[str, Any]:
        return {"raw_file": self.name, "size": len(self.data)}


Recipe = ArchiveSpec | RawFile


class RawRows(bytes):
    """Text that no CSV writer produces (another separator, an unquoted ``;``), as bytes.

    The bytes are ``rows`` joined verbatim: cells with ``separator``, lines
    ending in ``newline``, encoded.  They keep their rows so that the live run
    (``smsftp.conformance.live.localize``) can put the tester's numbers in the cells and
    join them again the same way; the builder sees plain bytes.
    """

    rows: tuple[tuple[str, ...], ...]
    separator: str
    newline: str
    encoding: str

    def __new__(
        cls, rows: tuple[tuple[str, ...], ...], *, separator: str = ";", newline: str = "\r\n", encoding: str = "utf-8"
    ) -> RawRows:
        text = "".join(separator.join(row) + newline for row in rows)
        made = super().__new__(cls, text.encode(encoding))
        made.rows, made.separator, made.newline, made.encoding = rows, separator, newline, encoding
        return made

    def with_rows(self, rows: tuple[tuple[str, ...], ...]) -> RawRows:
        return RawRows(rows, separator=self.separator, newline=self.newline, encoding=self.encoding)


@dataclass(frozen=True)
class UploadOptions:
    """How the reference client uploads: transfer type, temporary name, TLS, data connections."""

    binary: bool = True
    temp_name: str | None = None  # None: straight under the final name; "auto": name + ".part", then rename
    tls: bool | None = None  # None: the target's default
    passive: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"binary": self.binary, "temp_name": self.temp_name, "tls": self.tls, "passive": self.passive}


@dataclass(frozen=True)
class Case:
    """One conformance case; see ``smsftp.conformance.cases`` for the contract."""

    id: str
    description: str
    statements: tuple[str, ...]
    recipes: tuple[Recipe, ...]
    expected: Expected
    upload: UploadOptions = UploadOptions()
    informational: bool = False
    needs_clock: bool = False
    scenario: Scenario = "standard"
    account: tuple[tuple[str, Any], ...] = ()  # account settings beyond the demo account's
    sim_only: str | None = None  # why the case cannot run on the live platform
    notes: str = ""
    sender: str = DEMO_SENDER  # the sender the case's account approves (the live run's may differ)
    _cache: dict[str, list[tuple[str, bytes]]] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if len(self.recipes) != len(self.expected.archives):
            raise ValueError(
                f"{self.id}: {len(self.recipes)} recipe(s) but {len(self.expected.archives)} expected outcome(s)"
            )
        if self.scenario not in SCENARIOS:
            raise ValueError(f"{self.id}: unknown scenario {self.scenario!r}")

    @property
    def login(self) -> str:
        """The login the case's archives are named for by default."""
        return str(dict(self.account).get("login", "guest"))

    @property
    def service_settings(self) -> list[str]:
        """Account settings of the case that only a running service knows (no ``Account`` field)."""
        return sorted({k for k, _ in self.account} - ACCOUNT_FIELDS)

    def account_for(self, login: str | None = None) -> Account:
        """The account the case runs on: the demo account approving ``sender``, with the case's settings.

        ``login`` (default: ``self.login``) names it; settings only a service knows are left out
        (``service_settings``).
        """
        settings: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in self.account if k in ACCOUNT_FIELDS
        }
        settings["login"] = login or self.login
        base = replace(demo_account(), senders=(self.sender,), default_sender=self.sender)
        return replace(base, **settings)

    def archives(self, login: str | None = None) -> list[tuple[str, bytes]]:
        """(file name, bytes) of every file to upload, in upload order; the same bytes every time."""
        who = login or self.login
        if who not in self._cache:
            self._cache[who] = [_build(recipe, who) for recipe in self.recipes]
        return list(self._cache[who])

    def folder_after(self, login: str | None = None) -> tuple[str, ...]:
        who = login or self.login
        return tuple(name.format(login=who, login_swapcase=who.swapcase()) for name in self.expected.folder_after)

    def to_json(self, login: str | None = None) -> dict[str, Any]:
        who = login or self.login
        built = self.archives(who)
        return {
            "id": self.id,
            "description": self.description,
            "statements": list(self.statements),
            "informational": self.informational,
            "needs_clock": self.needs_clock,
            "scenario": self.scenario,
            "account": dict(self.account),
            "sim_only": self.sim_only,
            "upload": self.upload.to_json(),
            "archives": [
                {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()} for name, data in built
            ],
            "expected": {
                **self.expected.to_json(who, self.account_for(who).zone),
                "folder_after": list(self.folder_after(who)),
            },
        }


def _build(recipe: Recipe, login: str) -> tuple[str, bytes]:
    if isinstance(recipe, RawFile):
        return recipe.name.format(login=login), recipe.data
    spec = recipe
    if spec.filename is not None:
        spec = replace(
            spec, filename=spec.filename.format(login=login, login_swapcase=login.swapcase(), stamp=spec.stamp)
        )
    return build_archive(replace(spec, login=login))
