"""The guide's content: what ships is clean and complete, and every broken edit is caught.

Each validation rule has a case below that copies the built-in content to a temporary folder,
breaks one thing, and checks that both ``load_library`` and ``walkwell check DIR`` name the file
(``walkwell check`` alone for the files a ``Library`` does not hold: matching, red flags, progress).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import cli
from knowledge.content import CONTENT_DIR, default_library, load_library
from knowledge.contentfile import ContentError, normalise
from knowledge.models import UNIT_IDS, Library

DEBRIS = (
    "alex larsson",
    "Jane Smith",
    "natural health enthusiast",
    "Related Articles",
    "The Ultimate Guide to Walking Techniques for Back Pain Relief\n",
    "Lock your elbows",
    "Cross one foot",
    "shorter than the width of your foot",
    "parallel to the ground",
    "two legs of shorter steps",
    "exercises to strengthen these muscles",
    "•",
)


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library()


def _squash(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").casefold().split())


# --- the built-in content ----------------------------------------------------------------------


def test_builtin_content_has_all_sixteen_units_in_contract_order(library: Library) -> None:
    assert tuple(library.units) == UNIT_IDS
    assert [u.kind for u in library.units.values()].count("faq") == 5
    assert all(u.kind == "faq" for uid, u in library.units.items() if uid.startswith("faq_"))
    for uid, unit in library.units.items():
        assert unit.id == uid
        assert unit.source == f"units/{uid}.md"


def test_faq_titles_are_the_guides_questions(library: Library) -> None:
    faqs = [u for u in library.units.values() if u.kind == "faq"]
    for unit in faqs:
        assert unit.question and unit.question.endswith("?")
        assert unit.title == unit.question
    for unit in library.units.values():
        if unit.kind == "section":
            assert unit.question is None


def test_human_titles(library: Library) -> None:
    assert library.units["footwear"].title == "Footwear"
    assert library.units["cadence"].title == "Cadence: steps per minute"
    assert library.units["faq_aggravate"].title == "Can walking aggravate my back pain?"


@pytest.mark.parametrize("debris", DEBRIS)
def test_no_scraping_debris_or_fixed_contradictions_anywhere(library: Library, debris: str) -> None:
    texts = [u.body for u in library.units.values()]
    texts += [u.title for u in library.units.values()]
    texts += [library.seek_care, *library.messages.values()]
    texts += [i.detail for i in library.checklist] + [library.cadence.text, library.goal.text]
    for text in texts:
        assert debris.casefold() not in (text + "\n").casefold()


def test_bodies_keep_the_guides_key_facts(library: Library) -> None:
    facts = {
        "cadence": ["80-90 steps per minute", "120 or more"],
        "footwear": ["half an inch", "arch support", "Wear socks"],
        "step_length": ["about half of your usual stride", "land underneath you, not in front"],
        "arm_swing": ["90-degree angle", "palms facing down"],
        "posture": ["both feet facing the same direction", "heel strikes first"],
        "technique": ["rolling from heel to toe", "Use your core muscles"],
        "warmup": ["Roll them in circles"],
        "incline": ["speak to your doctor"],
        "summary": ["Listen to your body"],
        "faq_how_often": ["at least 30 minutes every day", "start slowly"],
        "faq_other_exercises": ["yoga, swimming, and Pilates"],
    }
    for uid, phrases in facts.items():
        for phrase in phrases:
            assert phrase in library.units[uid].body, (uid, phrase)


def test_bodies_are_clean_markdown(library: Library) -> None:
    for unit in library.units.values():
        body = unit.body
        assert body == body.strip()
        assert "\n\n\n" not in body
        assert not body.startswith(("Q:", "A:", "#"))
        assert body.splitlines()[0].strip().casefold() != unit.title.casefold()  # no title line
        for line in body.splitlines():
            assert line == line.rstrip()
            if line.startswith("-"):
                assert line.startswith("- ") and len(line) > 2


def test_aliases_and_related_links(library: Library) -> None:
    seen: dict[str, str] = {}
    for unit in library.units.values():
        assert unit.aliases, unit.id
        for alias in unit.aliases:
            assert normalise(alias) not in seen, (alias, unit.id, seen.get(normalise(alias)))
            seen[normalise(alias)] = unit.id
        assert 2 <= len(unit.related) <= 3, unit.id
        assert unit.id not in unit.related
        assert set(unit.related) <= set(UNIT_IDS)
    for alias in ("shoes", "sneakers", "trainers", "arch support"):
        assert seen[alias] == "footwear"
    assert seen["steps per minute"] == "cadence"


def test_checklist_has_the_eight_items_traceable_to_the_guide(library: Library) -> None:
    keys = [item.key for item in library.checklist]
    assert keys == ["shoes", "warmup", "posture", "stride", "cadence", "arms", "core", "listen"]
    for item in library.checklist:
        assert item.unit in library.units
        assert len(item.label) <= 80 and len(item.detail) <= 300
        body = _squash(library.units[item.unit].body)
        # Each sentence of the detail is the guide's (edited) words from the unit it names.
        for sentence in re.split(r"(?<=[.!?])\s+", item.detail):
            assert _squash(sentence.rstrip(".")) in body, (item.key, sentence)


def test_cadence_plan_and_goal_come_from_the_guide(library: Library) -> None:
    cadence = library.cadence
    assert (cadence.start_low, cadence.start_high, cadence.goal) == (80, 90, 120)
    assert cadence.weekly_step > 0
    assert "80-90" in cadence.text and "120" in cadence.text
    assert _squash(cadence.text) in _squash(library.units[cadence.unit].body)
    goal = library.goal
    assert goal.daily_minutes == 30
    assert 0 < goal.start_minutes < goal.daily_minutes and goal.weekly_step_minutes > 0
    assert "30 minutes" in goal.text
    assert _squash(goal.text) in _squash(library.units[goal.unit].body)


def test_seek_care_message_is_short_urgent_and_has_no_walking_tips(library: Library) -> None:
    text = library.seek_care
    assert 0 < len(text) <= 1500
    for needed in ("emergency", "bladder", "bowel", "groin", "weakness", "chest pain"):
        assert needed in text.casefold(), needed
    for needed in ("fall", "fever", "weight loss", "cancer", "night"):
        assert needed in text.casefold(), needed
    assert "988" in text and "116 123" in text and "findahelpline.com" in text
    for tip in ("stride", "cadence", "steps per minute", "posture", "shoes", "warm"):
        assert tip not in text.casefold(), tip


def test_messages_the_bot_needs(library: Library) -> None:
    assert library.disclaimer == library.messages["disclaimer"]
    assert "not medical advice" in library.disclaimer
    assert library.messages["not_in_guide"].startswith("The guide doesn't cover that")
    assert library.messages["not_in_guide_offtopic"].startswith("The guide doesn't cover that")


def test_editorial_replacements_are_in_the_units_they_name(library: Library) -> None:
    editorial = (CONTENT_DIR.parent / "EDITORIAL.md").read_text(encoding="utf-8")
    entries = re.findall(r"^- Now \(`units/(\w+)\.md`\)(.*?)(?=^- |^#)", editorial, re.M | re.S)
    assert len(entries) >= 7
    for uid, text in entries:
        quotes = re.findall(r'"([^"]+)"', " ".join(text.split()))
        assert quotes, uid
        for quote in quotes:
            assert _squash(quote) in _squash(library.units[uid].body), (uid, quote)


def test_default_library_is_loaded_once_and_independent_of_cwd(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert default_library() is default_library()
    assert tuple(load_library().units) == UNIT_IDS


def test_walkwell_check_builtin_content(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("ok: 16 units") and "8 checklist items" in out
    assert err == ""


def test_check_does_not_import_discord() -> None:
    code = "import sys, knowledge.content, knowledge.texts; sys.exit('discord' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_content_error_names_the_file() -> None:
    err = ContentError(Path("units/x.md"), "empty body")
    assert str(err) == "units/x.md: empty body"
    assert err.path == Path("units/x.md") and err.reason == "empty body"


# --- every validation rule, on a broken copy -----------------------------------------------------


def _split(path: Path) -> tuple[dict[str, Any], str]:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


def _write(path: Path, front: dict[str, Any], body: str) -> None:
    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True)
    path.write_text(f"---\n{head}---\n{body}", encoding="utf-8")


def _front(uid: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / "units" / f"{uid}.md"
        front, body = _split(path)
        change(front)
        _write(path, front, body)

    return mutate


def _body(uid: str, new_body: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / "units" / f"{uid}.md"
        front, _ = _split(path)
        _write(path, front, new_body)

    return mutate


def _raw(rel: str, text: str | bytes) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")

    return mutate


def _delete(rel: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        shutil.rmtree(path) if path.is_dir() else path.unlink()

    return mutate


def _yaml_file(rel: str, change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / rel
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")

    return mutate


def _copy_unit(src: str, dest: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        shutil.copy(root / "units" / f"{src}.md", root / "units" / dest)

    return mutate


def _rename_unit(src: str, new_id: str) -> Callable[[Path], None]:
    def mutate(root: Path) -> None:
        path = root / "units" / f"{src}.md"
        front, body = _split(path)
        front["id"] = new_id
        path.unlink()
        _write(root / "units" / f"{new_id}.md", front, body)

    return mutate


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d.__setitem__(key, value)


def _add_alias(alias: str) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["aliases"].append(alias)


def _checklist(index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda d: d["checklist"][index].__setitem__(key, value)


@dataclass(frozen=True)
class Break:
    name: str
    mutate: Callable[[Path], None]
    file: str  # the file the error must name (relative to the content folder)
    reason: str  # a fragment of the reason


BREAKS = [
    # front matter shape
    Break("no front matter", _raw("units/posture.md", "Good posture.\n"), "units/posture.md",
          "no front matter"),
    Break("front matter not closed", _raw("units/posture.md", "---\nid: posture\ntitle: P\n"),
          "units/posture.md", "not closed"),
    Break("malformed yaml", _raw("units/posture.md", "---\nid: posture\ntitle: [oops\n---\nx\n"),
          "units/posture.md", "not valid YAML"),
    Break("front matter not a mapping", _raw("units/posture.md", "---\n- a\n- b\n---\nx\n"),
          "units/posture.md", "key: value"),
    Break("empty front matter", _raw("units/posture.md", "---\n---\nGood posture.\n"),
          "units/posture.md", "front matter is empty"),
    Break("unknown key", _front("footwear", _set("colour", "red")), "units/footwear.md",
          "unknown key 'colour'"),
    Break("missing key", _front("footwear", lambda d: d.pop("title")), "units/footwear.md",
          "missing key 'title'"),
    Break("wrong type", _front("footwear", _set("aliases", "shoes")), "units/footwear.md",
          "aliases"),
    Break("bad kind", _front("footwear", _set("kind", "chapter")), "units/footwear.md", "kind"),
    Break("not utf-8", _raw("units/warmup.md", b"---\nid: warmup\n\xff\xfe\n---\n"),
          "units/warmup.md", "UTF-8"),
    # ids and files
    Break("unknown id", _rename_unit("incline", "hills"), "units/hills.md", "unknown id 'hills'"),
    Break("id does not match file", _front("incline", _set("id", "summary")), "units/incline.md",
          "does not match the file name"),
    Break("duplicate id", _copy_unit("posture", "posture_copy.md"), "units/posture_copy.md",
          "duplicate id 'posture'"),
    Break("missing id", _delete("units/incline.md"), "units/incline.md", "missing"),
    Break("not a unit file", _raw("units/notes.txt", "todo\n"), "units/notes.txt",
          "not a unit file"),
    Break("no units folder", _delete("units"), "units", "missing folder"),
    # kind and question
    Break("faq without question", _front("faq_why", lambda d: d.pop("question")),
          "units/faq_why.md", "question"),
    Break("section with question", _front("warmup", _set("question", "Warm up?")),
          "units/warmup.md", "only for FAQ"),
    # titles and bodies
    Break("empty body", _body("cadence", "\n  \n"), "units/cadence.md", "empty body"),
    Break("body repeats the title", _body("footwear", "# Footwear\n\nFor back pain relief...\n"),
          "units/footwear.md", "repeats the title"),
    Break("body over embed limit", _body("cadence", "Walk. " * 700), "units/cadence.md", "4096"),
    Break("title over embed limit", _front("cadence", _set("title", "C" * 257)),
          "units/cadence.md", "256"),
    Break("empty title", _front("cadence", _set("title", "  ")), "units/cadence.md", "empty"),
    Break("duplicate title", _front("incline", _set("title", "Footwear")), "units/incline.md",
          "title 'Footwear'"),
    # aliases
    Break("duplicate alias", _front("warmup", _add_alias("shoes")), "units/warmup.md",
          "alias 'shoes'"),
    Break("duplicate alias, other case and spacing", _front("posture", _add_alias("Arch  SUPPORT")),
          "units/posture.md", "Arch SUPPORT"),
    Break("alias is another unit's id", _front("step_length", _add_alias("cadence")),
          "units/step_length.md", "id of unit 'cadence'"),
    Break("alias is another unit's title", _front("summary", _add_alias("walking  Technique")),
          "units/summary.md", "title of unit 'technique'"),
    Break("alias twice in one unit", _front("summary", _add_alias("recap")), "units/summary.md",
          "listed twice"),
    Break("empty alias", _front("summary", _add_alias(" ")), "units/summary.md", "empty alias"),
    Break("alias too long", _front("summary", _add_alias("a" * 101)), "units/summary.md", "100"),
    # related
    Break("related unknown", _front("warmup", _set("related", ["technique", "stretching"])),
          "units/warmup.md", "unknown unit id 'stretching'"),
    Break("related itself", _front("warmup", _set("related", ["warmup", "technique"])),
          "units/warmup.md", "this unit itself"),
    # plan.yaml
    Break("no plan", _delete("plan.yaml"), "plan.yaml", "missing"),
    Break("checklist unknown unit", _yaml_file("plan.yaml", _checklist(0, "unit", "shoes")),
          "plan.yaml", "unknown unit id 'shoes'"),
    Break("checklist label too long", _yaml_file("plan.yaml", _checklist(1, "label", "L" * 81)),
          "plan.yaml", "checklist.1.label"),
    Break("checklist detail too long", _yaml_file("plan.yaml", _checklist(1, "detail", "D" * 301)),
          "plan.yaml", "checklist.1.detail"),
    Break("checklist key twice", _yaml_file("plan.yaml", _checklist(1, "key", "shoes")),
          "plan.yaml", "used twice"),
    Break("checklist unknown key", _yaml_file("plan.yaml", _checklist(2, "emoji", "x")),
          "plan.yaml", "unknown key 'checklist.2.emoji'"),
    Break("empty checklist", _yaml_file("plan.yaml", _set("checklist", [])), "plan.yaml",
          "checklist"),
    Break("cadence goal below start",
          _yaml_file("plan.yaml", lambda d: d["cadence"].__setitem__("goal", 70)), "plan.yaml",
          "cadence"),
    Break("cadence number as text",
          _yaml_file("plan.yaml", lambda d: d["cadence"].__setitem__("goal", "120")), "plan.yaml",
          "cadence.goal"),
    Break("goal unknown unit",
          _yaml_file("plan.yaml", lambda d: d["goal"].__setitem__("unit", "walking")),
          "plan.yaml", "goal.unit"),
    # seek_care.md and messages.yaml
    Break("no seek-care", _delete("seek_care.md"), "seek_care.md", "missing"),
    Break("empty seek-care", _raw("seek_care.md", "\n"), "seek_care.md", "empty"),
    Break("seek-care too long", _raw("seek_care.md", "Call now. " * 200), "seek_care.md", "1500"),
    Break("no messages", _delete("messages.yaml"), "messages.yaml", "missing"),
    Break("no disclaimer", _yaml_file("messages.yaml", lambda d: d.pop("disclaimer")),
          "messages.yaml", "disclaimer"),
    Break("empty message", _yaml_file("messages.yaml", _set("not_in_guide", "")),
          "messages.yaml", "not_in_guide"),
    Break("message not text", _yaml_file("messages.yaml", _set("not_in_guide", ["a"])),
          "messages.yaml", "not_in_guide"),
    Break("message unknown key", _yaml_file("messages.yaml", _set("not_a_message", "hi")),
          "messages.yaml", "unknown key 'not_a_message'"),
    Break("message unknown placeholder", _yaml_file("messages.yaml",
          _set("you_asked", "You asked: {questoin}")),
          "messages.yaml", "you_asked: unknown placeholder {questoin}"),
]  # fmt: skip


def _matching_unit(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda d: change(d["units"]["intro"])


def _rule(index: int, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda d: change(d["rules"][index])


def _model_group(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    return lambda d: change(d["model_check"][0])


#: Files only ``walkwell check`` reads (the engine and the plan read them at start-up).
CHECK_BREAKS = [
    # matching.yaml
    Break("no matching", _delete("matching.yaml"), "matching.yaml", "missing"),
    Break("matching not yaml", _raw("matching.yaml", "units: [oops\n"), "matching.yaml",
          "not valid YAML"),
    Break("matching not a mapping", _raw("matching.yaml", "- a\n- b\n"), "matching.yaml",
          "must hold"),
    Break("matching unknown key", _yaml_file("matching.yaml", _set("synonyms", {})),
          "matching.yaml", "unknown key 'synonyms'"),
    Break("matching unknown unit", _yaml_file("matching.yaml",
          lambda d: d["units"].__setitem__("walking", {"examples": ["Why walk?"]})),
          "matching.yaml", "unknown unit id 'walking'"),
    Break("matching unit unknown key", _yaml_file("matching.yaml",
          _matching_unit(_set("example", ["Where do I start?"]))),
          "matching.yaml", "unknown key 'units.intro.example' (allowed: examples, phrases)"),
    Break("matching weight not a number", _yaml_file("matching.yaml",
          _matching_unit(lambda u: u["phrases"].__setitem__("gravity", "lots"))),
          "matching.yaml", "units.intro.phrases.gravity"),
    # redflags.yaml
    Break("no redflags", _delete("redflags.yaml"), "redflags.yaml", "missing"),
    Break("redflags not yaml", _raw("redflags.yaml", "rules: [oops\n"), "redflags.yaml",
          "not valid YAML"),
    Break("redflags no rules", _yaml_file("redflags.yaml", lambda d: d.pop("rules")),
          "redflags.yaml", "missing key 'rules'"),
    Break("rule unknown concept", _yaml_file("redflags.yaml",
          _rule(0, lambda r: r["all"].append("no_such_concept"))),
          "redflags.yaml", "rules.0.all: unknown concept 'no_such_concept'"),
    Break("rule unknown care", _yaml_file("redflags.yaml", _rule(0, _set("care", "soon"))),
          "redflags.yaml", "rules.0.care"),
    Break("model check unknown concept", _yaml_file("redflags.yaml",
          _model_group(_set("cue", ["nothing"]))),
          "redflags.yaml", "model_check.0: unknown concept 'nothing'"),
    Break("model check threshold", _yaml_file("redflags.yaml", _model_group(_set("threshold", 2))),
          "redflags.yaml", "model_check.0.threshold"),
    # offtopic.yaml
    Break("no offtopic", _delete("offtopic.yaml"), "offtopic.yaml", "missing"),
    Break("offtopic not yaml", _raw("offtopic.yaml", "groups: [oops\n"), "offtopic.yaml",
          "not valid YAML"),
    Break("offtopic no groups", _yaml_file("offtopic.yaml", lambda d: d.pop("groups")),
          "offtopic.yaml", "missing key 'groups'"),
    Break("offtopic unknown key", _yaml_file("offtopic.yaml", _set("examples", [])),
          "offtopic.yaml", "unknown key 'examples'"),
    Break("offtopic empty group", _yaml_file("offtopic.yaml",
          lambda d: d["groups"].__setitem__("games", [])), "offtopic.yaml", "groups.games"),
    Break("offtopic empty message", _yaml_file("offtopic.yaml",
          lambda d: d["groups"]["games"].append("  ")), "offtopic.yaml", "empty message"),
    Break("offtopic message not text", _yaml_file("offtopic.yaml",
          lambda d: d["groups"]["games"].append({"q": "x"})), "offtopic.yaml", "groups.games"),
    Break("offtopic message twice", _yaml_file("offtopic.yaml",
          lambda d: d["groups"]["pets"].append(d["groups"]["games"][0].upper())),
          "offtopic.yaml", "already listed in groups.games"),
    # progress.yaml
    Break("no progress texts", _delete("progress.yaml"), "progress.yaml", "missing"),
    Break("progress missing key", _yaml_file("progress.yaml", lambda d: d["nudge"].pop("hold")),
          "progress.yaml", "missing key 'nudge.hold'"),
    Break("progress unknown placeholder", _yaml_file("progress.yaml",
          lambda d: d["progress"].__setitem__("streak_many", "Streak: {dayz} days.")),
          "progress.yaml", "progress.streak_many: unknown placeholder {dayz}"),
]  # fmt: skip


@pytest.fixture
def content(tmp_path: Path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(CONTENT_DIR, root)
    return root


def test_the_copy_is_valid_before_breaking(content: Path) -> None:
    assert tuple(load_library(content).units) == UNIT_IDS


def _check_error(content: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """``walkwell check DIR`` on a broken folder: it exits 1 and prints nothing on stdout; its
    stderr."""
    assert cli.main(["check", str(content)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    return err


@pytest.mark.parametrize("case", BREAKS, ids=[b.name for b in BREAKS])
def test_each_broken_edit_names_the_file(
    case: Break, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case.mutate(content)
    expected = content / case.file

    with pytest.raises(ContentError) as caught:
        load_library(content)
    assert caught.value.path == expected
    assert case.reason in caught.value.reason
    assert str(caught.value).startswith(f"{expected}: ")
    assert "\n" not in str(caught.value)
    assert _check_error(content, capsys) == f"error: {expected}: {caught.value.reason}\n"


@pytest.mark.parametrize("case", CHECK_BREAKS, ids=[b.name for b in CHECK_BREAKS])
def test_walkwell_check_covers_every_content_file(
    case: Break, content: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case.mutate(content)
    err = _check_error(content, capsys)
    assert err.startswith(f"error: {content / case.file}: ") and err.count("\n") == 1
    assert case.reason in err


def test_check_on_a_folder_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere"
    with pytest.raises(ContentError) as caught:
        load_library(missing)
    assert caught.value.path == missing
    assert cli.main(["check", str(missing)]) == 1
    assert str(missing) in capsys.readouterr().err


def test_load_library_reads_only_its_files_and_skips_hidden_ones(content: Path) -> None:
    (content / "matching.yaml").write_text("anything: [the engine's file]\n", encoding="utf-8")
    (content / "units" / ".draft.md.swp").write_text("editor swap file", encoding="utf-8")
    assert len(load_library(content).units) == 16
