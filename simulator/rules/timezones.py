"""The recipient's time zone, from the number (M6, Q13).

With ``localtime=1`` a send date is read in the recipient's zone, "determined
automatically from the number".  phonenumbers gives one zone for most landline
numbers, but for Russian and Kazakh mobile numbers it gives the whole country:
sixteen zones.  Russia's regulator publishes the register of number ranges with
the region of each (``DEF-9xx.csv``); ``regions.REGION_ZONES`` maps regions to
zones.  A compact table derived from a register (ranges, region, zone; see
``tools/build_numbering.py``) ships inside the package (``data/numbering_ru.csv``,
``shipped_register``), so Russian mobile numbers are settled with no options; a
newer register can be loaded instead (``load_register``, ``smsftp check
--register``).  Russian landlines are settled by their area code
(``areacodes.AREA_ZONES``), which corrects phonenumbers where it is wrong for
Russia.  Other numbers fall back to phonenumbers' time-zone data.

``zones_for`` answers with IANA names: one is the zone, several are candidates
(ambiguous, SMS508), none is unknown (SMS509).  A region that keeps several clocks
(Yakutia) is read in its most populous zone: ``zones_for`` answers with that one,
and ``choice_for`` names the choice (SMS510).  ``zone_for_send`` turns that into
the zone to use, the client's own when the number does not settle it (Q13).
``ZoneResolver.register_index`` lends the register's ``RegisterIndex`` to callers
that look up a number per row (``schedule.Schedule.number_window``).

Nothing here reads the environment or keeps a process-wide register: a resolver is
built from the register it is given, and callers pass it on (``process_archive(...,
resolver=...)``); ``default_resolver`` is the one over the shipped table.
"""

from __future__ import annotations

import csv
import io
import os
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import BinaryIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from phonenumbers.timezone import UNKNOWN_TIMEZONE
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX

from smsftp.simulator.errors import SimulatorError
from smsftp.simulator.rules.areacodes import AREA_ZONES, area_zones
from smsftp.simulator.rules.diagnostics import (
    REGISTRY,
    TIMEZONE_AMBIGUOUS,
    TIMEZONE_REGION_CHOICE,
    TIMEZONE_UNKNOWN,
    Diagnostic,
    diagnostic,
)
from smsftp.simulator.rules.phones import national_number
from smsftp.simulator.rules.regions import region_choice

__all__ = [
    "RUSSIA",
    "SHIPPED_TABLE",
    "NumberingRegister",
    "RegisterError",
    "RegisterIndex",
    "SendZone",
    "ZoneResolver",
    "choice_message",
    "default_resolver",
    "library_zones",
    "load_register",
    "load_table",
    "parse_register",
    "parse_table",
    "shipped_register",
    "table_text",
    "zone_for_send",
]

_HEADER = ("АВС/ DEF", "От", "До", "Емкость", "Оператор", "Регион", "ИНН")
_TABLE_HEADER = ("first", "last", "region", "zone", "also")
_RANGE = 10**7  # the register's "От"/"До" are the 7 digits after the 3-digit code
RUSSIA = 7 * 10**10
"""``int("7" + national)`` for a 10-digit national number is ``RUSSIA + int(national)``."""
SHIPPED_TABLE = "data/numbering_ru.csv"
"""The shipped table, a resource of this package (``tools/build_numbering.py`` writes it)."""


class RegisterError(SimulatorError, ValueError):
    """The register file cannot be used; the message names the file and the reason."""


@dataclass(frozen=True)
class NumberingRegister:
    """Number ranges of the Russian numbering plan with their regions' zones, sorted for bisection.

    Keys are 10-digit national numbers as integers: code * 10**7 + number, in flat arrays (8 bytes
    a number, where a list of ints takes 40).  ``zones[i]`` is one zone when the range's region
    settles it (or its most populous zone was chosen: ``choices``), several candidates when it
    does not, () when the region is unknown.
    """

    starts: Sequence[int]
    ends: Sequence[int]
    zones: list[tuple[str, ...]]
    regions: list[str]
    source: str = ""
    skipped: int = 0  # data rows that were not ranges (bad numbers, missing fields)
    unmapped: dict[str, int] = field(default_factory=dict)  # region -> ranges without a known zone
    date: str = ""  # the register's own date, as its publisher gave it, when known
    choices: dict[str, tuple[str, ...]] = field(default_factory=dict)  # region -> (chosen zone, other zones)

    def __len__(self) -> int:
        return len(self.starts)

    def find(self, national: int) -> int | None:
        """Index of the range holding a 10-digit national number, or None."""
        at = bisect_right(self.starts, national) - 1
        if at >= 0 and national <= self.ends[at]:
            return at
        return None

    def region_of(self, phone: str) -> str | None:
        """The region the register names for an international Russian number (``7`` + 10 digits)."""
        if len(phone) == 11 and phone[0] == "7" and phone.isascii() and phone.isdigit():
            at = self.find(int(phone[1:]))
            return None if at is None else self.regions[at]
        return None


