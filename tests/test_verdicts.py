"""Verdicts (smsftp.conformance.judge.verdicts): every outcome, and the evidence each one carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from smsftp.conformance.cases import AT_ONCE, Case, ClientTime, Expected, ExpectedArchive, sms
from smsftp.conformance.cases.model import EITHER
from smsftp.conformance.client.builder import ArchiveSpec
from smsftp.conformance.judge.reporting import build_report, summary_lines
from smsftp.conformance.judge.verdicts import (
    ArchiveObservation,
    Finding,
    Observation,
    Outcome,
    compare_messages,
    judge,
    unobserved,
)

AT = datetime(2026, 11, 25, 12, 0, 10, tzinfo=UTC)
SPEC = ArchiveSpec(contacts=(("79031234567", "Иван", "Петров"),))
TEXT = "Уважаемый Иван Петров! Ваш заказ готов к выдаче."


def _case(
    *archives: ExpectedArchive,
    informational: bool = False,
    order: tuple[int, ...] | None = None,
    folder_after: tuple[str, ...] = (),
) -> Case:
    return Case(
        "Z9-test",
        "a test case",
        ("Z1",),
        tuple(SPEC for _ in archives),
        Expected(tuple(archives), folder_after, order),
        informational=informational,
    )


def _message(text: str = TEXT, send_at: datetime = AT, minutes: int = 1440, **more: Any) -> dict[str, Any]:
    return {
        "phone": "79031234567",
        "text": text,
        "sender": "TESTSMS",
        "send_at": send_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expires_at": (send_at + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "segments": 1,
        "encoding": "UCS-2",
        **more,
    }


def _seen(
    status: str = "accepted",
    messages: list[dict[str, Any]] | None = None,
    codes: tuple[str, ...] = (),
    window: tuple[datetime, datetime] | None = (AT, AT),
    sequence: float = 1.0,
) -> ArchiveObservation:
    observed = ArchiveObservation.of("guest_20261125120000.zip", b"zip bytes")
    observed.gone, observed.status, observed.codes, observed.window = True, status, codes, window
    observed.messages = [_message()] if messages is None and status == "accepted" else (messages or [])
    observed.sequence = sequence
    return observed


ACCEPTED = ExpectedArchive("accepted", messages=(sms("79031234567", TEXT, 1, "UCS-2"),))


def test_ok_when_status_messages_and_folder_match_p2() -> None:
    verdict = judge(_case(ACCEPTED), Observation("sim", [_seen()], folder_after=[]))
    assert verdict.outcome is Outcome.OK
    assert not verdict.fails(strict=True)
    assert {f.kind for f in verdict.findings} == {"match"}


def test_failed_on_a_different_text_names_missing_and_unexpected_m2() -> None:
    verdict = judge(_case(ACCEPTED), Observation("sim", [_seen(messages=[_message(text="Уважаемый !")])]))
    assert verdict.outcome is Outcome.FAILED
    bad = next(f for f in verdict.findings if f.kind == "mismatch")
    assert bad.expected["missing"][0]["text"] == TEXT
    assert bad.observed["unexpected"][0]["text"] == "Уважаемый !"
    assert verdict.fails(strict=False)
    assert "FAILED" in verdict.text() and "sha256" in verdict.text()


def test_failed_on_wrong_status_and_missing_code_z1() -> None:
    case = _case(ExpectedArchive("rejected", ("SMS101",), messages=()))
    verdict = judge(case, Observation("sim", [_seen(status="accepted", codes=("SMS805",))]))
    assert verdict.outcome is Outcome.FAILED
    aspects = {f.aspect.split(") ")[-1]: f.kind for f in verdict.findings}
    assert aspects["status"] == "mismatch"
    assert aspects["diagnostic codes"] == "mismatch"


def test_alternative_codes_accept_either_q16() -> None:
    case = _case(ExpectedArchive("rejected", ("SMS212|SMS213",), messages=()))
    verdict = judge(case, Observation("sim", [_seen(status="rejected", codes=("SMS213",), messages=[])]))
    assert verdict.outcome is Outcome.OK


def test_after_processing_instants_use_the_window_m4() -> None:
    expected = [sms("79031234567", TEXT, 1, "UCS-2", at=AT_ONCE, validity=180)]
    inside = [_message(send_at=AT, minutes=180)]
    assert compare_messages(expected, inside, (AT, AT)) == ([], [])
    late = [_message(send_at=AT + timedelta(seconds=30), minutes=180)]
    missing, unexpected = compare_messages(expected, late, (AT, AT))
    assert missing and unexpected
    # A live window: anywhere between the end of the upload and the moment the file was seen gone.
    assert compare_messages(expected, late, (AT, AT + timedelta(seconds=40))) == ([], [])
    # The lifetime is exact whatever the window.
    wrong_life = [_message(send_at=AT, minutes=181)]
    assert compare_messages(expected, wrong_life, (AT, AT + timedelta(minutes=5)))[0]


def test_absolute_instants_must_be_exact_c3() -> None:
    at = datetime(2030, 12, 1, 7, 0, tzinfo=UTC)
    expected = [sms("79031234567", TEXT, 1, "UCS-2", at=at)]
    assert compare_messages(expected, [_message(send_at=at)], None) == ([], [])
    assert compare_messages(expected, [_message(send_at=at + timedelta(hours=3))], None)[0]


def test_informational_mismatch_is_failed_on_sim_but_recorded_on_live_q8() -> None:
    case = _case(
        ExpectedArchive("accepted", ("SMS503",), messages=(sms("79031234567", TEXT, 1, "UCS-2"),)), informational=True
    )
    rejected = _seen(status="rejected", messages=[])
    assert judge(case, Observation("sim", [rejected])).outcome is Outcome.FAILED
    live = judge(case, Observation("live", [_seen(status="rejected", messages=[])]))
    assert live.outcome is Outcome.INFORMATIONAL
    assert "another way" in live.reason
    assert judge(case, Observation("sim", [_seen(codes=("SMS503",))])).outcome is Outcome.INFORMATIONAL


def test_content_not_verifiable_on_live_is_informational_not_ok_t1() -> None:
    observed = ArchiveObservation.of("guest_20261125120000.zip", b"zip bytes")
    observed.gone = True
    verdict = judge(_case(ACCEPTED), Observation("live", [observed], folder_after=[]))
    assert verdict.outcome is Outcome.INFORMATIONAL
    assert "not verifiable" in verdict.reason


def test_lenient_finding_is_non_strict_and_fails_only_strict_p1() -> None:
    observation = Observation("live", [_seen()], checks=[Finding("poll interval (P1)", "lenient", "10 s", "20 s")])
    verdict = judge(_case(ACCEPTED), observation)
    assert verdict.outcome is Outcome.NON_STRICT
    assert not verdict.fails(strict=False)
    assert verdict.fails(strict=True)


def test_refused_upload_is_skipped_safety_with_the_reason() -> None:
    observed = ArchiveObservation.of("guest_20261125120000.zip", b"zip bytes")
    observed.refused = "numbers outside the allow-list: 79031234567"
    verdict = judge(_case(ACCEPTED), Observation("live", [observed]))
    assert verdict.outcome is Outcome.SKIPPED_SAFETY
    assert "79031234567" in verdict.reason
    assert not verdict.fails(strict=True)


def test_processing_order_p3() -> None:
    case = _case(ACCEPTED, ACCEPTED, order=(1, 0))
    right = judge(case, Observation("sim", [_seen(sequence=2.0), _seen(sequence=1.0)]))
    assert right.outcome is Outcome.OK
    wrong = judge(case, Observation("sim", [_seen(sequence=1.0), _seen(sequence=2.0)]))
    assert wrong.outcome is Outcome.FAILED
    tie = judge(case, Observation("live", [_seen(sequence=1.0), _seen(sequence=1.0)]))
    assert tie.outcome is Outcome.INFORMATIONAL


def test_folder_afterwards_q15() -> None:
    left = _seen(status="accepted")
    left.gone = False
    case = _case(ExpectedArchive("ignored", messages=()), folder_after=("notes.txt",))
    assert judge(case, Observation("sim", [left], folder_after=["notes.txt"])).outcome is Outcome.OK
    assert judge(case, Observation("sim", [left], folder_after=[])).outcome is Outcome.FAILED
    left.gone = True
    assert judge(case, Observation("sim", [left], folder_after=["notes.txt"])).outcome is Outcome.FAILED


def test_upload_error_fails_the_case_t1() -> None:
    observed = ArchiveObservation.of("guest_20261125120000.zip", b"zip bytes")
    observed.upload_error = "upload: error_perm('550 refused')"
    verdict = judge(_case(ACCEPTED), Observation("live", [observed]))
    assert verdict.outcome is Outcome.FAILED
    assert "550" in verdict.reason


def test_evidence_in_json_has_archive_hash_transcript_expected_and_observed() -> None:
    seen = _seen()
    seen.transcript = {"lines": [{"command": "STOR x.zip", "reply": "226 Transfer complete."}]}
    data = judge(_case(ACCEPTED), Observation("sim", [seen], folder_after=[])).to_json()
    archive = data["observed"]["archives"][0]
    assert archive["sha256"] == ArchiveObservation.of("x", b"zip bytes").sha256
    assert archive["transcript"]["lines"][0]["reply"].startswith("226")
    assert data["expected"]["archives"][0]["messages"][0]["send_at"] == "processing+0m"
    assert data["outcome"] == "OK" and data["statements"] == ["Z1"]


def test_long_texts_are_cut_in_the_evidence_q20() -> None:
    long = "Ж" * 17085
    case = _case(ExpectedArchive("accepted", messages=(sms("79031234567", long, 255, "UCS-2"),)))
    seen = _seen(messages=[{**_message(text=long), "segments": 255}])
    verdict = judge(case, Observation("sim", [seen]))
    assert verdict.outcome is Outcome.OK
    data = verdict.to_json()
    assert len(data["observed"]["archives"][0]["messages"][0]["text"]) < 200
    assert len(data["expected"]["archives"][0]["messages"][0]["text"]) < 200


@pytest.mark.parametrize("outcome", list(Outcome))
def test_outcome_names_are_the_reported_words(outcome: Outcome) -> None:
    assert str(outcome) == outcome.value
    assert outcome.value in {"OK", "NON-STRICT", "INFORMATIONAL", "FAILED", "SKIPPED-SAFETY", "SKIPPED", "ERROR"}


def test_client_time_is_read_in_the_accounts_zone_c3() -> None:
    """10:00 client time is 07:00 UTC for a Moscow account and 05:00 UTC for a Yekaterinburg one."""
    local = ClientTime(datetime(2030, 12, 1, 10))
    case = _case(ExpectedArchive("accepted", messages=(sms("79031234567", TEXT, 1, "UCS-2", at=local),)))
    seen = _seen(messages=[_message(send_at=datetime(2030, 12, 1, 7, tzinfo=UTC))])
    assert judge(case, Observation("live", [seen])).outcome is Outcome.OK  # the default zone: Moscow
    yekaterinburg = Observation("live", [seen], zone="Asia/Yekaterinburg")
    assert judge(case, yekaterinburg).outcome is Outcome.FAILED
    seen = _seen(messages=[_message(send_at=datetime(2030, 12, 1, 5, tzinfo=UTC))])
    verdict = judge(case, Observation("live", [seen], zone="Asia/Yekaterinburg"))
    assert verdict.outcome is Outcome.OK
    sent = verdict.to_json()["expected"]["archives"][0]["messages"][0]
    assert (sent["send_at"], sent["expires_at"]) == ("2030-12-01T05:00:00Z", "2030-12-02T05:00:00Z")


def test_either_status_passes_both_answers_to_q9_but_no_message_c2() -> None:
    case = _case(ExpectedArchive(EITHER, ("SMS506",), messages=()))
    for status in ("accepted", "rejected"):
        assert judge(case, Observation("sim", [_seen(status, messages=[], codes=("SMS506",))])).outcome is Outcome.OK
    sent = _seen("accepted", messages=[_message()], codes=("SMS506",))
    assert judge(case, Observation("sim", [sent])).outcome is Outcome.FAILED


def test_error_verdict_fails_the_run_but_is_not_failed() -> None:
    verdict = unobserved(_case(ACCEPTED), Observation("live", []), "the connection failed (ConnectionResetError)")
    assert verdict.outcome is Outcome.ERROR and verdict.fails(strict=False)
    assert verdict.reason == "could not observe: the connection failed (ConnectionResetError)"
    report = build_report([verdict.to_json()], target="live", settings={}, started=AT)
    assert report["counts"]["ERROR"] == 1 and report["counts"]["FAILED"] == 0 and report["reached_platform"]
    assert any(line.startswith("ERROR: Z9-test: could not observe") for line in summary_lines([verdict.to_json()]))
