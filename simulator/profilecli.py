"""``smsftp profile``: calibration profiles on the command line, and ``--profile`` for serve and check."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from smsftp.simulator.rules.profile import Profile, ProfileError, diff, load_profile

EXIT_SAME, EXIT_DIFFERENT = 0, 1


def profile_option(command: Any) -> Any:
    """The ``--profile FILE`` option of ``serve`` and ``check``."""
    return click.option(
        "--profile",
        "profile_file",
        type=click.Path(dir_okay=False, path_type=Path),
        envvar="SMSFTP_PROFILE",
        show_envvar=True,
        help="Calibration profile (TOML, from `pytest --target=live --profile-out`): every account follows "
        "the platform's observed answers to the open questions.",
    )(command)


def read_profile(path: Path | None) -> Profile | None:
    """The profile at ``path`` (None without one); a bad file is a usage error (exit 2)."""
    if path is None:
        return None
    try:
        return load_profile(path)
    except ProfileError as exc:
        raise click.UsageError(str(exc)) from None


def _shown(value: Any, is_set: bool) -> str:
    text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return text if is_set else f"({text})"


@click.group("profile")
def profile() -> None:
    """Calibration profiles: what a platform was observed to do for the open questions."""


@profile.command("diff")
@click.argument("left", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("right", required=False, type=click.Path(dir_okay=False, path_type=Path))
def diff_command(left: Path, right: Path | None) -> None:
    """Show profiles LEFT and RIGHT side by side (RIGHT: the simulator's defaults).

    A value in parentheses is not set by that profile: it is the default. Exit status: 0 when
    they agree on every question, 1 when they differ, 2 for usage errors.
    """
    a = read_profile(left)
    b = read_profile(right) if right is not None else Profile()
    assert a is not None and b is not None
    rows = diff(a, b)
    headers = ("", "question", "setting", str(left), str(right) if right is not None else "defaults")
    table = [
        ("*" if r.differs else "", r.question, r.setting, _shown(r.left, r.left_set), _shown(r.right, r.right_set))
        for r in rows
    ]
    widths = [max(len(row[i]) for row in (headers, *table)) for i in range(len(headers))]
    for row in (headers, *table):
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    differing = [r.question for r in rows if r.differs]
    click.echo(f"{len(differing)} difference(s){': ' + ', '.join(differing) if differing else ''}")
    sys.exit(EXIT_DIFFERENT if differing else EXIT_SAME)
