"""Calibration (smsftp.conformance.judge.calibration): probes to a profile, and a simulator that follows one.

The suite runs in a real ``python -m pytest --pyargs smsftp.conformance`` process, as a user runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from smsftp.conformance.cases import get_case
from smsftp.conformance.judge.calibration import PROBES, calibrate, follow_profile
from smsftp.conformance.judge.runner import run_case
from smsftp.conformance.judge.targets import SimTarget
from smsftp.conformance.judge.verdicts import Outcome
from smsftp.simulator.app import Simulator
from smsftp.simulator.rules.profile import CALIBRATABLE, Profile, diff, load_profile

PROBE_CASES = ",".join(sorted(PROBES))
EVERY_OTHER_VALUE = Profile({q: spec.values[1] for q, spec in CALIBRATABLE.items()})


def run_suite(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The conformance suite in its own pytest process, in ``tmp_path``."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1] / "tools" / "editable")}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--pyargs", "smsftp.conformance"]
    return subprocess.run(
        [*command, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_every_calibratable_question_has_a_probe_that_runs_on_live() -> None:
    assert {p.question for p in PROBES.values()} == set(CALIBRATABLE)
    for case_id in PROBES:
        case = get_case(case_id)
        assert case.informational and not case.sim_only and not case.account, case_id


def test_a_profile_of_the_simulator_itself_equals_the_defaults(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "--target=sim", f"--cases={PROBE_CASES}", "--profile-out=sim.toml")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "smsftp profile: sim.toml" in result.stdout
    profile = load_profile(tmp_path / "sim.toml")
    assert profile.target == "sim"
    assert set(profile.values) == set(CALIBRATABLE)  # every question was probed, and answered
    assert not [r.question for r in diff(profile, Profile()) if r.differs]
    assert {e.case for e in profile.evidence["Q8"]} == {"Q8-leading-plus", "Q8-leading-8"}
    assert all(e.date.endswith("Z") and e.observation for es in profile.evidence.values() for e in es)


def test_the_simulator_follows_a_profile_and_its_probes_observe_it(tmp_path: Path) -> None:
    """Every question set the other way: the sim is set up so, and a profile of that run says so again."""
    (tmp_path / "other.toml").write_text(EVERY_OTHER_VALUE.to_toml(), encoding="utf-8")
    result = run_suite(
        tmp_path, "--target=sim", f"--cases={PROBE_CASES}", "--profile=other.toml", "--profile-out=again.toml"
    )
    assert result.returncode == 0, result.stdout[-3000:]
    again = load_profile(tmp_path / "again.toml")
    # Q9's probe refuses a leading-8 row; with Q8 accepting it no row is refused, and Q9 stays unset.
    assert again.values == {q: v for q, v in EVERY_OTHER_VALUE.values.items() if q != "Q9"}


def test_without_the_profile_the_same_run_differs_everywhere(tmp_path: Path) -> None:
    """The probes are not fooled: a default simulator judged against the other values fails each of them."""
    sim = Simulator()
    with sim:
        target = SimTarget(sim)
        verdicts = []
        for case_id in sorted(PROBES):
            sim.reset()
            verdicts.append(follow_profile(run_case(get_case(case_id), target), EVERY_OTHER_VALUE))
    assert [v.case.id for v in verdicts if v.outcome is not Outcome.FAILED] == []
    q8 = next(v for v in verdicts if v.case.id == "Q8-leading-plus")
    assert "the profile sets Q8 accept_plus_and_8 = True, the probe observed False" in q8.reason


def _verdict(case: str, status: str | None, messages: int | None, outcome: str = "INFORMATIONAL") -> dict[str, Any]:
    archive = {"status": status, "messages": None if messages is None else [{"text": "x"}] * messages}
    return {"case": case, "outcome": outcome, "observed": {"archives": [archive]}, "findings": []}


def test_calibrate_leaves_unclear_questions_unset() -> None:
    date = "2026-12-04T18:00:00Z"
    disagree = [(_verdict("Q8-leading-plus", "accepted", 2), date), (_verdict("Q8-leading-8", "accepted", 1), date)]
    assert calibrate(disagree, target="live", made=date).values == {}
    unseen = [(_verdict("Q8-leading-plus", "accepted", None), date), (_verdict("Q9-bad-row-skipped", None, None), date)]
    assert calibrate(unseen, target="live", made=date).values == {}
    no_bad_row = [(_verdict("Q9-bad-row-skipped", "accepted", 3), date)]  # Q8 took the leading 8
    assert calibrate(no_bad_row, target="live", made=date).values == {}
    refused = [(_verdict("Q11-validity-zero", "rejected", 0, outcome="SKIPPED-SAFETY"), date)]
    assert calibrate(refused, target="live", made=date).values == {}
    seen = calibrate([(_verdict("Q11-validity-zero", "rejected", 0), date)], target="live", made=date)
    assert seen.values == {"Q11": False}
    assert seen.evidence["Q11"][0].observation == "archive rejected, 0 message(s)"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("--target=sim", "--profile=missing.toml"), "no such file"),
        (("--target=sim", "--profile=bad.toml"), "Q8] value"),
        (
            ("--target=live", "--profile=bad.toml", "--live-host=127.0.0.1", "--live-confirm", "--live-budget=1"),
            "needs --target=sim",
        ),
    ],
)
def test_a_bad_profile_is_a_usage_error(tmp_path: Path, args: tuple[str, ...], problem: str) -> None:
    (tmp_path / "bad.toml").write_text("[questions.Q8]\nvalue = 'yes'\n", encoding="utf-8")
    result = run_suite(tmp_path, "--cases=Q8-leading-8", *args)
    assert result.returncode == 4, result.stdout + result.stderr  # pytest's usage error
    assert problem in result.stderr


def test_the_calibration_page_names_every_question_setting_and_probe() -> None:
    page = (Path(__file__).parents[1] / "docs" / "qa" / "calibration.md").read_text(encoding="utf-8")
    for question, spec in CALIBRATABLE.items():
        assert f"[{question}](../reference/rules.md#{question.lower()})" in page
        assert f"`{spec.setting}`" in page or spec.setting == "naive_poller"
    for case_id in PROBES:
        assert f"`{case_id}`" in page
