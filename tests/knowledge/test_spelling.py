"""The second normalisation pass (knowledge/spelling.py), word kind by word kind."""

from __future__ import annotations

import pytest

from knowledge.spelling import Respeller

DOMAIN = {"bladder", "bowels", "chest", "pain", "numb", "groin", "kill", "myself", "blood", "walk"}
COMMON = {"when", "walk", "down", "there", "lost", "control", "feel", "my", "the", "minute"}


@pytest.fixture(scope="module")
def respell() -> Respeller:
    return Respeller(DOMAIN, COMMON)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lost contrоl of my blаdder", "lost control of my bladder"),  # Cyrillic о, а
        ("ΡΑΙΝ", "pain"),  # Greek capitals
        ("k1ll mys3lf", "kill myself"),
        ("bl00d", "blood"),
        ("paaaain", "pain"),
        ("bladdddder", "bladder"),
        ("chestpain", "chest pain"),
        ("numbgroin", "numb groin"),
        ("c h e s t  p a i n", "chest pain"),
        ("n.u.m.b down there", "numb down there"),
        ("n u m b g r o i n", "numb groin"),
        ("help!", "help"),
        ("k\u200bill mys\u00adelf", "kill myself"),  # zero-width space, soft hyphen
        ("lost control of my bIadder", "lost control of my bladder"),  # capital I for l
        ("c-h-e-s-t p-a-i-n", "chest pain"),
    ],
)
def test_undoes_the_disguise(respell: Respeller, text: str, expected: str) -> None:
    assert respell(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "30min walk",
        "carried 8kg",
        "ran a 5k",
        "the 2nd minute",
        "3x a day",
        "a b",  # two single letters are not a spaced-out word
        "xqzv",  # no known reading: left as it is
    ],
)
def test_leaves_ordinary_tokens_alone(respell: Respeller, text: str) -> None:
    assert respell(text) == text


def test_a_word_of_another_alphabet_is_not_read_as_latin_gibberish(respell: Respeller) -> None:
    # every letter of "привет" looks like a Latin one ("npubet"), which is no word
    assert respell("привет") == ""
    assert respell("рain") == "pain"  # one look-alike among Latin letters is always read


def test_glued_words_need_a_domain_word() -> None:
    respell = Respeller({"pain"}, {"blue", "sky", "when"})
    assert respell("bluesky") == "bluesky"
    assert respell("painwhen") == "pain when"


def test_digits_need_a_known_word() -> None:
    respell = Respeller({"pain"}, {"when"})
    assert respell("p41n") == "pain"
    assert respell("r2d2") == "r2d2"


def test_three_to_five_glued_words_with_a_domain_word() -> None:
    respell = Respeller(
        {"want", "die", "able", "tall", "all", "tripped"},
        {"not", "been", "enable", "it", "seems", "blue", "sky", "today", "ripped"},
    )
    assert respell("wanttodie") == "want to die"
    # the most domain words, then no one-letter word
    assert respell("notbeenable") == "not been able"
    assert respell("itallseems") == "it all seems"
    assert respell("itripped") == "i tripped"
    # no domain word among the pieces: left as written
    assert respell("blueskytoday") == "blueskytoday"


def test_symbols_at_a_words_ends_read_as_letters_only_for_a_domain_word() -> None:
    respell = Respeller({"feel", "able", "legs"}, {"help", "sol", "have", "so"})
    assert respell("fee|") == "feel"
    assert respell("@b|e") == "able"
    assert respell("|eg$") == "legs"
    assert respell("h@ve") == "have"  # a symbol inside: any known word
    assert respell("help!") == "help"
    assert respell("so!") == "so"  # not "sol"


def test_accented_and_full_width_letters_mixed_with_look_alikes(respell: Respeller) -> None:
    assert respell("gr\u00f3\u0456n") == "groin"  # accented o, Cyrillic i
    assert respell("\uff4e\uff55\uff4d\uff42") == "numb"  # full width
    assert respell("n\u00famb gr\u00f3in") == "numb groin"
