"""The checked-in corpus (fixtures/): byte-identical to a fresh build, valid by its schema, and judged by
the simulator's rules exactly as the cases expect (every statement the offline cases cite)."""

from __future__ import annotations

import json
import re
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from smsftp.conformance.cases import all_cases
from smsftp.conformance.cases.model import AT_ONCE, Case, ExpectedArchive, RawFile, one, sms
from smsftp.conformance.client.builder import ArchiveSpec
from smsftp.conformance.judge.corpus import (
    PROCESSING_AT,
    build_corpus,
    case_account,
    compare_outcome,
    offline_reason,
    verify_corpus,
)
from smsftp.simulator.rules.diagnostics import ENCODING_BOM_STRIPPED, diagnostic
from smsftp.simulator.rules.outcome import ArchiveResult, Message

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
HAND_WRITTEN = {"README.md", "schema.json"}


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.relative_to(root).as_posix() not in HAND_WRITTEN
    }


def test_checked_in_corpus_is_byte_identical_to_a_fresh_build(tmp_path: Path) -> None:
    build_corpus(tmp_path)
    fresh, checked_in = _tree(tmp_path), _tree(FIXTURES)
    assert sorted(fresh) == sorted(checked_in), "run `smsftp corpus build fixtures/`"
    differing = sorted(name for name in fresh if fresh[name] != checked_in[name])
    if differing and json.loads(checked_in["index.json"])["zlib"] != zlib.ZLIB_RUNTIME_VERSION:
        pytest.skip(f"corpus compressed by another zlib; {len(differing)} file(s) differ for that reason")
    assert differing == [], "run `smsftp corpus build fixtures/`"


def test_simulator_gives_exactly_the_expected_outcome_for_every_archive() -> None:
    report = verify_corpus(FIXTURES)
    assert [str(p) for p in report.problems] == []
    offline = [c for c in all_cases() if offline_reason(c) is None]
    assert report.checked == sum(len(c.recipes) for c in offline) > 100
    assert len(report.skipped) == len(all_cases()) - len(offline)


def test_corpus_stays_small() -> None:
    total = sum(p.stat().st_size for p in FIXTURES.rglob("*") if p.is_file())
    assert total < 2 * 1024 * 1024


# --- the schema, checked by a small draft 2020-12 validator (the keywords schema.json uses) ---------


