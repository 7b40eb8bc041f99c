"""What the cabinet shows, computed from the store's records: times, transcripts, daily totals, charts.

Pure functions of records and an account's time zone, so the pages stay thin
templates and the arithmetic is tested without a browser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from smsftp.simulator.rules.diagnostics import Diagnostic
from smsftp.simulator.rules.instants import format_instant, utc

if TYPE_CHECKING:
    from smsftp.simulator.service.store import (
        Activity,
        ArchiveDay,
        ArchiveRecord,
        FaultEvent,
        MessageRecord,
        UploadRecord,
    )

CHART_DAYS = 14
_BACKTICKS = re.compile(r"`([^`]+)`")


def local_time(instant: datetime | None, zone: tzinfo) -> str:
    """``2026-11-26 06:00:00 MSK``: the client's wall clock, with the zone's abbreviation or offset."""
    if instant is None:
        return "—"
    shown = utc(instant).astimezone(zone)
    return f"{shown:%Y-%m-%d %H:%M:%S} {shown.tzname() or shown.strftime('%z')}"


def utc_time(instant: datetime | None) -> str:
    if instant is None:
        return "—"
    return f"{utc(instant):%Y-%m-%d %H:%M:%S} UTC"


def iso(instant: datetime | None) -> str:
    return format_instant(instant) if instant is not None else ""


def inline_code(text: str) -> Markup:
    """The registry's texts mark code with backticks, as Markdown does; show those spans as code."""
    escaped = str(escape(text))
    return Markup(_BACKTICKS.sub(lambda m: f"<code>{m.group(1)}</code>", escaped))


def where(d: Diagnostic) -> str:
    """``sms/contacts.csv:3:7`` like a compiler, or ``archive`` when the problem has no place."""
    if d.file is None:
        return "archive"
    parts = [d.file]
    if d.line is not None:
        parts.append(str(d.line))
        if d.column is not None:
            parts.append(str(d.column))
    return ":".join(parts)


def severity_counts(diagnostics: Iterable[Diagnostic]) -> dict[str, int]:
    counts = {"error": 0, "warning": 0, "info": 0}
    for d in diagnostics:
        counts[d.severity.value] = counts.get(d.severity.value, 0) + 1
    return counts


def digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def filter_messages(messages: Iterable[MessageRecord], phone: str, text: str) -> list[MessageRecord]:
    """Search as a person types: phone by its digits anywhere (``+7 903`` finds ``79031234567``),
    text case-insensitively anywhere.  The cabinet searches in SQL (``Store.archive_messages``); this
    is the same search over records in memory, the reference the SQL one is tested against."""
    wanted_digits = digits(phone)
    wanted_text = text.strip().casefold()
    found = []
    for m in messages:
        if wanted_digits and wanted_digits not in m.phone:
            continue
        if wanted_text and wanted_text not in m.text.casefold():
            continue
        found.append(m)
    return found


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    text: str
    note: str = ""  # why it matters, when it does (ASCII mode, no rename, cut off)
    level: str = "info"  # info | warning | error, for the page's colour


def _bytes(size: int | None) -> str:
    return "an unknown number of bytes" if size is None else f"{size:,} bytes"


ENDINGS = {
    "ABOR": "the client sent ABOR",
    "control-lost": "the control connection was lost",
    "tls-eof": "the TLS data channel closed without a proper shutdown",
    "reset": "the connection was reset",
    "timeout": "the transfer timed out",
    "error": "a server-side error",
    "restart": "the simulator restarted during the transfer",
    "fault-cut": "the simulator closed the data connection (an injected fault)",
    "fault-reset": "the simulator reset the data connection (an injected fault)",
    "quota": "the account's folder quota was reached (552)",
    "disk-full": "the server's disk was full (452)",
}


def faults_of(upload: UploadRecord, events: Sequence[FaultEvent], previous: int) -> list[FaultEvent]:
    """The injected faults this upload's session met: those that hit it, and those since ``previous``, the
    login's upload before it (``Store.previous_upload_id``)."""
    return [
        e
        for e in events
        if e.upload_id == upload.id
        or (e.upload_id is None and e.login in (upload.login, None) and previous <= e.after_upload < upload.id)
    ]


