"""The personal cabinet (R1) in a real browser: headless Debian Chromium driven by Playwright.

A client signs in, uploads through real FTP, watches the archive appear without
reloading, opens its messages, searches by phone, signs out; another account is
refused the first one's archive (T2).  Screenshots are taken on the way; with
``SMSFTP_UPDATE_SCREENSHOTS=1`` they are written to ``docs/img/cabinet-*.png`` for
the documentation, otherwise to the test's temporary directory.

Chromium comes from Debian (``tools/install_system_deps.sh``); Playwright's own browser
download (``playwright install``) is never used.
"""

from __future__ import annotations

import ftplib
import io
import os
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from smsftp.simulator.app import Simulator
from smsftp.simulator.rules.accounts import Account, demo_account
from smsftp.simulator.service.clock import FrozenClock

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ARCHIVE = "guest_20261125120000.zip"
DEADLINE_MS = 15_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="no /usr/bin/chromium: run tools/install_system_deps.sh (Debian's chromium package)",
    ),
]
pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


def template_archive(contacts: list[tuple[str, str]]) -> bytes:
    """Template mode (C1, M1): ``sms/contacts.csv`` ``phone;attr1`` and ``sms/template.csv``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("sms/contacts.csv", "phone;attr1\n" + "".join(f"{p};{a}\n" for p, a in contacts))
        zf.writestr("sms/template.csv", "message;sourceaddress\nHello #attr1#!;TESTSMS\n")
    return buf.getvalue()


def ftp_upload(sim: Simulator, login: str, password: str, name: str, data: bytes) -> None:
    with ftplib.FTP() as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port, timeout=10)
        ftp.login(login, password)
        ftp.storbinary(f"STOR {name}.part", io.BytesIO(data))
        ftp.rename(f"{name}.part", name)


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    if os.environ.get("SMSFTP_UPDATE_SCREENSHOTS") == "1":
        target = Path(__file__).resolve().parents[1] / "docs" / "img"
        target.mkdir(parents=True, exist_ok=True)
        return target
    return tmp_path


@pytest.fixture
def sim() -> Iterator[Simulator]:
    accounts = {"guest": demo_account(), "other": Account(login="other", password="other-secret", senders=("TESTSMS",))}
    with Simulator(accounts=accounts, state_dir=":memory:", api_port=0, clock=FrozenClock(START)) as simulator:
        yield simulator


@pytest.fixture
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, chromium_sandbox=False)
        yield launched
        launched.close()


def sign_in(page: Page, base: str, login: str, password: str) -> None:
    page.goto(f"{base}/cabinet/")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("form.stack button[type=submit]")
    page.wait_for_url(f"{base}/cabinet/")


def test_r1_cabinet_in_a_browser(sim: Simulator, browser: Browser, shots: Path) -> None:
    assert sim.api_url is not None
    base = sim.api_url.rstrip("/")
    context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="en-GB")
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: problems.append(f"{msg.location.get('url')}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: problems.append(str(exc)))

    page.goto(f"{base}/cabinet/")
    expect(page.locator("h1")).to_have_text("Sign in")
    page.screenshot(path=str(shots / "cabinet-login.png"))
    sign_in(page, base, "guest", "guest")
    expect(page.get_by_test_id("no-archives")).to_be_visible()
    # A marker that a full reload would wipe: the row must arrive by the live fragment.
    page.evaluate("window.__noReload = true")

    ftp_upload(
        sim,
        "guest",
        "guest",
        ARCHIVE,
        template_archive([("79031234567", "Ann"), ("79161112233", "Bob"), ("89035556677", "Eve")]),
    )
    sim.advance(10)
    row = page.locator(f'tr.archive-row[data-archive="{ARCHIVE}"]')
    row.wait_for(timeout=DEADLINE_MS)
    assert page.evaluate("window.__noReload === true"), "the archive appeared only after a reload"
    expect(row).to_have_attribute("data-status", "accepted", timeout=DEADLINE_MS)
    expect(row.locator("td.num").first).to_have_text("2")
    page.locator("tr.diag-row summary").first.click()
    expect(page.locator("li.diag").first).to_contain_text("Hint:")
    page.screenshot(path=str(shots / "cabinet-archives.png"), full_page=True)

    row.locator("a").click()
    messages = page.locator("tr.message-row")
    expect(messages).to_have_count(2)
    expect(page.get_by_test_id("messages")).to_contain_text("Hello Ann!")
    expect(page.get_by_test_id("messages")).to_contain_text("MSK")
    page.screenshot(path=str(shots / "cabinet-archive.png"), full_page=True)
    archive_url = page.url

    page.fill("input[name=phone]", "+7 916")
    page.click("form.search button[type=submit]")
    expect(messages).to_have_count(1)
    expect(messages.first).to_have_attribute("data-phone", "79161112233")
    page.screenshot(path=str(shots / "cabinet-search.png"))

    page.click("nav >> text=Uploads")
    page.locator("tr.diag-row summary").first.click()
    expect(page.locator("ol.transcript").first).to_contain_text(f"RNTO {ARCHIVE}")
    page.screenshot(path=str(shots / "cabinet-uploads.png"), full_page=True)

    phone = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=1,
        is_mobile=True,
        has_touch=True,
        storage_state=context.storage_state(),
    )
    small = phone.new_page()
    small.goto(archive_url)
    expect(small.locator("tr.message-row")).to_have_count(2)
    # The page itself never scrolls sideways on a phone; wide tables scroll inside their card.
    assert small.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    small.screenshot(path=str(shots / "cabinet-phone.png"), full_page=True)
    phone.close()

    # Reading needs no JavaScript: the same pages, server-rendered, in a browser with scripts off.
    plain = browser.new_context(java_script_enabled=False, storage_state=context.storage_state())
    still = plain.new_page()
    still.goto(f"{base}/cabinet/")
    expect(still.locator(f'tr.archive-row[data-archive="{ARCHIVE}"]')).to_be_visible()
    still.goto(archive_url)
    expect(still.locator("tr.message-row")).to_have_count(2)
    plain.close()

    page.click("button:has-text('Sign out')")
    page.wait_for_url(f"{base}/cabinet/login")
    expect(page.locator("h1")).to_have_text("Sign in")
    response = page.goto(archive_url)
    assert response is not None and "/cabinet/login" in page.url, "signed out means signed out"

    sign_in(page, base, "other", "other-secret")
    response = page.goto(archive_url)
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    assert "Hello Ann" not in page.content()
    page.screenshot(path=str(shots / "cabinet-refused.png"))
    context.close()
    # The refused page's own 404 is the point; anything else (a blocked script, a CSP violation) is a bug.
    assert [p for p in problems if not p.startswith(f"{archive_url}: ")] == [], problems