def parse_register(data: bytes, source: str = "<register>", date: str = "") -> NumberingRegister:
    """Read a register in the regulator's format (UTF-8 with or without BOM, or cp1251)."""
    return _read(lambda: io.BytesIO(data), source, date)


def load_register(path: str | os.PathLike[str], date: str = "") -> NumberingRegister:
    """Read the register file at ``path`` (``DEF-9xx.csv`` as the regulator publishes it)."""
    source = os.fspath(path)
    try:
        return _read(lambda: open(path, "rb"), source, date)
    except OSError as exc:
        raise RegisterError(f"{source}: cannot read the numbering-plan register: {exc}") from exc


def _read(open_stream: Callable[[], BinaryIO], source: str, date: str) -> NumberingRegister:
    # Streamed, never decoded whole: the register is loaded at start-up and its transient peak stays
    # in the service's resident memory.  UTF-8 unless a byte says otherwise, then cp1251 from the top.
    with open_stream() as stream:
        bom = stream.read(3) == b"\xef\xbb\xbf"
    for encoding in ("utf-8", "cp1251"):
        with open_stream() as stream:
            if bom:
                stream.read(3)
            text = io.TextIOWrapper(stream, encoding=encoding, newline="")
            try:
                return _parse(csv.reader(text, delimiter=";"), source, date)
            except UnicodeDecodeError as exc:
                if bom:
                    raise RegisterError(f"{source}: has a UTF-8 byte-order mark but is not UTF-8: {exc}") from exc
    raise AssertionError("unreachable: cp1251 decodes every byte")  # pragma: no cover


def _parse(rows: Iterator[list[str]], source: str, date: str) -> NumberingRegister:
    header = [h.strip() for h in next(rows, [])]
    try:
        at_from, at_to, at_region = (header.index(name) for name in ("От", "До", "Регион"))
    except ValueError:
        raise RegisterError(
            f"{source}: not a numbering-plan register: the header is {';'.join(header)[:120]!r}, "
            f"expected {';'.join(_HEADER)!r}"
        ) from None
    entries: list[tuple[int, int, str]] = []
    names: dict[str, str] = {}  # one string per region, not one per range
    skipped = 0
    for row in rows:
        try:
            code, first, last = int(row[0]), int(row[at_from]), int(row[at_to])
            region = row[at_region].strip()
        except (ValueError, IndexError):
            skipped += bool(row)  # blank lines are not worth counting
            continue
        entries.append((code * _RANGE + first, code * _RANGE + last, names.setdefault(region, region)))
    entries.sort()
    unmapped: dict[str, int] = {}
    choices: dict[str, tuple[str, ...]] = {}
    zones: list[tuple[str, ...]] = []
    for _, _, region in entries:
        zone, others = region_choice(region)
        if zone is not None:
            zones.append((zone,))
            if others:
                choices[region] = (zone, *others)
        else:
            zones.append(others)
            if not others:
                unmapped[region] = unmapped.get(region, 0) + 1
    return NumberingRegister(
        starts=array("q", [e[0] for e in entries]),
        ends=array("q", [e[1] for e in entries]),
        zones=zones,
        regions=[e[2] for e in entries],
        source=source,
        skipped=skipped,
        unmapped=unmapped,
        date=date,
        choices=choices,
    )


