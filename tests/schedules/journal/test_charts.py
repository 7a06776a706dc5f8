"""The /progress chart: a real PNG of the right size, for 1, 4 and 12 weeks and with no data."""

from __future__ import annotations

import ast
import asyncio
import struct
import zlib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from schedules.journal.charts import CHART_DPI, CHART_SIZE, render_progress_chart
from schedules.journal.progress import DayPoint, daily_series, summarize, window
from schedules.journal.walklog import WalkEntry
from schedules.plan.targets import planned_targets

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOW = datetime(2025, 6, 18, 18, 0, tzinfo=UTC)
TODAY = date(2025, 6, 18)
WIDTH, HEIGHT = round(CHART_SIZE[0] * CHART_DPI), round(CHART_SIZE[1] * CHART_DPI)


def walks(days: int) -> list[WalkEntry]:
    out = []
    for d in range(days):
        if d % 4 == 3:
            continue  # a rest day now and then
        out.append(
            WalkEntry(
                minutes=10 + (days - d) // 3,
                cadence=None if d % 5 == 0 else 85 + (days - d) // 4,
                pain=None if d % 3 else (d % 8),
                local_date=TODAY - timedelta(days=d),
                logged_at=NOW,
            )
        )
    return out


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def decoded_rows(data: bytes) -> list[bytes]:
    """The PNG's raw scanlines (filter byte + RGBA pixels), to check it is not blank."""
    pos, chunks = 8, []
    width, height = png_size(data)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IDAT":
            chunks.append(data[pos + 8 : pos + 8 + length])
        pos += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = len(raw) // height
    return [raw[i * stride : (i + 1) * stride] for i in range(height)]


def render(weeks: int, log: list[WalkEntry], plan_start: date | None = None) -> bytes:
    s = summarize(log, zone="UTC", now=NOW, weeks=weeks, plan_start=plan_start)
    return render_progress_chart(s.series, s.targets, weeks)


@pytest.mark.parametrize("weeks", [1, 4, 12])
def test_renders_a_phone_sized_png(weeks: int) -> None:
    data = render(weeks, walks(7 * weeks), plan_start=TODAY - timedelta(days=7 * weeks))
    assert png_size(data) == (WIDTH, HEIGHT)
    assert HEIGHT > WIDTH  # portrait, for a phone
    assert 5_000 < len(data) < 1_000_000  # well under Discord's attachment limit
    assert data.rstrip(b"\x00").endswith(b"IEND\xaeB`\x82")


def test_renders_with_no_walks_at_all() -> None:
    data = render(4, [])
    assert png_size(data) == (WIDTH, HEIGHT)


def test_renders_with_an_empty_series() -> None:
    assert png_size(render_progress_chart([], [], 4)) == (WIDTH, HEIGHT)


def test_the_no_walks_chart_differs_from_a_chart_with_walks() -> None:
    empty = render(4, [], plan_start=TODAY - timedelta(days=10))
    full = render(4, walks(28), plan_start=TODAY - timedelta(days=10))
    assert empty != full
    # both have ink: count non-white rows
    for data in (empty, full):
        rows = decoded_rows(data)
        inked = sum(1 for r in rows if r[1:].count(b"\xff") < len(r) - 1)
        assert inked > HEIGHT // 3


def test_a_single_walk_and_values_at_the_limits() -> None:
    log = [
        WalkEntry(minutes=300, cadence=250, pain=10, local_date=TODAY, logged_at=NOW),
        WalkEntry(
            minutes=1, cadence=30, pain=0, local_date=TODAY - timedelta(days=1), logged_at=NOW
        ),
    ]
    assert png_size(render(1, log)) == (WIDTH, HEIGHT)


def test_targets_outside_the_series_are_ignored() -> None:
    first, last = window(TODAY, 1)
    series = daily_series([], first, last)
    far = planned_targets(
        TODAY - timedelta(days=300), TODAY - timedelta(days=300), TODAY - timedelta(days=200)
    )
    assert png_size(render_progress_chart(series, far, 1)) == (WIDTH, HEIGHT)


def test_renders_a_custom_title_and_26_weeks() -> None:
    first, last = window(TODAY, 26)
    series = [DayPoint(day=first + timedelta(days=i), minutes=i % 40, walks=1) for i in range(182)]
    assert png_size(render_progress_chart(series, [], 26, title="Ünïcode title")) == (
        WIDTH,
        HEIGHT,
    )


async def test_renders_from_worker_threads_concurrently() -> None:
    s = summarize(walks(28), zone="UTC", now=NOW, weeks=4, plan_start=TODAY - timedelta(days=20))
    results = await asyncio.gather(
        *(asyncio.to_thread(render_progress_chart, s.series, s.targets, 4) for _ in range(4))
    )
    sizes = {png_size(r) for r in results}
    assert sizes == {(WIDTH, HEIGHT)}
    assert len(set(results)) == 1  # deterministic: same input, same image


def test_uses_no_pyplot_and_no_global_backend() -> None:
    """pyplot keeps global state (not thread-safe); the chart module must not import it."""
    import schedules.journal.charts as charts

    tree = ast.parse(Path(charts.__file__).read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "use":
            raise AssertionError("matplotlib.use() changes global state")
    assert not any("pyplot" in m for m in imported)
    assert "matplotlib.figure" in imported and "matplotlib.backends.backend_agg" in imported
