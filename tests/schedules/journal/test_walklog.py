"""The walk log's validation: what is accepted, what is refused (with a short message), local days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from schedules.errors import InputError
from schedules.journal.walklog import (
    MAX_BACKDATE_DAYS,
    MAX_CADENCE,
    MAX_MINUTES,
    MAX_NOTE,
    MIN_CADENCE,
    WalkEntry,
    WalkInputError,
    clean_note,
    local_day,
    validate_walk,
)

NOW = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)


def walk(*args: object, **kwargs: object) -> WalkEntry:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("zone", "Europe/Berlin")
    return validate_walk(*args, **kwargs)  # type: ignore[arg-type]


def refused(*args: object, **kwargs: object) -> WalkInputError:
    with pytest.raises(WalkInputError) as info:
        walk(*args, **kwargs)
    err = info.value
    assert isinstance(err, ValueError) and isinstance(err, InputError)
    assert err.user_message and len(err.user_message) <= 150
    assert "\n" not in err.user_message
    return err


# --- accepted -------------------------------------------------------------------------------------


def test_a_full_walk_is_accepted_and_normalised() -> None:
    entry = walk(30, 95, 3, "  felt good  ")
    assert (entry.minutes, entry.cadence, entry.pain, entry.note) == (30, 95, 3, "felt good")
    assert entry.local_date == date(2025, 6, 10)
    assert entry.logged_at == NOW and entry.logged_at.tzinfo is UTC


def test_optional_fields_may_be_missing_or_blank() -> None:
    entry = walk(12)
    assert (entry.cadence, entry.pain, entry.note) == (None, None, None)
    entry = walk("12", "", "  ", "   ")
    assert (entry.minutes, entry.cadence, entry.pain, entry.note) == (12, None, None, None)


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(1, 1), (MAX_MINUTES, MAX_MINUTES), ("30", 30), (" 45 ", 45), ("20 min", 20), ("25m", 25)],
)
def test_minutes_boundaries_and_modal_text(minutes: object, expected: int) -> None:
    assert walk(minutes).minutes == expected


@pytest.mark.parametrize("cadence", [MIN_CADENCE, MAX_CADENCE, "110 spm", "100 steps/min"])
def test_cadence_boundaries(cadence: object) -> None:
    assert walk(20, cadence).cadence is not None


@pytest.mark.parametrize("pain", [0, 10, "0", "7"])
def test_pain_boundaries(pain: object) -> None:
    assert walk(20, None, pain).pain == int(str(pain))


def test_a_note_of_exactly_the_limit_is_kept_whole() -> None:
    note = "a" * MAX_NOTE
    assert walk(20, note=note).note == note


def test_the_limit_counts_the_cleaned_note() -> None:
    # invisible characters and surrounding space do not count against the limit
    note = "\u200b" * 100 + "b" * MAX_NOTE + "   \n"
    assert walk(20, note=note).note == "b" * MAX_NOTE


# --- refused --------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, 10_000, -5, MAX_MINUTES + 1, "0", "10000", "-1"])
def test_minutes_out_of_range_are_refused(minutes: object) -> None:
    err = refused(minutes)
    assert err.field == "minutes"
    assert str(MAX_MINUTES) in err.user_message


@pytest.mark.parametrize("minutes", ["abc", "12.5", "1e3", True, 12.5, [], "3" * 40, "٣٠x"])
def test_minutes_that_are_not_whole_numbers_are_refused(minutes: object) -> None:
    assert refused(minutes).field == "minutes"


@pytest.mark.parametrize("minutes", [None, "", "   "])
def test_minutes_are_required(minutes: object) -> None:
    err = refused(minutes)
    assert err.field == "minutes" and "minutes" in err.user_message.lower()


@pytest.mark.parametrize("pain", [11, -1, 100, "11", "ten"])
def test_pain_out_of_range_is_refused(pain: object) -> None:
    err = refused(20, None, pain)
    assert err.field == "pain" and "10" in err.user_message


@pytest.mark.parametrize("cadence", [0, MIN_CADENCE - 1, MAX_CADENCE + 1, 5000])
def test_cadence_out_of_range_is_refused(cadence: object) -> None:
    assert refused(20, cadence).field == "cadence"


def test_a_5000_character_note_is_refused_not_cut() -> None:
    err = refused(20, note="x" * 5000)
    assert err.field == "note"
    assert "5,000" in err.user_message and str(MAX_NOTE) in err.user_message


def test_a_non_text_note_is_refused() -> None:
    assert refused(20, note=123).field == "note"


def test_the_first_bad_field_is_reported() -> None:
    assert refused(0, 999, 11, "x" * 600).field == "minutes"
    assert refused(20, 999, 11, "x" * 600).field == "cadence"
    assert refused(20, 90, 11, "x" * 600).field == "pain"


def test_an_unknown_zone_is_a_clear_error() -> None:
    err = refused(20, zone="Mars/Olympus_Mons")
    assert err.field == "zone"


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        validate_walk(20, now=datetime(2025, 1, 1), zone="UTC")  # noqa: DTZ001


# --- the day a walk counts for -------------------------------------------------------------------


def test_backdating_is_allowed_within_the_window_only() -> None:
    today = date(2025, 6, 10)
    assert walk(20, day=today - timedelta(days=1)).local_date == today - timedelta(days=1)
    assert walk(20, day=today - timedelta(days=MAX_BACKDATE_DAYS)).local_date == today - timedelta(
        days=MAX_BACKDATE_DAYS
    )
    assert refused(20, day=today - timedelta(days=MAX_BACKDATE_DAYS + 1)).field == "day"
    assert refused(20, day=today + timedelta(days=1)).field == "day"


def test_late_evening_in_auckland_is_that_local_day() -> None:
    # 23:30 on 1 March in Auckland (NZDT, UTC+13) is 10:30 UTC on 1 March
    now = datetime(2025, 3, 1, 10, 30, tzinfo=UTC)
    assert walk(20, now=now, zone="Pacific/Auckland").local_date == date(2025, 3, 1)
    # 00:30 on 2 March there is still 1 March in UTC
    later = now + timedelta(hours=1)
    assert walk(20, now=later, zone="Pacific/Auckland").local_date == date(2025, 3, 2)
    assert later.date() == date(2025, 3, 1)


def test_auckland_in_winter_uses_standard_time() -> None:
    # NZST is UTC+12: 11:30 UTC on 1 July is 23:30 local, 12:30 UTC is already 2 July
    assert local_day(datetime(2025, 7, 1, 11, 30, tzinfo=UTC), "Pacific/Auckland") == date(
        2025, 7, 1
    )
    assert local_day(datetime(2025, 7, 1, 12, 30, tzinfo=UTC), "Pacific/Auckland") == date(
        2025, 7, 2
    )


def test_west_of_utc_the_local_day_is_behind() -> None:
    # 02:00 UTC on 10 June is 19:00 on 9 June in Los Angeles (PDT)
    now = datetime(2025, 6, 10, 2, 0, tzinfo=UTC)
    assert local_day(now, "America/Los_Angeles") == date(2025, 6, 9)
    assert local_day(now, ZoneInfo("Asia/Tokyo")) == date(2025, 6, 10)


@pytest.mark.parametrize(
    ("utc", "zone", "expected"),
    [
        # New York spring forward, 9 March 2025 (02:00 -> 03:00): 23:59 EDT is 03:59 UTC next day
        (datetime(2025, 3, 10, 3, 59, tzinfo=UTC), "America/New_York", date(2025, 3, 9)),
        (datetime(2025, 3, 10, 4, 0, tzinfo=UTC), "America/New_York", date(2025, 3, 10)),
        # New York fall back, 2 November 2025: 23:59 EST is 04:59 UTC next day
        (datetime(2025, 11, 3, 4, 59, tzinfo=UTC), "America/New_York", date(2025, 11, 2)),
        (datetime(2025, 11, 3, 5, 0, tzinfo=UTC), "America/New_York", date(2025, 11, 3)),
        # Lord Howe: a 30-minute shift (UTC+11 in summer, +10:30 in winter)
        (datetime(2025, 1, 15, 12, 59, tzinfo=UTC), "Australia/Lord_Howe", date(2025, 1, 15)),
        (datetime(2025, 1, 15, 13, 0, tzinfo=UTC), "Australia/Lord_Howe", date(2025, 1, 16)),
        (datetime(2025, 7, 15, 13, 29, tzinfo=UTC), "Australia/Lord_Howe", date(2025, 7, 15)),
        (datetime(2025, 7, 15, 13, 30, tzinfo=UTC), "Australia/Lord_Howe", date(2025, 7, 16)),
    ],
)
def test_local_day_across_dst(utc: datetime, zone: str, expected: date) -> None:
    assert local_day(utc, zone) == expected


def test_local_day_accepts_any_offset_and_refuses_naive() -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    assert local_day(datetime(2025, 6, 10, 5, 0, tzinfo=ist), "UTC") == date(2025, 6, 9)
    with pytest.raises(ValueError):
        local_day(datetime(2025, 6, 10), "UTC")  # noqa: DTZ001


# --- the note's cleaning ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hello\x00world", "helloworld"),
        ("zero\u200bwidth\u200c\u200d\ufeff", "zerowidth"),
        ("bidi \u202eevil\u202c", "bidi evil"),
        ("tabs\tand   spaces", "tabs and spaces"),
        ("line one\r\nline two", "line one\nline two"),
        ("a\n\n\n\n\nb", "a\n\nb"),
        ("para\u2029graph", "para\ngraph"),
        ("  \u200b \n ", None),
        ("cafe\u0301", "café"),  # NFC
        ("walk 🚶 done", "walk 🚶 done"),
        (None, None),
    ],
)
def test_clean_note(raw: str | None, expected: str | None) -> None:
    assert clean_note(raw) == expected


# --- the model itself -----------------------------------------------------------------------------


def test_walk_entry_guards_its_own_fields() -> None:
    good = {"minutes": 20, "local_date": date(2025, 1, 1), "logged_at": NOW}
    WalkEntry(**good)  # type: ignore[arg-type]
    for bad in (
        {"minutes": 0},
        {"minutes": 301},
        {"cadence": 29},
        {"pain": 11},
        {"note": "x" * (MAX_NOTE + 1)},
        {"logged_at": datetime(2025, 1, 1)},  # noqa: DTZ001
        {"minutes": "20"},  # strict: no coercion from text
        {"minutes": True},
    ):
        with pytest.raises(ValidationError):
            WalkEntry(**{**good, **bad})  # type: ignore[arg-type]


def test_walk_entry_stores_logged_at_in_utc_and_is_frozen() -> None:
    berlin = datetime(2025, 6, 10, 14, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    entry = WalkEntry(minutes=20, local_date=date(2025, 6, 10), logged_at=berlin)
    assert entry.logged_at == NOW and entry.logged_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        entry.minutes = 30  # type: ignore[misc]
