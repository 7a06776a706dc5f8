"""Benchmark of the answering engine (not a test): accuracy, latency per question, start-up time.

    .venv/bin/python bench/answer_bench.py [--repeat N] [--no-startup] [--json PATH] [--frozen]

- accuracy on each question set, each reported apart: the project's own sets under tests/data,
  and the sets written by others under tests/data/questions (their ``*.tune.jsonl`` splits; the
  frozen ``*.test.jsonl`` splits only with ``--frozen``, which the integrator runs once at the
  end - never tune on what it prints). For each set: right unit (or an ``alt``), right unit among
  the answer and its suggestions (answerable questions), "not in the guide" precision and recall,
  urgent caught and false alarms; then the same over groups (chat voice, overall),
- per-question latency p50/p99 of ``Engine.answer`` over dev + held-out sets, repeated N times
  (everything on: red flags, embeddings, phrases, rapidfuzz); the first pass is reported apart
  because nothing is cached across questions except the speller's word cache,
- start-up: a fresh process doing import + ``Engine.load()`` + the first answer (median of 3).

Targets (2 cores): p99 < 10 ms, start-up < 2 s.
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


QUESTIONS = DATA / "questions"
#: the sets written by others in chat voice (the bar's "chat voice" group)
CHAT_VOICE = ("chat", "chat2")


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_sets(frozen: bool = False) -> dict[str, list[dict]]:
    """Own sets by name; others' as ``questions/NAME.tune`` (or ``.test`` when ``frozen``)."""
    sets = {}
    for path in sorted(DATA.glob("*.jsonl")):
        rows = _read(path)
        if rows and "q" in rows[0]:
            sets[path.stem] = rows
    split = "test" if frozen else "tune"
    for path in sorted(QUESTIONS.glob(f"*.{split}.jsonl")):
        sets[f"questions/{path.stem}"] = _read(path)
    return sets


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def judge(engine, rows: list[dict]) -> list[tuple[dict, object]]:  # type: ignore[no-untyped-def]
    return [(row, engine.answer(row["q"])) for row in rows]


def figures(judged: list[tuple[dict, object]]) -> dict:
    """The bar's figures over judged rows (row, Result)."""
    n = right = answerable = among = urgent = caught = false_alarm = 0
    said_none = none_right = want_none = none_found = 0
    for row, r in judged:
        n += 1
        ok_ids = [row["expect"], *row.get("alt", [])]
        got = r.id if r.kind == "answer" else r.kind  # type: ignore[attr-defined]
        ok = got in ok_ids
        right += ok
        if row["expect"] not in ("none", "urgent"):
            answerable += 1
            offered = [got, *r.suggestions]  # type: ignore[attr-defined]
            among += any(o in ok_ids for o in offered)
        if row["expect"] == "urgent":
            urgent += 1
            caught += r.kind == "urgent"  # type: ignore[attr-defined]
        elif r.kind == "urgent" and not ok:  # type: ignore[attr-defined]
            false_alarm += 1  # "alt": ["urgent"] marks borderline cases
        if row["expect"] == "none":
            want_none += 1
            none_found += r.kind == "none"  # type: ignore[attr-defined]
        if r.kind == "none":  # type: ignore[attr-defined]
            said_none += 1
            none_right += ok

    def ratio(a: int, b: int) -> float | None:
        return round(a / b, 4) if b else None

    return {
        "questions": n,
        "right": ratio(right, n),
        "among_offered": ratio(among, answerable),
        "none_precision": ratio(none_right, said_none),
        "none_recall": ratio(none_found, want_none),
        "urgent_caught": f"{caught}/{urgent}",
        "false_alarms": false_alarm,
        "counts": {
            "right": right,
            "answerable": answerable,
            "among": among,
            "said_none": said_none,
            "none_right": none_right,
            "want_none": want_none,
            "none_found": none_found,
        },
    }


def show(name: str, f: dict) -> None:
    def p(x: float | None) -> str:
        return "  -  " if x is None else f"{x:.3f}"

    print(
        f"  {name:<28} n={f['questions']:<4} right {p(f['right'])} | among offered "
        f"{p(f['among_offered'])} | none P {p(f['none_precision'])} R {p(f['none_recall'])} "
        f"| urgent {f['urgent_caught']} | false alarms {f['false_alarms']}"
    )


def accuracy(engine, sets: dict[str, list[dict]]) -> dict:  # type: ignore[no-untyped-def]
    judged = {name: judge(engine, rows) for name, rows in sets.items()}
    out = {}
    print("accuracy, each set apart:")
    for name, j in judged.items():
        out[name] = figures(j)
        show(name, out[name])
    others = [name for name in judged if name.startswith("questions/")]
    if others:
        split = others[0].rsplit(".", 1)[1]
        groups = {
            f"chat voice ({split})": [
                n for n in others if n.split("/")[1].split(".")[0] in CHAT_VOICE
            ],
            f"others overall ({split})": others,
            "own sets": [n for n in judged if not n.startswith("questions/")],
        }
        print("groups:")
        for g, names in groups.items():
            out[g] = figures([x for n in names for x in judged[n]])
            show(g, out[g])
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-startup", action="store_true")
    ap.add_argument("--json", metavar="PATH", help="also write the figures to PATH as JSON")
    ap.add_argument(
        "--frozen",
        action="store_true",
        help="report the frozen test splits instead of the tune splits (the integrator, once)",
    )
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
    sets = load_sets(frozen=args.frozen)
    result["accuracy"] = accuracy(engine, sets)

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
        f"mean {statistics.fmean(both):.2f} ms   (target p99 < 10 ms)"
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
