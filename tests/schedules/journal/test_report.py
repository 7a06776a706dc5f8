"""/progress as one call: the user's walks, in their zone, summed up and drawn."""

from __future__ import annotations

from datetime import UTC, date, datetime

from schedules.journal.progress import format_summary, summarize
from schedules.journal.report import progress_report
from schedules.journal.store import log_walk, walks_between
from schedules.journal.walklog import validate_walk
from schedules.store.db import Database

USER = 123456789012345678
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# 11:30 UTC on 18 June is 23:30 in Auckland (UTC+12): still the 18th there.
NOW = datetime(2025, 6, 18, 11, 30, tzinfo=UTC)


async def log(db: Database, zone: str, minutes: int, cadence: int, pain: int) -> None:
    entry = validate_walk(minutes, cadence, pain, now=NOW, zone="Pacific/Auckland")
    await log_walk(db, USER, entry, zone=zone)


async def test_the_report_is_the_summary_and_its_chart(db: Database) -> None:
    await log(db, "Pacific/Auckland", 25, 95, 2)
    report = await progress_report(db, USER, 2, NOW)
    walks = await walks_between(db, USER, date(2025, 1, 1), date(2025, 12, 31))
    expected = summarize(walks, zone="Pacific/Auckland", now=NOW, weeks=2)
    assert report.text == format_summary(expected)
    assert "Streak: 1 day." in report.text
    assert report.chart[:8] == PNG_SIGNATURE


async def test_a_zone_no_longer_known_counts_in_utc(db: Database) -> None:
    await log(db, "Nowhere/Atlantis", 25, 95, 2)
    report = await progress_report(db, USER, 1, NOW)
    walks = await walks_between(db, USER, date(2025, 1, 1), date(2025, 12, 31))
    assert report.text == format_summary(summarize(walks, zone="UTC", now=NOW, weeks=1))
