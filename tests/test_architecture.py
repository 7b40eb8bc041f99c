"""The import contracts in pyproject.toml hold, and a deliberate violation fails them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter over ``tree`` (a copy of the repository's packages and pyproject.toml)."""
    env = {**os.environ, "PYTHONPATH": str(tree / "tools" / "editable")}
    command = [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False)


def _copy_tree(tmp_path: Path) -> Path:
    tree = tmp_path / "repo"
    for folder in ("simulator", "conformance"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    (tree / "tools" / "editable" / "smsftp").mkdir(parents=True)
    for folder in ("simulator", "conformance"):
        (tree / "tools" / "editable" / "smsftp" / folder).symlink_to(tree / folder)
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    return _lint_imports(_copy_tree(tmp_path_factory.mktemp("clean")))


def test_the_tree_keeps_every_contract(clean_run: subprocess.CompletedProcess[str]) -> None:
    assert clean_run.returncode == 0, clean_run.stdout + clean_run.stderr
    assert "0 broken" in clean_run.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("simulator/rules/naming.py", "import smsftp.simulator.service.store", "simulator layers"),
        ("simulator/rules/segments.py", "import sqlite3", "the rules are pure"),
        ("simulator/service/poller.py", "import smsftp.simulator.web.api", "simulator layers"),
        (
            "simulator/service/store.py",
            "import smsftp.conformance.judge.verdicts",
            "simulator never imports conformance",
        ),
        ("conformance/client/builder.py", "import smsftp.conformance.judge.runner", "the reference client judges"),
    ],
)
def test_a_deliberate_violation_fails(tmp_path: Path, module: str, line: str, contract: str) -> None:
    tree = _copy_tree(tmp_path)
    target = tree / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{line}  # a deliberate violation\n", encoding="utf-8")
    run = _lint_imports(tree)
    assert run.returncode != 0
    broken = run.stdout[run.stdout.index("Broken contracts") :]
    assert contract in broken, run.stdout
