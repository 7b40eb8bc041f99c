"""Calibrating the simulator end to end (issue 12, item 3), with ``smsftp serve`` standing in for the platform.

1. A ``smsftp serve`` with ``--naive-poller`` and an accounts file that sets two open questions the
   other way (Q8 ``accept_plus_and_8``, Q30 ``one_archive_per_check``) is the "live platform";
   ``pytest --target=live --profile-out`` runs the probes against it.
2. ``smsftp profile diff`` of that profile against the defaults shows exactly those three.
3. The whole suite passes on ``--target=sim --profile`` that profile.
4. A second ``smsftp serve --profile`` (no accounts file, no ``--naive-poller``) is calibrated the same way.

The services run on the system clock with a 1-second poll, so the live runs wait in real time
(deadlines on the folder, never a bare sleep): about half a minute in all.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from test_calibration import PROBE_CASES, run_suite

from smsftp.conformance.cases.samples import SAMPLE_NUMBERS
from smsftp.simulator.rules.profile import load_profile

EDITABLE = str(Path(__file__).parents[1] / "tools" / "editable")
ACCOUNTS = """\
[accounts.guest]
password = "guest"
senders = ["TESTSMS"]
default_sender = "TESTSMS"
accept_plus_and_8 = true
one_archive_per_check = true
"""


@contextlib.contextmanager
def serving(state: Path, *options: str) -> Iterator[tuple[str, str, str]]:
    """A ``smsftp serve`` on ephemeral ports: (FTP port, API base URL, certificate)."""
    command = [sys.executable, "-m", "smsftp.simulator.cli", "serve", "--ftp-port", "0", "--api-port", "0"]
    command += ["--state-dir", str(state), "--clock", "system", "--poll-interval", "1", *options]
    env = {**os.environ, "PYTHONPATH": EDITABLE}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env)
    found: dict[str, str] = {}
    said: list[str] = []
    ready = threading.Event()
    patterns = {"ftp": r"^\s+FTP\s+ftp://127\.0\.0\.1:(\d+)/", "api": r"^\s+API\s+(http://\S+?)/api/health"}

    def read() -> None:
        assert process.stderr is not None
        with contextlib.suppress(ValueError, OSError):
            for line in process.stderr:
                said.append(line)
                for key, pattern in patterns.items():
                    match = re.match(pattern, line)
                    if match:
                        found.setdefault(key, match.group(1))
                if len(found) == len(patterns):
                    ready.set()
        ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        ready.wait(30)
        assert set(found) == set(patterns), f"smsftp serve did not start: {''.join(said[-20:])}"
        yield found["ftp"], found["api"], str(state / "tls" / "cert.pem")
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def calibrate_against(tmp_path: Path, served: tuple[str, str, str], out: str) -> subprocess.CompletedProcess[str]:
    ftp, api, cert = served
    return run_suite(
        tmp_path,
        "--target=live",
        f"--cases={PROBE_CASES}",
        "--live-host=127.0.0.1",
        f"--live-port={ftp}",
        "--live-login=guest",
        "--live-password=guest",
        f"--live-cafile={cert}",
        "--live-poll-interval=1",
        "--live-confirm",
        f"--live-allow={','.join(SAMPLE_NUMBERS)}",
        "--live-budget=100",
        f"--live-outcomes={api}/api/messages",
        f"--profile-out={out}",
    )


def profile_diff(tmp_path: Path, *files: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "smsftp.simulator.cli", "profile", "diff", *files]
    env = {**os.environ, "PYTHONPATH": EDITABLE}
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_a_live_run_calibrates_the_simulator_q8_q22_q30(tmp_path: Path) -> None:
    (tmp_path / "accounts.toml").write_text(ACCOUNTS, encoding="utf-8")
    with serving(tmp_path / "platform", "--naive-poller", "--accounts", str(tmp_path / "accounts.toml")) as served:
        live = calibrate_against(tmp_path, served, "live.toml")
    assert "smsftp profile: live.toml" in live.stdout, live.stdout[-3000:]
    profile = load_profile(tmp_path / "live.toml")
    assert profile.target == "live"
    assert profile.values["Q8"] is True and profile.values["Q22"] is True and profile.values["Q30"] is True
    assert "Q9" not in profile.values  # its probe's bad row was accepted (Q8): not observed, left unset

    shown = profile_diff(tmp_path, "live.toml")
    assert shown.returncode == 1, shown.stdout + shown.stderr
    starred = [line.split()[1] for line in shown.stdout.splitlines() if line.startswith("*")]
    assert starred == ["Q8", "Q22", "Q30"]

    followed = run_suite(tmp_path, "--target=sim", "--profile=live.toml")
    assert followed.returncode == 0, followed.stdout[-5000:]
    assert re.search(r"smsftp verdicts: \d+ OK, \d+ INFORMATIONAL\n", followed.stdout), followed.stdout[-2000:]

    with serving(tmp_path / "calibrated", "--profile", str(tmp_path / "live.toml")) as served:
        again = calibrate_against(tmp_path, served, "again.toml")
    assert "smsftp profile: again.toml" in again.stdout, again.stdout[-3000:]
    same = profile_diff(tmp_path, "live.toml", "again.toml")
    assert same.returncode == 0, same.stdout + same.stderr
