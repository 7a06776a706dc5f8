"""The /progress chart: a PNG of daily minutes, cadence and pain against the weekly targets.

:func:`render_progress_chart` draws three stacked panels sharing one date axis, sized for a phone
(700 x 1000 px, large type, high-contrast colour-blind-safe colours, legends above each panel):

1. minutes walked per local day as bars, the weekly minutes target as an orange step line;
2. cadence (steps per minute, the day's average) as a line with dots, its target as a step line;
3. pain (0-10, the day's highest) as dots, with the 7-10 band shaded.

No data: the chart is still drawn (targets, if any, included) with "No walks logged yet" across
it; it never raises for an empty log, so the bot can always answer /progress with an image.

It uses matplotlib's object-oriented API (``Figure`` + the Agg canvas) and never pyplot, so it
changes no global state, needs no display and is safe to call from worker threads
(``await asyncio.to_thread(render_progress_chart, ...)``). rcParams are not touched: every size
and colour is passed explicitly.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from knowledge.texts import Texts, default_texts
from schedules.journal.progress import DayPoint, short_date
from schedules.plan.targets import TargetSpan

__all__ = ["CHART_DPI", "CHART_SIZE", "render_progress_chart"]

#: Figure size in inches and resolution: 700 x 1000 pixels, portrait for a phone.
CHART_SIZE = (7.0, 10.0)
CHART_DPI = 100

# Okabe-Ito colours (safe for colour-blind readers), on white.
_BARS = "#0072B2"  # blue
_TARGET = "#D55E00"  # vermillion
_CADENCE = "#009E73"  # bluish green
_PAIN = "#CC79A7"  # reddish purple
_HIGH_PAIN_BAND = "#F6D5D5"
_INK = "#111111"
_GRID = "#BBBBBB"

_TITLE_SIZE = 22
_LABEL_SIZE = 17
_TICK_SIZE = 15
_LEGEND_SIZE = 15
_NOTE_SIZE = 24


def _tick_positions(n_days: int, weeks: int) -> list[int]:
    """Day indexes to label: every day for a week, every other day for two, else week starts
    (every k-th week so at most ~6 labels fit a phone's width)."""
    if n_days <= 8:
        return list(range(n_days))
    if n_days <= 15:
        return list(range(0, n_days, 2))
    step = 7 * max(1, math.ceil(max(weeks, n_days / 7) / 6))
    return list(range(0, n_days, step))


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _tick_label(day: date, n_days: int) -> str:
    """Two short lines for a week or two (``"Sat\\n22"``, ``"22\\nMar"``), else ``"22 Mar"``."""
    if n_days <= 8:
        return f"{_WEEKDAYS[day.weekday()]}\n{day.day}"
    if n_days <= 15:
        return f"{day.day}\n{short_date(day).split()[1]}"
    return short_date(day)


def _step_line(
    ax: Axes, spans: Sequence[TargetSpan], index_of: dict[date, int], attr: str
) -> Artist | None:
    """Draw each span's target as a horizontal segment over its days; the first line, if any."""
    first: Artist | None = None
    for span in spans:
        lo = index_of.get(span.start)
        hi = index_of.get(span.end)
        if lo is None or hi is None:
            continue
        value = getattr(span, attr)
        (line,) = ax.plot(
            [lo - 0.5, hi + 0.5],
            [value, value],
            color=_TARGET,
            linewidth=4,
            solid_capstyle="butt",
            zorder=4,
        )
        first = first or line
    return first


def _legend(ax: Axes, entries: Sequence[tuple[Any, str]]) -> None:
    """A legend above the panel (never over the data), for the entries that were drawn."""
    drawn = [(handle, label) for handle, label in entries if handle is not None]
    ax.legend(
        [h for h, _ in drawn],
        [label for _, label in drawn],
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=2,
        fontsize=_LEGEND_SIZE,
        frameon=False,
        borderaxespad=0.2,
        handlelength=1.6,
        columnspacing=1.2,
    )


def _target_panel(
    ax: Axes,
    attr: str,
    ylim: tuple[float, float],
    data: tuple[Artist, str],
    spans: Sequence[TargetSpan],
    index_of: dict[date, int],
    t: Texts,
) -> None:
    """Finish the ``attr`` panel (``minutes`` or ``cadence``): its target as a step line, the
    value range, the axis label and a legend of the data (``(handle, label)``) and the target."""
    target_line = _step_line(ax, spans, index_of, attr)
    ax.set_ylim(*ylim)
    ax.set_ylabel(t.get(f"chart.{attr}_axis"), fontsize=_LABEL_SIZE, color=_INK)
    _legend(ax, [data, (target_line, t.get(f"chart.{attr}_target"))])


def render_progress_chart(
    series: Sequence[DayPoint],
    targets: Sequence[TargetSpan],
    weeks: int,
    *,
    title: str | None = None,
    texts: Texts | None = None,
) -> bytes:
    """The chart as PNG bytes (700 x 1000 px).

    ``series`` is one :class:`DayPoint` per day, oldest first (as
    :func:`schedules.journal.progress.daily_series` gives); ``targets`` the target spans
    (:func:`~schedules.journal.progress.planned_targets` / :func:`~schedules.journal.progress.recorded_targets`),
    possibly empty; ``weeks`` the window's length in weeks (for the title and the date labels).
    An empty or all-zero series gives a chart that says no walks are logged yet.
    """
    t = texts or default_texts()
    if title is None:
        title = (
            t.get("progress.chart_title_one")
            if weeks == 1
            else t.get("progress.chart_title", weeks=weeks)
        )
    n = len(series) or 7 * max(1, weeks)
    index_of = {p.day: i for i, p in enumerate(series)}
    xs = list(range(len(series)))
    has_walks = any(p.walks for p in series)

    fig = Figure(figsize=CHART_SIZE, dpi=CHART_DPI, facecolor="white")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(
        3,
        1,
        height_ratios=(3.2, 2.2, 1.5),
        hspace=0.42,
        left=0.15,
        right=0.96,
        top=0.87,
        bottom=0.07,
    )
    ax_min = fig.add_subplot(grid[0])
    ax_cad = fig.add_subplot(grid[1], sharex=ax_min)
    ax_pain = fig.add_subplot(grid[2], sharex=ax_min)
    fig.suptitle(title, fontsize=_TITLE_SIZE, fontweight="bold", color=_INK, y=0.975)

    # 1. minutes: bars and the target as a step line.
    minutes = [p.minutes for p in series]
    # One collection of rectangles instead of ax.bar's one patch per day (3x faster at 12 weeks).
    ax_min.add_collection(
        PolyCollection(
            [
                [(x - 0.4, 0), (x - 0.4, m), (x + 0.4, m), (x + 0.4, 0)]
                for x, m in zip(xs, minutes, strict=True)
                if m > 0
            ],
            facecolors=_BARS,
            edgecolors="none",
            zorder=3,
        ),
        autolim=False,
    )
    bars = Rectangle((0, 0), 1, 1, facecolor=_BARS)  # the legend's swatch
    top = max([*minutes, *(s.minutes for s in targets), 30])
    _target_panel(
        ax_min,
        "minutes",
        (0, top * 1.12),
        (bars, t.get("chart.minutes_bars")),
        targets,
        index_of,
        t,
    )

    # 2. cadence: the days that logged one, joined, and the target.
    cad_x = [i for i, p in enumerate(series) if p.cadence is not None]
    cad_y = [p.cadence for p in series if p.cadence is not None]
    (cad_line,) = ax_cad.plot(
        cad_x,
        cad_y,
        color=_CADENCE,
        linewidth=3,
        marker="o",
        markersize=9 if n <= 31 else 6,
        zorder=5,
    )
    values = [float(v) for v in cad_y if v is not None] + [float(s.cadence) for s in targets]
    low = min([*values, 80.0])
    high = max([*values, 120.0])
    _target_panel(
        ax_cad,
        "cadence",
        (math.floor((low - 5) / 10) * 10, math.ceil((high + 5) / 10) * 10),
        (cad_line, t.get("chart.cadence_line")),
        targets,
        index_of,
        t,
    )

    # 3. pain: dots on 0-10, the high band shaded.
    pain_x = [i for i, p in enumerate(series) if p.pain is not None]
    pain_y = [p.pain for p in series if p.pain is not None]
    ax_pain.axhspan(6.5, 10.5, color=_HIGH_PAIN_BAND, zorder=0, linewidth=0)
    dots = ax_pain.scatter(
        pain_x,
        pain_y,
        s=130 if n <= 31 else 70,
        color=_PAIN,
        edgecolors=_INK,
        linewidths=1.2,
        zorder=5,
    )
    ax_pain.set_ylim(-0.8, 10.8)
    ax_pain.set_yticks([0, 5, 10])
    ax_pain.set_ylabel(t.get("chart.pain_axis"), fontsize=_LABEL_SIZE, color=_INK)
    _legend(ax_pain, [(dots, t.get("chart.pain_marks"))])

    for ax in (ax_min, ax_cad, ax_pain):
        ax.set_xlim(-0.6, n - 0.4)
        ax.tick_params(axis="both", labelsize=_TICK_SIZE, colors=_INK, length=5, width=1.2)
        ax.grid(axis="y", color=_GRID, linewidth=0.8, zorder=0)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_linewidth(1.2)
    ticks = _tick_positions(len(series), weeks) if series else []
    ax_pain.set_xticks(ticks, [_tick_label(series[i].day, len(series)) for i in ticks])
    for ax in (ax_min, ax_cad):
        ax.tick_params(axis="x", labelbottom=False)

    if not has_walks:
        ax_min.text(
            0.5,
            0.55,
            t.get("chart.no_walks"),
            transform=ax_min.transAxes,
            ha="center",
            va="center",
            fontsize=_NOTE_SIZE,
            fontweight="bold",
            color=_INK,
            bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": _GRID},
            zorder=10,
        )

    buffer = io.BytesIO()
    # Flat colours compress well at a low level; level 6 (the default) costs ~3x the time.
    fig.savefig(
        buffer,
        format="png",
        dpi=CHART_DPI,
        facecolor="white",
        pil_kwargs={"compress_level": 2, "optimize": False},
    )
    return buffer.getvalue()
