"""Calibration profiles (smsftp.simulator.rules.profile): the model, its TOML, the diff and the CLI."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsftp.simulator.cli import main
from smsftp.simulator.rules.accounts import Account, demo_account
from smsftp.simulator.rules.profile import (
    CALIBRATABLE,
    NOT_CALIBRATABLE,
    Evidence,
    Profile,
    ProfileError,
    diff,
    load_profile,
    parse_profile,
)
from smsftp.simulator.rules.statements import OPEN_QUESTIONS, SETTINGS

CALIBRATED = Profile(
    {"Q8": True, "Q22": True, "Q30": True, "Q28": "warn"},
    {"Q8": (Evidence("Q8-leading-plus", "2026-12-04T18:00:00Z", 'archive accepted, 2 "message(s)"'),)},
    target="live",
    made="2026-12-04T18:00:00Z",
)


def test_every_open_question_is_calibratable_or_says_why_not() -> None:
    assert set(CALIBRATABLE) | set(NOT_CALIBRATABLE) == set(OPEN_QUESTIONS)
    assert not set(CALIBRATABLE) & set(NOT_CALIBRATABLE)
    for question, spec in CALIBRATABLE.items():
        setting = "--naive-poller" if spec.setting == "naive_poller" else spec.setting
        assert setting in SETTINGS[question], (question, spec.setting)
        if spec.setting != "naive_poller":
            assert getattr(Account(login=""), spec.setting) == spec.default, question


def test_round_trip_keeps_values_and_evidence_and_lists_the_rest_as_comments() -> None:
    text = CALIBRATED.to_toml()
    again = parse_profile(tomllib.loads(text))
    assert again == CALIBRATED
    assert "# Q2 (accept_senddate_without_seconds): not observed by this run; default true" in text
    assert "# Q16: limits" in text


def test_apply_sets_account_settings_and_the_poller() -> None:
    account = CALIBRATED.apply(demo_account())
    assert account.accept_plus_and_8 is True and account.one_archive_per_check is True
    assert account.password == "guest"
    assert CALIBRATED.naive_poller is True
    assert "naive_poller" not in CALIBRATED.account_settings()
    assert Profile().apply(demo_account()) == demo_account()
    assert CALIBRATED.differing() == {"Q8": True, "Q22": True, "Q30": True}
    assert CALIBRATED.summary() == "Q8 accept_plus_and_8=true, Q22 naive_poller=true, Q30 one_archive_per_check=true"
    assert Profile({"Q28": "warn"}).summary() == "as the defaults"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("[questions.Q8]\nvalue = 1\n", "Q8] value: must be one of false, true, not 1"),
        ("[questions.Q28]\nvalue = 'maybe'\n", 'must be one of "warn", "reject"'),
        ("[questions.Q8]\nsetting = 'accept_plus'\nvalue = true\n", "setting must be 'accept_plus_and_8'"),
        ("[questions.Q8]\nsetting = 'accept_plus_and_8'\n", "needs a value"),
        ("[questions.Q1]\nvalue = true\n", "Q1 cannot be calibrated"),
        ("[questions.Q99]\nvalue = true\n", "not an open question with a setting"),
        ("[questions.Q8]\nvalue = true\nevidence = [{ case = 'x' }]\n", "case, date and observation"),
        ("[other]\nx = 1\n", "unknown table(s) other"),
    ],
)
def test_bad_profiles_name_the_key(text: str, problem: str) -> None:
    with pytest.raises(ProfileError, match=r"p\.toml") as caught:
        parse_profile(tomllib.loads(text), "p.toml")
    assert problem in str(caught.value)


def test_load_profile_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such file"):
        load_profile(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[questions.Q8\n", encoding="utf-8")
    with pytest.raises(ProfileError, match=r"broken\.toml"):
        load_profile(broken)


def test_diff_counts_unset_as_default() -> None:
    rows = {r.question: r for r in diff(CALIBRATED, Profile())}
    assert [q for q, r in rows.items() if r.differs] == ["Q8", "Q22", "Q30"]
    assert rows["Q28"].left_set and not rows["Q28"].right_set and not rows["Q28"].differs
    assert not any(r.differs for r in diff(Profile({"Q8": False}), Profile()))


def _write(path: Path, profile: Profile) -> str:
    path.write_text(profile.to_toml(), encoding="utf-8")
    return str(path)


def test_cli_diff_exit_status_and_table(tmp_path: Path) -> None:
    runner = CliRunner()
    live = _write(tmp_path / "live.toml", CALIBRATED)
    same = _write(tmp_path / "same.toml", Profile({"Q8": False}))
    against_defaults = runner.invoke(main, ["profile", "diff", live])
    assert against_defaults.exit_code == 1, against_defaults.output
    lines = against_defaults.output.splitlines()
    assert lines[0].split() == ["question", "setting", live, "defaults"]
    starred = [line.split()[1] for line in lines[1:-1] if line.startswith("*")]
    assert starred == ["Q8", "Q22", "Q30"]
    assert "*  Q8        accept_plus_and_8" in against_defaults.output and "(false)" in against_defaults.output
    assert lines[-1] == "3 difference(s): Q8, Q22, Q30"
    equal = runner.invoke(main, ["profile", "diff", same])
    assert equal.exit_code == 0 and equal.output.endswith("0 difference(s)\n")
    both = runner.invoke(main, ["profile", "diff", live, live])
    assert both.exit_code == 0
    missing = runner.invoke(main, ["profile", "diff", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    usage = runner.invoke(main, ["profile", "diff"])
    assert usage.exit_code == 2


def test_check_follows_the_profile(tmp_path: Path) -> None:
    """The same archive: a row with +7 is dropped by default (SMS5xx) and sent under a +7 profile (Q8)."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sms/contacts.csv", "phone;attr1\r\n79031234567;A\r\n+79161234567;B\r\n")
        archive.writestr("sms/template.csv", "message;sourceaddress\r\nHi #attr1#;TESTSMS\r\n")
    path = tmp_path / "guest_20261125120000.zip"
    path.write_bytes(buffer.getvalue())
    profile = _write(tmp_path / "plus.toml", Profile({"Q8": True}))
    runner = CliRunner()
    plain = runner.invoke(main, ["check", "--format", "json", "--messages", str(path)])
    calibrated = runner.invoke(main, ["check", "--format", "json", "--messages", "--profile", profile, str(path)])
    assert '"79161234567"' not in plain.output
    assert '"79161234567"' in calibrated.output
    bad = runner.invoke(main, ["check", "--profile", str(tmp_path / "nope.toml"), str(path)])
    assert bad.exit_code == 2 and "no such file" in bad.output


def test_serve_refuses_a_bad_profile_before_starting(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[questions.Q30]\nvalue = 'yes'\n", encoding="utf-8")
    state = tmp_path / "state"
    result = CliRunner().invoke(main, ["serve", "--profile", str(bad), "--state-dir", str(state)])
    assert result.exit_code == 2, result.output
    assert "Q30] value: must be one of false, true" in result.output
    assert not state.exists()  # nothing was started, not even the state folder
