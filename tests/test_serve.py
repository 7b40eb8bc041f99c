"""`smsftp serve` as integrators run it: a real process, its banner, FTPS and the HTTP root (T1, T4, R1)."""

from __future__ import annotations

import contextlib
import ftplib
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import click
import httpx
import pytest
from click.testing import CliRunner, Result

from smsftp.simulator.service.clock import real_monotonic


@dataclass
class Served:
    process: subprocess.Popen[str]
    state: Path
    ftp_port: int = 0
    api: str = ""
    banner: list[str] = field(default_factory=list)


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    # The test closes the pipe once the process has ended: reading then stops, quietly.
    with contextlib.suppress(ValueError, OSError):
        for line in stream:
            lines.put(line)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    state = tmp_path / "state"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smsftp.simulator.cli",
            "serve",
            "--ftp-port",
            "0",
            "--api-port",
            "0",
            "--state-dir",
            str(state),
            "--clock",
            "frozen",
            "--at",
            "2026-11-25T12:00:00Z",
        ],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stderr, lines), daemon=True).start()
    server = Served(process, state)
    deadline = real_monotonic() + 30
    try:
        while not server.banner or "Stop:" not in server.banner[-1]:
            line = lines.get(timeout=max(0.01, deadline - real_monotonic()))
            if m := re.search(r"event=start ftp=127\.0\.0\.1:(\d+)", line):
                server.ftp_port = int(m[1])
            elif not line.startswith("ts="):
                server.banner.append(line.rstrip("\n"))
        server.api = re.findall(r"API\s+(http://127\.0\.0\.1:\d+)/api/health", "\n".join(server.banner))[0]
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        process.stderr.close()


def test_r1_the_banner_names_the_cabinet_and_the_root_leads_there(served: Served) -> None:
    """R1: the start-up banner prints the cabinet's address; GET / redirects to it."""
    assert any(re.fullmatch(rf"\s+cabinet\s+{re.escape(served.api)}/cabinet/", line) for line in served.banner)
    response = httpx.get(served.api + "/", timeout=10)
    assert response.status_code == 307 and response.headers["location"] == "/cabinet/"
    assert httpx.get(served.api + "/", timeout=10, follow_redirects=True).status_code == 200


def test_t1_ftps_nlst_of_an_empty_folder(served: Served) -> None:
    """T1/T4: FTP_TLS with the printed certificate, PROT P, `dir` of an empty folder, ten times in a row."""
    context = ssl.create_default_context(cafile=str(served.state / "tls" / "cert.pem"))
    for _ in range(10):
        with ftplib.FTP_TLS(context=context, timeout=10) as ftp:
            ftp.connect("127.0.0.1", served.ftp_port)
            ftp.login("guest", "guest")
            ftp.prot_p()
            assert ftp.nlst() == []
            lines: list[str] = []
            ftp.retrlines("LIST", lines.append)
            assert lines == [] and list(ftp.mlsd()) == []
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(10) == 0


# --- configuration: checked before anything starts ------------------------------------------------------
def _serve(*args: str, env: dict[str, str] | None = None) -> Result:
    from smsftp.simulator.cli import main

    return CliRunner().invoke(main, ["serve", *args], env=env)


def test_a_typo_in_the_accounts_file_stops_serve_with_file_line_and_suggestion(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text(
        '# our accounts\n[accounts.guest]\npasword = "guest"\nsender = "TESTSMS"\n\n[accounts.shop]\n'
        'password = "x"\nvalidity = "1440"\n',
        encoding="utf-8",
    )
    result = _serve("--accounts", str(accounts), "--state-dir", str(tmp_path / "state"))
    assert result.exit_code == 2, result.output
    assert f"{accounts}:3: [accounts.guest] pasword: unknown key; did you mean 'password'?" in result.output
    assert f"{accounts}:4: [accounts.guest] sender: unknown key; did you mean 'senders'?" in result.output
    assert f"{accounts}:2: [accounts.guest] password: missing" in result.output
    assert f"{accounts}:8: [accounts.shop] validity: must be int, not '1440'" in result.output
    assert not (tmp_path / "state").exists()  # nothing started


def _busy_port() -> tuple[socket.socket, int]:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    return holder, holder.getsockname()[1]


@pytest.mark.parametrize("option", ["--ftp-port", "--api-port"])
def test_a_busy_port_is_named_with_its_option(tmp_path: Path, option: str) -> None:
    holder, port = _busy_port()
    with holder:
        other = "--api-port" if option == "--ftp-port" else "--ftp-port"
        result = _serve(option, str(port), other, "0", "--state-dir", str(tmp_path), "--tls", "off")
    assert result.exit_code == 2, result.output
    assert f"{option} {port} is in use on 127.0.0.1" in result.output
    assert f"{other} 0" not in result.output


def test_every_serve_option_reads_its_smsftp_environment_variable(tmp_path: Path) -> None:
    from smsftp.simulator.cli import main
    from smsftp.simulator.serve import serve

    help_text = " ".join(CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output.split())
    for param in serve.params:
        if isinstance(param, click.Option) and param.name != "help":
            env = "SMSFTP_" + param.opts[0].removeprefix("--").replace("-", "_").upper()
            env = {"SMSFTP_REGISTER": "SMSFTP_NUMBERING_REGISTER"}.get(env, env)  # shared with check --register
            assert param.envvar == env, param.opts
            assert f"env var: {env}" in help_text, env
    holder, port = _busy_port()
    with holder:
        result = _serve(env={"SMSFTP_FTP_PORT": str(port), "SMSFTP_STATE_DIR": str(tmp_path), "SMSFTP_TLS": "off"})
    assert result.exit_code == 2 and f"--ftp-port {port} is in use" in result.output
