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
