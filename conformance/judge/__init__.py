"""The judging: targets, the case runner, verdicts, reports, the client check, the corpus."""
