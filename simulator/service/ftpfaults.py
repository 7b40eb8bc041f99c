"""Faults on the FTP side: pyftpdlib hooks that apply what ``FaultRegistry.fire`` decided.

Two mixins, put in front of the journalling ones by ``ftpserver.FtpService``:

* ``FaultingHandler`` (control connection): at connect and before each command it
  asks the registry; a fired ``reply`` answers instead of the command (a STOR so
  answered never starts an upload), ``delay`` carries the command out later on
  pyftpdlib's loop (never a sleep: other connections keep being served),
  ``refuse_tls`` accepts ``AUTH TLS`` and then breaks the handshake off, ``drop``
  closes the connection once the command was answered, and the data faults of a
  STOR are handed to its data connection;
* ``FaultingDTP`` (data connection): ``rate`` paces the reads on the loop's real
  monotonic timer, ``cut_after``/``reset_after`` close (FIN) or reset (RST) the
  connection after that many bytes and answer 426; the journal records the
  upload as cut off with the ending ``fault-cut`` or ``fault-reset``.

Every application is recorded with ``FaultRegistry.record``.
"""

from __future__ import annotations

import socket
import struct
from typing import Any

from smsftp.simulator.service import ftpadapter as adapter
from smsftp.simulator.service.clock import real_monotonic
from smsftp.simulator.service.faults import CONNECT, DATA_COMMANDS, Fault, FaultRegistry

_DATA_KINDS = frozenset({"rate", "cut_after", "reset_after"})
_REASONS = {
    421: "Service not available, closing control connection (fault injected).",
    425: "Can't open data connection (fault injected).",
    426: "Connection closed; transfer aborted (fault injected).",
    450: "Requested file action not taken; file unavailable (fault injected).",
    451: "Requested action aborted: local error in processing (fault injected).",
    452: "Requested action not taken; insufficient storage space (fault injected).",
    530: "Not logged in (fault injected).",
    550: "Requested action not taken; file unavailable (fault injected).",
    553: "Requested action not taken; file name not allowed (fault injected).",
}


def _reply_line(fault: Fault) -> str:
    code = fault.spec.reply
    assert code is not None
    return f"{code} {fault.spec.message or _REASONS.get(code, 'Fault injected.')}"


class FaultingHandler:
    """Control channel mixin: faults at connect and on every command."""

    faults: FaultRegistry
    username: str
    remote_ip: str
    remote_port: int
    ioloop: Any
    _upload: tuple[int, str] | None
    data_faults: tuple[Fault, ...] = ()

    def _fault_client(self) -> str:
        return f"{self.remote_ip}:{self.remote_port}"

    def handle(self) -> None:
        fired = self.faults.fire(None, CONNECT)
        if not fired:
            super().handle()  # type: ignore[misc]
            return
        self._apply(fired, CONNECT, "", lambda: super(FaultingHandler, self).handle())  # type: ignore[misc]

    def pre_process_command(self, line: str, cmd: str, arg: str) -> None:
        if cmd in DATA_COMMANDS:
            self.data_faults = ()
        fired = self.faults.fire(self.username or None, cmd)
        if not fired:
            super().pre_process_command(line, cmd, arg)  # type: ignore[misc]
            return
        self._apply(fired, cmd, arg, lambda: super(FaultingHandler, self).pre_process_command(line, cmd, arg))  # type: ignore[misc]

    def _apply(self, fired: list[Fault], cmd: str, arg: str, carry_out: Any) -> None:
        # Clients wait for each reply before the next command, so a delayed command keeps its place.
        delay = sum(f.spec.delay or 0.0 for f in fired)
        for fault in fired:
            if fault.spec.delay:
                self._record(fault, cmd, arg, f"answered after {fault.spec.delay:g} s")
        act = [f for f in fired if not f.spec.delay]

        def go() -> None:
            if adapter.is_closed(self):
                return
            self._act(act, cmd, arg, carry_out)

        if delay:
            self.ioloop.call_later(delay, go)
        else:
            go()

    def _act(self, fired: list[Fault], cmd: str, arg: str, carry_out: Any) -> None:
        reply = next((f for f in fired if f.spec.reply is not None), None)
        refuse = next((f for f in fired if f.spec.refuse_tls), None)
        drop = next((f for f in fired if f.spec.drop), None)
        if reply is not None:
            line = _reply_line(reply)
            self._record(reply, cmd, arg, line)
            self._close_waiting_data_channel()
            self.respond(line)  # type: ignore[attr-defined]
            if cmd == CONNECT or reply.spec.reply == 421:
                self.close_when_done()  # type: ignore[attr-defined]
                return
        elif refuse is not None:
            self._record(refuse, cmd, arg, "234 then the TLS handshake broken off")
            self.respond("234 AUTH TLS successful.")  # type: ignore[attr-defined]
            self.close_when_done()  # type: ignore[attr-defined]
            return
        else:
            if cmd in DATA_COMMANDS:  # read by the data connection, now or once it comes
                self.data_faults = tuple(f for f in fired if f.spec.kind in _DATA_KINDS)
            carry_out()
        if drop is not None and not adapter.is_closed(self):
            self._record(drop, cmd, arg, "control connection closed after the reply")
            self.close_when_done()  # type: ignore[attr-defined]

    def _close_waiting_data_channel(self) -> None:
        # The client may already have connected its data channel (PASV before STOR): close it, or it waits.
        channel = getattr(self, "data_channel", None)
        if channel is not None and not channel.receive:
            channel.close()

    def _record(self, fault: Fault, cmd: str, arg: str, detail: str, upload_id: int | None = None) -> None:
        self.faults.record(
            fault,
            login=self.username or None,
            command=cmd,
            argument="******" if cmd == "PASS" else arg,  # never a password in the journal
            detail=detail,
            upload_id=upload_id,
            client=self._fault_client(),
        )


