"""A consumer project with its own `simulator/` and `conformance/` packages uses our installed wheel (issue 13).

The wheel installs `smsftp.simulator` and `smsftp.conformance`, so a user's packages of the same
names never shadow ours: `python -m pytest` in such a project loads our plugin, and its test gets
our `sms_simulator` fixture while importing its own `simulator`.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CONSUMER_TEST = """
import ftplib, io

import conformance
import simulator
import smsftp.simulator


def test_our_simulator_with_their_packages(sms_simulator):
    assert simulator.WHO == "the consumer's simulator" and conformance.WHO == "the consumer's conformance"
    assert type(sms_simulator).__module__ == "smsftp.simulator.app"
    assert "site-packages" in smsftp.simulator.__file__
    ftp = ftplib.FTP()
    ftp.connect(sms_simulator.ftp_host, sms_simulator.ftp_port)
    ftp.login("guest", "guest")
    ftp.storbinary("STOR hello.txt", io.BytesIO(b"hello"))
    ftp.quit()
    assert sms_simulator.folder("guest") == ["hello.txt"]
    print("IMPORTED", simulator.__file__, smsftp.simulator.__file__)
"""


def test_a_project_with_its_own_simulator_and_conformance_packages_runs_our_plugin(
    wheel_venv: Path, tmp_path: Path
) -> None:
    project = tmp_path / "consumer"
    for package in ("simulator", "conformance"):
        (project / package).mkdir(parents=True)
        (project / package / "__init__.py").write_text(f'WHO = "the consumer\'s {package}"\n', encoding="utf-8")
        # The module the plugin failed on when our packages were installed as top-level names.
        (project / package / "clock.py").write_text("raise ImportError('the consumer clock')\n", encoding="utf-8")
    (project / "tests").mkdir()
    (project / "tests" / "test_sms.py").write_text(textwrap.dedent(CONSUMER_TEST), encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{wheel_venv}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [str(wheel_venv / "python"), "-m", "pytest", "-s", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout
    (line,) = [line for line in done.stdout.splitlines() if "IMPORTED" in line]
    theirs, ours = line.split("IMPORTED ", 1)[1].split()
    assert Path(theirs) == project / "simulator" / "__init__.py"
    assert Path(ours).parent.parent.name == "smsftp" and "site-packages" in ours
