"""Every exception ``smsftp.conformance`` raises on purpose derives from ``ConformanceError``::

    ConformanceError
    ├── FixtureError (also ValueError)         smsftp fixture parameters contradict each other
    ├── UploadError                            an FTP operation of the reference client failed
    ├── SafetyRefusal                          the live guard keeps an archive off the platform
    ├── LiveNotAllowed (also RuntimeError)     the live target refuses to start
    ├── OutcomeError (also RuntimeError)       the live outcome source cannot be read
    ├── ClientNotConformant (also AssertionError)  assert_client_conformant found problems
    └── _Stop (runner-internal)                a scenario cannot go on; what was seen is judged

The second bases stay so that code catching ``ValueError`` or pytest's assertion
rewriting keeps working.  ``smsftp.simulator.errors.SimulatorError`` is the simulator's root.
"""

from __future__ import annotations


class ConformanceError(Exception):
    """The root of the conformance package's own exceptions."""
