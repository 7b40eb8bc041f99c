"""The live target: the real platform behind its safety guards."""
