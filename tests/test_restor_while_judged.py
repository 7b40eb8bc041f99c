"""Re-STOR of the same name while the poller judges it (issue 10 row 13): the poller judges exactly the
bytes it claimed, and the new upload is processed separately afterwards.  Real FTP on loopback."""

from __future__ import annotations

import ftplib
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smsftp.simulator.app import Simulator
from smsftp.simulator.rules.diagnostics import UPLOAD_REPEATED_NAME
from smsftp.simulator.service.clock import FrozenClock
from smsftp.simulator.service.poller import Poller

CampaignFactory = Callable[..., bytes]
NAME = "guest_20261125120000.zip"


def _stor(sim: Simulator, data: bytes) -> None:
    with ftplib.FTP(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {NAME}", io.BytesIO(data))


def test_a_new_upload_of_the_name_mid_judging_changes_nothing_judged(
    tmp_path: Path, campaign: CampaignFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = campaign(3), campaign(5, first=100)
    with Simulator(
        state_dir=tmp_path, api_port=None, tls="off", clock=FrozenClock(datetime(2026, 11, 25, 12, tzinfo=UTC))
    ) as sim:
        judge = Poller._judge
        restored: list[int] = []

        def judge_after_a_restor(self: Poller, *args: Any) -> Any:
            # The moment of the attack: the file is claimed, the rules have not read it yet.
            if not restored:
                _stor(sim, second)  # the FTP server runs on its own thread: this STOR completes now
                restored.append((tmp_path / "ftp" / "guest" / NAME).stat().st_size)
            return judge(self, *args)

        monkeypatch.setattr(Poller, "_judge", judge_after_a_restor)
        _stor(sim, first)
        sim.advance(10)
        assert restored == [len(second)]  # the folder's file was rewritten while judged
        (judged,) = sim.archives("guest")
        assert (judged.status, judged.message_count, judged.size) == ("accepted", 3, len(first))
        assert sim.folder("guest") == [NAME]  # the new upload stays for the next poll

        sim.advance(10)
        again = sim.archives("guest")
        assert [(a.status, a.message_count, a.size) for a in again] == [
            ("accepted", 3, len(first)),
            ("accepted", 5, len(second)),
        ]
        assert UPLOAD_REPEATED_NAME.code in [d.code for d in again[1].diagnostics]
        assert sim.folder("guest") == []
        assert list((tmp_path / "work").iterdir()) == []  # the claimed copies are gone
