"""Benchmark of the answering engine (not a test): accuracy, latency per question, start-up time.

    .venv/bin/python bench/answer_bench.py [--repeat N] [--no-startup] [--json PATH]

- accuracy on each question set under tests/data (top-1 accepting `alt`; urgent caught / false
  urgent; precision of "none"),
- per-question latency p50/p99 of ``Engine.answer`` over dev + held-out sets, repeated N times
  (everything on: red flags, embeddings, phrases, rapidfuzz); the first pass is reported apart
  because nothing is cached across questions except the speller's word cache,
- start-up: a fresh process doing import + ``Engine.load()`` + the first answer (median of 3).

Targets (2 cores): p99 < 20 ms, start-up < 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT))

STARTUP_CODE = """
import time
t0 = time.perf_counter()
from knowledge.engine import Engine
e = Engine.load()
r = e.answer("how many steps a minute should I aim for?")
t1 = time.perf_counter()
print(t1 - t0, int(e.semantic), r.id)
"""


def load_sets() -> dict[str, list[dict]]:
    sets = {}
    for path in sorted(DATA.glob("*.jsonl")):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        if rows and "q" in rows[0]:
            sets[path.stem] = rows
    return sets


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def accuracy(engine, name: str, rows: list[dict]) -> dict:  # type: ignore[no-untyped-def]
    right = urgent = caught = false_urgent = said_none = none_right = 0
    for row in rows:
        r = engine.answer(row["q"])
        got = r.id if r.kind == "answer" else r.kind
        ok = got in [row["expect"], *row.get("alt", [])]
        right += ok
        if row["expect"] == "urgent":
            urgent += 1
            caught += r.kind == "urgent"
        elif r.kind == "urgent" and not ok:  # "alt": ["urgent"] marks borderline cases
            false_urgent += 1
        if r.kind == "none":
            said_none += 1
            none_right += ok
    line = f"  {name:<22} top-1 {right}/{len(rows)} = {right / len(rows):.3f}"
    if urgent:
        line += f" | urgent caught {caught}/{urgent}"
    line += f" | false urgent {false_urgent}"
    if said_none:
        line += f" | none precision {none_right}/{said_none} = {none_right / said_none:.2f}"
    print(line)
    return {
        "questions": len(rows),
        "top1": round(right / len(rows), 4),
        "urgent": urgent,
        "urgent_caught": caught,
        "false_urgent": false_urgent,
        "none_precision": round(none_right / said_none, 4) if said_none else None,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
    args = ap.parse_args()
    result: dict = {"repeat": args.repeat}

    from knowledge.engine import Engine

    t0 = time.perf_counter()
    engine = Engine.load()
    print(
        f"in-process Engine.load(): {(time.perf_counter() - t0) * 1000:.0f} ms "
        f"(semantic={'on' if engine.semantic else 'OFF'})"
    )

    result["semantic"] = bool(engine.semantic)
    sets = load_sets()
    print("accuracy:")
    result["accuracy"] = {name: accuracy(engine, name, rows) for name, rows in sets.items()}

    questions = [row["q"] for name, rows in sets.items() for row in rows]
    first: list[float] = []
    rest: list[float] = []
    for i in range(args.repeat):
        for q in questions:
            a = time.perf_counter()
            engine.answer(q)
            (first if i == 0 else rest).append((time.perf_counter() - a) * 1000)
    both = first + rest
    print(f"latency over {len(questions)} questions x {args.repeat}:")
    print(
        f"  first pass  p50 {pct(first, 50):.2f} ms  p99 {pct(first, 99):.2f} ms  "
        f"max {max(first):.2f} ms"
    )
    print(
        f"  all passes  p50 {pct(both, 50):.2f} ms  p99 {pct(both, 99):.2f} ms  "
        f"mean {statistics.fmean(both):.2f} ms   (target p99 < 20 ms)"
    )
    result["latency_ms"] = {
        "questions": len(questions),
        "first_pass": {"p50": pct(first, 50), "p99": pct(first, 99), "max": max(first)},
        "all": {"p50": pct(both, 50), "p99": pct(both, 99), "mean": statistics.fmean(both)},
    }

    partials = ["", "c", "cad", "shoes", "arm swi", "incln", "how often", "faq", "xyzzy", "walk"]
    topic_ms: list[float] = []
    for _ in range(50):
        for p in partials:
            a = time.perf_counter()
            engine.topics(p, limit=25)
            topic_ms.append((time.perf_counter() - a) * 1000)
    print(
        f"topics() autocomplete: p50 {pct(topic_ms, 50):.3f} ms  p99 {pct(topic_ms, 99):.3f} ms "
        f"(target < 2 ms)"
    )
    result["topics_ms"] = {"p50": pct(topic_ms, 50), "p99": pct(topic_ms, 99)}

    if not args.no_startup:
        runs = []
        for _ in range(3):
            p = subprocess.run(
                [sys.executable, "-c", STARTUP_CODE],
                capture_output=True,
                text=True,
                cwd=ROOT,
                check=True,
            )
            secs, semantic, unit = p.stdout.split()
            runs.append(float(secs))
        print(
            f"start-up (fresh process: import + Engine.load + first answer): "
            f"median {statistics.median(runs):.2f} s, runs "
            f"{', '.join(f'{r:.2f}' for r in runs)} (semantic={semantic}, answer={unit}) "
            f"(target < 2 s)"
        )
        result["startup_s"] = {"median": statistics.median(runs), "runs": runs}
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
