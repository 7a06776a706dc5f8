"""Cutting and splitting text to Discord's limits, never mid-word."""

from __future__ import annotations

import random
import re

import pytest

from bot.ui import textsplit

WORDS = re.compile(r"\S+")


def _words(text: str) -> list[str]:
    return WORDS.findall(text)


def _sample_text(seed: int, n_words: int = 1500) -> str:
    rng = random.Random(seed)
    vocab = ["walk", "posture", "heel-to-toe", "cadence", "shoes", "back", "steps", "a", "core"]
    out = []
    for i in range(n_words):
        word = rng.choice(vocab) * rng.randint(1, 3)
        out.append(word)
        if i % 13 == 12:
            out.append(rng.choice([".", "!", "?\n", ".\n\n"]))
    return " ".join(out)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("limit", [50, 100, 2000, 4096])
def test_split_keeps_every_word_whole_and_in_order(seed: int, limit: int) -> None:
    text = _sample_text(seed)
    pieces = textsplit.split(text, limit)
    assert all(0 < len(p) <= limit for p in pieces)
    # Every word survives whole: the words of the pieces are exactly the words of the text.
    assert [w for p in pieces for w in _words(p)] == _words(text)


def test_split_prefers_paragraphs_then_sentences() -> None:
    para1 = "First paragraph. " * 20
    para2 = "Second paragraph here. " * 5
    text = para1.strip() + "\n\n" + para2.strip()
    pieces = textsplit.split(text, len(para1) + 10)
    assert pieces[0] == para1.strip()
    sentence = "One sentence ends here. " + "More words follow without a stop " * 3
    cut = textsplit.split(sentence, 40)
    assert cut[0] == "One sentence ends here."


def test_split_short_and_empty() -> None:
    assert textsplit.split("  hello  ", 10) == ["hello"]
    assert textsplit.split("", 10) == []
    assert textsplit.split("   \n ", 10) == []
    with pytest.raises(ValueError):
        textsplit.split("x", 0)


def test_a_word_longer_than_the_limit_is_the_only_hard_cut() -> None:
    text = "short " + "a" * 6000 + " end"
    pieces = textsplit.split(text, 2000)
    assert all(len(p) <= 2000 for p in pieces)
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")
    assert pieces[0] == "short"  # the long word starts a new piece rather than being split early


@pytest.mark.parametrize("limit", [10, 37, 100, 256])
def test_truncate_cuts_between_words_and_marks_the_cut(limit: int) -> None:
    text = _sample_text(7, 200)
    out = textsplit.truncate(text, limit)
    assert len(out) <= limit
    assert out.endswith(textsplit.ELLIPSIS)
    kept = out.removesuffix(textsplit.ELLIPSIS)
    kept_words = _words(kept)
    # Each kept word is a whole word of the original, in order (no half words).
    assert kept_words == _words(text)[: len(kept_words)]


def test_truncate_leaves_short_text_alone() -> None:
    assert textsplit.truncate("walk tall", 9) == "walk tall"
    assert textsplit.truncate("walk tall", 0) == ""
    assert textsplit.truncate("walk tall", 1) == textsplit.ELLIPSIS
