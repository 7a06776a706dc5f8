"""The second normalisation pass: spellings that hide a word from a word-by-word reading.

The red-flag check reads a message twice: as written (:class:`knowledge.text.Analyzer`), and after
this pass, which undoes the ways people (or their keyboards) disguise words:

- look-alike letters of other alphabets (Cyrillic "а", Greek "ο") read as the Latin ones, in a word
  made only of Latin and look-alike letters;
- digits (and ``@``, ``$``) read as letters, only inside a token that mixes letters and digits and
  only when that gives a known word ("k1ll" -> "kill", "bl00d" -> "blood"; never "30min", "8kg",
  "5k", "2nd");
- runs of three or more of a letter collapsed ("paaaain" -> "pain", "bladdder" -> "bladder");
- a glued token split into two known words when one is a domain or red-flag word
  ("chestpain" -> "chest pain");
- single letters spaced out joined, then cut into known words ("c h e s t  p a i n" -> "chest
  pain", "n.u.m.b" -> "numb").

"Known" means a domain word (the guide's matching and red-flag vocabulary) or a whole word of the
tokenizer's English vocabulary. The pass returns text; the analyzer reads it like any message.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

from knowledge.text import expand_contractions, fold

#: Cyrillic and Greek letters (lower case, as :func:`fold` leaves them) that look like Latin ones.
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r",
    "ѕ": "s", "т": "t", "џ": "u", "ѵ": "v", "ԝ": "w", "ѡ": "w", "х": "x", "у": "y", "ү": "y",
    "ь": "b", "п": "n", "и": "u", "л": "n",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "μ": "u", "ς": "s", "σ": "o", "δ": "d",
}  # fmt: skip

#: Digits and symbols read as letters inside a token that mixes them with letters.
LEET: dict[str, tuple[str, ...]] = {
    "0": ("o",), "1": ("i", "l"), "3": ("e",), "4": ("a",), "5": ("s",), "6": ("b", "g"),
    "7": ("t",), "8": ("b",), "9": ("g",), "@": ("a",), "$": ("s",), "!": ("i", "l"),
    "|": ("l", "i"), "2": ("z",),
}  # fmt: skip

#: A number followed by one of these is a quantity, never a disguised word.
UNITS = frozenset(
    "k km kms m mi mile miles min mins minute minutes h hr hrs hour hours s sec secs kg kgs "
    "g lb lbs st stone ft cm mm x am pm nd rd th yo yr yrs y d days wk wks w mph kph bpm "
    "kcal cal steps step reps rep sets set ml l".split()
)

#: Short words a split or a join may produce (the tokenizer knows every pair of letters).
SHORT_WORDS = frozenset(
    "a i am an as at be by do go he if in is it me my no of oh ok on or so to up us we bm".split()
)

_TOKEN_RE = re.compile(r"[a-z0-9@$!|]+")
_RUN_RE = re.compile(r"([a-z])\1{2,}")
_CONFUSABLE_WORD_RE = re.compile(r"\w+")
#: the most digit/symbol positions tried in one token (each has up to two readings)
_MAX_LEET = 6


class Respeller:
    """The second pass over one message: ``Respeller(domain, common)(text) -> text``."""

    def __init__(self, domain: Iterable[str], common: Iterable[str] = ()) -> None:
        self.domain = frozenset(w for w in domain if w.isalpha() and len(w) >= 3) | SHORT_WORDS
        self.known = frozenset(w for w in common if len(w) >= 3) | self.domain
        self._cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        folded = expand_contractions(_unconfuse(fold(text)))
        tokens = [self._token(t) for t in _TOKEN_RE.findall(folded.replace("'", ""))]
        return " ".join(self._join_spaced(tokens))

    # -- one token -----------------------------------------------------------------------------
    def _token(self, tok: str) -> str:
        hit = self._cache.get(tok)
        if hit is None:
            hit = self._respell(tok)
            if len(self._cache) < 50_000:
                self._cache[tok] = hit
        return hit

    def _respell(self, tok: str) -> str:
        if tok.isdigit() or len(tok) == 1:
            return tok
        if not tok.isalpha():
            return self._unleet(tok)
        if tok in self.known:
            return tok
        word = self._collapse(tok)
        if word in self.known:
            return word
        return self._split(word) or word

    def _collapse(self, tok: str) -> str:
        """Runs of three or more of a letter: two if that is a word, else one, else two."""
        if not _RUN_RE.search(tok):
            return tok
        two = _RUN_RE.sub(r"\1\1", tok)
        if two in self.known:
            return two
        one = _RUN_RE.sub(r"\1", tok)
        if one in self.known:
            return one
        return two

    def _unleet(self, tok: str) -> str:
        letters = tok.strip("@$!|")
        if letters.isalpha() or not letters:
            return letters or tok  # "help!" -> "help"
        if _is_quantity(letters):
            return tok
        spots = [i for i, c in enumerate(letters) if c in LEET]
        if len(spots) > _MAX_LEET or not any(c.isalpha() for c in letters):
            return tok
        for choice in itertools.product(*(LEET[letters[i]] for i in spots)):
            chars = list(letters)
            for i, c in zip(spots, choice, strict=True):
                chars[i] = c
            word = self._collapse("".join(chars))
            if not word.isalpha():
                continue
            if word in self.known and (len(word) >= 4 or word in self.domain):
                return word
            parts = self._split(word)
            if parts is not None:
                return parts
        return tok

    def _split(self, word: str) -> str | None:
        """A glued token as two known words, one of them a domain word ("numbgroin")."""
        if len(word) < 5:
            return None
        best: tuple[int, str] | None = None
        for i in range(1, len(word)):
            left, right = word[:i], word[i:]
            if not (self._piece(left) and self._piece(right)):
                continue
            if left not in self.domain and right not in self.domain:
                continue
            score = max(
                len(left) if left in self.domain else 0, len(right) if right in self.domain else 0
            )
            if best is None or score > best[0]:
                best = (score, f"{left} {right}")
        return best[1] if best else None

    def _piece(self, w: str) -> bool:
        return w in self.known or w in SHORT_WORDS

    # -- spaced-out letters ----------------------------------------------------------------------
    def _join_spaced(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            j = i
            while j < len(tokens) and len(tokens[j]) == 1 and tokens[j].isalpha():
                j += 1
            if j - i >= 3:
                words = self._segment("".join(tokens[i:j]))
                out.extend(words if words is not None else tokens[i:j])
                i = j
            else:
                out.append(tokens[i])
                i += 1
        return out

    def _segment(self, letters: str) -> list[str] | None:
        """The fewest known words that make up `letters` (None when there is no such cut)."""
        n = len(letters)
        if n > 60:
            return None
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - 20), end):
                prev = best[start]
                piece = letters[start:end]
                if prev is None or not self._piece(piece):
                    continue
                if best[end] is None or len(prev) + 1 < len(best[end] or ()):
                    best[end] = [*prev, piece]
        return best[n]


def _is_quantity(tok: str) -> bool:
    """30min, 8kg, 5k, 2nd, 10000steps, 3x: a number and a unit."""
    m = re.fullmatch(r"(\d+)([a-z]*)", tok)
    return m is not None and (not m.group(2) or m.group(2) in UNITS)


def _unconfuse(text: str) -> str:
    """Words written only in Latin and look-alike letters, read as Latin."""
    if all(ord(c) < 0x370 for c in text):
        return text
    return _CONFUSABLE_WORD_RE.sub(_unconfuse_word, text)


def _unconfuse_word(m: re.Match[str]) -> str:
    word = m.group(0)
    if not any(c in CONFUSABLES for c in word):
        return word
    if all(c in CONFUSABLES or c.isascii() for c in word):
        return "".join(CONFUSABLES.get(c, c) for c in word)
    return word
