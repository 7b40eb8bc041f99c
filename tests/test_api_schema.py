"""The OpenAPI schema is the contract: Schemathesis fuzzes every operation in-process (no socket).

Bounded: a fixed number of examples per operation and no example database, so the run is
the same size every time and takes seconds.  Every default check runs: no 500, the status
codes, content types and bodies the schema documents, schema-valid input accepted and
schema-invalid input refused.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from smsftp.simulator.app import Simulator
from smsftp.simulator.web.api import create_app
from smsftp.simulator.web.limits import ApiSettings

EXAMPLES = 25
HOST = {"Host": "127.0.0.1"}  # the guard refuses the test client's default "testserver"
# Rules a JSON schema cannot state, so these may refuse schema-valid input (with a problem, still checked):
# which dates exist (month 13, year 9999) for POST /api/clock; "exactly one action" and a known command or
# account for POST /api/faults.
CALENDAR = {"POST /api/clock", "POST /api/faults"}


def test_every_operation_holds_to_the_schema() -> None:
    with Simulator(api_port=None) as sim:
        # A ?wait= of up to 600 s is valid input; here it ends after 50 ms.
        app = create_app(sim, ApiSettings(max_wait=0.05))
        schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=HOST)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 14
        failures: list[str] = []
        for operation in operations:
            try:
                _fuzz(operation, excluded=[positive_data_acceptance] if operation.label in CALENDAR else [])()
            except Exception as exc:  # every operation is tried; all failures are reported together
                failures.append(f"{operation.label}: {exc}")
        assert not failures, "\n\n".join(failures)


def _fuzz(operation: Any, excluded: list[Any]) -> Callable[[], None]:
    @given(operation.as_strategy())
    # Derandomized: the same examples every run, so a red CI always means a change broke the API. Set
    # SMSFTP_FUZZ_RANDOM=1 to explore new examples (that is how the OverflowError in /api/faults was found).
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=not os.environ.get("SMSFTP_FUZZ_RANDOM"),
    )
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=HOST, excluded_checks=excluded)

    return check  # type: ignore[no-any-return]
