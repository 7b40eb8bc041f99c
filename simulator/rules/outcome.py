"""What judging an archive produces: rendered messages and a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from smsftp.simulator.rules.diagnostics import Diagnostic, Severity
from smsftp.simulator.rules.instants import format_instant

Status = Literal["accepted", "rejected"]
ArchiveMode = Literal["template", "plain"]
SmsEncoding = Literal["GSM-7", "UCS-2"]


# Not frozen: a frozen dataclass's __init__ goes through object.__setattr__ per field, about
# 0.8 µs more per message, which alone would miss the rules' throughput target (docs/performance.md).
# Treat as read-only.
@dataclass(slots=True)
class Message:
    """One SMS the platform would send. Instants are aware UTC datetimes."""

    phone: str
    text: str
    sender: str
    send_at: datetime
    expires_at: datetime
    encoding: SmsEncoding
    segments: int
    row: int  # 1-based line of the source file where the recipient's record starts

    def to_json(self) -> dict[str, Any]:
        return {
            "phone": self.phone,
            "text": self.text,
            "sender": self.sender,
            "send_at": format_instant(self.send_at),
            "expires_at": format_instant(self.expires_at),
            "encoding": self.encoding,
            "segments": self.segments,
            "row": self.row,
        }


@dataclass(frozen=True, slots=True)
class UploadFacts:
    """What the FTP server saw of the upload, for diagnostics that depend on it (Q22, Q27)."""

    transfer_type: Literal["A", "I"] = "I"
    complete: bool = True


@dataclass
class ArchiveResult:
    """The verdict on one archive, with every diagnostic and optionally the messages."""

    archive: str
    status: Status
    mode: ArchiveMode | None
    message_count: int
    rejected_rows: int
    diagnostics: list[Diagnostic] = field(default_factory=list)
    messages: list[Message] | None = None

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "archive": self.archive,
            "status": self.status,
            "mode": self.mode,
            "message_count": self.message_count,
            "rejected_rows": self.rejected_rows,
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }
        if self.messages is not None:
            data["messages"] = [m.to_json() for m in self.messages]
        return data
