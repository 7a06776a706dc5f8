"""Run every benchmark under bench/ and write a Markdown report (not a test).

    .venv/bin/python bench/run_all.py [--output bench/REPORT.md] [--only NAME,...] [--quick]
                                      [--pg URL]

One benchmark at a time (they measure the machine: never two at once), each in its own process,
each writing its figures as JSON (``--json``), then one report: every figure with its target and
PASS/FAIL. Exit code 0 when every figure meets its target, 1 otherwise.

- ``answer``: bench/answer_bench.py, answer latency and start-up;
- ``interaction``: bench/interaction_bench.py, the real bot through the fake Discord;
- ``fanout``: bench/fanout_bench.py, 10,000 reminders due in one minute against a fake Discord
  enforcing 50 requests per second;
- ``club``: bench/club_bench.py, 1,000 "I walked" presses in 10 s on one walk call;
- ``sweep``: bench/sweep_bench.py, 100,000 and 1,000,000 subscriptions on SQLite and PostgreSQL,
  and from the same runs the memory per 100,000 subscriptions.

``--quick`` runs everything small (a smoke test of the runner; its figures mean little).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"

# Targets. From the issues: answer p99 < 20 ms and start-up < 2 s (issue 1); interaction p99 <
# 50 ms and >= 200/s (issue 3); fan-out ratio <= 1.1, no 429, duplicate or loss (issue 4). The
# sweep ones make "start-up well under a second, sweep p99 far below the 60 s tick" (issue 4)
# concrete; memory: the sweep design must not hold subscriptions in memory (one cron job per
# user cost +329 MiB per 100,000, shared/notes/scheduling.md).
ANSWER_P99_MS = 20.0
ANSWER_STARTUP_S = 2.0
TOPICS_P99_MS = 2.0
INTERACTION_P99_MS = 50.0
INTERACTION_RATE = 200.0
FANOUT_RATIO = 1.1
SWEEP_STARTUP_S = 1.0
SWEEP_P99_MS = 1000.0
CATCH_UP_S = 60.0
RSS_100K_MIB = 128.0
RSS_PER_100K_MIB = 10.0
# Issue 13: 1,000 presses in 10 s on one call, all counted once, edits paced (3 s), no 429.
CLUB_EDIT_GAP_S = 3.0
# Issue 14: behind the shared REST proxy, two processes reach at least 90% of 50/s.
PROXY_FRACTION = 0.9
# Issue 10: engine p99 < 10 ms; one bot process sustains >= 300 unique /ask per second with a
# round-trip p99 < 100 ms at 20 in flight (not met: see the README's "Answers" figures).
ISSUE10_ANSWER_P99_MS = 10.0
ASK_LOAD_RATE = 300.0
ASK_LOAD_P99_MS = 100.0


@dataclass
class Figure:
    bench: str
    name: str
    value: float | None
    unit: str
    target: str
    ok: bool

    def cells(self) -> list[str]:
        if self.value is None:
            value = "—"
        elif self.value.is_integer() and not self.unit:
            value = f"{int(self.value):,}"
        else:
            value = f"{self.value:,.2f} {self.unit}".strip()
        return [self.bench, self.name, value, self.target, "PASS" if self.ok else "**FAIL**"]


def at_most(bench: str, name: str, value: Any, limit: float, unit: str, *, strict: bool) -> Figure:
    v = None if value is None else float(value)
    ok = v is not None and (v < limit if strict else v <= limit)
    sign = "<" if strict else "≤"
    return Figure(bench, name, v, unit, f"{sign} {limit:g} {unit}".strip(), ok)


def at_least(bench: str, name: str, value: Any, limit: float, unit: str) -> Figure:
    v = None if value is None else float(value)
    return Figure(bench, name, v, unit, f"≥ {limit:g} {unit}".strip(), v is not None and v >= limit)


def zero(bench: str, name: str, value: Any) -> Figure:
    v = None if value is None else float(value)
    return Figure(bench, name, v, "", "0", v == 0)


# --- from each benchmark's JSON to figures ------------------------------------------------------


def answer_figures(data: dict[str, Any]) -> list[Figure]:
    b = "answer"
    lat = data.get("latency_ms", {})
    return [
        at_most(b, "Engine.answer p99, all passes", lat.get("all", {}).get("p99"), ANSWER_P99_MS,
                "ms", strict=True),
        at_most(b, "Engine.answer p99, first pass", lat.get("first_pass", {}).get("p99"),
                ANSWER_P99_MS, "ms", strict=True),
        at_most(b, "Engine.answer p99, all passes (issue 10)", lat.get("all", {}).get("p99"),
                ISSUE10_ANSWER_P99_MS, "ms", strict=True),
        at_most(b, "autocomplete topics() p99", data.get("topics_ms", {}).get("p99"),
                TOPICS_P99_MS, "ms", strict=True),
        at_most(b, "start-up (import + load + first answer), median",
                data.get("startup_s", {}).get("median"), ANSWER_STARTUP_S, "s", strict=True),
    ]  # fmt: skip


def interaction_figures(data: dict[str, Any]) -> list[Figure]:
    b = "interaction"
    figures = [
        at_most(b, f"round trip p99, /{name} serial", s.get("p99"), INTERACTION_P99_MS, "ms",
                strict=True)
        for name, s in data.get("serial_ms", {}).items()
    ]  # fmt: skip
    figures += [
        at_most(b, "round trip p99, all serial", data.get("all_serial_ms", {}).get("p99"),
                INTERACTION_P99_MS, "ms", strict=True),
        at_least(b, "sustained interactions per second",
                 data.get("sustained", {}).get("per_second"), INTERACTION_RATE, "/s"),
        zero(b, "problems seen by the fake Discord", data.get("problems")),
    ]  # fmt: skip
    return figures


def askload_figures(data: dict[str, Any]) -> list[Figure]:
    b = "ask load"
    return [
        at_least(b, "unique /ask per second, 20 in flight",
                 data.get("sustained", {}).get("per_second"), ASK_LOAD_RATE, "/s"),
        at_most(b, "round trip p99 under that load", data.get("under_load_ms", {}).get("p99"),
                ASK_LOAD_P99_MS, "ms", strict=True),
        zero(b, "problems seen by the fake Discord", data.get("problems")),
    ]  # fmt: skip


def fanout_figures(data: dict[str, Any]) -> list[Figure]:
    b = f"fan-out ({data.get('count', '?'):,} due, {data.get('target', '?')})"
    return [
        at_most(b, "time to deliver all / pacing bound", data.get("ratio_to_pacing_bound"),
                FANOUT_RATIO, "", strict=False),
        zero(b, "HTTP 429", data.get("http_429")),
        zero(b, "duplicates", data.get("duplicates")),
        zero(b, "lost", data.get("lost")),
        *proxy_figures(data.get("side_by_side", {})),
    ]  # fmt: skip


def _count(mode: dict[str, Any]) -> str:
    count = mode.get("count")
    return f"{count:,}" if isinstance(count, int) else "?"


def proxy_figures(modes: dict[str, Any]) -> list[Figure]:
    """The fan-out's two modes side by side, as a fraction of Discord's 50 requests per second:
    one process keeping the limits itself (local), two shard processes behind the shared REST
    proxy (proxy, target at least 0.9)."""
    figures: list[Figure] = []
    local, proxy = modes.get("local"), modes.get("proxy")
    if local is not None:
        b = f"fan-out, local mode (1 process, {_count(local)} due)"
        value = local.get("fraction_of_50_per_s")
        figures.append(Figure(b, "fraction of 50/s (paced at 40/s: at most 0.8)",
                              None if value is None else float(value), "", "(for comparison)",
                              value is not None))  # fmt: skip
    if proxy is not None:
        b = f"fan-out, proxy mode (2 processes, {_count(proxy)} due)"
        if "skipped" in proxy:
            return [*figures, Figure(b, f"ran ({proxy['skipped']})", None, "", "Node 20+", False)]
        limited = proxy.get("http_429") or {}
        figures += [
            at_least(b, "fraction of 50/s", proxy.get("fraction_of_50_per_s"), PROXY_FRACTION, ""),
            zero(b, "HTTP 429 from the global limit", limited.get("global", 0)),
            zero(b, "duplicates", proxy.get("duplicates")),
            zero(b, "lost", proxy.get("lost")),
        ]
    return figures


def club_figures(data: dict[str, Any]) -> list[Figure]:
    n = data.get("presses", 0)
    b = f"club ({n:,} presses in {data.get('seconds', '?')} s)"
    lost = None if data.get("counted") is None else abs(n - data["counted"])
    unthanked = None if data.get("thanked") is None else n - data["thanked"]
    shown = None if data.get("shown") is None else abs(n - data["shown"])
    gap = data.get("min_edit_gap_seconds")
    return [
        zero(b, "presses not counted once", lost),
        zero(b, "presses not answered", unthanked),
        zero(b, "count shown on the call minus counted", shown),
        at_least(b, "shortest gap between two edits", gap if gap is not None else 1e9,
                 CLUB_EDIT_GAP_S, "s"),
        zero(b, "HTTP 429", data.get("http_429")),
    ]  # fmt: skip


def sweep_figures(runs: dict[int, dict[str, Any]]) -> list[Figure]:
    figures: list[Figure] = []
    for users in sorted(runs):
        for backend, r in runs[users].get("backends", {}).items():
            b = f"sweep ({users:,}, {backend})"
            figures += [
                at_most(b, "start-up (open + migration check + scheduler)", r.get("startup_s"),
                        SWEEP_STARTUP_S, "s", strict=True),
                at_most(b, f"whole sweep p99 ({r.get('sent_per_minute_mean')} sent/min)",
                        r.get("sweep_ms", {}).get("p99"), SWEEP_P99_MS, "ms", strict=True),
                at_most(b, f"catch-up after 1 h down ({r.get('catch_up_1h', {}).get('sent')} due)",
                        r.get("catch_up_1h", {}).get("seconds"), CATCH_UP_S, "s", strict=True),
            ]  # fmt: skip
    return figures


def memory_figures(runs: dict[int, dict[str, Any]]) -> list[Figure]:
    """Peak RSS of the sweeping process at the smallest size, scaled to 100,000 subscriptions,
    and what each further 100,000 subscriptions add (between the smallest and largest runs)."""
    figures: list[Figure] = []
    if not runs:
        return figures
    small, large = min(runs), max(runs)
    for backend, r in runs[small].get("backends", {}).items():
        b = f"memory ({backend})"
        peak = r.get("rss_peak_mib")
        figures.append(
            at_most(b, f"peak RSS of the sweeping process, {small:,} subscriptions", peak,
                    RSS_100K_MIB, "MiB", strict=False)
        )  # fmt: skip
        other = runs[large].get("backends", {}).get(backend)
        if large > small and other is not None and peak is not None:
            per = (other["rss_peak_mib"] - peak) / ((large - small) / 100_000)
            figures.append(
                at_most(b, f"peak RSS added per 100,000 subscriptions ({small:,} → {large:,})",
                        round(per, 2), RSS_PER_100K_MIB, "MiB", strict=False)
            )  # fmt: skip
    return figures


# --- running ------------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    command: list[str]
    json_path: Path
    log_path: Path
    returncode: int | None = None
    seconds: float = 0.0
    data: dict[str, Any] | None = None


def run_one(run: Run) -> Run:
    print(f"== {run.name}: {' '.join(run.command[1:])}", flush=True)
    start = time.perf_counter()
    with run.log_path.open("w", encoding="utf-8") as log:
        proc = subprocess.run(
            run.command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False
        )
    run.seconds = time.perf_counter() - start
    run.returncode = proc.returncode
    try:
        run.data = json.loads(run.json_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run.data = None
    status = "ok" if run.data is not None else "NO RESULT"
    print(
        f"   {status}, exit {proc.returncode}, {run.seconds:.0f} s (log: {run.log_path})",
        flush=True,
    )
    return run


def plan(args: argparse.Namespace, tmp: Path) -> list[Run]:
    py = sys.executable
    q = args.quick
    sizes = [2_000, 20_000] if q else [100_000, 1_000_000]
    runs: list[Run] = []

    def add(name: str, script: str, *extra: str) -> None:
        path = tmp / f"{name}.json"
        runs.append(Run(name, [py, str(BENCH / script), *extra, "--json", str(path)], path,
                        tmp / f"{name}.log"))  # fmt: skip

    add("answer", "answer_bench.py", "--repeat", "2" if q else "5")
    add("interaction", "interaction_bench.py", "--count", "30" if q else "300",
        "--seconds", "3" if q else "10")  # fmt: skip
    add("askload", "interaction_bench.py", "--ask-load", "--seconds", "3" if q else "10")
    add("fanout", "fanout_bench.py", "--count", "500" if q else "10000")
    add("club", "club_bench.py", "--presses", "200" if q else "1000",
        "--repeats", "20" if q else "100")  # fmt: skip
    for users in sizes:
        add(f"sweep-{users}", "sweep_bench.py", "--backend", "both", "--users", str(users),
            "--minutes", "30" if q else "240", "--pg", args.pg)  # fmt: skip
    wanted = set(args.only.split(",")) if args.only else None
    return [r for r in runs if wanted is None or r.name.split("-")[0] in wanted]


def figures_of(runs: list[Run]) -> list[Figure]:
    by_name = {r.name: r for r in runs}
    figures: list[Figure] = []
    builders: list[tuple[str, Callable[[dict[str, Any]], list[Figure]]]] = [
        ("answer", answer_figures),
        ("interaction", interaction_figures),
        ("askload", askload_figures),
        ("fanout", fanout_figures),
        ("club", club_figures),
    ]
    for name, build in builders:
        r = by_name.get(name)
        if r is None:
            continue
        if r.data is None:
            figures.append(Figure(name, f"no result (exit {r.returncode})", None, "", "—", False))
        else:
            figures += build(r.data)
    sweeps = {
        int(r.name.split("-")[1]): r.data for r in runs if r.name.startswith("sweep-") and r.data
    }
    for r in runs:
        if r.name.startswith("sweep-") and r.data is None:
            figures.append(Figure(r.name, f"no result (exit {r.returncode})", None, "", "—", False))
    figures += sweep_figures(sweeps)
    figures += memory_figures(sweeps)
    return figures


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip() + (" (with uncommitted changes)" if dirty.stdout.strip() else "")
    except OSError:
        return "?"


def render(runs: list[Run], figures: list[Figure], args: argparse.Namespace) -> str:
    passed = sum(f.ok for f in figures)
    lines = [
        "# WalkWell benchmark report",
        "",
        f"Written by `bench/run_all.py{' --quick' if args.quick else ''}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {git_commit()}; "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} "
        f"{platform.machine()}. Each benchmark ran alone, in its own process.",
        "",
        f"**{passed} of {len(figures)} figures meet their targets"
        f"{'' if passed == len(figures) else ' — see FAIL below'}.**",
        "",
        "| benchmark | figure | measured | target | result |",
        "|---|---|---|---|---|",
    ]
    lines += ["| " + " | ".join(f.cells()) + " |" for f in figures]
    lines += ["", "## Runs", "", "| benchmark | command | exit | wall time |", "|---|---|---|---|"]
    for r in runs:
        cmd = " ".join(["bench/" + Path(r.command[1]).name, *r.command[2:-2]])
        lines.append(f"| {r.name} | `{cmd}` | {r.returncode} | {r.seconds:.0f} s |")
    lines += [
        "",
        "## Notes",
        "",
        "- answer: `Engine.answer` over every question set under tests/data, everything on (red "
        "flags, embeddings, phrases, rapidfuzz); start-up is a fresh process doing import + "
        "`Engine.load()` + the first answer.",
        "- interaction: the real bot (`python -m bot`) through the fake Discord; a round trip is "
        "from the fake sending INTERACTION_CREATE to it receiving the bot's callback.",
        "- fan-out: one `ReminderEngine.sweep()` sends every reminder due in the minute, paced by "
        "the engine's token bucket (default 40/s, burst 5); the pacing bound is "
        "(count − burst) / rate. The fake Discord refuses the 51st request in any second.",
        "- club: the real bot through the fake Discord (Discord's limits: 50/s global, message "
        'edits 5 per 5 s); the call is due at start, then every member presses "I walked" '
        "once, evenly over 10 s, plus repeat presses; counted is `/club status`'s figure.",
        "- sweep: subscribers over 20 IANA zones with random local times, bulk-loaded (COPY on "
        "PostgreSQL), then a fresh process runs one sweep per simulated minute with an instant "
        "sender: the engine's and the database's own cost. Catch-up: one sweep after a one-hour "
        "outage, claiming and recording everything due in that hour.",
        "- memory: peak RSS (VmHWM) of that sweeping process, after all its sweeps and the "
        "catch-up; the per-100,000 figure is the growth from the smaller run to the larger one.",
        "",
    ]
    details: dict[str, Any] = {r.name: r.data for r in runs}
    lines += ["## Raw figures", "", "```json", json.dumps(details, indent=2), "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=str(BENCH / "REPORT.md"))
    parser.add_argument(
        "--only", default="", help="comma-separated: answer,interaction,fanout,club,sweep"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument("--pg", default=os.environ.get("WALKWELL_TEST_POSTGRES_URL", DEFAULT_PG))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="walkwell-bench-") as tmp_name:
        tmp = Path(tmp_name)
        runs = [run_one(r) for r in plan(args, tmp)]
        figures = figures_of(runs)
        report = render(runs, figures, args)
        failed_logs = [r for r in runs if r.data is None]
        for r in failed_logs:  # keep the logs of a benchmark that gave no result
            print(f"--- {r.name} log (tail) ---", file=sys.stderr)
            print(
                "\n".join(r.log_path.read_text(errors="replace").splitlines()[-30:]),
                file=sys.stderr,
            )
    Path(args.output).write_text(report, encoding="utf-8")
    bad = [f for f in figures if not f.ok]
    print(f"wrote {args.output}: {len(figures) - len(bad)} of {len(figures)} figures PASS")
    for f in bad:
        print(f"  FAIL {f.bench}: {f.name} = {f.value} (target {f.target})")
    return 0 if not bad and figures else 1


if __name__ == "__main__":
    sys.exit(main())
