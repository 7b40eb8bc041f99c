"""The conformance suite: every selected case, on the selected target (``--target=sim|live``).

Run in the repository with ``pytest --target=sim``, or installed with
``pytest --pyargs smsftp.conformance --target=live --live-host ... --live-confirm ...``.
"""

from __future__ import annotations

import pytest

from smsftp.conformance.cases import Case
from smsftp.conformance.judge.targets import Platform
from smsftp.conformance.plugin import judge_case


def test_case(request: pytest.FixtureRequest, sms_case: Case, sms_platform: Platform) -> None:
    """The target does what the statements of ``sms_case`` say (see the case's description)."""
    judge_case(request, sms_case, sms_platform)
