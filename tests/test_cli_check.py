"""`smsftp check`: compiler-style text, one JSON document, exit 0/1/2, never a crash."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from smsftp.simulator.cli import main

AT = "2026-11-25T09:00:00Z"  # 12:00 in Moscow


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    path.write_bytes(buf.getvalue())
    return path


def _good(tmp_path: Path, name: str = "guest_20261125120000.zip") -> Path:
    return _zip(
        tmp_path / name,
        {
            "sms/contacts.csv": "phone;attr1\r\n79031234567;Иван\r\n79161234567;Мария\r\n".encode(),
            "sms/template.csv": "message;sourceaddress;senddate\r\nЗдравствуйте, #attr1#!;TESTSMS;\r\n".encode(),
        },
    )


@pytest.fixture
def accounts(tmp_path: Path) -> Path:
    path = tmp_path / "accounts.toml"
    path.write_text('[accounts.guest]\npassword = "guest"\nsenders = ["TESTSMS"]\n', encoding="utf-8")
    return path


def test_accepted_archive_exits_0_with_a_summary(tmp_path: Path, accounts: Path) -> None:
    result = CliRunner().invoke(main, ["check", "--accounts", str(accounts), "--at", AT, str(_good(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "guest_20261125120000.zip: ACCEPTED (template): 2 message(s), 0 rejected row(s)" in result.output
    assert "1 archive(s): 1 accepted, 0 rejected; 0 error(s)" in result.output


def test_without_accounts_sender_approval_is_a_warning_not_an_error(tmp_path: Path) -> None:
    """M3: approval cannot be checked offline without the account's senders."""
    result = CliRunner().invoke(main, ["check", "--at", AT, str(_good(tmp_path, "shop_20261125120000.zip"))])
    assert result.exit_code == 0, result.output
    assert "SMS705" in result.output


def test_without_accounts_guest_is_the_demo_account_of_serve(tmp_path: Path) -> None:
    """The README's first check: the demo account approves TESTSMS, as `smsftp serve` does; no warning."""
    plain = _zip(
        tmp_path / "guest_20261125120002.zip",
        {
            "sms/contacts.csv": b"phone;attr1\r\n79031234567;A\r\n",
            "sms/template.csv": b"message;sourceaddress\r\nHi #attr1#;TESTSMS\r\n",
        },
    )
    result = CliRunner().invoke(main, ["check", "--at", AT, str(plain)])
    assert result.exit_code == 0, result.output
    assert "SMS705" not in result.output and "0 error(s), 0 warning(s)" in result.output
    other = _zip(
        tmp_path / "guest_20261125120001.zip",
        {
            "sms/contacts.csv": b"phone;attr1\r\n79031234567;A\r\n",
            "sms/template.csv": b"message;sourceaddress\r\nHi #attr1#;OTHERNAME\r\n",
        },
    )
    refused = CliRunner().invoke(main, ["check", "--at", AT, str(other)])
    assert refused.exit_code == 1 and "SMS70" in refused.output  # an unapproved sender is an error for guest


