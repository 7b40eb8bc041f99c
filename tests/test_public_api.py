"""Each package's public surface is one sorted, complete __all__."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("package", ["smsftp.simulator", "smsftp.conformance"])
def test_all_is_sorted_and_importable(package: str) -> None:
    module = importlib.import_module(package)
    names = list(getattr(module, "__all__", []))

    # isort-style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions.
    def kind(name: str) -> int:
        return 0 if name.isupper() else 1 if name[:1].isupper() else 2

    assert names == sorted(names, key=lambda n: (kind(n), n))
    for name in names:
        assert hasattr(module, name), f"{package}.{name} is in __all__ but missing"


def test_simulator_never_imports_conformance() -> None:
    import pathlib

    root = pathlib.Path(importlib.import_module("smsftp.simulator").__file__ or "").parent
    offenders = [
        p.name
        for p in root.rglob("*.py")
        if "smsftp.conformance"
        in "\n".join(
            line
            for line in p.read_text(encoding="utf-8").splitlines()
            if line.lstrip().startswith(("import ", "from "))
        )
    ]
    assert not offenders
