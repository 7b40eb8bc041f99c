"""When a message goes out and until when it lives (C3, M4-M6, N5, N6, Q2, Q11-Q13).

``senddate`` is written in one of the document's two forms, ``YYYYMMDDThh:mm:ss``
(its text) or ``YYYY-MM-DDThh:mm:ss`` (its example), and read as the client's
local time (the account's time zone), or, with ``localtime=1``, as the
recipient's local time, the zone found from the number.  An empty date means "at
once": at the processing instant.  A date already past is sent at once with a
warning (Q12).  Every instant leaves here as an aware UTC datetime.

A local time that a zone skips or repeats (a daylight-saving change) is read with
``fold=0``, Python's default: the earlier of two repeated instants.  The
document's own zones (Russia) have had no such changes since 2014.

Rows without a date of their own cost nothing here: ``Schedule.default`` is
computed once per archive.  Dated rows go through a small cache, because an
export usually repeats the same few dates.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from .accounts import Account
from .clock import utc
from .diagnostics import Diagnostic, diagnostic
from .textio import Reporter, Where

SENDDATE_FORMS = ("YYYYMMDDThh:mm:ss", "YYYY-MM-DDThh:mm:ss")
_CACHE_LIMIT = 4096
_SHOWN_ZONES = 5


class ZoneLookup(Protocol):
    """What scheduling needs of ``timezones.ZoneResolver``."""

    def zones_for(self, phone: str) -> tuple[str, ...]: ...


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def parse_senddate(text: str) -> datetime | None:
    """The naive local date and time written in ``text``; None when it is not one of the two forms.

    Surrounding spaces are ignored; the ``T`` is upper case, every number has its
    full width, and the date and time must exist (no 24:00:00, no 31 April).
    """
    s = text.strip()
    if len(s) == 17 and s[8] == "T" and s[11] == ":" and s[14] == ":":
        parts = (s[0:4], s[4:6], s[6:8], s[9:11], s[12:14], s[15:17])
    elif len(s) == 19 and s[4] == "-" and s[7] == "-" and s[10] == "T" and s[13] == ":" and s[16] == ":":
        parts = (s[0:4], s[5:7], s[8:10], s[11:13], s[14:16], s[17:19])
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


def parse_validity(raw: str, account: Account, *, file: str | None = None, line: int | None = None,
                   column: int | None = None) -> tuple[int | None, list[Diagnostic]]:
    """Minutes of life (M4, N5, Q11): empty is the account's default; else a whole number from 1 to the cap.

    None (with SMS406 or SMS407) when the value rejects the archive.
    """
    value = raw.strip()
    where = Where(file=file, line=line, column=column)
    if not value:
        return account.validity, []
    if not _digits(value) or int(value) < 1:
        return None, [diagnostic(
            "SMS406", f"validity {value!r} is not a whole number of minutes of at least 1.", **where)]
    minutes = int(value)
    if minutes > account.validity_cap:
        return None, [diagnostic(
            "SMS407", f"validity {minutes} minutes is above the cap of {account.validity_cap} minutes.",
            hint=f"Use at most {account.validity_cap} minutes ({account.validity_cap / 1440:g} days).", **where)]
    return minutes, []


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
    (SMS601, SMS602, SMS508, SMS509) for the contacts file.
    """

    def __init__(self, *, at: datetime, zone: ZoneInfo, validity: int, senddate: datetime | None = None,
                 localtime: bool = False, resolver: ZoneLookup | None = None,
                 report: Reporter | None = None, template_report: Reporter | None = None) -> None:
        self.at = utc(at)
        self.zone = zone
        self.lifetime = timedelta(minutes=validity)
        self.senddate = senddate
        self.localtime = localtime and resolver is not None
        self.resolver = resolver
        self._report = report
        self._template_report = template_report
        self._template_past_told = False
        self._parsed: dict[str, datetime | None] = {}
        self._utc: dict[tuple[datetime, str], datetime] = {}
        self._zones: dict[str, ZoneInfo] = {}
        # Rows that carry no date: one answer for the whole archive unless the
        # template's date is read in each recipient's zone.
        self.per_recipient = self.localtime and senddate is not None
        self.default: tuple[datetime, datetime] = self._window(self.at)
        if senddate is not None and not self.per_recipient:
            send = self._to_utc(senddate, zone)
            if send < self.at:
                self._template_past(senddate, zone)
                send = self.at
            self.default = self._window(send)

    def _window(self, send: datetime) -> tuple[datetime, datetime]:
        return send, send + self.lifetime

    def _to_utc(self, local: datetime, zone: ZoneInfo) -> datetime:
        key = (local, zone.key)
        found = self._utc.get(key)
        if found is None:
            if len(self._utc) >= _CACHE_LIMIT:
                self._utc.clear()
            found = self._utc[key] = local.replace(tzinfo=zone).astimezone(UTC)
        return found

    def _template_past(self, local: datetime, zone: ZoneInfo) -> None:
        if self._template_past_told or self._template_report is None:
            return
        self._template_past_told = True
        self._template_report(
            "SMS602", f"The template's senddate {local:%Y-%m-%dT%H:%M:%S} ({zone.key}) is before the processing "
            f"time {self.at:%Y-%m-%dT%H:%M:%SZ}; its messages are sent at once.")

    def recipient_zone(self, phone: str, line: int | None = None) -> ZoneInfo:
        """The zone a date is read in for ``phone`` with ``localtime=1`` (Q13: the client's when unclear)."""
        if self.resolver is None:
            return self.zone
        zones = self.resolver.zones_for(phone)
        if len(zones) == 1:
            name = zones[0]
            zone = self._zones.get(name)
            if zone is None:
                zone = self._zones[name] = ZoneInfo(name)
            return zone
        if self._report is not None:
            if zones:
                shown = ", ".join(zones[:_SHOWN_ZONES]) + (" …" if len(zones) > _SHOWN_ZONES else "")
                self._report("SMS508", f"Phone {phone} maps to {len(zones)} time zones ({shown}); the "
                             f"client's zone {self.zone.key} was used.", line=line)
            else:
                self._report("SMS509", f"No time zone is known for phone {phone}; the client's zone "
                             f"{self.zone.key} was used.", line=line)
        return self.zone

    def times(self, raw: str, phone: str, line: int | None = None,
              field: int | None = None) -> tuple[datetime, datetime] | None:
        """(send_at, expires_at) for a row whose own senddate is ``raw`` (not empty).

        None when ``raw`` is not a valid date (SMS601): the row is rejected.
        """
        parsed = self._parsed
        if raw in parsed:
            local = parsed[raw]
        else:
            if len(parsed) >= _CACHE_LIMIT:
                parsed.clear()
            local = parsed[raw] = parse_senddate(raw)
        if local is None:
            if self._report is not None:
                self._report("SMS601", senddate_message(raw) + " The row is not sent.", line=line, field=field)
            return None
        zone = self.recipient_zone(phone, line) if self.localtime else self.zone
        send = self._to_utc(local, zone)
        if send < self.at:
            if self._report is not None:
                self._report("SMS602", f"senddate {local:%Y-%m-%dT%H:%M:%S} ({zone.key}) is before the "
                             f"processing time {self.at:%Y-%m-%dT%H:%M:%SZ}; the message is sent at once.",
                             line=line, field=field)
            send = self.at
        return send, send + self.lifetime

    def template_times(self, phone: str, line: int | None = None) -> tuple[datetime, datetime]:
        """(send_at, expires_at) for a row without its own date: ``default``, or the template's
        date read in the recipient's zone (``per_recipient``)."""
        if not self.per_recipient or self.senddate is None:
            return self.default
        zone = self.recipient_zone(phone, line)
        send = self._to_utc(self.senddate, zone)
        if send < self.at:
            self._template_past(self.senddate, zone)
            send = self.at
        return send, send + self.lifetime
