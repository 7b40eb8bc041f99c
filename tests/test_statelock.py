"""One owner per state folder (issue 10 row 2): the lock is taken first, refused at once, freed on stop."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from smsftp.simulator.app import Simulator
from smsftp.simulator.service.statelock import StateFolderBusy, StateLock


def test_a_second_simulator_on_the_folder_is_refused_before_touching_it(tmp_path: Path) -> None:
    with Simulator(state_dir=tmp_path, api_port=None, tls="off") as first:
        second = Simulator(state_dir=tmp_path, api_port=None, tls="off")
        with pytest.raises(StateFolderBusy) as refused:
            second.start()
        assert refused.value.folder == tmp_path.resolve()
        assert refused.value.holder == str(os.getpid())
        assert not second.started
        assert first.poll_now().found == 0  # the first one is untouched and still works
    with Simulator(state_dir=tmp_path, api_port=None, tls="off"):  # stopped: the folder is free
        pass


def test_a_start_that_fails_on_a_port_frees_the_folder(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = Simulator(state_dir=tmp_path, api_port=None, tls="off", ftp_port=taken.getsockname()[1])
        with pytest.raises(OSError):
            busy.start()
    with Simulator(state_dir=tmp_path, api_port=None, tls="off") as again:
        assert again.started


def test_the_lock_file_names_the_holder_and_is_emptied_on_release(tmp_path: Path) -> None:
    lock = StateLock(tmp_path).acquire()
    assert (tmp_path / "smsftp.lock").read_text().strip().isdigit()
    with pytest.raises(StateFolderBusy, match="pid"):
        StateLock(tmp_path).acquire()
    lock.release()
    assert (tmp_path / "smsftp.lock").read_text() == ""
    StateLock(tmp_path).acquire().release()