class FaultingDTP:
    """Data channel mixin: a paced, cut or reset upload."""

    cmd_channel: Any
    socket: Any
    receive: bool
    ioloop: Any
    _fault_received = 0
    _fault_started: float | None = None
    _fault_ending: str | None = None
    _fault_paused = False

    def _faults(self) -> tuple[Fault, ...]:
        return tuple(getattr(self.cmd_channel, "data_faults", ()) or ()) if self.receive else ()

    def recv(self, buffer_size: int) -> bytes:
        faults = self._faults()
        if not faults:
            return super().recv(buffer_size)  # type: ignore[misc, no-any-return]
        for fault in faults:
            limit = fault.spec.cut_after if fault.spec.cut_after is not None else fault.spec.reset_after
            if limit is not None:
                buffer_size = max(1, min(buffer_size, limit - self._fault_received))
            if fault.spec.rate is not None:
                buffer_size = max(1, min(buffer_size, fault.spec.rate))
        if self._fault_started is None:
            self._fault_started = real_monotonic()
        data: bytes = super().recv(buffer_size)  # type: ignore[misc]
        self._fault_received += len(data)
        return data

    def handle_read_event(self) -> None:
        # The event, not handle_read: pyftpdlib's loop calls this name, and the TLS data channel's
        # version of it runs the handshake before any read.
        super().handle_read_event()  # type: ignore[misc]
        faults = self._faults()
        if not faults or adapter.is_closed(self):
            return
        for fault in faults:
            limit = fault.spec.cut_after if fault.spec.cut_after is not None else fault.spec.reset_after
            if limit is not None and self._fault_received >= limit:
                self._cut(fault, reset=fault.spec.reset_after is not None)
                return
        rate = min((f.spec.rate for f in faults if f.spec.rate is not None), default=None)
        if rate is not None and self._fault_started is not None:
            ahead = self._fault_received / rate - (real_monotonic() - self._fault_started)
            if ahead > 0 and not self._fault_paused:
                self._fault_paused = True
                self.del_channel()  # type: ignore[attr-defined]
                self.ioloop.call_later(ahead, self._resume)

    def _resume(self) -> None:
        self._fault_paused = False
        if not adapter.is_closed(self):
            self.add_channel(events=self.ioloop.READ)  # type: ignore[attr-defined]

    def _cut(self, fault: Fault, *, reset: bool) -> None:
        upload = getattr(self.cmd_channel, "_upload", None)
        how = "reset" if reset else "closed"
        self.cmd_channel._record(
            fault,
            "STOR",
            upload[1] if upload else "",
            f"data connection {how} after {self._fault_received} bytes",
            upload_id=upload[0] if upload else None,
        )
        self._fault_ending = "fault-reset" if reset else "fault-cut"
        if reset:
            try:
                raw = self.socket
                raw = getattr(raw, "_socket", raw)
                raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except (OSError, AttributeError):  # the reset becomes a plain close; the journal says which was meant
                pass
        adapter.set_data_reply(self, "426 Connection closed; transfer aborted (fault injected).")
        self.cmd_channel.data_faults = ()
        self.close()  # type: ignore[attr-defined]

    def _ending(self) -> tuple[str, str]:
        if self._fault_ending is not None:
            return "cut_off", self._fault_ending
        return super()._ending()  # type: ignore[misc, no-any-return]