def _errors(schema: dict[str, Any], value: Any, root: dict[str, Any], at: str = "$") -> list[str]:
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return _errors(target, value, root, at)
    out: list[str] = []
    kinds: dict[str, type | tuple[type, ...]] = {
        "string": str,
        "integer": int,
        "boolean": bool,
        "object": dict,
        "array": list,
        "null": type(None),
        "number": (int, float),
    }
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(isinstance(value, kinds[t]) and not (t == "integer" and isinstance(value, bool)) for t in types):
            return [f"{at}: {value!r} is not {types}"]
    if "const" in schema and value != schema["const"]:
        out.append(f"{at}: {value!r} != {schema['const']!r}")
    if "enum" in schema and value not in schema["enum"]:
        out.append(f"{at}: {value!r} not in {schema['enum']}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{at}: {value!r} does not match {schema['pattern']}")
        if len(value) < schema.get("minLength", 0):
            out.append(f"{at}: too short")
    if isinstance(value, int) and "minimum" in schema and value < schema["minimum"]:
        out.append(f"{at}: {value} < {schema['minimum']}")
    if isinstance(value, dict):
        out.extend(f"{at}: missing {k}" for k in schema.get("required", []) if k not in value)
        props = schema.get("properties", {})
        for key, item in value.items():
            if key in props:
                out.extend(_errors(props[key], item, root, f"{at}.{key}"))
            elif schema.get("additionalProperties") is False:
                out.append(f"{at}: unexpected {key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            out.append(f"{at}: fewer than {schema['minItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                out.extend(_errors(schema["items"], item, root, f"{at}[{i}]"))
    if "anyOf" in schema and all(_errors(s, value, root, at) for s in schema["anyOf"]):
        out.append(f"{at}: matches none of anyOf")
    if "oneOf" in schema and sum(not _errors(s, value, root, at) for s in schema["oneOf"]) != 1:
        out.append(f"{at}: does not match exactly one of oneOf")
    return out


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "schema.json").read_text("utf-8"))
    return loaded


def test_index_and_every_expected_json_follow_the_schema(schema: dict[str, Any]) -> None:
    index = json.loads((FIXTURES / "index.json").read_text("utf-8"))
    assert _errors(schema["$defs"]["index"], index, schema) == []
    assert _errors(schema, index, schema) == []
    for entry in index["cases"]:
        doc = json.loads((FIXTURES / entry["path"] / "expected.json").read_text("utf-8"))
        assert _errors(schema["$defs"]["expected"], doc, schema) == [], entry["id"]
        assert _errors(schema, doc, schema) == [], entry["id"]
        assert doc["archives"] == entry["archives"]
        for archive in doc["archives"]:
            if archive["file"] is not None:
                assert (FIXTURES / entry["path"] / archive["file"]).stat().st_size == archive["size"]


def test_schema_rejects_broken_documents(schema: dict[str, Any]) -> None:
    doc = json.loads((FIXTURES / "Z1-name-example" / "expected.json").read_text("utf-8"))
    broken = json.loads(json.dumps(doc))
    broken["expected"]["archives"][0]["status"] = "maybe"
    broken["statements"] = ["Z9"]
    del broken["upload"]
    errors = _errors(schema["$defs"]["expected"], broken, schema)
    assert any("maybe" in e for e in errors) and any("Z9" in e for e in errors)
    assert any("missing upload" in e for e in errors)


# --- building and verifying, on small made-up cases ------------------------------------------------

SPEC = ArchiveSpec(contacts=(("79031234567", "Иван", "Петров"),))
TEXT = "Уважаемый Иван Петров! Ваш заказ готов к выдаче."


def _case(case_id: str = "Z1-test", **changes: Any) -> Case:
    fields: dict[str, Any] = {
        "recipes": (SPEC,),
        "expected": one("accepted", messages=(sms("79031234567", TEXT, 1, "UCS-2"),)),
    }
    fields.update(changes)
    return Case(case_id, "a test case", ("Z1",), **fields)


def test_build_and_verify_round_trip(tmp_path: Path) -> None:
    cases = [_case(), _case("Q15-raw", recipes=(RawFile("notes.txt", b"hello"),), expected=one("ignored"))]
    summary = build_corpus(tmp_path, cases)
    assert summary.cases == 2 and summary.stored == 2
    assert (tmp_path / "Q15-raw" / "notes.txt").read_bytes() == b"hello"
    report = verify_corpus(tmp_path, cases)
    assert report.ok and report.checked == 2


def test_verify_catches_tampered_bytes_and_expectations(tmp_path: Path) -> None:
    cases = [_case()]
    build_corpus(tmp_path, cases)
    archive = tmp_path / "Z1-test" / "guest_20261125120000.zip"
    data = bytearray(archive.read_bytes())
    data[40] ^= 0xFF
    archive.write_bytes(bytes(data))
    expected = tmp_path / "Z1-test" / "expected.json"
    expected.write_text(expected.read_text("utf-8").replace('"accepted"', '"rejected"'), "utf-8")
    problems = [str(p) for p in verify_corpus(tmp_path, cases, outcomes=False).problems]
    assert any("bytes differ" in p for p in problems)
    assert any("expected.json differs" in p for p in problems)


def test_verify_catches_a_wrong_expectation(tmp_path: Path) -> None:
    wrong = [_case(expected=one("rejected", "SMS101"))]
    build_corpus(tmp_path, wrong)
    problems = [str(p) for p in verify_corpus(tmp_path, wrong).problems]
    assert any("status accepted, expected rejected" in p for p in problems)
    assert any("diagnostic SMS101 expected" in p for p in problems)


def test_large_archives_are_listed_not_stored_and_stale_cases_removed(tmp_path: Path) -> None:
    (tmp_path / "Z9-gone").mkdir()
    (tmp_path / "Z9-gone" / "expected.json").write_text("{}")
    summary = build_corpus(tmp_path, [_case()], max_stored=10)
    assert summary.stored == 0 and summary.omitted
    doc = json.loads((tmp_path / "Z1-test" / "expected.json").read_text("utf-8"))
    assert doc["archives"][0]["file"] is None and len(doc["archives"][0]["sha256"]) == 64
    assert not (tmp_path / "Z9-gone").exists()
    assert not (tmp_path / "Z1-test" / "guest_20261125120000.zip").exists()
    assert verify_corpus(tmp_path, [_case()]).ok


def test_case_account_and_offline_reason() -> None:
    case = _case(account=(("login", "win1251"), ("encoding", "cp1251"), ("senders", ["A", "B"])))
    account, unknown = case_account(case)
    assert (account.login, account.encoding, account.senders, account.default_sender) == (
        "win1251",
        "cp1251",
        ("A", "B"),
        "TESTSMS",
    )
    assert unknown == [] and offline_reason(case) is None
    assert offline_reason(_case(account=(("naive_poller", True),))) is not None
    assert "hold-open" in (offline_reason(_case(scenario="hold-open")) or "")


def _message(send_at: datetime, text: str = TEXT) -> Message:
    return Message("79031234567", text, "TESTSMS", send_at, send_at.replace(day=26), "UCS-2", 1, 2)


def test_compare_outcome_resolves_processing_instants_and_finds_differences() -> None:
    message = sms("79031234567", TEXT, 1, "UCS-2", at=AT_ONCE)
    expected = ExpectedArchive("accepted", ("SMS414|SMS301",), (message,))
    good = ArchiveResult(
        "a.zip", "accepted", "template", 1, 0, [diagnostic(ENCODING_BOM_STRIPPED)], [_message(PROCESSING_AT)]
    )
    assert compare_outcome(expected, good) == []
    late = ArchiveResult(
        "a.zip",
        "accepted",
        "template",
        1,
        0,
        [diagnostic(ENCODING_BOM_STRIPPED)],
        [_message(datetime(2026, 11, 25, 10, tzinfo=UTC))],
    )
    assert any(p.startswith("message 1:") for p in compare_outcome(expected, late))
    bare = ArchiveResult("a.zip", "accepted", "template", 1, 0, [], [_message(PROCESSING_AT, "other")])
    problems = compare_outcome(expected, bare)
    assert any("SMS414|SMS301" in p for p in problems) and any("message 1" in p for p in problems)
    # codes only an FTP server can produce are not asked of the rules
    assert compare_outcome(ExpectedArchive("accepted", ("SMS804",), None, 1), good) == []