def test_json_document_has_the_documented_fields(tmp_path: Path, accounts: Path) -> None:
    result = CliRunner().invoke(
        main, ["check", "--accounts", str(accounts), "--at", AT, "--format", "json", "--messages", str(_good(tmp_path))]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    (res,) = doc["results"]
    assert {"archive", "status", "mode", "message_count", "diagnostics", "messages"} <= set(res)
    assert res["status"] == "accepted" and res["mode"] == "template" and res["message_count"] == 2
    first = res["messages"][0]
    assert first == {
        "phone": "79031234567",
        "text": "Здравствуйте, Иван!",
        "sender": "TESTSMS",
        "send_at": "2026-11-25T09:00:00Z",
        "expires_at": "2026-11-26T09:00:00Z",
        "encoding": "UCS-2",
        "segments": 1,
        "row": 2,
    }


def test_bad_row_prints_file_line_column_code_and_hint_and_exits_1(tmp_path: Path, accounts: Path) -> None:
    """Q8: a leading 8 rejects its row with a diagnostic that names the fix."""
    path = _zip(
        tmp_path / "guest_20261125120000.zip",
        {
            "sms/contacts.csv": b"phone;attr1\n79031234567;A\n89031234567;B\n",
            "sms/template.csv": b"message;sourceaddress\nHi #attr1#;TESTSMS\n",
        },
    )
    result = CliRunner().invoke(main, ["check", "--accounts", str(accounts), "--at", AT, str(path)])
    assert result.exit_code == 1
    assert "guest_20261125120000.zip!sms/contacts.csv:3:1: SMS503" in result.output
    assert "hint:" in result.output and "79031234567" in result.output
    assert "1 message(s), 1 rejected row(s)" in result.output


@pytest.mark.parametrize("content", [b"", b"\x00" * 100, b"PK\x03\x04garbage", b"phone;attr1\n7903;x\n"])
def test_garbage_is_a_diagnostic_never_a_crash(tmp_path: Path, content: bytes) -> None:
    """Q16: whatever the bytes, the archive is rejected with a code, exit 1."""
    path = tmp_path / "guest_20261125120000.zip"
    path.write_bytes(content)
    result = CliRunner().invoke(main, ["check", "--at", AT, "--format", "json", str(path)])
    assert result.exit_code == 1, result.output
    (res,) = json.loads(result.output)["results"]
    assert res["status"] == "rejected"
    assert any(d["code"].startswith("SMS2") for d in res["diagnostics"])


@pytest.mark.parametrize(("name", "why"), [("nope.zip", "does not exist"), ("folder.zip", "is a directory")])
def test_a_path_that_is_no_file_is_a_usage_error_naming_it(tmp_path: Path, name: str, why: str) -> None:
    (tmp_path / "folder.zip").mkdir()
    result = CliRunner().invoke(main, ["check", str(_good(tmp_path)), str(tmp_path / name)])
    assert result.exit_code == 2, result.output
    assert str(tmp_path / name) in result.output and why in result.output
    assert "SMS201" not in result.output and "Traceback" not in result.output


def test_login_override_checks_the_name_against_another_account(tmp_path: Path) -> None:
    """Q3: the login in the name must equal the FTP login."""
    result = CliRunner().invoke(main, ["check", "--login", "acme", "--at", AT, str(_good(tmp_path))])
    assert result.exit_code == 1
    assert "SMS103" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["--at", "yesterday"],
        ["--encoding", "klingon"],
        ["--encoding", "bz2_codec"],
        ["--timezone", "Mars/Base"],
        ["--format", "xml"],
    ],
)
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    result = CliRunner().invoke(main, ["check", *args, str(_good(tmp_path))])
    assert result.exit_code == 2, result.output


def test_broken_accounts_file_is_a_usage_error_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "acc.toml"
    bad.write_text("[accounts.guest]\nmode = 'both'\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--accounts", str(bad), str(_good(tmp_path))])
    assert result.exit_code == 2 and "acc.toml" in result.output


def test_timezone_override_moves_scheduled_sends(tmp_path: Path, accounts: Path) -> None:
    """C3: senddate is the client's local time; --timezone overrides the account's zone."""
    path = _zip(
        tmp_path / "guest_20261125120000.zip",
        {
            "sms/contacts.csv": b"phone;senddate\n79031234567;20261126T10:00:00\n",
            "sms/template.csv": b"message;sourceaddress\nHi;TESTSMS\n",
        },
    )
    out = CliRunner().invoke(
        main,
        [
            "check",
            "--accounts",
            str(accounts),
            "--at",
            AT,
            "--format",
            "json",
            "--messages",
            "--timezone",
            "Asia/Vladivostok",
            str(path),
        ],
    )
    assert json.loads(out.output)["results"][0]["messages"][0]["send_at"] == "2026-11-26T00:00:00Z"


def test_help_explains_the_command() -> None:
    result = CliRunner().invoke(main, ["check", "--help"])
    assert result.exit_code == 0
    for word in ("--accounts", "--login", "--encoding", "--timezone", "--at", "--format", "--messages"):
        assert word in result.output
