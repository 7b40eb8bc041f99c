"""The conformance package's ``smsftp`` commands: ``fixture``, ``corpus build|verify`` and ``report``.

They reach the ``smsftp`` group through the ``smsftp.commands`` entry points
(``smsftp.simulator`` never imports ``smsftp.conformance``).  Exit status: 0 fine, 1
findings (a failed verification, a report at or above ``--fail-on``), 2 usage.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from smsftp.conformance.client.builder import FAULTS, BuiltArchive, ascii_mangle, build_archive_to
from smsftp.conformance.client.fixture import (
    ALL_FAULTS,
    CONTENT_FAULTS,
    DEFAULT_AT,
    LAYOUT_FAULTS,
    NEWLINES,
    FixtureError,
    FixtureParams,
)
from smsftp.conformance.client.fixture import recipe as fixture_recipe
from smsftp.simulator.formats import FORMATS
from smsftp.simulator.rules.accounts import Account, AccountsFileError, load_accounts, unknown_account
from smsftp.simulator.rules.diagnostics import Severity
from smsftp.simulator.rules.instants import parse_instant
from smsftp.simulator.rules.outcome import ArchiveResult, UploadFacts
from smsftp.simulator.serve import DEFAULT_API_URL

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
_BAR_THRESHOLD = 20_000


def _fault_help() -> str:
    groups = (("content", CONTENT_FAULTS), ("layout", LAYOUT_FAULTS), ("container", FAULTS))
    lines = ["\b", "Faults (--fault, repeatable):"]
    for title, table in groups:
        lines.append(f"  {title}:")
        lines.extend(f"    {name:<18} {text}" for name, text in table.items())
    return "\n".join(lines)


def _instant(value: str | None) -> datetime:
    # Now by default: a repeated upload of the same name is refused (SMS804), so a CI flow that makes
    # and uploads a fixture on every run needs a fresh stamp; --at makes the bytes reproducible.
    if value is None or value == "now":
        return datetime.now(UTC).replace(microsecond=0)
    try:
        return parse_instant(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 instant (or 'now')", param_hint="--at") from None


def _check_account(accounts_file: Path | None, login: str) -> Account:
    if accounts_file is None:
        return unknown_account(login)
    try:
        accounts = load_accounts(accounts_file)
    except AccountsFileError as exc:
        raise click.UsageError(str(exc)) from None
    return accounts.get(login, unknown_account(login))


def _report_written(built: BuiltArchive, result: ArchiveResult) -> None:
    click.echo(f"wrote {built.path} ({built.size:,} bytes, sha256 {built.sha256})")
    for d in result.diagnostics:
        where = f"{built.filename}!{d.file}" if d.file else built.filename
        if d.line is not None:
            where += f":{d.line}" + (f":{d.column}" if d.column is not None else "")
        click.echo(f"  {where}: {d.code} [{d.severity}] {d.message} ({d.statement})")
    click.echo(
        f"  smsftp check: {result.status.upper()} ({result.mode or 'unknown mode'}): "
        f"{result.message_count} message(s), {result.rejected_rows} rejected row(s)"
    )


def _checked(built: BuiltArchive, account: Account, at: datetime, binary: bool = True) -> ArchiveResult:
    from smsftp.simulator.rules.processing import check_archive

    if binary:
        return check_archive(built.filename, built.path, account, at)
    received = ascii_mangle(built.path.read_bytes())
    return check_archive(built.filename, received, account, at, upload=UploadFacts(transfer_type="A"))


def _fixture_from_case(case_id: str, output: Path, login: str | None, check: bool) -> None:
    from smsftp.conformance.cases import all_cases
    from smsftp.conformance.judge.corpus import PROCESSING_AT, case_account

    found = {c.id: c for c in all_cases()}
    if case_id not in found:
        close = [c for c in sorted(found) if case_id.lower() in c.lower()][:10]
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise click.BadParameter(f"no case {case_id!r}{hint}", param_hint="--case")
    case = found[case_id]
    click.echo(f"case {case.id}: {case.description} ({', '.join(case.statements)})")
    account, _ = case_account(case)
    if login:
        account = replace(account, login=login)
    for name, data in case.archives(account.login):
        path = output / name
        path.write_bytes(data)
        built = BuiltArchive(path, name, len(data), hashlib.sha256(data).hexdigest())
        if check:
            _report_written(built, _checked(built, account, PROCESSING_AT, case.upload.binary))
        else:
            click.echo(f"wrote {built.path} ({built.size:,} bytes, sha256 {built.sha256})")
    if not case.upload.binary:
        click.echo(
            "  note: this case uploads in ASCII mode (TYPE A); the check above judged the bytes "
            "a server stores after such an upload"
        )


@click.command(epilog=_fault_help())
@click.option("--case", "case_id", metavar="ID", help="Write the archive(s) of this conformance case.")
@click.option(
    "-o",
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Directory to write into (created if missing).",
)
@click.option(
    "--mode",
    type=click.Choice(["template", "plain"]),
    default="template",
    show_default=True,
    help="template: sms/contacts.csv + sms/template.csv; plain: one sms/list.txt (TELRN_LONG;TEXT).",
)
@click.option(
    "--contacts",
    "count",
    type=click.IntRange(min=0),
    default=10,
    show_default=True,
    help="Number of recipients: Russian names (faker ru_RU) and distinct valid mobile numbers.",
)
@click.option(
    "--message",
    help="Template text with #attr1#..#attrN# fields (plain mode: filled into TEXT). "
    "Default: 'Уважаемый #attr1# #attr2#! Ваш заказ готов к выдаче.'",
)
@click.option(
    "--sender",
    default="TESTSMS",
    show_default=True,
    help="template.csv's sourceaddress (M3); in plain mode the account's default sender for the check.",
)
@click.option(
    "--template-field",
    "template_fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="An extra template.csv column, e.g. validity=180, senddate=20301201T10:00:00, localtime=1.",
)
@click.option(
    "--encoding",
    type=click.Choice(["utf-8", "cp1251"]),
    default="utf-8",
    show_default=True,
    help="Text encoding of the CSV files (Z4).",
)
@click.option(
    "--newline",
    type=click.Choice(list(NEWLINES)),
    default="crlf",
    show_default=True,
    help="Line endings of the CSV files (Z5).",
)
@click.option(
    "--bom/--no-bom",
    default=False,
    show_default=True,
    help="Start the CSV files with a UTF-8 byte-order mark, as Excel's 'CSV UTF-8' does (Q5).",
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="NAME",
    help="Something that goes wrong in the field; repeatable. The list is below.",
)
@click.option("--password", help="Encrypt with this password (ZipCrypto, as zip -P). --fault encrypted uses 'secret'.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for names and numbers.")
@click.option(
    "--at",
    "at_text",
    metavar="ISO|now",
    help="Upload instant; the archive's name carries it on the client's wall clock. Default: now, so each "
    f"run makes a new name; give one (e.g. {DEFAULT_AT:%Y-%m-%dT%H:%M:%SZ}) for the same bytes every time.",
)
@click.option("--timezone", default="Europe/Moscow", show_default=True, help="The client's IANA time zone.")
@click.option("--login", help="The account login in the archive's name (default guest).")
@click.option(
    "--accounts",
    "accounts_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Accounts TOML for the check (sender approval, encoding); default: none, as smsftp check.",
)
@click.option(
    "--check/--no-check",
    default=True,
    show_default=True,
    help="Judge the written archive with the platform's rules, as `smsftp check` does.",
)
def fixture(
    case_id: str | None,
    output: Path,
    mode: str,
    count: int,
    message: str | None,
    sender: str,
    template_fields: tuple[str, ...],
    encoding: str,
    newline: str,
    bom: bool,
    faults: tuple[str, ...],
    password: str | None,
    seed: int,
    at_text: str | None,
    timezone: str,
    login: str | None,
    accounts_file: Path | None,
    check: bool,
) -> None:
    """Write an archive that reproduces a case or a customer's problem, for a support ticket.

    With --case ID, the archive(s) of that conformance case. Otherwise an archive
    built from the options, stamped now; with --at, the same command line gives
    the same bytes (with the same faker version, which it prints). Prints the
    path, size and sha256 of what it wrote and what `smsftp check` says of it.

    \b
    Examples:
      smsftp fixture --contacts 3 --fault leading-8 -o /tmp
      smsftp fixture --encoding cp1251 --bom --fault macos-junk --at 2026-12-01T07:00:00Z
      smsftp fixture --mode plain --contacts 1000000 --fault cp866-names -o big/
      smsftp fixture --case Q8-leading-8 -o ticket-1234/
    """
    output.mkdir(parents=True, exist_ok=True)
    if case_id is not None:
        _fixture_from_case(case_id, output, login, check)
        return
    unknown = [f for f in faults if f not in ALL_FAULTS]
    if unknown:
        raise click.BadParameter(
            f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(ALL_FAULTS)}", param_hint="--fault"
        )
    fields: list[tuple[str, str]] = []
    for item in template_fields:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--template-field")
        fields.append((key, value))
    at = _instant(at_text)
    params = FixtureParams(
        mode=mode,
        contacts=count,
        message=message,
        sender=sender,
        template_fields=tuple(fields),
        encoding=encoding,
        newline=newline,
        bom=bom,
        faults=faults,
        seed=seed,
        at=at,
        timezone=timezone,
        login=login or "guest",
        password=password,
    )
    try:
        made = fixture_recipe(params)
    except (FixtureError, KeyError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    show_bar = made.rows >= _BAR_THRESHOLD and sys.stderr.isatty()
    with click.progressbar(length=made.rows, label="rows", file=sys.stderr, show_pos=True, hidden=not show_bar) as bar:
        last = [0]

        def progress(done: int) -> None:
            bar.update(done - last[0])
            last[0] = done

        try:
            built = build_archive_to(made.spec, output, rows_iter=made.rows_iter(), progress=progress)
        except UnicodeEncodeError as exc:
            raise click.UsageError(f"the text cannot be written in {encoding}: {exc}") from None
    if check:
        account = _check_account(accounts_file, params.login)
        if accounts_file is None and mode == "plain":
            # Plain archives carry no sender (N4); without an accounts file, --sender plays the account's.
            account = account.with_overrides(default_sender=sender)
        _report_written(built, _checked(built, account, at))
        if account.encoding != encoding:
            click.echo(
                f"  note: checked for an account whose encoding is {account.encoding}; "
                f'pass --accounts with `encoding = "{encoding}"` for an account arranged '
                "with support (Z4)"
            )
    else:
        click.echo(f"wrote {built.path} ({built.size:,} bytes, sha256 {built.sha256})")
    from smsftp.conformance.client.fakedata import faker_version

    click.echo(
        f"  reproduce: --at {at:%Y-%m-%dT%H:%M:%SZ} --seed {seed} give these bytes again with "
        f"faker {faker_version()} (names depend on faker's version)"
    )


@click.group()
def corpus() -> None:
    """Build or verify the language-neutral corpus of good and bad archives (fixtures/)."""


@corpus.command("build")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--max-stored",
    type=click.IntRange(min=0),
    default=None,
    help="Store archives up to this many bytes; bigger ones are listed with their recipe only.",
)
def corpus_build(directory: Path, max_stored: int | None) -> None:
    """Write every case's archives, expected.json and index.json into DIRECTORY."""
    from smsftp.conformance.judge.corpus import MAX_STORED_BYTES, build_corpus

    summary = build_corpus(directory, max_stored=MAX_STORED_BYTES if max_stored is None else max_stored)
    click.echo(f"{directory}: {summary.cases} case(s), {summary.stored} archive(s), {summary.total_bytes:,} bytes")
    for omitted in summary.omitted:
        click.echo(f"  not stored (too large; rebuild with `smsftp fixture --case`): {omitted}")