# -- the shipped table -------------------------------------------------------------------------------
def table_text(register: NumberingRegister) -> str:
    """The compact table of ``register``: regions numbered once, neighbouring ranges of one region merged.

    ``#`` lines carry the register's source and date.  ``region;ID;NAME;ZONE;ALSO`` rows give
    each region its zone ("" when none is settled) and its other zones (the candidates when
    none is settled, the region's other clocks when one was chosen), separated by spaces;
    then ``CODE;FROM;TO;ID`` rows, one per range, as the register writes numbers.
    """
    out = io.StringIO()
    out.write("# Time zones of Russian mobile number ranges, derived from the regulator's numbering-plan register.\n")
    out.write("# Built by tools/build_numbering.py; rebuild it from a newer register with that script.\n")
    out.write(f"# source: {os.path.basename(register.source)}\n")
    out.write(f"# date: {register.date}\n")
    out.write("# region;ID;NAME;ZONE;ALSO, then CODE;FROM;TO;ID\n")
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    ids: dict[str, int] = {}
    for region, zones in zip(register.regions, register.zones, strict=True):
        if region not in ids:
            ids[region] = len(ids) + 1
            writer.writerow(("region", ids[region], region, *_zone_columns(register, region, zones)))
    merged: list[tuple[int, int, str]] = []
    for start, end, region in zip(register.starts, register.ends, register.regions, strict=True):
        if merged and merged[-1][2] == region and merged[-1][1] == start - 1:
            merged[-1] = (merged[-1][0], end, region)
        else:
            merged.append((start, end, region))
    for start, end, region in merged:
        code = start // _RANGE  # "to" may pass the code's 7 digits where a region's ranges run on into the next
        writer.writerow((code, start - code * _RANGE, end - code * _RANGE, ids[region]))
    return out.getvalue()


def _zone_columns(register: NumberingRegister, region: str, zones: tuple[str, ...]) -> tuple[str, str]:
    if region in register.choices:
        chosen = register.choices[region]
        return chosen[0], " ".join(chosen[1:])
    if len(zones) == 1:
        return zones[0], ""
    return "", " ".join(zones)


def parse_table(text: str, source: str = "<table>") -> NumberingRegister:
    """Read a table that ``table_text`` wrote."""
    meta: dict[str, str] = {}
    body: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            body.append(line)
        elif ":" in line:
            key, _, value = line[1:].partition(":")
            meta[key.strip()] = value.strip()
    starts, ends = array("q"), array("q")
    zones: list[tuple[str, ...]] = []
    regions: list[str] = []
    choices: dict[str, tuple[str, ...]] = {}
    known: dict[str, tuple[str, tuple[str, ...]]] = {}
    for number, row in enumerate(csv.reader(body, delimiter=";"), start=1):
        try:
            if row[0] == "region":
                _, key, region, zone, also = row
                others = tuple(also.split())
                known[key] = region, (zone,) if zone else others
                if zone and others:
                    choices[region] = (zone, *others)
                continue
            code, first, last, key = row
            region, found = known[key]
            starts.append(int(code) * _RANGE + int(first))
            ends.append(int(code) * _RANGE + int(last))
        except (ValueError, IndexError, KeyError):
            raise RegisterError(
                f"{source}: data row {number} is neither region;ID;NAME;ZONE;ALSO nor CODE;FROM;TO;ID "
                f"of a region named before: {';'.join(row)[:120]!r}"
            ) from None
        regions.append(region)
        zones.append(found)
    if not known:
        raise RegisterError(f"{source}: not a numbering table: it names no region")
    return NumberingRegister(
        starts, ends, zones, regions, source=meta.get("source", source), date=meta.get("date", ""), choices=choices
    )


def load_table(path: str | os.PathLike[str]) -> NumberingRegister:
    """Read a table file that ``table_text`` wrote."""
    try:
        with open(path, encoding="utf-8") as stream:
            return parse_table(stream.read(), os.fspath(path))
    except OSError as exc:
        raise RegisterError(f"{os.fspath(path)}: cannot read the numbering table: {exc}") from exc


@cache
def shipped_register() -> NumberingRegister:
    """The table shipped in the package: the default for ``localtime=1`` (read once, never changed)."""
    text = files(__package__ or "smsftp.simulator.rules").joinpath(SHIPPED_TABLE).read_text(encoding="utf-8")
    return parse_table(text, SHIPPED_TABLE)


