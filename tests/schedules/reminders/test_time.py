"""Pure parts of schedules/: time parsing, timezones, next-due across DST, pacing, settings. No
database, no clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from pydantic import ValidationError

from schedules.errors import InputError, TimeFormatError, TimezoneError
from schedules.reminders.delivery import FOCUS_TOPICS, TokenBucket, focus_topic, make_nonce
from schedules.reminders.timecalc import (
    format_local_time,
    get_zone,
    local_due,
    next_due,
    parse_local_time,
)
from schedules.reminders.zones import resolve_timezone, search_timezones
from schedules.settings import DatabaseSettings, ReminderSettings
from tests.schedules.reminders.helpers import FakeMonotonic

NY = get_zone("America/New_York")
BERLIN = get_zone("Europe/Berlin")
LORD_HOWE = get_zone("Australia/Lord_Howe")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- parse_local_time ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("7:30am", time(7, 30)),
        ("7:30 am", time(7, 30)),
        ("7:30 pm", time(19, 30)),
        ("7:30PM", time(19, 30)),
        ("7:30 p.m.", time(19, 30)),
        ("19:30", time(19, 30)),
        ("  19:30  ", time(19, 30)),
        ("7am", time(7, 0)),
        ("7 pm", time(19, 0)),
        ("12am", time(0, 0)),
        ("12:15am", time(0, 15)),
        ("12pm", time(12, 0)),
        ("0730", time(7, 30)),
        ("1930", time(19, 30)),
        ("19h30", time(19, 30)),
        ("7.30", time(7, 30)),
        ("7", time(7, 0)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("noon", time(12, 0)),
        ("Midnight", time(0, 0)),
    ],
)
def test_parse_local_time_accepts_what_people_type(text: str, expected: time) -> None:
    assert parse_local_time(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "25:00",
        "24:00",
        "7:75",
        "7:60",
        "abc",
        "13:00pm",
        "0am",
        "13pm",
        "",
        "   ",
        "7:5",
        "7:30:00",
        "-7:30",
        "7:30 xm",
        "7m.",
        "1" * 40,
        "7:30am and then some",
        "٧:٣٠",  # other scripts' digits are not taken as a time
    ],
)
def test_parse_local_time_refuses_with_a_short_message(text: str) -> None:
    with pytest.raises(TimeFormatError) as err:
        parse_local_time(text)
    assert isinstance(err.value, InputError) and isinstance(err.value, ValueError)
    assert 10 < len(err.value.user_message) <= 120
    assert "19:30" in err.value.user_message or "1 to 12" in err.value.user_message


def test_parse_local_time_points_13pm_to_24_hour_form() -> None:
    with pytest.raises(TimeFormatError) as err:
        parse_local_time("13:00pm")
    assert "13:00" in err.value.user_message


def test_format_local_time() -> None:
    assert format_local_time(time(7, 5)) == "07:05"


# -- timezones ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("berlin", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("EST", "America/New_York"),
        ("est", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("CET", "Europe/Berlin"),
        ("UK", "Europe/London"),
        ("IST", "Asia/Kolkata"),
        ("europe/berlin", "Europe/Berlin"),
        ("Australia/Lord_Howe", "Australia/Lord_Howe"),
        ("UTC", "UTC"),
        ("tokyo", "Asia/Tokyo"),
        ("US/Eastern", "US/Eastern"),  # a legacy IANA name still resolves
    ],
)
def test_resolve_timezone(text: str, zone: str) -> None:
    assert resolve_timezone(text).key == zone


def test_resolve_timezone_whole_hour_offsets_use_posix_signs() -> None:
    ahead = resolve_timezone("UTC+2")
    assert ahead.utcoffset(datetime(2026, 1, 1)) == timedelta(hours=2)  # noqa: DTZ001
    behind = resolve_timezone("GMT-5")
    assert behind.utcoffset(datetime(2026, 1, 1)) == timedelta(hours=-5)  # noqa: DTZ001


@pytest.mark.parametrize(
    "text", ["", "nowhere", "Mars/Olympus_Mons", "UTC+15", "x" * 100, "../etc"]
)
def test_resolve_timezone_refuses_unknown(text: str) -> None:
    with pytest.raises(TimezoneError) as err:
        resolve_timezone(text)
    assert err.value.user_message and len(err.value.user_message) <= 120


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("EST", "America/New_York"),
        ("PST", "America/Los_Angeles"),
        ("ber", "Europe/Berlin"),
        ("kolkata", "Asia/Kolkata"),
        ("calcutta", "Asia/Kolkata"),
        ("lord howe", "Australia/Lord_Howe"),
        ("berln", "Europe/Berlin"),  # a typo
    ],
)
def test_search_timezones_best_match_first(query: str, first: str) -> None:
    results = search_timezones(query, utc(2026, 7, 1, 18, 31))
    assert results[0][0] == first
    assert 1 <= len(results) <= 25
    assert len({value for value, _ in results}) == len(results)


def test_search_timezones_labels_show_current_local_time() -> None:
    now = utc(2026, 7, 1, 18, 31)  # summer: Berlin is UTC+2, New York UTC-4
    labels = dict(search_timezones("berlin", now))
    assert labels["Europe/Berlin"] == "Europe/Berlin — 20:31"
    labels = dict(search_timezones("new york", now))
    assert labels["America/New_York"] == "America/New_York — 14:31"
    winter = dict(search_timezones("berlin", utc(2026, 1, 15, 18, 31)))
    assert winter["Europe/Berlin"] == "Europe/Berlin — 19:31"


def test_search_timezones_every_value_resolves_and_limits_hold() -> None:
    now = utc(2026, 7, 1, 12, 0)
    for query in ["", "a", "america", "zzzzzz", "united states", "  ", "x" * 500]:
        results = search_timezones(query, now, limit=25)
        assert len(results) <= 25
        for value, label in results:
            assert resolve_timezone(value).key == value
            assert len(value) <= 100 and len(label) <= 100
    assert len(search_timezones("a", now, limit=5)) == 5
    assert search_timezones("", now)[0][0] == "UTC"


def test_search_timezones_needs_aware_now() -> None:
    with pytest.raises(ValueError):
        search_timezones("berlin", datetime(2026, 1, 1))  # noqa: DTZ001


# -- next_due across daylight saving ----------------------------------------------------------------

# (zone, local date, local time, expected UTC instant)
DST_CASES = [
    # New York, spring forward 2026-03-08 02:00 -> 03:00: 02:30 fires at 03:30 EDT
    (NY, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30)),
    (NY, date(2026, 3, 8), time(2, 0), utc(2026, 3, 8, 7, 0)),
    (NY, date(2026, 3, 8), time(3, 0), utc(2026, 3, 8, 7, 0)),
    (NY, date(2026, 3, 8), time(1, 59), utc(2026, 3, 8, 6, 59)),
    # New York, fall back 2026-11-01 02:00 -> 01:00: 01:30 fires at its first occurrence (EDT)
    (NY, date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
    (NY, date(2026, 11, 1), time(2, 0), utc(2026, 11, 1, 7, 0)),
    # Berlin, spring forward 2026-03-29 02:00 -> 03:00
    (BERLIN, date(2026, 3, 29), time(2, 30), utc(2026, 3, 29, 1, 30)),
    # Berlin, fall back 2026-10-25 03:00 -> 02:00: 02:30 first occurrence is CEST (UTC+2)
    (BERLIN, date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
    # Lord Howe, DST ends 2026-04-05 02:00 -> 01:30 (+11 -> +10:30): 01:45 first at +11
    (LORD_HOWE, date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
    (LORD_HOWE, date(2026, 4, 5), time(2, 0), utc(2026, 4, 4, 15, 30)),
    # Lord Howe, DST starts 2026-10-04 02:00 -> 02:30 (a 30-minute gap): 02:15 fires at 02:45
    (LORD_HOWE, date(2026, 10, 4), time(2, 15), utc(2026, 10, 3, 15, 45)),
    (LORD_HOWE, date(2026, 10, 4), time(2, 30), utc(2026, 10, 3, 15, 30)),
]


@pytest.mark.parametrize(("zone", "day", "wall", "expected"), DST_CASES)
def test_local_due_dst_rules(zone, day: date, wall: time, expected: datetime) -> None:  # type: ignore[no-untyped-def]
    assert local_due(day, wall, zone) == expected
    # and next_due finds that same instant from the evening before
    after = datetime.combine(day - timedelta(days=1), time(20, 0), tzinfo=zone)
    assert next_due(wall, zone, after) == (expected, day)


@pytest.mark.parametrize("zone_name", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
def test_next_due_gives_exactly_one_instant_per_local_day_for_a_year(zone_name: str) -> None:
    zone = get_zone(zone_name)
    walls = [time(h, m) for h in (0, 1, 2, 3) for m in (0, 15, 30, 45)] + [time(12), time(23, 59)]
    for wall in walls:
        after = datetime(2026, 1, 1, tzinfo=zone)
        due, day = next_due(wall, zone, after)
        last_due, last_day = due, day
        for _ in range(365):
            due, day = next_due(wall, zone, last_due, not_before=last_day + timedelta(days=1))
            assert day == last_day + timedelta(days=1), (wall, day)
            assert due > last_due
            # the instant lies on that local day, at the wall time or shifted by at most an hour
            local = due.astimezone(zone)
            assert local.date() == day
            shift = datetime.combine(day, local.time()) - datetime.combine(day, wall)
            assert timedelta(0) <= shift <= timedelta(hours=1), (wall, day, local)
            # a repeated wall time resolves to its first occurrence
            assert local.fold == 0
            last_due, last_day = due, day


def test_next_due_not_before_skips_a_day_that_had_its_reminder() -> None:
    after = utc(2026, 6, 1, 4, 0)  # 06:00 in Berlin
    assert next_due(time(7, 0), BERLIN, after) == (utc(2026, 6, 1, 5, 0), date(2026, 6, 1))
    due, day = next_due(time(7, 0), BERLIN, after, not_before=date(2026, 6, 2))
    assert (due, day) == (utc(2026, 6, 2, 5, 0), date(2026, 6, 2))


def test_next_due_needs_aware_instant() -> None:
    with pytest.raises(ValueError):
        next_due(time(7), BERLIN, datetime(2026, 1, 1))  # noqa: DTZ001


# -- delivery helpers -----------------------------------------------------------------------------------


def test_nonce_is_short_deterministic_and_distinct() -> None:
    due = utc(2026, 3, 8, 7, 30)
    a = make_nonce(1, "reminder", due)
    assert a == make_nonce(1, "reminder", due) and len(a) <= 25
    others = {
        make_nonce(2, "reminder", due),
        make_nonce(1, "nudge", due),
        make_nonce(1, "reminder", due + timedelta(days=1)),
        make_nonce(1, "reminder", due, fallback=True),
    }
    assert a not in others and len(others) == 4


def test_focus_topic_rotates_through_every_topic() -> None:
    start = date(2026, 3, 1)
    week = [focus_topic(7, start + timedelta(days=i)) for i in range(len(FOCUS_TOPICS))]
    assert sorted(week) == sorted(FOCUS_TOPICS)
    assert focus_topic(7, start) != focus_topic(8, start)


async def test_token_bucket_never_exceeds_rate_plus_burst_in_any_second() -> None:
    fake = FakeMonotonic(1000.0)
    bucket = TokenBucket(40, 5, clock=fake.clock, sleep=fake.sleep)
    stamps = []
    for _ in range(500):
        await bucket.acquire()
        stamps.append(fake.now)
    assert bucket.granted == 500
    # count, not time: in every window of one second at most burst + rate grants
    j = 0
    for i, start in enumerate(stamps):
        while stamps[j] < start - 1.0:
            j += 1
        assert i - j + 1 <= 45
    # and it is not slower than the rate allows: 500 tokens take ~ (500 - 5) / 40 s
    assert stamps[-1] - stamps[0] == pytest.approx((500 - 5) / 40, rel=0.01)


async def test_token_bucket_pause_blocks_everyone() -> None:
    fake = FakeMonotonic(1000.0)
    bucket = TokenBucket(10, 1, clock=fake.clock, sleep=fake.sleep)
    await bucket.acquire()
    bucket.pause(5.0)
    before = fake.now
    await bucket.acquire()
    assert fake.now - before >= 5.0


# -- settings ------------------------------------------------------------------------------------------


def test_reminder_settings_defaults_and_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    s = ReminderSettings()
    assert s.grace_minutes == 120 and s.send_rate + s.send_burst <= 50
    monkeypatch.setenv("WALKWELL_REMINDER_GRACE_MINUTES", "30")
    assert ReminderSettings().grace_minutes == 30
    monkeypatch.setenv("WALKWELL_REMINDER_GRACE_MINUTES", "soon")
    with pytest.raises(ValidationError) as err:
        ReminderSettings()
    assert "WALKWELL_REMINDER_GRACE_MINUTES" in str(err.value)
    monkeypatch.delenv("WALKWELL_REMINDER_GRACE_MINUTES")
    monkeypatch.setenv("WALKWELL_REMINDER_SEND_RATE", "49")
    with pytest.raises(ValidationError) as err:
        ReminderSettings()
    assert "WALKWELL_REMINDER_SEND_RATE" in str(err.value)


def test_database_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert DatabaseSettings().database_url == "sqlite+aiosqlite:///./data/walkwell.db"
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://u@db.example:5432/ww\n")
    assert DatabaseSettings().database_url == "postgresql+asyncpg://u@db.example:5432/ww"
    for bad in ["mysql://u:hunter2@h/db", "not a url", "sqlite+aiosqlite://"]:
        monkeypatch.setenv("DATABASE_URL", bad)
        with pytest.raises(ValidationError) as err:
            DatabaseSettings()
        assert "DATABASE_URL" in str(err.value)
        assert "hunter2" not in str(err.value)  # a password never ends up in the error