@corpus.command("verify")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--bytes-only", is_flag=True, help="Compare with a fresh build only; do not run the rules.")
def corpus_verify(directory: Path, bytes_only: bool) -> None:
    """Rebuild every case and compare bytes, then check each archive's outcome with the rules."""
    from smsftp.conformance.judge.corpus import verify_corpus

    report = verify_corpus(directory, outcomes=not bytes_only)
    for problem in report.problems:
        click.echo(f"FAIL {problem}")
    if report.zlib_differs and report.problems:
        click.echo("note: the corpus was built with another zlib; compressed bytes may differ for that reason")
    if report.faker_differs and report.problems:
        click.echo(
            "note: the corpus was built with another faker version; names, and so bytes, may differ for that reason"
        )
    for skipped in report.skipped:
        click.echo(f"skip {skipped}")
    click.echo(
        f"{directory}: {len(report.problems)} problem(s); "
        f"{report.checked} archive outcome(s) checked, "
        f"{len(report.skipped)} case(s) need the FTP service"
    )
    sys.exit(EXIT_OK if report.ok else EXIT_FINDINGS)


def _get_json(base: str, path: str, login: str | None, token: str | None) -> dict[str, Any]:
    """Every row of an API list: its pages are followed through their ``next`` links."""
    query = f"?{urllib.parse.urlencode({'login': login})}" if login else ""

    def page(url: str) -> dict[str, Any]:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=30) as response:
            body: dict[str, Any] = json.loads(response.read().decode("utf-8"))
        return body

    data = page(base.rstrip("/") + path + query)
    key = path.rsplit("/", 1)[-1]
    while data.get("next"):
        more = page(base.rstrip("/") + str(data["next"]))
        data[key] = [*data[key], *more[key]]
        data["next"] = more.get("next")
    return data


