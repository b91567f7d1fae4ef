"""The scheduler with a clock the test moves, on SQLite and PostgreSQL: ticks run exactly once
across restarts and between two schedulers, each catch-up policy, time zones and
daylight-saving changes, activation of one version per name, backfills."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from scheduling import DOMAIN, PROJECT, Clock, kickoffs, register, services, utc

from slipstream.errors import NotFoundError, ValidationError
from slipstream.model import BackfillRequest, CronSchedule, FixedRate
from slipstream.server import Database
from slipstream.server._scheduler import Scheduler, due_ticks, next_tick

HOURLY = CronSchedule("0 * * * *", kickoff_time_input_arg="at")


def scheduler(svc, clock: Clock) -> Scheduler:  # type: ignore[no-untyped-def]
    return Scheduler(svc.db, svc.launches, clock=clock, catchup_pace_s=0.0)


def test_activated_schedule_runs_each_tick_once_with_its_time(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock(utc(2026, 1, 1, 9, 30).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "hourly", HOURLY)
    state = svc.schedules.activate(PROJECT, DOMAIN, "hourly", "v1", "ann")
    assert state.active and state.next_at == utc(2026, 1, 1, 10).timestamp()
    s = scheduler(svc, clock)
    assert s.run_once() == 0  # nothing due before 10:00
    clock.set(utc(2026, 1, 1, 10, 0, 2))
    s.run_once()
    s.run_once()
    assert kickoffs(database, "hourly") == ["2026-01-01T10:00:00+00:00"]
    clock.set(utc(2026, 1, 1, 11, 0, 1))
    s.run_once()
    assert kickoffs(database, "hourly") == [
        "2026-01-01T10:00:00+00:00",
        "2026-01-01T11:00:00+00:00",
    ]
    ticks = svc.schedules.ticks(PROJECT, DOMAIN, "hourly", _page()).items
    assert [t.state for t in ticks] == ["created", "created"]
    assert all(t.execution.startswith("_s") for t in ticks)


def test_exactly_once_across_a_restart_between_claim_and_create(
    database: Database, tmp_path: Path
) -> None:
    clock = Clock(utc(2026, 1, 1, 9, 30).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "hourly", HOURLY)
    svc.schedules.activate(PROJECT, DOMAIN, "hourly", "v1")
    clock.set(utc(2026, 1, 1, 10, 0, 5))
    first = scheduler(svc, clock)
    assert first.claim(clock()) == 1  # ... and the process dies before creating it
    # a second process made the execution but died before marking the tick
    pending = svc.schedules.ticks(PROJECT, DOMAIN, "hourly", _page()).items[0]
    assert pending.state == "pending"
    restarted = scheduler(services(database, tmp_path), clock)
    restarted.run_once()
    restarted.run_once()
    first.run_once()
    assert kickoffs(database, "hourly") == ["2026-01-01T10:00:00+00:00"]
    assert svc.schedules.ticks(PROJECT, DOMAIN, "hourly", _page()).items[0].state == "created"


def test_two_schedulers_racing_make_each_execution_once(database: Database, tmp_path: Path) -> None:
    clock = Clock(utc(2026, 1, 1, 0, 30).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    for i in range(4):
        register(svc, f"lp{i}", CronSchedule("*/5 * * * *", "at", catchup="all"))
        svc.schedules.activate(PROJECT, DOMAIN, f"lp{i}", "v1")
    other = Database(str(database.engine.url.render_as_string(hide_password=False)))
    try:
        a, b = scheduler(svc, clock), scheduler(services(other, tmp_path), clock)
        errors: list[BaseException] = []

        def spin(s: Scheduler) -> None:
            try:
                for _ in range(6):
                    s.run_once()
            except BaseException as e:  # pragma: no cover - shown by the assert below
                errors.append(e)

        clock.set(utc(2026, 1, 1, 1, 0, 1))  # six ticks due for each launch plan
        threads = [threading.Thread(target=spin, args=(s,)) for s in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        a.run_once()
        assert not errors
        for i in range(4):
            got = kickoffs(database, f"lp{i}")
            assert len(got) == len(set(got)) == 6, got
    finally:
        other.dispose()


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("all", ["07:00", "08:00", "09:00", "10:00"]),
        ("latest", ["10:00"]),
        ("skip", []),
    ],
)
def test_catch_up_policies_after_downtime(
    database: Database, tmp_path: Path, policy: str, expected: list[str]
) -> None:
    clock = Clock(utc(2026, 1, 1, 6, 30).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "lp", CronSchedule("0 * * * *", "at", catchup=policy))
    svc.schedules.activate(PROJECT, DOMAIN, "lp", "v1")
    clock.set(utc(2026, 1, 1, 10, 20))  # down from 06:30 to 10:20: four ticks missed
    s = scheduler(svc, clock)
    for _ in range(3):
        s.run_once()
    assert [k[11:16] for k in kickoffs(database, "lp")] == expected
    clock.set(utc(2026, 1, 1, 11, 0, 3))  # back on time: the next tick runs whatever the policy
    s.run_once()
    assert kickoffs(database, "lp")[-1] == "2026-01-01T11:00:00+00:00"


def test_latest_after_a_long_downtime_does_not_walk_every_tick() -> None:
    minutely = CronSchedule("* * * * *", catchup="latest")
    start = utc(2026, 1, 1).timestamp()
    now = utc(2026, 3, 1).timestamp()  # 84,960 minutes later
    due = due_ticks(minutely, start, now, start)
    assert due.run == (now,)
    assert due.next_at == now + 60


def test_time_zone_and_daylight_saving_changes() -> None:
    daily = CronSchedule("30 1 * * *", timezone="America/New_York")
    # autumn: 01:30 happens twice on 2026-11-01; the job runs once
    t = dt.datetime(2026, 10, 31, 12, tzinfo=dt.UTC).timestamp()
    ticks = []
    for _ in range(3):
        t = next_tick(daily, t, 0)
        ticks.append(dt.datetime.fromtimestamp(t, dt.UTC).strftime("%m-%d %H:%M"))
    assert ticks == ["11-01 05:30", "11-02 06:30", "11-03 06:30"]
    # spring: 02:30 does not exist on 2026-03-08; it runs at 03:00 local, once
    early = CronSchedule("30 2 * * *", timezone="America/New_York")
    t = next_tick(early, dt.datetime(2026, 3, 7, 12, tzinfo=dt.UTC).timestamp(), 0)
    assert dt.datetime.fromtimestamp(t, dt.UTC).strftime("%m-%d %H:%M") == "03-08 07:00"
    # an hourly job runs in both repeated hours
    hourly = CronSchedule("0 * * * *", timezone="America/New_York")
    t = dt.datetime(2026, 11, 1, 4, 30, tzinfo=dt.UTC).timestamp()
    got = []
    for _ in range(3):
        t = next_tick(hourly, t, 0)
        got.append(dt.datetime.fromtimestamp(t, dt.UTC).strftime("%H:%M"))
    assert got == ["05:00", "06:00", "07:00"]
    # the kickoff time is the instant, whatever the zone: 09:00 in Tokyo is 00:00 UTC
    tokyo = CronSchedule("0 9 * * *", timezone="Asia/Tokyo")
    t = next_tick(tokyo, utc(2026, 1, 1, 1).timestamp(), 0)
    assert t == utc(2026, 1, 2, 0).timestamp()


def test_fixed_rate_counts_from_activation(database: Database, tmp_path: Path) -> None:
    clock = Clock(utc(2026, 1, 1, 0, 0, 10).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "rate", FixedRate(600.0, "at"))
    state = svc.schedules.activate(PROJECT, DOMAIN, "rate", "v1")
    assert state.next_at == clock() + 600
    s = scheduler(svc, clock)
    clock.now += 1201  # two ticks; the default policy (latest) runs only the newest if late
    s.run_once()
    assert kickoffs(database, "rate") == ["2026-01-01T00:20:10+00:00"]


def test_one_active_version_per_name(database: Database, tmp_path: Path) -> None:
    clock = Clock(utc(2026, 1, 1, 9, 30).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "lp", HOURLY, version="v1")
    register(svc, "lp", CronSchedule("15 * * * *", "at"), version="v2")
    svc.schedules.activate(PROJECT, DOMAIN, "lp", "v1")
    state = svc.schedules.activate(PROJECT, DOMAIN, "lp", "v2")
    assert state.version == "v2" and state.next_at == utc(2026, 1, 1, 10, 15).timestamp()
    [only] = svc.schedules.list(PROJECT, DOMAIN)
    assert only.version == "v2" and only.active
    svc.schedules.deactivate(PROJECT, DOMAIN, "lp")
    clock.set(utc(2026, 1, 1, 12))
    scheduler(svc, clock).run_once()
    assert kickoffs(database, "lp") == []
    assert svc.schedules.list(PROJECT, DOMAIN, active_only=True) == []


def test_activation_refusals_name_the_problem(database: Database, tmp_path: Path) -> None:
    svc = services(database, tmp_path)
    register(svc, "plain", None)
    with pytest.raises(ValidationError, match="has no schedule"):
        svc.schedules.activate(PROJECT, DOMAIN, "plain", "v1")
    with pytest.raises(NotFoundError):
        svc.schedules.activate(PROJECT, DOMAIN, "absent", "v1")
    with pytest.raises(NotFoundError, match="no schedule"):
        svc.schedules.deactivate(PROJECT, DOMAIN, "plain")


def test_backfill_runs_the_range_once_and_paced(database: Database, tmp_path: Path) -> None:
    clock = Clock(utc(2026, 1, 2).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "lp", CronSchedule("0 */6 * * *", "at"))
    svc.schedules.activate(PROJECT, DOMAIN, "lp", "v1")
    req = BackfillRequest(
        start=utc(2026, 1, 1).timestamp(), end=utc(2026, 1, 1, 18).timestamp(), pace_s=10
    )
    result = svc.schedules.backfill(PROJECT, DOMAIN, "lp", req)
    assert (result.created, result.existing) == (4, 0)
    s = Scheduler(svc.db, svc.launches, clock=clock)
    s.run_once()
    assert len(kickoffs(database, "lp")) == 1  # paced: one now, the next in 10 s
    clock.now += 30
    s.run_once()
    assert [k[11:16] for k in kickoffs(database, "lp")] == ["00:00", "06:00", "12:00", "18:00"]
    again = svc.schedules.backfill(PROJECT, DOMAIN, "lp", req)
    assert (again.created, again.existing) == (0, 4)
    with pytest.raises(ValidationError, match="must not be after"):
        svc.schedules.backfill(PROJECT, DOMAIN, "lp", BackfillRequest(start=2.0, end=1.0))


def _page():  # type: ignore[no-untyped-def]
    from slipstream.server._database import PageRequest

    return PageRequest(limit=100)


def test_deactivation_cancels_waiting_catch_up_ticks(database: Database, tmp_path: Path) -> None:
    clock = Clock(utc(2026, 1, 1, 6, 30).timestamp())
    svc = services(database, tmp_path)
    svc.schedules.clock = clock
    register(svc, "lp", CronSchedule("0 * * * *", "at", catchup="all"))
    svc.schedules.activate(PROJECT, DOMAIN, "lp", "v1")
    clock.set(utc(2026, 1, 1, 10, 20))
    s = Scheduler(svc.db, svc.launches, clock=clock, catchup_pace_s=60.0)
    s.run_once()  # four missed ticks claimed, one a minute: the first runs now
    assert len(kickoffs(database, "lp")) == 1
    svc.schedules.deactivate(PROJECT, DOMAIN, "lp")
    clock.now += 600
    s.run_once()
    assert len(kickoffs(database, "lp")) == 1
    states = sorted(t.state for t in svc.schedules.ticks(PROJECT, DOMAIN, "lp", _page()).items)
    assert states == ["cancelled", "cancelled", "cancelled", "created"]