class RegisterIndex:
    """A register's ranges for looking up many numbers: a table of aligned blocks, then bisection.

    Adjacent ranges whose regions have the same zones are one range here (most of the
    register is in Moscow time), so ``find`` answers with the index of a merged range
    and ``zones`` has the zones of each.  ``blocks[(n - base) // BLOCK]`` is the index
    of the one range that holds the whole block of ``BLOCK`` national numbers around
    ``n``, or -1 where the block is split between ranges (or holds none): then ``find``
    bisects.  Nine blocks in ten of a real register are whole, and a table lookup is a
    fraction of a bisection; the table takes 4 bytes a block, at most 400 kB for the
    whole 10-digit plan.
    """

    BLOCK = 10**5
    __slots__ = ("base", "blocks", "ends", "starts", "zones")

    def __init__(self, register: NumberingRegister) -> None:
        starts = array("q")
        ends = array("q")
        zones: list[tuple[str, ...]] = []
        # A region whose zone was chosen stays apart from its neighbours, so that the first number
        # met in a range is enough to tell whether the choice is to be named (SMS510).
        chosen, last = register.choices, None
        for start, end, found, region in zip(
            register.starts, register.ends, register.zones, register.regions, strict=True
        ):
            kind = region if region in chosen else None
            if starts and start == ends[-1] + 1 and found == zones[-1] and kind == last:
                ends[-1] = end
            else:
                starts.append(start)
                ends.append(end)
                zones.append(found)
            last = kind
        self.starts: Sequence[int] = starts
        self.ends: Sequence[int] = ends
        self.zones: Sequence[tuple[str, ...]] = zones
        size = self.BLOCK
        self.base = starts[0] // size * size if starts else 0
        span = (max(ends) - self.base) // size + 1 if ends else 0
        self.blocks = array("i", [-1]) * span
        for at in range(len(starts)):
            first, stop = self.whole_blocks(at)
            for block in range(first, stop):
                self.blocks[block] = at

    def whole_blocks(self, at: int) -> tuple[int, int]:
        """The blocks that lie wholly in range ``at``: ``range(*whole_blocks(at))`` (maybe empty)."""
        size = self.BLOCK
        first = -(-(self.starts[at] - self.base) // size)  # the first block that starts inside the range
        stop = (self.ends[at] + 1 - self.base) // size  # after the last block that ends inside it
        return first, max(first, stop)

    def find(self, national: int) -> int:
        """The index of the range that holds ``national`` (a 10-digit national number), or -1."""
        block = (national - self.base) // self.BLOCK
        if 0 <= block < len(self.blocks):
            at = self.blocks[block]
            if at >= 0:
                return at
        at = bisect_right(self.starts, national) - 1
        return at if at >= 0 and national <= self.ends[at] else -1


_prefix_zones: dict[str, tuple[str, ...]] = {}


def library_zones(phone: str) -> tuple[str, ...]:
    """phonenumbers' ``time_zones_for_number`` for ``'+' + phone``, with () for its unknown marker.

    Same answer, without parsing: the number's type (geographic or not, from the fast
    validator) picks the prefix table or the country's list, and answers are cached by
    the longest prefix the table can hold.
    """
    parts = national_number(phone)
    if parts is None:
        return ()
    cc, nsn, geographic = parts
    key = (cc + nsn)[:TIMEZONE_LONGEST_PREFIX] if geographic else "+" + cc
    found = _prefix_zones.get(key)
    if found is None:
        found = _prefix_zones[key] = _lookup(key, geographic)
    return found


def _lookup(key: str, geographic: bool) -> tuple[str, ...]:
    if geographic:
        candidates = [key[:n] for n in range(len(key), 0, -1)]
    else:
        # _country_level_time_zones_for_number tries cc[:10] ... cc[:2], never one digit alone.
        candidates = [key[1:][: 1 + n] for n in range(TIMEZONE_LONGEST_PREFIX, 0, -1)]
    for prefix in candidates:
        zones = TIMEZONE_DATA.get(prefix)
        if zones is not None:
            return tuple(z for z in zones if z != UNKNOWN_TIMEZONE)
    return ()


class ZoneResolver:
    """Candidate time zones of a recipient's number: the register, the area codes, then phonenumbers.

    ``ZoneResolver(register)`` looks Russian mobile numbers up in ``register`` (the shipped
    table: ``default_resolver()``); ``ZoneResolver()`` has no register, and leaves them to
    phonenumbers (the whole country).
    """

    def __init__(self, register: NumberingRegister | None = None) -> None:
        self.register = register
        self._index = RegisterIndex(register) if register is not None and len(register) else None
        chosen = {zones[0] for zones in AREA_ZONES.values() if len(zones) > 1}
        if register is not None:
            chosen.update(zones[0] for zones in register.choices.values())
        self.chosen_zones: frozenset[str] = frozenset(chosen)
        """Zones that ``zones_for`` may have chosen among several: only then ask ``choice_for``."""

    def zones_for(self, phone: str) -> tuple[str, ...]:
        """IANA names: one is the zone, several are candidates, () is unknown."""
        if len(phone) == 11 and phone[0] == "7" and phone.isascii() and phone.isdigit():
            index = self._index
            if index is not None:
                at = index.find(int(phone[1:]))
                if at >= 0:
                    zones = index.zones[at]
                    if zones:
                        return zones
            area = area_zones(phone)
            if area is not None and national_number(phone) is not None:
                return area[:1]
        return library_zones(phone)

    def choice_for(self, phone: str) -> tuple[str, tuple[str, ...]] | None:
        """(the place, its zones) when ``zones_for(phone)`` chose the first of the place's several zones."""
        register = self.register
        if register is not None and register.choices:
            region = register.region_of(phone)
            if region is not None:
                found = register.choices.get(region)
                return None if found is None else (region, found)
        area = area_zones(phone)
        if area is not None and len(area) > 1:
            return f"area code {phone[1:4]}", area
        return None

    def register_index(self) -> RegisterIndex | None:
        """The register behind ``zones_for``, for callers that look up many numbers; None without one.

        For a number of 11 ASCII digits, ``7`` and the national number ``n``: when
        ``find(n)`` is ``i >= 0`` and ``zones[i]`` is not empty, ``zones_for`` answers
        ``zones[i]``; otherwise ask ``zones_for``.
        """
        return self._index


@cache
def default_resolver() -> ZoneResolver:
    """A resolver over the shipped table (``shipped_register``); the same object every call."""
    return ZoneResolver(shipped_register())


def choice_message(phone: str, place: str, zones: Iterable[str]) -> str:
    """The text of SMS510: which of a place's zones was used for ``phone``."""
    chosen, *others = zones
    return (
        f"Phone {phone} is in {place}, which keeps {len(others) + 1} time zones; its most populous, "
        f"{chosen}, was used (the others: {', '.join(others)})."
    )


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


_NAMED = 20  # candidates a diagnostic names; a whole country's list is rarely longer


@dataclass(frozen=True, slots=True)
class SendZone:
    """The zone a recipient's send date is read in, and why (Q13)."""

    zone: ZoneInfo
    code: str | None  # None: the number's own zone; SMS508 ambiguous, SMS509 unknown, SMS510 chosen
    candidates: tuple[str, ...]
    phone: str
    place: str = ""  # SMS510: the region or area whose zone was chosen

    def diagnostic(
        self, *, file: str | None = None, line: int | None = None, column: int | None = None
    ) -> Diagnostic | None:
        """The info diagnostic for this choice, or None when the number settled the zone."""
        if self.code is None:
            return None
        if self.code == TIMEZONE_REGION_CHOICE.code:
            message = choice_message(self.phone, self.place, self.candidates)
        elif self.code == TIMEZONE_AMBIGUOUS.code:
            more = len(self.candidates) - _NAMED
            shown = ", ".join(self.candidates[:_NAMED]) + (f" and {more} more" if more > 0 else "")
            message = (
                f"phone `{self.phone}` maps to {len(self.candidates)} time zones ({shown}); "
                f"the send date was read in the client's time zone {self.zone.key}"
            )
        else:
            message = (
                f"no time zone is known for phone `{self.phone}`; "
                f"the send date was read in the client's time zone {self.zone.key}"
            )
        return diagnostic(REGISTRY[self.code], message, file=file, line=line, column=column)


def zone_for_send(phone: str, client_zone: ZoneInfo, resolver: ZoneResolver | None = None) -> SendZone:
    """The zone to read a ``localtime=1`` send date in: the number's own, else the client's (Q13)."""
    resolver = resolver or default_resolver()
    zones = resolver.zones_for(phone)
    if len(zones) == 1:
        zone = _zone(zones[0])
        if zone is None:
            return SendZone(client_zone, TIMEZONE_UNKNOWN.code, (), phone)
        choice = resolver.choice_for(phone) if zones[0] in resolver.chosen_zones else None
        if choice is not None:
            return SendZone(zone, TIMEZONE_REGION_CHOICE.code, choice[1], phone, choice[0])
        return SendZone(zone, None, zones, phone)
    return SendZone(client_zone, TIMEZONE_AMBIGUOUS.code if zones else TIMEZONE_UNKNOWN.code, zones, phone)