def _fault_events(api: str, token: str | None) -> list[dict[str, Any]]:
    """Every fault event (a fault at connect has no login yet; the judge sorts them out)."""
    try:
        events: list[dict[str, Any]] = _get_json(api, "/api/faults/events", None, token)["events"]
    except urllib.error.HTTPError as exc:
        if exc.code == 404:  # a simulator from before faults on demand
            return []
        raise
    return events


def _from_store(
    state_dir: Path, login: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    from smsftp.simulator.app import DATABASE
    from smsftp.simulator.service.store import Store

    database = state_dir / DATABASE
    if not database.exists():
        raise click.BadParameter(f"no simulator store at {database}", param_hint="--state-dir")
    store = Store(database)
    try:
        return (
            [u.to_json() for u in store.uploads(login)],
            [a.to_json() for a in store.archives(login)],
            [e.to_json() for e in store.fault_events()],
            [f.to_json() for f in store.failed_logins(login)],
        )
    finally:
        store.close()


def _post_json(base: str, path: str, body: dict[str, Any], token: str | None) -> dict[str, Any]:
    request = urllib.request.Request(
        base.rstrip("/") + path,
        data=json.dumps(body).encode(),
        headers={"Accept": "application/json", "Content-Type": "application/json"},
        method="POST",
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        data: dict[str, Any] = json.loads(response.read().decode("utf-8"))
    return data


def _from_api(
    api: str, login: str | None, token: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    return (
        _get_json(api, "/api/uploads", login, token)["uploads"],
        _get_json(api, "/api/archives", login, token)["archives"],
        _get_json(api, "/api/failed-logins", login, token)["failed_logins"],
    )


@click.command()
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "info"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding at or above this severity exists.",
)
@click.option(
    "--api",
    metavar="URL",
    envvar="SMSFTP_API",
    show_envvar=True,
    help=f"The simulator's HTTP API. Default: {DEFAULT_API_URL}, where `smsftp serve` puts it, "
    "unless --state-dir is given.",
)
@click.option(
    "--state-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Read the simulator's store directly instead of the API.",
)
@click.option("--token", envvar="SMSFTP_API_TOKEN", help="API token when the API is not on loopback.")
@click.option("--login", help="Judge only this account's uploads.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text, json, or a CI format: junit, sarif, github (annotations), gitlab (Code Quality); as smsftp check.",
)
@click.option("--select", multiple=True, metavar="CODES", help="Report only these codes or code prefixes (SMS8).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Drop these codes or code prefixes.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per code instead of the findings.")
@click.option(
    "--advance",
    is_flag=True,
    help="First advance the simulator's frozen clock by one poll interval, so that uploads are processed.",
)
@click.option(
    "--wait",
    "wait_seconds",
    type=click.FloatRange(min=0),
    default=0.0,
    metavar="SECONDS",
    help="First wait up to SECONDS for every upload in scope to be processed (system clock).",
)
def report(
    fail_on: str,
    api: str | None,
    state_dir: Path | None,
    token: str | None,
    login: str | None,
    fmt: str,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    statistics: bool,
    advance: bool,
    wait_seconds: float,
) -> None:
    """Judge every upload the simulator received from your client (client conformance).

    For each upload: the archive's name, binary transfer (TYPE I), upload under
    a temporary name then rename, FTPS, aborted transfers, a hang-up before the
    transfer's reply, and every diagnostic of the archive's content. The run
    fails too when nothing was uploaded, an upload is not processed yet, a file
    the platform never processes was left, or a login failed.
    Exit 1 when a finding at or above --fail-on exists.
    """
    from smsftp.conformance.judge.clientcheck import client_report, pending_uploads
    from smsftp.simulator import formats

    if api is not None and state_dir is not None:
        raise click.UsageError("give one of --api URL or --state-dir DIR, not both")
    if state_dir is None:
        api = api or DEFAULT_API_URL
    try:
        selected, ignored = formats.parse_selectors(select), formats.parse_selectors(ignore)
    except formats.SelectorError as exc:
        raise click.BadParameter(str(exc), param_hint="--select/--ignore") from None
    frozen: bool | None = None
    if api is not None:
        try:
            clock = _get_json(api, "/api/clock", None, token)
            frozen = bool(clock.get("frozen"))
            if advance:
                if not frozen:
                    raise click.UsageError(
                        "--advance needs a simulator on a frozen clock; this one runs on the system clock: "
                        "use --wait SECONDS"
                    )
                _post_json(api, "/api/clock/advance", {"seconds": float(clock["poll_interval"])}, token)
            uploads, archives, failed = _from_api(api, login, token)
            deadline = time.monotonic() + wait_seconds
            while pending_uploads(uploads, archives, login) and time.monotonic() < deadline:
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
                uploads, archives, failed = _from_api(api, login, token)
            faults = _fault_events(api, token)
        except OSError as exc:
            click.echo(f"smsftp report: cannot read {api}: {exc}", err=True)
            sys.exit(EXIT_USAGE)
    else:
        assert state_dir is not None
        if advance or wait_seconds:
            raise click.UsageError("--advance and --wait need the running simulator's --api, not --state-dir")
        uploads, archives, faults, failed = _from_store(state_dir, login)
    result = client_report(uploads, archives, login=login, faults=faults, failed_logins=failed, frozen=frozen)
    if selected or ignored:
        result.findings = [f for f in result.findings if formats.keep(f.diagnostic, selected, ignored)]
    subjects = _subjects(result, Severity(fail_on))
    if statistics:
        rows = formats.statistics(subjects)
        click.echo(json.dumps(rows, indent=2) if fmt == "json" else formats.statistics_text(rows))
    elif fmt == "json":
        click.echo(json.dumps(result.to_json(fail_on), ensure_ascii=False, indent=2))
    elif fmt == "text":
        click.echo(result.text(fail_on))
    else:
        rendered = formats.render(fmt, subjects, tool="smsftp report", fail_on=Severity(fail_on))
        if rendered:  # no findings: no annotation lines, not an empty one
            click.echo(rendered)
    sys.exit(EXIT_FINDINGS if result.failing(fail_on) else EXIT_OK)


def _subjects(result: Any, fail_on: Severity) -> list[Any]:
    """One subject per upload (and one for archives no upload delivered), as the text report groups them."""
    from smsftp.conformance.judge.clientcheck import final_name
    from smsftp.simulator.formats import Subject, at_least

    groups: dict[int | None, list[Any]] = {}
    for finding in result.findings:
        groups.setdefault(finding.upload_id, []).append(finding)
    names = {int(u["id"]): final_name(u) for u in result.uploads if u.get("id") is not None}
    subjects = []
    for upload_id, findings in groups.items():
        name = names.get(upload_id, findings[0].subject) if upload_id is not None else findings[0].subject
        failed = any(at_least(f.diagnostic, fail_on) for f in findings)
        label = f"upload #{upload_id}" if upload_id is not None else "no journaled upload"
        summary = f"{name} ({label}): {len(findings)} finding(s)"
        subjects.append(Subject(name, name, failed, summary, tuple(f.diagnostic for f in findings)))
    return subjects
