"""Every exception ``smsftp.simulator`` raises on purpose derives from ``SimulatorError``.

Problems in the *input* (an archive, a CSV row) are ``Diagnostic`` values, never exceptions:
these classes mean that a file, a setting or a call cannot be used, or that our own program
is in a state where the call makes no sense.  The HTTP API maps each one to a precise status
and lets anything else be a 500 (our bug, logged)::

    SimulatorError
    ├── AccountsFileError (also ValueError)    the accounts file or POST /api/accounts: 422
    ├── RegisterError (also ValueError)        the numbering-plan register file
    ├── CertificateError (also ValueError)     the FTPS certificate or key
    ├── StoreError                             the state folder (another schema version)
    ├── NotStarted                             the simulator is not running: 503
    └── FrozenClockRequired                    setting the clock on the system clock: 409

``smsftp.conformance.errors.ConformanceError`` is the other package's root.
"""

from __future__ import annotations


class SimulatorError(Exception):
    """The root of the simulator's own exceptions."""


class NotStarted(SimulatorError):
    """The call needs a running simulator (``start()`` or ``with Simulator() as sim``)."""


class FrozenClockRequired(SimulatorError):
    """The call moves time in a way only a ``FrozenClock`` can (set it, or jump back)."""
