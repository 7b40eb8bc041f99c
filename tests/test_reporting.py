"""The rules report a problem one way (``smsftp.simulator.rules.diagnostics``, "How the rules report").

A check yields every ``Diagnostic`` it finds and returns its value, if it has one
(``Check[T]``); nothing in the rules returns ``(value, problems)``, fills a list it
is handed, or raises an exception that carries a diagnostic.  The per-row
``Reporter`` of ``processing`` is the one named exception, listed here with why.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from types import ModuleType

import pytest

import smsftp.simulator.rules as rules
from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import Diagnostic, collect
from smsftp.simulator.rules.naming import check_archive_name

# Where the rules hand a row's problem to a callable instead of yielding it, and why.
REPORTER_USERS = {
    "processing.DiagnosticLog.reporter": "hands out the per-row Reporter: the cap is checked before a row's "
    "diagnostic is built, and the hot loop builds no generator per row",
    "processing.ArchiveRun._rows": "the hot loop itself",
    "processing.ArchiveRun._duplicate": "a row's problem, from the hot loop",
    "processing.ArchiveRun._normalized": "a row's problem, from the hot loop",
    "processing.ArchiveRun._bad_text": "a row's problem, from the hot loop",
    "schedule.Schedule.__init__": "the send window is worked out per row, in the hot loop",
    "textio.CsvFile.records": "a row that is not the header's width, per row",
    "textio.CsvFile.fit": "a row that is not the header's width, per row",
}
# Not checks: the log of one archive, where diagnostics end up; the verdict that holds them; the edge
# that runs a check to its end for a caller that is no check itself.
SINKS = {"processing.DiagnosticLog.add", "processing.DiagnosticLog.extend", "processing.DiagnosticLog.take"}
RECORDS = {"outcome.ArchiveResult.__init__"}
EDGE = {"diagnostics.collect"}


def _modules() -> Iterator[ModuleType]:
    for info in pkgutil.iter_modules(rules.__path__):
        yield importlib.import_module(f"{rules.__name__}.{info.name}")


def _functions() -> Iterator[tuple[str, Callable[..., object]]]:
    """Every function and method defined in the rules, as ``module.Class.name``."""
    for module in _modules():
        short = module.__name__.rsplit(".", 1)[-1]
        for name, value in vars(module).items():
            if getattr(value, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(value):
                yield f"{short}.{name}", value
            elif inspect.isclass(value):
                for member, function in vars(value).items():
                    if inspect.isfunction(function):
                        yield f"{short}.{name}.{member}", function


def _annotations(function: Callable[..., object]) -> tuple[list[str], str]:
    signature = inspect.signature(function)
    return [str(p.annotation) for p in signature.parameters.values()], str(signature.return_annotation)


def test_the_scan_sees_the_checks() -> None:
    names = {name for name, _ in _functions()}
    assert {"naming.check_archive_name", "archive.ZipArchive.inspect", "template.read_template"} <= names


def test_no_check_returns_its_problems_as_a_list_or_a_tuple() -> None:
    wrong = []
    for name, function in _functions():
        _, returns = _annotations(function)
        if name in EDGE:
            continue
        if "list[Diagnostic]" in returns or ("tuple[" in returns and "Diagnostic" in returns):
            wrong.append(f"{name} -> {returns}")
    assert wrong == []


def test_no_check_fills_a_list_it_is_handed() -> None:
    wrong = []
    for name, function in _functions():
        params, _ = _annotations(function)
        if name not in SINKS | RECORDS and any("list[Diagnostic]" in p or "Iterable[Diagnostic]" in p for p in params):
            wrong.append(name)
    assert wrong == []


def test_whatever_returns_diagnostics_yields_them() -> None:
    for name, function in _functions():
        _, returns = _annotations(function)
        if name not in EDGE and "Diagnostic" in returns and returns not in ("Diagnostic", "Diagnostic | None"):
            assert returns.startswith(("Check[", "Iterator[Diagnostic]")), name
            assert inspect.isgeneratorfunction(function), name


def test_the_per_row_reporter_is_the_one_listed_exception() -> None:
    users = {name for name, function in _functions() if any("Reporter" in p for p in _annotations(function)[0])}
    users |= {name for name, function in _functions() if "Reporter" in _annotations(function)[1]}
    assert users == set(REPORTER_USERS)


def test_no_rules_exception_carries_a_diagnostic() -> None:
    for module in _modules():
        for name, value in vars(module).items():
            if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                assert "Diagnostic" not in inspect.getsource(value), f"{module.__name__}.{name}"


def test_no_reader_keeps_a_diagnostics_list_to_drain() -> None:
    from smsftp.simulator.rules.archive import ZipArchive
    from smsftp.simulator.rules.textio import CsvFile, TextSource

    for cls in (TextSource, CsvFile, ZipArchive):
        assert not hasattr(cls, "diagnostics")
        assert "self.diagnostics" not in inspect.getsource(cls)


def test_a_check_yields_every_problem_before_it_returns() -> None:
    check = check_archive_name("Other_2026.ZIP", "guest")
    first = next(check)  # a generator: the first problem is there before the rest are looked for
    assert isinstance(first, Diagnostic) and first.code == "SMS101"
    name, rest = collect(check)
    assert name is None and [d.code for d in [first, *rest]] == ["SMS101", "SMS101"]


@pytest.mark.parametrize("login", ["guest", None])
def test_collect_gives_the_value_and_every_diagnostic_in_order(login: str | None) -> None:
    name, found = collect(check_archive_name("guest_20261125120000.zip", login))
    assert name is not None and name.login == "guest" and found == []
    name, found = collect(check_archive_name("Guest_20261125120000.zip", "guest" if login else None))
    assert [d.code for d in found] == (["SMS104"] if login else [])
    assert name is not None and name.login == "Guest"


def test_a_check_inside_a_check_passes_its_problems_on() -> None:
    from smsftp.simulator.rules.naming import assign_roles

    roles, found = collect(assign_roles(["sms/list.csv"], Account(login="guest", mode="template")))
    assert roles is not None and roles.mode == "plain" and [d.code for d in found] == ["SMS219"]
