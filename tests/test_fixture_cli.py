"""`smsftp fixture` and `smsftp corpus`, through the `smsftp` group as users call them (Z1, Z4, Q4, Q5, Q8,
Q16, Q23)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import re
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from click.testing import CliRunner, Result

from smsftp.conformance.cases import get_case
from smsftp.conformance.client.fixture import ALL_FAULTS
from smsftp.simulator.cli import main

RUNNER = CliRunner()


def _run(*args: str) -> Result:
    return RUNNER.invoke(main, list(args), catch_exceptions=False)


def _written(result: Result) -> Path:
    match = re.search(r"^wrote (\S+) \(([\d,]+) bytes, sha256 ([0-9a-f]{64})\)$", result.output, re.MULTILINE)
    assert match, result.output
    path = Path(match.group(1))
    assert path.stat().st_size == int(match.group(2).replace(",", ""))
    assert hashlib.sha256(path.read_bytes()).hexdigest() == match.group(3)
    return path


def test_commands_are_registered_in_the_smsftp_group() -> None:
    result = _run("--help")
    for command in ("fixture", "corpus", "report"):
        assert re.search(rf"^\s+{command}\s", result.output, re.MULTILINE), result.output


def test_help_explains_options_and_lists_every_fault() -> None:
    result = _run("fixture", "--help")
    assert result.exit_code == 0
    for option in (
        "--case",
        "--mode",
        "--contacts",
        "--message",
        "--sender",
        "--encoding",
        "--newline",
        "--bom",
        "--fault",
        "--seed",
        "--at",
        "--login",
        "--output",
    ):
        assert option in result.output
    for fault in ALL_FAULTS:
        assert re.search(rf"^\s+{re.escape(fault)}\s", result.output, re.MULTILINE), fault


def test_same_command_line_with_at_same_bytes(tmp_path: Path) -> None:
    args = ("fixture", "--contacts", "50", "--encoding", "cp1251", "--newline", "lf", "--fault", "macos-junk")
    args += ("--at", "2026-11-25T09:00:00Z")
    first_run = _run(*args, "-o", str(tmp_path / "a"))
    first = _written(first_run).read_bytes()
    second = _written(_run(*args, "-o", str(tmp_path / "b"))).read_bytes()
    assert first == second
    faker = importlib.metadata.version("faker")
    assert f"reproduce: --at 2026-11-25T09:00:00Z --seed 0 give these bytes again with faker {faker}" in (
        first_run.output
    )
    reseeded = _written(_run(*args, "--seed", "1", "-o", str(tmp_path / "c"))).read_bytes()
    assert reseeded != first


def test_without_at_the_name_carries_now_so_a_repeated_flow_never_repeats_a_name(tmp_path: Path) -> None:
    """SMS804: the platform refuses a name it has seen; a CI job that makes a fixture per run needs a new one."""
    before = datetime.now(UTC).replace(microsecond=0)
    made = _written(_run("fixture", "--contacts", "1", "-o", str(tmp_path)))
    after = datetime.now(UTC)
    stamp = datetime.strptime(made.name.removeprefix("guest_").removesuffix(".zip"), "%Y%m%d%H%M%S")
    moscow = stamp.replace(tzinfo=ZoneInfo("Europe/Moscow")).astimezone(UTC)
    assert before <= moscow <= after


def test_z1_at_sets_the_name_in_the_clients_zone(tmp_path: Path) -> None:
    moscow = _written(_run("fixture", "--at", "2026-12-01T07:00:00Z", "--login", "acme_shop", "-o", str(tmp_path)))
    assert moscow.name == "acme_shop_20261201100000.zip"
    novosibirsk = _written(
        _run("fixture", "--at", "2026-12-01T07:00:00Z", "--timezone", "Asia/Novosibirsk", "-o", str(tmp_path))
    )
    assert novosibirsk.name == "guest_20261201140000.zip"


def test_prints_what_smsftp_check_says(tmp_path: Path) -> None:
    result = _run("fixture", "--contacts", "3", "--fault", "leading-8", "-o", str(tmp_path))
    assert "SMS503 [error]" in result.output
    assert "smsftp check: ACCEPTED (template): 2 message(s), 1 rejected row(s)" in result.output
    rows = zipfile.ZipFile(_written(result)).read("sms/contacts.csv").decode().splitlines()
    assert rows[1].startswith("89") and len(rows) == 4


def test_q16_q23_q4_container_faults_are_diagnosed(tmp_path: Path) -> None:
    expectations = {
        "encrypted": "SMS204",
        "truncated": "SMS203",
        "root-files": "SMS207",
        "not-zip": "SMS201",
        "bomb": "SMS213",
        "deflate64": "SMS205",
        "ascii-mangled": "SMS206",
    }
    for fault, code in expectations.items():
        result = _run("fixture", "--contacts", "2", "--fault", fault, "-o", str(tmp_path / fault))
        assert f"{code} [error]" in result.output, (fault, result.output)
        assert "smsftp check: REJECTED" in result.output


def test_q23_plain_mode_with_cp866_names(tmp_path: Path) -> None:
    result = _run(
        "fixture",
        "--mode",
        "plain",
        "--contacts",
        "2",
        "--fault",
        "cp866-names",
        "--message",
        "Привет, #attr1#!",
        "-o",
        str(tmp_path),
    )
    info = zipfile.ZipFile(_written(result)).infolist()[0]
    assert info.filename.encode("cp437").decode("cp866") == "sms/рассылка.txt"
    assert "SMS216" in result.output and "ACCEPTED (plain): 2 message(s)" in result.output


def test_q5_bom_and_template_fields(tmp_path: Path) -> None:
    result = _run(
        "fixture",
        "--contacts",
        "1",
        "--bom",
        "--template-field",
        "validity=180",
        "--sender",
        "SHOP",
        "-o",
        str(tmp_path),
    )
    archive = zipfile.ZipFile(_written(result))
    assert archive.read("sms/contacts.csv").startswith(b"\xef\xbb\xbfphone;attr1;attr2\r\n")
    assert archive.read("sms/template.csv").decode("utf-8-sig").splitlines()[0] == "message;sourceaddress;validity"
    assert "SMS301" in result.output


def test_cp1251_check_notes_the_account_encoding(tmp_path: Path) -> None:
    result = _run("fixture", "--contacts", "1", "--encoding", "cp1251", "-o", str(tmp_path))
    assert "SMS302" in result.output and 'encoding = "cp1251"' in result.output
    accounts = tmp_path / "accounts.toml"
    accounts.write_text('[accounts.guest]\npassword = "guest"\nsenders = ["TESTSMS"]\nencoding = "cp1251"\n')
    checked = _run(
        "fixture", "--contacts", "1", "--encoding", "cp1251", "--accounts", str(accounts), "-o", str(tmp_path)
    )
    assert "ACCEPTED (template): 1 message(s)" in checked.output and "note:" not in checked.output


def test_large_fixture_streams_without_a_bar_off_a_terminal(tmp_path: Path) -> None:
    result = RUNNER.invoke(main, ["fixture", "--contacts", "30000", "--no-check", "-o", str(tmp_path)])
    assert result.exit_code == 0
    path = _written(result)
    names = zipfile.ZipFile(path).read("sms/contacts.csv").decode().splitlines()
    assert len(names) == 30001 and len(set(names)) == 30001
    assert "rows" not in result.output  # no progress bar when stderr is not a terminal


def test_fixture_from_a_case_writes_its_exact_archives(tmp_path: Path) -> None:
    case = get_case("Z2-encrypted")
    result = _run("fixture", "--case", "Z2-encrypted", "-o", str(tmp_path))
    assert result.output.startswith("case Z2-encrypted: ")
    ((name, data),) = case.archives()
    assert (tmp_path / name).read_bytes() == data
    assert "SMS204 [error]" in result.output


def test_usage_errors(tmp_path: Path) -> None:
    unknown = RUNNER.invoke(main, ["fixture", "--fault", "gremlins", "-o", str(tmp_path)])
    assert unknown.exit_code == 2 and "unknown fault(s) gremlins" in unknown.output
    contradiction = RUNNER.invoke(main, ["fixture", "--fault", "cp866-names", "-o", str(tmp_path)])
    assert contradiction.exit_code == 2 and "needs --mode plain" in contradiction.output
    no_case = RUNNER.invoke(main, ["fixture", "--case", "Q8-nothing", "-o", str(tmp_path)])
    assert no_case.exit_code == 2 and "no case 'Q8-nothing'" in no_case.output
    assert list(tmp_path.iterdir()) == []


def test_corpus_build_and_verify_commands(tmp_path: Path) -> None:
    built = _run("corpus", "build", str(tmp_path))
    assert built.exit_code == 0 and "case(s)" in built.output
    verified = RUNNER.invoke(main, ["corpus", "verify", "--bytes-only", str(tmp_path)])
    assert verified.exit_code == 0, verified.output
    (tmp_path / "index.json").write_text((tmp_path / "index.json").read_text().replace('"Z1-', '"Z0-', 1))
    broken = RUNNER.invoke(main, ["corpus", "verify", "--bytes-only", str(tmp_path)])
    assert broken.exit_code == 1 and "FAIL" in broken.output


def test_fixture_bytes_open_with_zipfile(tmp_path: Path) -> None:
    path = _written(_run("fixture", "--contacts", "5", "--mode", "plain", "-o", str(tmp_path)))
    lines = zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("sms/list.txt").decode().splitlines()
    assert lines[0] == "TELRN_LONG;TEXT" and len(lines) == 6
