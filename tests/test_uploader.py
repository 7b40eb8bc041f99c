"""The reference client's uploader against a bare pyftpdlib server on loopback (T1, T4, Q22, Q27).

The server here is pyftpdlib itself, not the simulator: these tests pin down
what the uploader puts on the wire, independently of the service's journal.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler, TLS_FTPHandler
from pyftpdlib.servers import FTPServer

from smsftp.conformance.client.builder import ArchiveSpec, ascii_mangle, build_archive
from smsftp.conformance.client.uploader import Uploader, UploadError
from smsftp.simulator.service.tls import generate_certificate


@dataclass
class Seen:
    """What the server observed: commands in order, and the files it received completely."""

    commands: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    event: threading.Event = field(default_factory=threading.Event)


@dataclass
class Server:
    host: str
    port: int
    home: Path
    seen: Seen
    cert: Path | None


def _handler(base: type[FTPHandler], seen: Seen) -> type[FTPHandler]:
    class Handler(base):  # type: ignore[misc]
        def pre_process_command(self, line: str, cmd: str, arg: str) -> Any:
            seen.commands.append(cmd)
            return super().pre_process_command(line, cmd, arg)

        def on_file_received(self, file: str) -> None:
            seen.received.append(Path(file).name)
            seen.event.set()

        def on_incomplete_file_received(self, file: str) -> None:
            seen.incomplete.append(Path(file).name)
            seen.event.set()

    return Handler


def _serve(tmp_path: Path, tls: bool) -> Iterator[Server]:
    home = tmp_path / "home"
    home.mkdir()
    authorizer = DummyAuthorizer()
    authorizer.add_user("guest", "guest", str(home), perm="elradfmwMT")
    seen = Seen()
    handler = _handler(TLS_FTPHandler if tls else FTPHandler, seen)
    handler.authorizer = authorizer
    handler.auth_failed_timeout = 0.05  # pyftpdlib waits 3 s after a wrong password by default
    cert = None
    if tls:
        pair = generate_certificate(tmp_path / "cert.pem", tmp_path / "key.pem")
        handler.certfile, handler.keyfile = str(pair.cert), str(pair.key)
        cert = pair.cert
    server = FTPServer(("127.0.0.1", 0), handler)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            server.ioloop.loop(0.05, blocking=False)
        server.close_all()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield Server("127.0.0.1", server.address[1], home, seen, cert)
    finally:
        stop.set()
        thread.join(5)


@pytest.fixture
def ftp_server(tmp_path: Path) -> Iterator[Server]:
    yield from _serve(tmp_path, tls=False)


@pytest.fixture
def ftps_server(tmp_path: Path) -> Iterator[Server]:
    yield from _serve(tmp_path, tls=True)


def _archive() -> tuple[str, bytes]:
    return build_archive(ArchiveSpec(contacts=(("79031234567", "Иван", "Петрович"),), method="stored"))


def test_t4_binary_upload_stores_exact_bytes_passive(ftp_server: Server) -> None:
    name, data = _archive()
    transcript = Uploader(ftp_server.host, ftp_server.port, "guest", "guest").upload(name, data)
    assert (ftp_server.home / name).read_bytes() == data
    assert transcript.completed and transcript.size == len(data)
    commands = [c.split()[0] for c, _ in transcript.lines if c]
    assert commands[:4] == ["(connect)", "USER", "PASS", "TYPE"]
    assert "PASV" in commands and "STOR" in commands
    assert ("TYPE I", "200 Type set to: Binary.") in transcript.lines


def test_t4_active_mode_uses_port(ftp_server: Server) -> None:
    name, data = _archive()
    uploader = Uploader(ftp_server.host, ftp_server.port, "guest", "guest", passive=False)
    transcript = uploader.upload(name, data)
    assert (ftp_server.home / name).read_bytes() == data
    assert "PORT" in ftp_server.seen.commands and "PASV" not in ftp_server.seen.commands
    assert any(c.startswith("PORT 127,0,0,1,") for c, _ in transcript.lines)


def test_password_is_masked_in_transcript(ftp_server: Server) -> None:
    name, data = _archive()
    transcript = Uploader(ftp_server.host, ftp_server.port, "guest", "guest").upload(name, data)
    assert ("PASS ****", "230 Login successful.") in transcript.lines
    assert "guest" not in " ".join(c for c, _ in transcript.lines if c.startswith("PASS"))
    assert "PASS ****" in transcript.text()


def test_q27_ascii_upload_is_mangled_like_builder_predicts(ftp_server: Server) -> None:
    name, data = _archive()
    assert b"\r\n" in data  # stored CSV with CRLF: the damage is certain
    transcript = Uploader(ftp_server.host, ftp_server.port, "guest", "guest").upload(name, data, binary=False)
    stored = (ftp_server.home / name).read_bytes()
    assert ("TYPE A", "200 Type set to: ASCII.") in transcript.lines
    assert stored != data
    assert stored == ascii_mangle(data)
    assert (
        stored
        == build_archive(ArchiveSpec(contacts=(("79031234567", "Иван", "Петрович"),), faults=("ascii-mangled",)))[1]
    )


def test_q22_temporary_name_then_rename(ftp_server: Server) -> None:
    name, data = _archive()
    transcript = Uploader(ftp_server.host, ftp_server.port, "guest", "guest").upload(name, data, temp_name="auto")
    assert transcript.temp_name == name + ".part"
    assert [p.name for p in ftp_server.home.iterdir()] == [name]
    assert ftp_server.seen.received == [name + ".part"]
    sent = [c for c, _ in transcript.lines if c]
    assert sent.index(f"STOR {name}.part") < sent.index(f"RNFR {name}.part") < sent.index(f"RNTO {name}")


def test_t1_ftps_upload_encrypts_control_and_data(ftps_server: Server) -> None:
    name, data = _archive()
    uploader = Uploader(ftps_server.host, ftps_server.port, "guest", "guest", tls=True, cafile=ftps_server.cert)
    transcript = uploader.upload(name, data)
    assert (ftps_server.home / name).read_bytes() == data
    sent = [c for c, _ in transcript.lines if c]
    assert sent[:4] == ["(connect)", "AUTH TLS", "USER guest", "PASS ****"]
    assert "PBSZ 0" in sent and "PROT P" in sent


def test_t1_ftps_active_mode(ftps_server: Server) -> None:
    name, data = _archive()
    Uploader(
        ftps_server.host, ftps_server.port, "guest", "guest", tls=True, passive=False, cafile=ftps_server.cert
    ).upload(name, data)
    assert (ftps_server.home / name).read_bytes() == data


def test_ftps_refuses_an_untrusted_certificate(ftps_server: Server) -> None:
    name, data = _archive()
    with pytest.raises(UploadError) as failure:
        Uploader(ftps_server.host, ftps_server.port, "guest", "guest", tls=True).upload(name, data)
    assert "CERTIFICATE_VERIFY_FAILED" in str(failure.value)
    assert not (ftps_server.home / name).exists()


def test_t2_wrong_password_raises_with_transcript(ftp_server: Server) -> None:
    name, data = _archive()
    with pytest.raises(UploadError) as failure:
        Uploader(ftp_server.host, ftp_server.port, "guest", "nope").upload(name, data)
    assert failure.value.transcript.lines[-1][0] == "PASS ****"
    assert failure.value.transcript.lines[-1][1].startswith("530")
    assert not failure.value.transcript.completed


def test_guard_refuses_before_connecting(ftp_server: Server) -> None:
    class Refused(Exception):
        pass

    def guard(filename: str, data: bytes) -> None:
        raise Refused(filename)

    name, data = _archive()
    with pytest.raises(Refused):
        Uploader(ftp_server.host, ftp_server.port, "guest", "guest", guard=guard).upload(name, data)
    assert ftp_server.seen.commands == []


def test_q22_held_upload_is_incomplete_until_finished(ftp_server: Server) -> None:
    name, data = build_archive(ArchiveSpec(contacts=tuple((f"7903{i:07d}", "a", "b") for i in range(5000))))
    held = Uploader(ftp_server.host, ftp_server.port, "guest", "guest").hold(name, data, temp_name="auto")
    part = ftp_server.home / (name + ".part")
    assert not held.transcript.completed
    assert ftp_server.seen.received == []
    held.finish()
    assert ftp_server.seen.event.wait(30)
    assert (ftp_server.home / name).read_bytes() == data
    with pytest.raises(RuntimeError):
        held.finish()
    assert not part.exists()


def test_q22_held_upload_aborted_leaves_partial_file(ftp_server: Server) -> None:
    name, data = build_archive(ArchiveSpec(contacts=tuple((f"7903{i:07d}", "a", "b") for i in range(5000))))
    held = Uploader(ftp_server.host, ftp_server.port, "guest", "guest").hold(name, data, first=1000)
    transcript = held.abort()
    assert ftp_server.seen.event.wait(30)
    # Usually on_incomplete_file_received; under load the data channel's close can reach pyftpdlib
    # before the ABOR and it counts the upload as received.  Either way the file is partial.
    assert ftp_server.seen.incomplete + ftp_server.seen.received == [name]
    assert not transcript.completed
    assert (ftp_server.home / name).stat().st_size < len(data)
    assert any(c == "ABOR" for c, _ in transcript.lines)


def test_list_folder_and_delete(ftp_server: Server) -> None:
    uploader = Uploader(ftp_server.host, ftp_server.port, "guest", "guest")
    assert uploader.list_folder() == []
    name, data = _archive()
    uploader.upload(name, data)
    uploader.upload("notes.txt", b"hello")
    assert uploader.list_folder() == sorted([name, "notes.txt"])
    uploader.delete("notes.txt")
    assert uploader.list_folder() == [name]


def test_q22_held_upload_reset_is_incomplete_for_the_server(ftp_server: Server) -> None:
    name, data = build_archive(ArchiveSpec(contacts=tuple((f"7903{i:07d}", "a", "b") for i in range(5000))))
    held = Uploader(ftp_server.host, ftp_server.port, "guest", "guest").hold(name, data, first=1000)
    transcript = held.abort("reset")
    # Bare pyftpdlib cannot tell a reset data connection from the end of the file: it usually answers
    # 226 and calls on_file_received, sometimes 426 or neither hook (when QUIT wins the race).  Only the
    # size shows the cut; the simulator's journal has to know better (tests/test_journal.py).
    deadline = time.monotonic() + 30
    while not (ftp_server.seen.event.is_set() or "QUIT" in ftp_server.seen.commands):
        assert time.monotonic() < deadline, ftp_server.seen
        time.sleep(0.01)
    # A reset may also drop bytes still in the server's receive buffer: at most what was sent arrives.
    assert (ftp_server.home / name).stat().st_size <= 1000 < len(data)
    assert ftp_server.seen.received + ftp_server.seen.incomplete in ([name], [])
    # Whatever the server answered (226, 426, or nothing before the uploader gave up), the client knows
    # that it did not complete the upload.
    assert not transcript.completed and transcript.lines[-1][0] in ("", "QUIT")


def test_t1_ftps_held_upload_finishes_with_rename(ftps_server: Server) -> None:
    name, data = build_archive(ArchiveSpec(contacts=tuple((f"7903{i:07d}", "a", "b") for i in range(5000))))
    uploader = Uploader(ftps_server.host, ftps_server.port, "guest", "guest", tls=True, cafile=ftps_server.cert)
    held = uploader.hold(name, data, temp_name="auto")
    transcript = held.finish()
    assert transcript.completed and (ftps_server.home / name).read_bytes() == data
    assert [c for c, _ in transcript.lines if c.startswith("RN")] == [f"RNFR {name}.part", f"RNTO {name}"]
