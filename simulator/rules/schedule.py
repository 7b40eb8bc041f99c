"""When a message goes out and until when it lives (C3, M4-M6, N5, N6, Q2, Q11-Q13).

``senddate`` is written in one of the document's two forms, ``YYYYMMDDThh:mm:ss``
(its text) or ``YYYY-MM-DDThh:mm:ss`` (its example), by default also without the
seconds (``2008-12-27T15:55``, as the platform's XML API writes dates, Q2), and
read as the client's
local time (the account's time zone), or, with ``localtime=1``, as the
recipient's local time, the zone found from the number.  An empty date means "at
once": at the processing instant.  A date already past is sent at once with a
warning (Q12).  Every instant leaves here as an aware UTC datetime.

A local time that a zone skips or repeats (a daylight-saving change) is read with
``fold=0``, Python's default: the earlier of two repeated instants.  The
document's own zones (Russia) have had no such changes since 2014.

Rows without a date of their own cost nothing here: ``Schedule.default`` is
computed once per archive, and with ``localtime=1`` the template's date once per
zone (``by_zones``).  Dated rows go through a small cache, because an export
usually repeats the same few dates.  The per-row answers are ``Window``s, two
integers (microseconds since the epoch, UTC), ready for storage; ``instant``
turns one back into a datetime, exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import (
    SENDDATE_INVALID,
    SENDDATE_PAST,
    TIMEZONE_AMBIGUOUS,
    TIMEZONE_REGION_CHOICE,
    TIMEZONE_UNKNOWN,
    VALIDITY_INVALID,
    VALIDITY_OUT_OF_RANGE,
    VALIDITY_ZERO_DEFAULT,
    Check,
    diagnostic,
)
from smsftp.simulator.rules.instants import utc
from smsftp.simulator.rules.textio import Reporter, Where

SENDDATE_FORMS = ("YYYYMMDDThh:mm:ss", "YYYY-MM-DDThh:mm:ss")
# M4: template mode's lifetime when `validity` is empty or absent; the account's `validity` is plain mode's (N5).
TEMPLATE_VALIDITY = 1440
_CACHE_LIMIT = 4096
_SHOWN_ZONES = 5
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
Window = tuple[int, int]
"""(send_at, expires_at) of a message in microseconds since the epoch, UTC."""


def micros(moment: datetime) -> int:
    """An aware datetime as whole microseconds since the epoch (exact, unlike ``timestamp()``)."""
    return (moment - EPOCH) // _MICROSECOND


def instant(us: int) -> datetime:
    """Microseconds since the epoch as an aware UTC datetime; ``instant(micros(t)) == t``."""
    return EPOCH + timedelta(microseconds=us)


class ZoneLookup(Protocol):
    """What scheduling needs of ``timezones.ZoneResolver``."""

    def zones_for(self, phone: str) -> tuple[str, ...]: ...


class RangeIndex(Protocol):
    """What ``number_window`` needs of ``timezones.RegisterIndex`` (a resolver's ``register_index()``)."""

    BLOCK: int
    base: int
    blocks: Sequence[int]
    zones: Sequence[tuple[str, ...]]

    def find(self, national: int) -> int: ...

    def whole_blocks(self, at: int) -> tuple[int, int]: ...


_RUSSIA = 7 * 10**10  # timezones.RUSSIA: "7" and a 10-digit national number, as an integer
_NATIONAL = 10**10


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_senddate(text: str, *, seconds_optional: bool = True) -> datetime | None:
    """The naive local date and time written in ``text``; None when it is not one of the two forms.

    Surrounding spaces are ignored; the ``T`` is upper case, every number has its
    full width, and the date and time must exist (no 24:00:00, no 31 April).
    With ``seconds_optional`` a form may stop after the minutes (Q2).
    """
    s = text.strip()
    if len(s) == 17 and s[8] == "T" and s[11] == ":" and s[14] == ":":
        parts = (s[0:4], s[4:6], s[6:8], s[9:11], s[12:14], s[15:17])
    elif len(s) == 19 and s[4] == "-" and s[7] == "-" and s[10] == "T" and s[13] == ":" and s[16] == ":":
        parts = (s[0:4], s[5:7], s[8:10], s[11:13], s[14:16], s[17:19])
    elif seconds_optional and len(s) == 14 and s[8] == "T" and s[11] == ":":
        parts = (s[0:4], s[4:6], s[6:8], s[9:11], s[12:14], "00")
    elif seconds_optional and len(s) == 16 and s[4] == "-" and s[7] == "-" and s[10] == "T" and s[13] == ":":
        parts = (s[0:4], s[5:7], s[8:10], s[11:13], s[14:16], "00")
    else:
        return None
    if not all(_digits(p) for p in parts):
        return None
    y, mo, d, h, mi, sec = (int(p) for p in parts)
    try:
        return datetime(y, mo, d, h, mi, sec)
    except ValueError:
        return None


def senddate_message(raw: str) -> str:
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    return f"senddate {shown!r} is not {SENDDATE_FORMS[0]} or {SENDDATE_FORMS[1]} with a real date and time."


def parse_validity(
    raw: str,
    account: Account,
    *,
    default: int = TEMPLATE_VALIDITY,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
) -> Check[int | None]:
    """Minutes of life (M4, Q11): empty is ``default``; else a whole number up to the cap.

    ``0`` is ``default`` too, with SMS420, unless the account refuses it
    (``accept_zero_validity``).  None (with SMS406 or SMS407) when the value
    rejects the archive.
    """
    value = raw.strip()
    where = Where(file=file, line=line, column=column)
    if not value:
        return default
    if _digits(value) and int(value) == 0 and account.accept_zero_validity:
        yield diagnostic(
            VALIDITY_ZERO_DEFAULT,
            f"validity {value!r} was read as the default lifetime of {default} minutes.",
            **where,
        )
        return default
    if not _digits(value) or int(value) < 1:
        lowest = 0 if account.accept_zero_validity else 1
        yield diagnostic(
            VALIDITY_INVALID, f"validity {value!r} is not a whole number of minutes of at least {lowest}.", **where
        )
        return None
    minutes = int(value)
    if minutes > account.validity_cap:
        yield diagnostic(
            VALIDITY_OUT_OF_RANGE,
            f"validity {minutes} minutes is above the cap of {account.validity_cap} minutes.",
            hint=f"Use at most {account.validity_cap} minutes ({account.validity_cap / 1440:g} days).",
            **where,
        )
        return None
    return minutes


def parse_localtime(raw: str) -> bool | None:
    """``1`` true, ``0`` or empty false, anything else None (SMS408)."""
    value = raw.strip()
    if value in ("", "0"):
        return False
    if value == "1":
        return True
    return None


class Schedule:
    """Send and expiry instants for the rows of one archive.

    ``senddate`` is the template's date (naive local time) or None; a row's own
    date overrides it (C3, M5).  ``report`` receives row-level diagnostics
    (SMS601, SMS602, SMS508, SMS509) for the contacts file; ``room(code)``, when
    given, tells whether one more of a code would be kept, so that the message of
    one that would only be counted is never written (an ambiguous zone per row
    of a million-row file costs a counter, not a formatted string).
    """

    def __init__(
        self,
        *,
        at: datetime,
        zone: ZoneInfo,
        validity: int,
        senddate: datetime | None = None,
        localtime: bool = False,
        resolver: ZoneLookup | None = None,
        report: Reporter | None = None,
        template_report: Reporter | None = None,
        room: Callable[[str], bool] | None = None,
        seconds_optional: bool = True,
    ) -> None:
        self.at = utc(at)
        self.seconds_optional = seconds_optional
        self.zone = zone
        self.lifetime = timedelta(minutes=validity)
        self.senddate = senddate
        self.localtime = localtime and resolver is not None
        self.resolver = resolver
        self._report = report
        self._template_report = template_report
        self._room = room
        self._template_past_told = False
        self._at_us = micros(self.at)
        self._life_us = validity * 60_000_000
        self._parsed: dict[str, datetime | None] = {}
        self._utc: dict[tuple[datetime, str], int] = {}
        self._zones: dict[str, ZoneInfo] = {}
        # The template's date in each zone a resolver named alone, keyed by its answer as it gave it.
        self.by_zones: dict[tuple[str, ...], Window] = {}
        # Rows that carry no date: one answer for the whole archive unless the
        # template's date is read in each recipient's zone.
        self.per_recipient = self.localtime and senddate is not None
        # A resolver with a numbering register (``ZoneResolver.register_index``) lets ``number_window``
        # find a Russian number's range at once and keep one window per range.
        index = getattr(resolver, "register_index", None) if self.per_recipient else None
        self._index: RangeIndex | None = index() if index is not None else None
        self._range_windows: list[Window | None] = [None] * len(self._index.zones) if self._index else []
        # The per-row loops look here first: ``block_windows[(number - block_base) // block_size]`` is the
        # window of every number of that block (all in one range of one zone), once ``number_window`` met one.
        self.block_base = _RUSSIA + self._index.base if self._index else 0
        self.block_size = self._index.BLOCK if self._index else 1
        self.block_windows: list[Window | None] = [None] * len(self._index.blocks) if self._index else []
        self.default_window: Window = (self._at_us, self._at_us + self._life_us)
        if senddate is not None and not self.per_recipient:
            self.default_window = self._template_window(zone)
        self.default: tuple[datetime, datetime] = self.datetimes(self.default_window)
        self._client_window: Window | None = None  # per_recipient: the template's date in the client's zone
        # A resolver that read a region of several clocks in one of them (``ZoneResolver.choice_for``):
        # the choice is named once per region and archive (SMS510), when a number there is first met.
        self._chosen: frozenset[str] = getattr(resolver, "chosen_zones", frozenset())
        self._choice_for: Callable[[str], tuple[str, tuple[str, ...]] | None] | None = getattr(
            resolver, "choice_for", None
        )
        self._told: set[str] = set()

    @staticmethod
    def datetimes(window: Window) -> tuple[datetime, datetime]:
        return instant(window[0]), instant(window[1])

    def _to_utc(self, local: datetime, zone: ZoneInfo) -> int:
        key = (local, zone.key)
        found = self._utc.get(key)
        if found is None:
            if len(self._utc) >= _CACHE_LIMIT:
                self._utc.clear()
            found = self._utc[key] = micros(local.replace(tzinfo=zone).astimezone(UTC))
        return found

    def _template_window(self, zone: ZoneInfo) -> Window:
        """The template's date read in ``zone``; at once (SMS602, told once) when it is past."""
        assert self.senddate is not None
        send = self._to_utc(self.senddate, zone)
        if send < self._at_us:
            self._template_past(self.senddate, zone)
            send = self._at_us
        return send, send + self._life_us

    def _template_past(self, local: datetime, zone: ZoneInfo) -> None:
        if self._template_past_told or self._template_report is None:
            return
        self._template_past_told = True
        self._template_report(
            SENDDATE_PAST.code,
            f"The template's senddate {local:%Y-%m-%dT%H:%M:%S} ({zone.key}) is before the processing "
            f"time {self.at:%Y-%m-%dT%H:%M:%SZ}; its messages are sent at once.",
        )

    def _zone(self, name: str) -> ZoneInfo:
        zone = self._zones.get(name)
        if zone is None:
            zone = self._zones[name] = ZoneInfo(name)
        return zone

    def recipient_zone(self, phone: str, line: int | None = None, zones: tuple[str, ...] | None = None) -> ZoneInfo:
        """The zone a date is read in for ``phone`` with ``localtime=1`` (Q13: the client's when unclear).

        ``zones`` is the resolver's answer for ``phone`` when the caller has it already.
        """
        if self.resolver is None:
            return self.zone
        if zones is None:
            zones = self.resolver.zones_for(phone)
        if len(zones) == 1:
            if zones[0] in self._chosen:
                self._tell_choice(phone, line)
            return self._zone(zones[0])
        report = self._report
        if report is not None:
            code = TIMEZONE_AMBIGUOUS.code if zones else TIMEZONE_UNKNOWN.code
            if self._room is not None and not self._room(code):
                report(code, line=line)  # counted, not kept: no message to write
            elif zones:
                shown = ", ".join(zones[:_SHOWN_ZONES]) + (" …" if len(zones) > _SHOWN_ZONES else "")
                report(
                    code,
                    f"Phone {phone} maps to {len(zones)} time zones ({shown}); the "
                    f"client's zone {self.zone.key} was used.",
                    line=line,
                )
            else:
                report(
                    code,
                    f"No time zone is known for phone {phone}; the client's zone {self.zone.key} was used.",
                    line=line,
                )
        return self.zone

    def _tell_choice(self, phone: str, line: int | None) -> None:
        choice = self._choice_for(phone) if self._choice_for is not None else None
        if choice is None or choice[0] in self._told or self._report is None:
            return
        self._told.add(choice[0])
        # Imported here: timezones loads phonenumbers' zone data, which a schedule without it never needs.
        from smsftp.simulator.rules.timezones import choice_message

        self._report(TIMEZONE_REGION_CHOICE.code, choice_message(phone, *choice), line=line)

    def row_window(self, raw: str, phone: str, line: int | None = None, field: int | None = None) -> Window | None:
        """The window of a row whose own senddate is ``raw`` (not empty); None when ``raw`` is not a
        valid date (SMS601): the row is rejected."""
        parsed = self._parsed
        if raw in parsed:
            local = parsed[raw]
        else:
            if len(parsed) >= _CACHE_LIMIT:
                parsed.clear()
            local = parsed[raw] = parse_senddate(raw, seconds_optional=self.seconds_optional)
        if local is None:
            if self._report is not None:
                self._report(
                    SENDDATE_INVALID.code, senddate_message(raw) + " The row is not sent.", line=line, field=field
                )
            return None
        zone = self.recipient_zone(phone, line) if self.localtime else self.zone
        send = self._to_utc(local, zone)
        if send < self._at_us:
            if self._report is not None:
                self._report(
                    SENDDATE_PAST.code,
                    f"senddate {local:%Y-%m-%dT%H:%M:%S} ({zone.key}) is before the "
                    f"processing time {self.at:%Y-%m-%dT%H:%M:%SZ}; the message is sent at once.",
                    line=line,
                    field=field,
                )
            send = self._at_us
        return send, send + self._life_us

    def recipient_window(self, phone: str, line: int | None = None, zones: tuple[str, ...] | None = None) -> Window:
        """The window of a row without its own date: ``default_window``, or with ``per_recipient`` the
        template's date read in the recipient's zone, remembered in ``by_zones`` per zone."""
        if not self.per_recipient or self.resolver is None:
            return self.default_window
        if zones is None:
            zones = self.resolver.zones_for(phone)
        if len(zones) == 1 and zones[0] in self._chosen:
            self._tell_choice(phone, line)
        found = self.by_zones.get(zones)
        if found is not None:
            return found
        zone = self.recipient_zone(phone, line, zones)
        if len(zones) != 1:
            if self._client_window is None:
                self._client_window = self._template_window(zone)
            return self._client_window
        if len(self.by_zones) >= _CACHE_LIMIT:  # a resolver that answers with new tuples every time
            self.by_zones.clear()
        found = self.by_zones[zones] = self._template_window(zone)
        return found

    def number_window(self, phone: str, number: int, line: int | None = None) -> Window:
        """``recipient_window`` for a valid ``phone`` whose integer is ``number``: with a register, a
        Russian number's range answers, once per range, and fills ``block_windows`` for the range's blocks."""
        index = self._index
        if index is not None and 0 <= number - _RUSSIA < _NATIONAL and len(phone) == 11:
            at = index.find(number - _RUSSIA)
            if at >= 0:
                window = self._range_windows[at]
                if window is not None:
                    return window
                zones = index.zones[at]
                if len(zones) == 1:  # else zones_for decides: the library's zones, or several (SMS508)
                    window = self._range_windows[at] = self.recipient_window(phone, line, zones)
                    first, stop = index.whole_blocks(at)
                    self.block_windows[first:stop] = [window] * (stop - first)
                    return window
        return self.recipient_window(phone, line)

    def times(
        self, raw: str, phone: str, line: int | None = None, field: int | None = None
    ) -> tuple[datetime, datetime] | None:
        """(send_at, expires_at) for a row whose own senddate is ``raw`` (not empty).

        None when ``raw`` is not a valid date (SMS601): the row is rejected.
        """
        window = self.row_window(raw, phone, line, field)
        return None if window is None else self.datetimes(window)

    def template_times(self, phone: str, line: int | None = None) -> tuple[datetime, datetime]:
        """(send_at, expires_at) for a row without its own date: ``default``, or the template's
        date read in the recipient's zone (``per_recipient``)."""
        return self.datetimes(self.recipient_window(phone, line))
