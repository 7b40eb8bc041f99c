"""Fixtures shared by the service tests: a certificate made once per run, small campaigns, a simulator."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsftp.simulator.app import Simulator
from smsftp.simulator.service.clock import FrozenClock

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
CampaignFactory = Callable[..., bytes]


@pytest.fixture(scope="session")
def service_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, made at test time (never committed)."""
    from smsftp.simulator.service.tls import generate_certificate

    folder = tmp_path_factory.mktemp("tls")
    pair = generate_certificate(folder / "cert.pem", folder / "key.pem")
    return pair.cert, pair.key


def _campaign(rows: int = 3, *, text: str = "Hello #attr1#!", sender: str = "TESTSMS", first: int = 0) -> bytes:
    """A template-mode archive (C1, M1-M3) with ``rows`` recipients 7903123xxxx, CRLF line ends."""
    contacts = "phone;attr1\r\n" + "".join(f"7903{1230000 + first + i:07d};Name{first + i}\r\n" for i in range(rows))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("sms/contacts.csv", contacts)
        archive.writestr("sms/template.csv", f"message;sourceaddress\r\n{text};{sender}\r\n")
    return buffer.getvalue()


@pytest.fixture
def campaign() -> CampaignFactory:
    return _campaign


@pytest.fixture
def service_sim(service_cert: tuple[Path, Path]) -> Iterator[object]:
    """A simulator without the HTTP API (fast to start): frozen at START, demo account guest/guest."""
    from smsftp.simulator.app import Simulator
    from smsftp.simulator.service.clock import FrozenClock

    cert, key = service_cert
    with Simulator(clock=FrozenClock(START), api_port=None, cert=cert, key=key) as sim:
        yield sim


@pytest.fixture(scope="module")
def module_sim(service_cert: tuple[Path, Path]) -> Iterator[Simulator]:
    """One simulator per test module, frozen at START: starting one per test would dominate the run."""
    cert, key = service_cert
    with Simulator(clock=FrozenClock(START), cert=cert, key=key) as running:
        yield running


@pytest.fixture
def clean_sim(module_sim: Simulator) -> Simulator:
    """The module's simulator with its uploads, archives and messages forgotten."""
    module_sim.reset()
    return module_sim


# --- the wheel, as integrators install it (tests/test_consumer_project.py, the CI recipes in test_docs.py) --
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def smsftp_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel built from this checkout with `python -m build` (no isolation: the build backend
    is installed with the test extra, and the build stays offline), once per run."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("smsftp-*.whl")
    return wheel


@pytest.fixture(scope="session")
def wheel_venv(smsftp_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment (no system site-packages) with the wheel and its dependencies
    installed by pip, from whatever index and cache pip is configured with; its bin directory."""
    import subprocess
    import sys
    import venv

    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(root)
    bindir = root / ("Scripts" if sys.platform == "win32" else "bin")
    done = subprocess.run(
        [str(bindir / "python"), "-m", "pip", "install", "--quiet", str(smsftp_wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"pip install {smsftp_wheel.name} into a fresh venv failed:\n{done.stderr[-3000:]}")
    return bindir
