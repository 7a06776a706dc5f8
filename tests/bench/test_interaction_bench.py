"""bench/interaction_bench.py --ask-load: its questions really are unique, 20 in flight."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "interaction_bench", ROOT / "bench" / "interaction_bench.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["interaction_bench"] = module
    spec.loader.exec_module(module)
    return module


def test_no_two_questions_alike(bench: ModuleType) -> None:
    questions = [bench.unique_question(n) for n in range(120_000)]
    assert len(set(questions)) == len(questions)
    assert all(len(q) < 200 for q in questions)  # well within /ask's 1000 characters


def test_ask_load_defaults_to_20_in_flight(bench: ModuleType) -> None:
    assert bench.parse_args(["--ask-load"]).concurrency == 20
    assert bench.parse_args([]).concurrency == 16
    assert bench.parse_args(["--ask-load", "--concurrency", "5"]).concurrency == 5
