"""`walkwell ask`: text mode, --json, and the stdin batch mode, as separate processes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge.content import default_library
from knowledge.models import UNIT_IDS
from knowledge.texts import Texts

ROOT = Path(__file__).resolve().parents[2]


def _ask(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def _check_shape(d: dict) -> None:
    assert list(d) == ["kind", "id", "score", "suggestions"]
    assert d["kind"] in {"answer", "none", "urgent"}
    assert d["id"] is None or d["id"] in UNIT_IDS
    assert isinstance(d["score"], float)
    assert all(s in UNIT_IDS for s in d["suggestions"])


def test_json_one_question() -> None:
    p = _ask("--json", "how many steps a minute?")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert len(lines) == 1
    d = json.loads(lines[0])
    _check_shape(d)
    assert (d["kind"], d["id"]) == ("answer", "cadence")


def test_json_stdin_batch_in_order_and_skips_nothing() -> None:
    questions = [
        "arch supprt",
        "",
        "What's the capital of France?",
        "numb down there",
        "x" * 5000,
        "should I warm up first?",
    ]
    p = _ask("--json", stdin="\n".join(questions) + "\n")
    assert p.returncode == 0, p.stderr
    out = [json.loads(line) for line in p.stdout.splitlines()]
    assert len(out) == len(questions)
    for d in out:
        _check_shape(d)
    assert [d["kind"] for d in out] == ["answer", "none", "none", "urgent", "none", "answer"]
    assert out[0]["id"] == "footwear"
    assert out[5]["id"] == "warmup"


def test_stdin_batch_survives_bad_bytes_and_crlf() -> None:
    p = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json"],
        input=b"cadence\r\n\xff\xfe broken\r\nwhat shoes should I wear\r\n",
        capture_output=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    assert p.returncode == 0, p.stderr
    out = [json.loads(line) for line in p.stdout.decode().splitlines()]
    assert len(out) == 3
    assert out[0]["id"] == "cadence"
    assert out[2]["id"] == "footwear"


def test_text_modes() -> None:
    library = default_library()
    p = _ask("what", "shoes", "should", "I", "wear?")
    assert p.returncode == 0, p.stderr
    unit = library.units["footwear"]
    assert unit.title in p.stdout
    assert unit.body.splitlines()[0] in p.stdout
    assert library.disclaimer in p.stdout

    p = _ask("I lost control of my bladder")
    assert p.returncode == 0
    assert p.stdout.strip() == library.seek_care.strip()

    p = _ask("can I take ibuprofen for my back pain?")  # a treatment: pointed to a pharmacist
    assert p.returncode == 0
    assert p.stdout.strip() == Texts.from_library(library)("not_in_guide_treatment").strip()

    p = _ask("is a mattress important for back pain?")  # on topic, not covered: close topics
    assert p.returncode == 0
    assert library.messages["not_in_guide"] in p.stdout
    assert "- " in p.stdout  # suggested topics

    p = _ask("tell me a joke")
    assert p.returncode == 0
    assert library.messages["not_in_guide_offtopic"] in p.stdout


def test_no_question_without_json_is_a_usage_error() -> None:
    p = _ask()
    assert p.returncode == 2
    assert "usage" in p.stderr


@pytest.mark.parametrize("module", ["knowledge.ask", "knowledge.engine"])
def test_never_imports_discord(module: str) -> None:
    code = (
        f"import sys, {module}; from knowledge.engine import Engine; "
        "Engine.load().answer('hi'); print('discord' in sys.modules)"
    )
    p = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert p.stdout.strip() == "False", p.stderr
