"""Time is a parameter: a frozen clock moves only when told, and tells who listens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from freezegun import freeze_time

from smsftp.simulator.rules.instants import format_instant, parse_instant
from smsftp.simulator.service.clock import FrozenClock, SystemClock


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
    assert format_instant(datetime(2026, 11, 26, 6, 0, tzinfo=timezone(timedelta(hours=3)))) == "2026-11-26T03:00:00Z"


def test_system_clock_follows_freezegun() -> None:
    with freeze_time("2026-11-25 12:00:00") as frozen:
        clock = SystemClock()
        assert clock.now() == datetime(2026, 11, 25, 12, tzinfo=UTC)
        frozen.tick(timedelta(seconds=10))
        assert clock.now() == datetime(2026, 11, 25, 12, 0, 10, tzinfo=UTC)


class _Appointments:
    """A listener with due instants, as the poller is."""

    def __init__(self, clock: FrozenClock, *instants: datetime) -> None:
        self.clock, self.instants = clock, list(instants)
        self.seen: list[tuple[datetime, datetime, datetime]] = []

    def due(self) -> datetime | None:
        return self.instants[0] if self.instants else None

    def clock_moved(self, before: datetime, now: datetime, horizon: datetime) -> None:
        assert self.clock.now() == now  # the clock shows the stop while listeners run
        self.seen.append((before, now, horizon))
        while self.instants and self.instants[0] <= now:
            self.instants.pop(0)


def test_p1_a_move_stops_at_every_due_instant_on_the_way() -> None:
    """P1: advance() walks to its end through the listeners' due instants, telling everybody at each stop."""
    start = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    at = [start + timedelta(seconds=s) for s in range(40)]
    clock = FrozenClock(start)
    polls, uploads = _Appointments(clock, at[10], at[20]), _Appointments(clock, at[15])
    plain: list[tuple[datetime, datetime]] = []
    clock.subscribe(polls)
    clock.subscribe(uploads)
    clock.subscribe(lambda a, b: plain.append((a, b)))
    assert clock.advance(25) == at[25]
    assert plain == [(at[0], at[10]), (at[10], at[15]), (at[15], at[20]), (at[20], at[25])]
    # The horizon: how far a listener may skip idle work (the next other appointment, or the end);
    # at +15 the other listener has yet to act, so nothing may be skipped past it.
    assert polls.seen == [
        (at[0], at[10], at[15]),
        (at[10], at[15], at[15]),
        (at[15], at[20], at[25]),
        (at[20], at[25], at[25]),
    ]
    assert uploads.seen[1] == (at[10], at[15], at[20])
    clock.set(at[5])  # back: one stop, no appointments on the way
    assert plain[-1] == (at[25], at[5])
    clock.unsubscribe(polls)
    clock.advance(0)
    assert len(polls.seen) == 5 and plain[-1] == (at[5], at[5])
