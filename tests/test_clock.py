"""Time is a parameter: a frozen clock moves only when told, and tells who listens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from simulator.clock import FrozenClock, SystemClock, format_instant, parse_instant


def test_frozen_clock_stands_still_and_advances_on_demand() -> None:
    start = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    clock = FrozenClock(start)
    seen: list[tuple[datetime, datetime]] = []
    clock.subscribe(lambda a, b: seen.append((a, b)))
    assert clock.now() == start and clock.now() == start
    assert clock.advance(10) == start + timedelta(seconds=10)
    assert seen == [(start, start + timedelta(seconds=10))]
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_naive_and_offset_instants_become_utc() -> None:
    clock = FrozenClock(datetime(2026, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=3))))
    assert clock.now() == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
    assert parse_instant("2026-11-25T12:00:00Z") == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert parse_instant("2026-11-25T12:00:00") == datetime(2026, 11, 25, 12, tzinfo=UTC)
    assert format_instant(datetime(2026, 11, 26, 6, 0, tzinfo=timezone(timedelta(hours=3)))) == \
        "2026-11-26T03:00:00Z"


def test_system_clock_follows_freezegun() -> None:
    with freeze_time("2026-11-25 12:00:00") as frozen:
        clock = SystemClock()
        assert clock.now() == datetime(2026, 11, 25, 12, tzinfo=UTC)
        frozen.tick(timedelta(seconds=10))
        assert clock.now() == datetime(2026, 11, 25, 12, 0, 10, tzinfo=UTC)
