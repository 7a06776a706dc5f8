"""bench/run_all.py: figures get their targets and PASS/FAIL right, and the report shows them."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def run_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_all", ROOT / "bench" / "run_all.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_all"] = module
    spec.loader.exec_module(module)
    return module


def _sweep(peak: float, p99: float = 50.0, startup: float = 0.4) -> dict[str, object]:
    return {
        "startup_s": startup,
        "rss_peak_mib": peak,
        "sent_per_minute_mean": 70.0,
        "sweep_ms": {"median": 10.0, "p99": p99, "max": p99},
        "catch_up_1h": {"sent": 4000, "late": 3800, "seconds": 0.7},
    }


def test_fanout_figures_pass_and_fail_on_the_bound(run_all: ModuleType) -> None:
    good = {"count": 10000, "target": "fakediscord", "ratio_to_pacing_bound": 1.02,
            "http_429": 0, "duplicates": 0, "lost": 0}  # fmt: skip
    assert all(f.ok for f in run_all.fanout_figures(good))
    slow = dict(good, ratio_to_pacing_bound=1.15)
    (ratio, *rest) = run_all.fanout_figures(slow)
    assert not ratio.ok and all(f.ok for f in rest)
    dup = {f.name: f.ok for f in run_all.fanout_figures(dict(good, duplicates=1))}
    assert dup == {"time to deliver all / pacing bound": True, "HTTP 429": True,
                   "duplicates": False, "lost": True}  # fmt: skip
    boundary = run_all.fanout_figures(dict(good, ratio_to_pacing_bound=1.1))[0]
    assert boundary.ok  # "at most 1.1"


def test_missing_figures_fail(run_all: ModuleType) -> None:
    figures = run_all.answer_figures({})
    assert figures and not any(f.ok for f in figures)
    assert run_all.zero("x", "lost", None).ok is False


def test_memory_per_100k_is_the_growth_between_sizes(run_all: ModuleType) -> None:
    runs = {
        100_000: {"backends": {"sqlite": _sweep(88.0)}},
        1_000_000: {"backends": {"sqlite": _sweep(133.0)}},
    }
    peak, per = run_all.memory_figures(runs)
    assert peak.value == 88.0 and peak.ok
    assert per.value == pytest.approx(5.0) and per.ok
    runs[1_000_000]["backends"]["sqlite"] = _sweep(400.0)  # one cron job per user would do this
    _, per = run_all.memory_figures(runs)
    assert per.value == pytest.approx(34.67, abs=0.01) and not per.ok


def test_sweep_figures_per_size_and_backend(run_all: ModuleType) -> None:
    runs = {
        100_000: {"backends": {"sqlite": _sweep(80), "postgresql": _sweep(80, p99=1500.0)}},
    }
    figures = run_all.sweep_figures(runs)
    assert {f.bench for f in figures} == {"sweep (100,000, sqlite)", "sweep (100,000, postgresql)"}
    failed = [(f.bench, f.name) for f in figures if not f.ok]
    assert failed == [("sweep (100,000, postgresql)", "whole sweep p99 (70.0 sent/min)")]


def test_report_lists_every_figure_with_its_result(run_all: ModuleType, tmp_path: Path) -> None:
    fanout = run_all.Run(
        "fanout", ["py", "bench/fanout_bench.py", "--json", "x"], tmp_path, tmp_path
    )
    fanout.returncode, fanout.data = 0, {"count": 10000, "target": "fakediscord",
        "ratio_to_pacing_bound": 1.3, "http_429": 0, "duplicates": 0, "lost": 0}  # fmt: skip
    dead = run_all.Run("answer", ["py", "bench/answer_bench.py", "--json", "x"], tmp_path, tmp_path)
    dead.returncode = 1
    figures = run_all.figures_of([dead, fanout])
    text = run_all.render([dead, fanout], figures, argparse.Namespace(quick=False))
    assert f"**{sum(f.ok for f in figures)} of {len(figures)} figures" in text
    assert (
        "| fan-out (10,000 due, fakediscord) | time to deliver all / pacing bound | 1.30 |" in text
    )
    assert text.count("**FAIL**") == 2  # the ratio, and the answer bench that gave no result
    assert "no result (exit 1)" in text


def test_the_fan_out_reports_both_modes_and_judges_the_proxy(run_all: ModuleType) -> None:
    def modes(fraction: float, global_429: int = 0) -> dict[str, object]:
        local = {"count": 10_000, "fraction_of_50_per_s": 0.8, "http_429": 0, "lost": 0}
        proxy = {
            "count": 600,
            "fraction_of_50_per_s": fraction,
            "http_429": {"global": global_429},
            "duplicates": 0,
            "lost": 0,
        }
        return {"local": local, "proxy": proxy}

    good = run_all.proxy_figures(modes(0.95))
    assert [f.ok for f in good] == [True] * 5
    assert "local" in good[0].bench and "proxy" in good[1].bench
    assert not run_all.proxy_figures(modes(0.85))[1].ok
    assert not run_all.proxy_figures(modes(0.95, global_429=3))[2].ok
    [_, skipped] = run_all.proxy_figures({**modes(0.95), "proxy": {"skipped": "no node"}})
    assert not skipped.ok


def test_ask_load_figures_hold_issue_10s_bar(run_all: ModuleType) -> None:
    good = {"sustained": {"per_second": 310.0}, "under_load_ms": {"p99": 80.0}, "problems": 0}
    assert all(f.ok for f in run_all.askload_figures(good))
    slow = {"sustained": {"per_second": 64.0}, "under_load_ms": {"p99": 600.0}, "problems": 0}
    assert [f.ok for f in run_all.askload_figures(slow)] == [False, False, True]
