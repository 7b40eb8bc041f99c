"""The smsftp pytest plugin (placeholder while the real plugin is being written)."""

from __future__ import annotations