def transcript(upload: UploadRecord, zone: tzinfo, faults: Sequence[FaultEvent] = ()) -> list[TranscriptLine]:
    """The upload retold as the FTP session that made it, with what each step means for the archive.

    ``faults`` (``faults_of``): injected faults met before this upload are told first, one that hit it last.
    """
    lines = [
        TranscriptLine(
            f"{local_time(e.at, zone)}  fault #{e.fault_id} before this upload: {e.command} {e.argument}: {e.detail}",
            "injected by the simulator (--fault, /api/faults); the client then made this upload",
            "warning",
        )
        for e in faults
        if e.upload_id != upload.id and e.command != "POLL"
    ]
    lines.append(TranscriptLine(f"{local_time(upload.started_at, zone)}  connection from {upload.client}"))
    if upload.control_tls:
        lines.append(TranscriptLine("AUTH TLS: control channel encrypted"))
    else:
        lines.append(
            TranscriptLine(
                "control channel in plain text",
                "the password crossed the network unencrypted; explicit FTPS (AUTH TLS) protects it",
                "warning",
            )
        )
    if upload.transfer_type == "A":
        lines.append(
            TranscriptLine(
                "TYPE A (ASCII)",
                "ASCII mode rewrites line endings and corrupts zip archives; switch to binary (TYPE I) — Q27",
                "error",
            )
        )
    else:
        lines.append(TranscriptLine("TYPE I (binary)"))
    channel = "PASV (passive)" if upload.passive else "PORT (active)"
    data = "encrypted (PROT P)" if upload.data_tls else "plain text"
    lines.append(TranscriptLine(f"{channel} data connection, {data}"))
    stored_as = upload.temp_name or upload.filename
    lines.append(TranscriptLine(f"{upload.command} {stored_as}"))
    if upload.state == "complete":
        digest = f", sha256 {upload.sha256}" if upload.sha256 else ""
        lines.append(TranscriptLine(f"transfer complete: {_bytes(upload.size)}{digest}"))
    elif upload.state == "in_progress":
        lines.append(
            TranscriptLine("transfer in progress", "the poller leaves a file alone until its upload ends — Q22")
        )
    else:
        why = ENDINGS.get(upload.ending or "", upload.ending or "the transfer did not finish")
        lines.append(
            TranscriptLine(
                f"transfer cut off after {_bytes(upload.size)}: {why}",
                "the file in the folder is incomplete; as an archive it is truncated",
                "error",
            )
        )
    if upload.renamed_to:
        lines.append(
            TranscriptLine(
                f"RNFR {stored_as} / RNTO {upload.renamed_to}",
                "uploaded under a temporary name, then renamed: the poller never sees a half-written archive",
            )
        )
    elif upload.filename.lower().endswith(".zip"):
        lines.append(
            TranscriptLine(
                "no rename: written under its final name",
                "a poller that lists the folder mid-transfer could take a half-written "
                "file; upload under a temporary name and rename — Q22",
                "warning",
            )
        )
    for e in faults:
        if e.upload_id == upload.id:
            lines.append(
                TranscriptLine(
                    f"fault #{e.fault_id} injected: {e.detail}",
                    "a whole new upload (STOR from the first byte) is the right answer, not APPE or REST",
                    "error",
                )
            )
    if upload.ended_at is not None:
        lines.append(TranscriptLine(f"{local_time(upload.ended_at, zone)}  end of transfer"))
    return lines


def upload_state(upload: UploadRecord) -> tuple[str, str]:
    """A label and a badge class for the upload's outcome."""
    if upload.state == "complete":
        return "complete", "s-accepted"
    if upload.state == "in_progress":
        return "in progress", "s-pending"
    return "cut off", "s-rejected"


@dataclass
class DayTotals:
    day: date
    archives: int = 0
    messages: int = 0
    parts: int = 0
    rejected_archives: int = 0
    rejected_rows: int = 0

    @property
    def rejections(self) -> int:
        return self.rejected_archives + self.rejected_rows


def daily_totals(
    archives: Sequence[ArchiveRecord | ArchiveDay],
    parts_by_archive: dict[int, int],
    zone: tzinfo,
    *,
    days: int = CHART_DAYS,
) -> list[DayTotals]:
    """Totals per calendar day of receipt in the client's zone, the latest ``days`` days that had any."""
    by_day: dict[date, DayTotals] = {}
    for a in archives:
        day = utc(a.received_at).astimezone(zone).date()
        totals = by_day.setdefault(day, DayTotals(day))
        totals.archives += 1
        totals.rejected_rows += a.rejected_rows
        if a.status == "rejected":
            totals.rejected_archives += 1
        elif a.status == "accepted":
            totals.messages += a.message_count
            totals.parts += parts_by_archive.get(a.id, 0)
    return [by_day[d] for d in sorted(by_day)[-days:]]


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    height: float
    value: int
    label: str


@dataclass
class Chart:
    """A tiny bar chart laid out here so that the template only draws rectangles (no JS, no library)."""

    title: str
    css: str
    width: int
    height: int
    bars: list[Bar] = field(default_factory=list)
    peak: int = 0

    @property
    def bar_width(self) -> float:
        return 16.0


def bar_chart(title: str, css: str, points: Sequence[tuple[str, int]], *, height: int = 64) -> Chart:
    step = 22
    chart = Chart(title=title, css=css, width=max(step * len(points), step), height=height)
    chart.peak = max((v for _, v in points), default=0)
    usable = height - 14  # room for the value printed above the tallest bar
    for i, (label, value) in enumerate(points):
        h = 0.0 if chart.peak == 0 else max(1.0, usable * value / chart.peak) if value else 0.0
        chart.bars.append(Bar(x=i * step + 3, y=height - h, height=h, value=value, label=label))
    return chart


def day_charts(totals: Sequence[DayTotals]) -> list[Chart]:
    def series(attr: str) -> list[tuple[str, int]]:
        return [(f"{t.day:%d %b}", int(getattr(t, attr))) for t in totals]

    return [
        bar_chart("Archives", "c-archives", series("archives")),
        bar_chart("Messages", "c-messages", series("messages")),
        bar_chart("SMS parts", "c-parts", series("parts")),
        bar_chart("Rejections (archives + rows)", "c-rejections", series("rejections")),
    ]


def change_stamp(activity: Activity) -> str:
    """A short value that changes whenever anything the lists show changes; the page polls it."""
    a = activity
    return f"a{a.archives}.{a.last_archive}.{a.pending}-u{a.uploads}.{a.last_upload}.{a.open_uploads}"
