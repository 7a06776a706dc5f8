"""The texts: both text files checked against the key registry, and one Texts serving both."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.content import (
    CONTENT_DIR,
    MESSAGES_FILE,
    PROGRESS_FILE,
    default_library,
    load_messages,
    load_progress,
)
from knowledge.contentfile import ContentError
from knowledge.textkeys import MESSAGE_KEYS, PROGRESS_KEYS, TEXT_KEYS
from knowledge.texts import Texts, default_texts

# --- progress.yaml -----------------------------------------------------------------------------------


def test_builtin_texts_load_and_fill() -> None:
    texts = default_texts()
    assert set(texts.keys()) == set(TEXT_KEYS)
    for key, names in TEXT_KEYS.items():
        filled = texts.get(key, **dict.fromkeys(names, 7))
        assert "{" not in filled and len(filled) <= 1000


def test_quoted_words_are_the_guides_own() -> None:
    """Every "quoted" fragment in progress.yaml appears in the guide's content units."""

    def norm(text: str) -> str:
        return " ".join(text.replace("\u2019", "'").casefold().split())

    guide = norm(" ".join(u.body for u in default_library().units.values()))
    texts = default_texts()
    quotes = []
    for key, names in PROGRESS_KEYS.items():
        quotes += re.findall(r'"([^"]+)"', texts.get(key, **dict.fromkeys(names, 7)))
    assert len(quotes) >= 6
    for quote in quotes:
        assert norm(quote).rstrip(".,") in guide, quote


def _copy(tmp_path: Path) -> Path:
    path = tmp_path / PROGRESS_FILE
    shutil.copy(CONTENT_DIR / PROGRESS_FILE, path)
    return path


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (
            lambda s: s.replace('  streak_one: "Streak: 1 day."\n', ""),
            "missing key 'progress.streak_one'",
        ),
        (lambda s: s + "  extra_text: hi\n", "unknown key 'nudge.extra_text'"),
        (
            lambda s: s.replace("{days} days in a row", "{dayz} days in a row"),
            "unknown placeholder {dayz}",
        ),
        (lambda s: s.replace('"Streak: 1 day."', '""'), "progress.streak_one: must be non-empty"),
        (lambda s: s.replace('"Streak: 1 day."', '"' + "x" * 1001 + '"'), "longer than 1000"),
        (lambda s: s.replace('"Streak: 1 day."', '"{oops"'), "bad placeholder"),
        (lambda s: "progress: [\n", "not valid YAML"),
        (lambda s: "- a\n- b\n", "must be a mapping"),
    ],
)
def test_broken_texts_are_named(tmp_path: Path, edit: object, problem: str) -> None:
    path = _copy(tmp_path)
    path.write_text(edit(path.read_text(encoding="utf-8")), encoding="utf-8")  # type: ignore[operator]
    with pytest.raises(ContentError) as info:
        load_progress(path.parent)
    assert problem in str(info.value) and str(path) in str(info.value)


def test_missing_texts_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="cannot read"):
        load_progress(tmp_path)


# --- messages.yaml -----------------------------------------------------------------------------


def test_message_registry_matches_the_builtin_file() -> None:
    assert set(load_messages()) == set(MESSAGE_KEYS)
    assert not set(MESSAGE_KEYS) & set(PROGRESS_KEYS)


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("not_a_message", "hi", "unknown key 'not_a_message'"),
        ("you_asked", "You asked: {questoin}", "you_asked: unknown placeholder {questoin}"),
        ("faq_title", "FAQ {", "faq_title: bad placeholder"),
        ("faq_title", "x" * 2001, "faq_title: 2001 characters, longer than 2000"),
    ],
)
def test_broken_messages_are_named(tmp_path: Path, key: str, value: str, problem: str) -> None:
    path = tmp_path / MESSAGES_FILE
    data = yaml.safe_load((CONTENT_DIR / MESSAGES_FILE).read_text(encoding="utf-8"))
    data[key] = value
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_messages(tmp_path)
    assert info.value.path == path and problem in info.value.reason


def test_a_content_folder_may_leave_out_optional_messages(tmp_path: Path) -> None:
    data = {"disclaimer": "d", "not_in_guide": "n", "not_in_guide_offtopic": "o"}
    (tmp_path / MESSAGES_FILE).write_text(yaml.safe_dump(data), encoding="utf-8")
    assert load_messages(tmp_path) == data


# --- one Texts for both files --------------------------------------------------------------------


def test_one_texts_serves_messages_and_progress() -> None:
    texts = default_texts()
    assert texts("checklist_progress", done=2, total=8) == "2 of 8 ready"
    assert texts("progress.streak_many", days=3) == "Streak: 3 days in a row."
    assert texts.get("nudge.reasons.pain_high", pain=7) == texts("nudge.reasons.pain_high", pain=7)
    overridden = Texts({"checklist_title": "Ready?"})
    assert overridden("checklist_title") == "Ready?"
    assert overridden("progress.streak_one") == "Streak: 1 day."
