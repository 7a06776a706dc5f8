"""Text normalisation shared by the answering engine and the red-flag check.

- :func:`normalise`: Unicode folding, lower case, straight apostrophes, contractions expanded,
  chat shorthand rewritten (the rewrite table is content: ``matching.yaml``'s ``rewrites``).
- :func:`stem`: a light suffix stripper, applied the same way to queries and to phrases.
- :func:`question_part`: the question sentence(s) of a message that also tells a story.
- :class:`Speller`: word-level typo correction with rapidfuzz (Damerau/OSA distance) against the
  domain vocabulary; words the tokenizer knows as ordinary English are left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.content import load_matching

#: Longest input the engine looks at (characters); the rest is ignored.
MAX_CHARS = 2000

_WORD_RE = re.compile(r"[a-z0-9]+")
_DIGIT_ALPHA_RE = re.compile(r"(?<=[0-9])(?=[a-z])|(?<=[a-z])(?=[0-9])")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})
_CONTRACTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"\bcan't\b", "cannot"),
        (r"\bwon't\b", "will not"),
        (r"\bshan't\b", "shall not"),
        (r"\bain't\b", "is not"),
        (r"n't\b", " not"),
        (r"'re\b", " are"),
        (r"'ve\b", " have"),
        (r"'ll\b", " will"),
        (r"'d\b", " would"),
        (r"\bi'm\b", "i am"),
        (r"'s\b", ""),
        (r"s'\B", "s"),
    )
)


def fold(text: str) -> str:
    """NFKC, accents stripped, lower case, straight apostrophes, capped at MAX_CHARS."""
    text = unicodedata.normalize("NFKD", text[: MAX_CHARS * 2])
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    return text[:MAX_CHARS]


def expand_contractions(folded: str) -> str:
    """Contractions of folded text expanded ("can't" -> "cannot", "i'm" -> "i am")."""
    for pattern, repl in _CONTRACTIONS:
        folded = pattern.sub(repl, folded)
    return folded


def normalise(text: str, rewrites: Mapping[str, str] | None = None) -> str:
    """Folded text with contractions expanded and shorthand rewritten, words joined by spaces."""
    text = expand_contractions(fold(text))
    rewrites = rewrites or {}
    out: list[str] = []
    for t in _WORD_RE.findall(text.replace("'", "")):
        r = rewrites.get(t)
        if r is not None:
            out.extend(r.split())
        elif t.isalnum() and not t.isalpha() and not t.isdigit():
            for part in _DIGIT_ALPHA_RE.sub(" ", t).split():  # "8kg" -> "8 kg"
                r = rewrites.get(part)
                out.extend(r.split() if r is not None else [part])
        else:
            out.append(t)
    return " ".join(out)


_VOWELS = set("aeiouy")


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A light, consistent suffix stripper (steps/stepping/stepped -> step, lose/losing -> los)."""
    w = _strip_suffix(word)
    if len(w) >= 4 and w.endswith("e") and w[-2] not in _VOWELS:
        w = w[:-1]
    return w


def _strip_suffix(w: str) -> str:
    if len(w) <= 3 or not w.isalpha():
        return w
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith("sses"):
        return w[:-2]
    for suf in ("ing", "ed"):
        if w.endswith(suf) and len(w) - len(suf) >= 3:
            base = w[: -len(suf)]
            if not any(c in _VOWELS for c in base):
                return w
            if len(base) >= 4 and base[-1] == base[-2] and base[-1] not in "lszaeiouy":
                base = base[:-1]
            return base
    if w.endswith("es") and len(w) > 4 and w[-3] in "sxz":
        return w[:-2]
    if w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        return w[:-1]
    return w


class Speller:
    """Corrects out-of-vocabulary words to the nearest domain word (typos like "cadance").

    A word is left alone when it is a domain word, a common English word (the tokenizer's whole
    words), short (< 5 letters), or has no domain word within a small edit distance.
    """

    def __init__(self, domain: Iterable[str], common: Iterable[str] = ()) -> None:
        self.domain = sorted({w for w in domain if w.isalpha() and len(w) >= 3})
        self._domain_set = frozenset(self.domain)
        self._common = frozenset(common)
        self._cache: dict[str, str] = {}

    def correct(self, word: str) -> str:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        out = self._correct(word)
        if len(self._cache) < 50_000:
            self._cache[word] = out
        return out

    def _correct(self, word: str) -> str:
        if (
            len(word) < 5
            or not word.isalpha()
            or word in self._domain_set
            or word in self._common
            or not self.domain
        ):
            return word
        max_dist = 1 if len(word) <= 5 else 2
        best = process.extractOne(
            word, self.domain, scorer=OSA.distance, score_cutoff=max_dist, processor=None
        )
        if best is None:
            return word
        cand, dist, _ = best
        # Two edits on a short word is a different word, not a typo.
        if dist == 2 and min(len(cand), len(word)) < 7:
            return word
        if dist > 0 and cand[0] != word[0] and len(word) < 7:
            return word
        return str(cand)

    def correct_all(self, tokens: Iterable[str]) -> list[str]:
        return [self.correct(t) for t in tokens]


