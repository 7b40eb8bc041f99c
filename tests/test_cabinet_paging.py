"""Big archives and long histories in the cabinet (issue 10 row 3): every page is read from SQL a page
at a time; searches, counts and sums are done there too, and agree with the reference filter.

A simulator on a real state folder (so reads go through WAL read connections), archives over FTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from test_cabinet import ftp_upload, sign_in, template_archive

from smsftp.simulator.app import Simulator
from smsftp.simulator.service.clock import FrozenClock
from smsftp.simulator.web.api import create_app
from smsftp.simulator.web.cabinet import ARCHIVES_PER_PAGE, PAGE_SIZE
from smsftp.simulator.web.paging import MESSAGES_MAX as MESSAGES_PER_PAGE
from smsftp.simulator.web.views import filter_messages

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
BIG = "guest_20261125120000.zip"
CONTACTS = 2_450  # 25 pages of 100, the last one half full
NAMES = ("Анна", "Bob", "Ёлка", "ann")


def _contacts() -> list[tuple[str, str]]:
    return [(f"79{(3 if i % 3 else 16):02d}{i:07d}", NAMES[i % len(NAMES)]) for i in range(CONTACTS)]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    state: Path = tmp_path_factory.mktemp("paging")
    with Simulator(state_dir=state, api_port=None, tls="off", clock=FrozenClock(START)) as simulator:
        ftp_upload(simulator, "guest", "guest", BIG, template_archive(_contacts()))
        simulator.advance(10)
        assert simulator.wait_for_archive(BIG, timeout=30, login="guest") is not None
        yield simulator


@pytest.fixture(scope="module")
def signed_in(sim: Simulator) -> TestClient:
    return sign_in(create_app(sim), "guest", "guest")


def _archive_id(sim: Simulator) -> int:
    record = sim.archive(BIG, "guest")
    assert record is not None and record.message_count == CONTACTS
    return record.id


def _phones(page: str) -> list[str]:
    return re.findall(r"\b(79\d{9})\b", page)


def test_any_page_of_a_big_archive_is_the_right_slice(sim: Simulator, signed_in: TestClient) -> None:
    number = _archive_id(sim)
    everything = [m.phone for m in sim.messages("guest", BIG)]
    for page in (1, 13, 25):
        html = signed_in.get(f"/cabinet/archives/{number}", params={"page": page}).text
        assert f"page {page} of 25" in html
        shown = everything[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        assert [p for p in dict.fromkeys(_phones(html)) if p in set(everything)] == shown
    html = signed_in.get(f"/cabinet/archives/{number}", params={"page": 99}).text
    assert "page 25 of 25" in html  # past the end: the last page
    assert re.search(r"<dt>SMS parts</dt><dd>2450</dd>", html)


@pytest.mark.parametrize(
    ("phone", "text"), [("(916) 00", ""), ("", "АННА"), ("", "ёлка"), ("916", "ann"), ("7000", "")]
)
def test_searches_in_sql_find_what_the_reference_filter_finds(
    sim: Simulator, signed_in: TestClient, phone: str, text: str
) -> None:
    number = _archive_id(sim)
    record = sim.archive(BIG, "guest")
    assert record is not None
    expected = [m.to_json() for m in filter_messages(sim.messages("guest", BIG), phone, text)]
    body = signed_in.get(
        f"/cabinet/api/archives/{number}/messages", params={"phone": phone, "text": text, "limit": 10_000}
    ).json()
    assert body["matched"] == len(expected) and body["messages"] == expected
    if expected:
        html = signed_in.get(f"/cabinet/archives/{number}", params={"phone": phone, "text": text}).text
        assert f"{len(expected)} of {CONTACTS}" in html
    else:
        assert (
            'data-testid="no-match"'
            in signed_in.get(f"/cabinet/archives/{number}", params={"phone": phone, "text": text}).text
        )


def test_the_json_of_an_archive_comes_a_page_at_a_time(sim: Simulator, signed_in: TestClient) -> None:
    number = _archive_id(sim)
    everything = [m.row for m in sim.messages("guest", BIG)]
    body = signed_in.get(f"/cabinet/api/archives/{number}/messages", params={"offset": 2400, "limit": 100}).json()
    assert [m["row"] for m in body["messages"]] == everything[2400:]
    assert (body["matched"], body["limit"], body["offset"]) == (CONTACTS, 100, 2400)
    capped = signed_in.get(f"/cabinet/api/archives/{number}/messages", params={"limit": MESSAGES_PER_PAGE}).json()
    assert capped["limit"] == MESSAGES_PER_PAGE and len(capped["messages"]) == CONTACTS
    # Past the cap the request is refused with the bound, not silently cut (RFC 9457 problem).
    too_many = signed_in.get(f"/cabinet/api/archives/{number}/messages", params={"limit": MESSAGES_PER_PAGE + 1})
    assert too_many.status_code == 422 and too_many.headers["content-type"] == "application/problem+json"


def test_the_overview_is_paged_and_its_totals_count_every_archive(tmp_path: Path) -> None:
    with Simulator(state_dir=tmp_path, api_port=None, tls="off", clock=FrozenClock(START)) as sim:
        _overview_is_paged(sim)


def _overview_is_paged(sim: Simulator) -> None:
    ftp_upload(sim, "guest", "guest", BIG, template_archive(_contacts()))
    sim.advance(10)
    assert sim.wait_for_archive(BIG, timeout=30, login="guest") is not None
    signed_in = sign_in(create_app(sim), "guest", "guest")
    store = sim.store
    received = START + timedelta(minutes=1)
    extra = 2 * ARCHIVES_PER_PAGE + 30
    for i in range(extra):  # straight into the store: what is tested is how the cabinet reads them
        archive = store.claim(
            login="guest",
            name=f"guest_202611251201{i:04d}.zip",
            upload_id=None,
            size=1,
            mtime_ns=i,
            sha256=f"{i:x}",
            received_at=received,
        )
        store.finish(
            archive,
            status="rejected",
            mode=None,
            message_count=0,
            rejected_rows=1,
            diagnostics=[],
            processed_at=received,
        )
    first = signed_in.get("/cabinet/").text
    assert re.search(rf'data-testid="archive-count">{extra + 1}<', first)
    assert first.count('class="archive-row"') == ARCHIVES_PER_PAGE
    assert f"guest_202611251201{extra - 1:04d}.zip" in first and BIG not in first  # newest first
    last = signed_in.get("/cabinet/", params={"page": 3}).text
    assert last.count('class="archive-row"') == 31 and BIG in last and "page 3 of 3" in last
    totals = re.search(r'data-testid="totals">.*?</table>', first, re.S)
    assert totals is not None
    cells = re.findall(r'<td class="num">(\d+)</td>', totals.group(0))
    assert cells == [str(extra + 1), str(CONTACTS), str(CONTACTS), str(extra), str(extra)]
    fragment = signed_in.get("/cabinet/fragment/archives", params={"page": 3})
    assert fragment.status_code == 200 and BIG in fragment.text


def test_the_messages_endpoint_pages_by_id_range_and_caps_its_page(sim: Simulator) -> None:
    """``GET /api/messages`` builds one page however big the request: at most 10,000 messages."""
    everything = [m.row for m in sim.messages("guest", BIG)]
    api = TestClient(create_app(sim), base_url="http://127.0.0.1")
    deep = api.get("/api/messages", params={"archive": BIG, "offset": 2400, "limit": 100}).json()
    assert [m["row"] for m in deep["messages"]] == everything[2400:] and deep["total"] == CONTACTS
    capped = api.get("/api/messages", params={"limit": MESSAGES_PER_PAGE}).json()
    assert capped["limit"] == MESSAGES_PER_PAGE and len(capped["messages"]) == CONTACTS
    # Past the cap the request is refused with the bound, not silently cut (RFC 9457 problem).
    too_many = api.get("/api/messages", params={"limit": MESSAGES_PER_PAGE + 1})
    assert too_many.status_code == 422 and too_many.headers["content-type"] == "application/problem+json"


def test_the_uploads_page_is_paged_newest_first(tmp_path: Path) -> None:
    from smsftp.simulator.web.cabinet import UPLOADS_PER_PAGE

    with Simulator(state_dir=tmp_path, api_port=None, tls="off", clock=FrozenClock(START)) as sim:
        for i in range(UPLOADS_PER_PAGE + 5):  # straight into the journal's store: how the page reads them
            sim.store.upload_started(
                login="guest",
                filename=f"file{i:04d}.zip",
                command="STOR",
                transfer_type="I",
                control_tls=False,
                data_tls=False,
                passive=True,
                client="127.0.0.1",
                at=START,
            )
        signed_in = sign_in(create_app(sim), "guest", "guest")
        first = signed_in.get("/cabinet/uploads").text
        assert first.count('class="upload-row"') == UPLOADS_PER_PAGE
        assert f"file{UPLOADS_PER_PAGE + 4:04d}.zip" in first and "file0000.zip" not in first
        last = signed_in.get("/cabinet/uploads", params={"page": 2}).text
        assert last.count('class="upload-row"') == 5 and "file0000.zip" in last
        assert f"page 2 of 2 ({UPLOADS_PER_PAGE + 5} uploads)" in last
        assert "file0000.zip" in signed_in.get("/cabinet/fragment/uploads", params={"page": 2}).text
