"""Running cases (smsftp.conformance.judge.runner) on the simulator: a target that breaks a statement is caught."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from smsftp.conformance.cases import get_case
from smsftp.conformance.judge.runner import run_case
from smsftp.conformance.judge.targets import SimTarget
from smsftp.conformance.judge.verdicts import Outcome
from smsftp.simulator.app import Simulator


@pytest.fixture
def fast_poller() -> Iterator[Simulator]:
    """A simulator that polls every 5 seconds instead of the document's 10."""
    with Simulator(api_port=None, tls="off", poll_interval=5) as sim:
        yield sim


@pytest.fixture
def naive_poller() -> Iterator[Simulator]:
    """A simulator that takes files still being uploaded, as a plain file-system poller would."""
    with Simulator(api_port=None, tls="off", naive_poller=True) as sim:
        yield sim


def test_p1_a_target_polling_every_5_seconds_fails_the_10_second_statement(fast_poller: Simulator) -> None:
    target = SimTarget(fast_poller)
    target.poll_interval = 10.0  # what P1 says
    verdict = run_case(get_case("P1-poll-interval"), target)
    assert verdict.outcome is Outcome.FAILED
    timing = next(f for f in verdict.findings if f.aspect == "poll interval (P1)")
    assert (timing.kind, timing.expected, timing.observed) == ("mismatch", "10 s", "5.00 s")


def test_p1_the_same_timing_is_ok_when_the_interval_is_the_declared_one(fast_poller: Simulator) -> None:
    assert run_case(get_case("P1-poll-interval"), SimTarget(fast_poller)).outcome is Outcome.OK


def test_q22_a_naive_poller_that_takes_a_half_uploaded_file_is_caught(naive_poller: Simulator) -> None:
    verdict = run_case(get_case("Q22-upload-held-open"), SimTarget(naive_poller))
    assert verdict.outcome is Outcome.FAILED  # an open question, but the simulator breaks its own default
    early = next(f for f in verdict.findings if "while the upload was open" in f.aspect)
    assert early.kind == "mismatch"


def test_a_wrong_expectation_fails_with_the_evidence_m2(fast_poller: Simulator) -> None:
    case = get_case("M2-empty-value")
    expected = case.expected.archives[0]
    assert expected.messages
    wrong = replace(expected, messages=(replace(expected.messages[0], text="Уважаемый Иван! Ваш заказ готов."),))
    broken = replace(case, expected=replace(case.expected, archives=(wrong,)), _cache={})
    verdict = run_case(broken, SimTarget(fast_poller))
    assert verdict.outcome is Outcome.FAILED
    messages = next(f for f in verdict.findings if f.aspect.endswith("messages"))
    assert messages.observed["unexpected"][0]["text"] == "Уважаемый Иван ! Ваш заказ готов к выдаче."
    assert verdict.observation.archives[0].transcript is not None


def test_every_scenario_runs_on_the_simulator_and_sim_only_cases_run_there(fast_poller: Simulator) -> None:
    target = SimTarget(fast_poller)
    for case_id in ("T2-own-folder", "R1-statistics", "T4-ftp-commands", "N4-account-sender", "Q17-same-name-again"):
        fast_poller.reset()
        verdict = run_case(get_case(case_id), target)
        assert verdict.outcome in (Outcome.OK, Outcome.INFORMATIONAL), verdict.text()
        assert not [f for f in verdict.findings if f.kind == "mismatch"], verdict.text()