class Analysed:
    """One message, analysed once and shared by the red-flag check and the matcher."""

    __slots__ = ("alt", "corrected", "norm", "stems", "tokens")

    def __init__(self, norm: str, tokens: list[str], corrected: list[str]) -> None:
        self.norm = norm  # normalised text (shorthand rewritten), before typo correction
        self.tokens = tokens  # its words
        self.corrected = corrected  # words after typo correction
        self.stems = [stem(t) for t in corrected]
        #: the message after the second pass (look-alike letters, digits for letters, glued or
        #: spaced-out words...), when that changed its words; only the red-flag check reads it
        self.alt: Analysed | None = None

    @property
    def corrected_text(self) -> str:
        return " ".join(self.corrected)


class Analyzer:
    """normalise -> words -> typo correction -> stems, with one shared rewrite table and speller."""

    def __init__(
        self,
        rewrites: Mapping[str, str] | None = None,
        domain: Iterable[str] = (),
        common: Iterable[str] = (),
        respell: Callable[[str], str] | None = None,
    ) -> None:
        self.rewrites = dict(rewrites or {})
        self.speller = Speller(domain, common)
        #: the second normalisation pass (:class:`knowledge.spelling.Respeller`), if any
        self.respell = respell

    def analyse(self, text: str) -> Analysed:
        a = self._analyse(text)
        if self.respell is not None:
            again = self.respell(text)
            if again != a.norm:
                alt = self._analyse(again)
                if alt.stems != a.stems:
                    a.alt = alt
        return a

    def _analyse(self, text: str) -> Analysed:
        norm = normalise(text, self.rewrites)
        toks = norm.split()
        corrected = self.speller.correct_all(toks)
        # A corrected word can be shorthand too ("pls" is not, "plz" -> "pls"): rewrite again.
        if corrected != toks and self.rewrites:
            fixed: list[str] = []
            for t in corrected:
                r = self.rewrites.get(t)
                fixed.extend(r.split() if r else ([] if r == "" else [t]))
            corrected = fixed
        return Analysed(norm, toks, corrected)


# --- the question sentence(s) of a longer message ----------------------------------------------

_CHAT_SENTENCE_RE = re.compile(r"(?<=[.!?])\s+|(?<=[.!?])(?=[A-Z])|\n+|\s+-\s+|\s*[;:]\s+")
_QUESTION_START = frozenset(
    "how what whats what's which when where who why is are am was were do does did can could "
    "should shall will would may might any anyone anything tips advice help wondering wonder "
    "curious".split()
)


#: a question sentence of fewer words than this reads the sentence before it too
SHORT_QUESTION = 5


_BACK_PRONOUNS = frozenset({"them", "these", "those", "they"})
#: "it" after these is usually no reference ("is it ok to...", "does it matter")
_DUMMY_IT_AFTER = frozenset("is was isn't would will does did can could should make makes".split())


def _points_back(sentence: str) -> bool:
    """True when a question refers to something named before it ("take it", "are they")."""
    words = re.findall(r"[a-z']+", sentence.lower())
    for i, w in enumerate(words):
        if w in _BACK_PRONOUNS:
            return True
        if w == "it" and i > 0 and words[i - 1] not in _DUMMY_IT_AFTER:
            return True
    return False


def question_part(text: str) -> str | None:
    """The question sentence(s) of a message that also tells a story; None when the message is
    one sentence, all questions, or holds no recognisable question.

    A question sentence ends in "?" or starts with a question word ("how", "should", "is"...).
    Only the last run of question sentences counts ("...? i did X. what about Y?" -> "what about
    Y?" and anything after it).
    """
    parts = [p.strip() for p in _CHAT_SENTENCE_RE.split(text.strip()) if p and p.strip()]
    if len(parts) < 2:
        return None
    flags = []
    for p in parts:
        words = re.findall(r"[a-z']+", p.lower())
        flags.append(p.rstrip().endswith("?") or bool(words and words[0] in _QUESTION_START))
    if not any(flags) or all(flags):
        return None
    last = max(i for i, f in enumerate(flags) if f)
    first = last
    while first > 0 and flags[first - 1]:
        first -= 1
    # A short question ("does that matter?"), or one that points back ("can I take it with
    # coffee?"), leans on the sentence before it.
    focus_words = " ".join(parts[first : last + 1]).split()
    if first > 0 and (len(focus_words) < SHORT_QUESTION or _points_back(parts[first])):
        first -= 1
    focus = " ".join(parts[first : last + 1])
    return focus if len(focus.split()) >= 2 else None


@lru_cache(maxsize=1)
def load_rewrites() -> dict[str, str]:
    """The shorthand rewrite table (``rewrites`` in matching.yaml): "u" -> "you", "cant" -> ..."""
    raw = load_matching().get("rewrites") or {}
    return {str(k).lower(): str(v or "").lower() for k, v in raw.items()}
