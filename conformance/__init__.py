"""smsftp conformance: the suite, the pytest plugin and the reference client."""
