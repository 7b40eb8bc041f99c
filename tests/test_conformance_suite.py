"""The conformance suite on the simulator, collected with the unit tests (``--target=sim``, the default).

The suite lives in the package (``pytest --pyargs smsftp.conformance`` runs it from an installed
smsftp); importing its one test function here runs it in this repository's own test run.
"""

from smsftp.conformance.test_conformance import test_case

__all__ = ["test_case"]
