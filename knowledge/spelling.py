"""The second normalisation pass: spellings that hide a word from a word-by-word reading.

The red-flag check reads a message twice: as written (:class:`knowledge.text.Analyzer`), and after
this pass, which undoes the ways people (or their keyboards) disguise words:

- look-alike letters of other alphabets (Cyrillic "а", Greek "ο") read as the Latin ones, in a word
  made only of Latin (accented or full-width too) and look-alike letters;
- digits (and ``@``, ``$``) read as letters, only inside a token that mixes letters and digits and
  only when that gives a known word ("k1ll" -> "kill", "bl00d" -> "blood"; never "30min", "8kg",
  "5k", "2nd");
- runs of three or more of a letter collapsed ("paaaain" -> "pain", "bladdder" -> "bladder");
- a glued token split into two known words when one is a domain or red-flag word
  ("chestpain" -> "chest pain"), or else into three to five known words, one a domain word of
  three letters or more ("wanttodie" -> "want to die");
- invisible characters inside a word dropped, and a capital I inside a lower-case word read as an
  l ("bIadder");
- single letters spaced out joined, then cut into known words ("c h e s t  p a i n" -> "chest
  pain", "n.u.m.b" -> "numb").

"Known" means a domain word (the guide's matching and red-flag vocabulary) or a whole word of the
tokenizer's English vocabulary. The pass returns text; the analyzer reads it like any message.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
from collections.abc import Iterable

from knowledge.text import MAX_CHARS, expand_contractions, fold

#: Cyrillic and Greek letters that look like Latin ones (read before lower-casing: a capital Greek
#: nu is an N, a small one a v).
CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i",
    "ј": "j", "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r",
    "ѕ": "s", "т": "t", "џ": "u", "ѵ": "v", "ԝ": "w", "ѡ": "w", "х": "x", "у": "y", "ү": "y",
    "ь": "b", "п": "n", "и": "u", "л": "n",
    "А": "A", "В": "B", "С": "C", "Е": "E", "Ё": "E", "Н": "H", "І": "I", "Ј": "J", "К": "K",
    "М": "M", "О": "O", "Р": "P", "Ѕ": "S", "Т": "T", "Х": "X", "У": "Y", "Ү": "Y", "Ԝ": "W",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "μ": "u", "ς": "s", "σ": "o", "δ": "d",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
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
    "g lb lbs st stone ft cm mm x am pm yo yr yrs y d days wk wks w mph kph bpm "
    "kcal cal steps step reps rep sets set ml l".split()
)

#: The ordinal ending after a last digit ("1st", "22nd", "13th"); "3nd" is no ordinal.
ORDINALS = {"1": "st", "2": "nd", "3": "rd"}

#: Short words a split or a join may produce (the tokenizer knows every pair of letters).
SHORT_WORDS = frozenset(
    "a i am an as at be by do go he if in is it me my no of oh ok on or so to up us we bm "
    "lol tbh ngl idk imo omg lmao".split()
)

_TOKEN_RE = re.compile(r"[a-z0-9@$!|]+")
_RUN_RE = re.compile(r"([a-z])\1{2,}")
_WORD_RE = re.compile(r"\w+")
#: zero-width and other invisible characters slipped inside a word ("k\u200bill")
_INVISIBLE_RE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
#: a capital I inside a lower-case word is an l ("bIadder")
_CAPITAL_I_RE = re.compile(r"(?<=[a-z])I(?=[a-z])")
#: the most readings of one token's digits and symbols tried (each has one or two)
_MAX_READINGS = 256
#: the most readings of a spaced-out run tried (each is cut into words)
_MAX_RUN_READINGS = 16


class Respeller:
    """The second pass over one message: ``Respeller(domain, common)(text) -> text``."""

    def __init__(
        self, domain: Iterable[str], common: Iterable[str] = (), shorthand: Iterable[str] = ()
    ) -> None:
        """`domain`: the guide's and the red-flag words; `common`: ordinary English words;
        `shorthand`: chat words the analyzer rewrites ("bc", "cant"), known at any length."""
        self.domain = frozenset(w for w in domain if w.isalpha() and len(w) >= 3) | SHORT_WORDS
        short = frozenset(w for w in shorthand if w.isalpha())
        self.known = frozenset(w for w in common if len(w) >= 3) | self.domain | short
        self._short = SHORT_WORDS | short
        self._cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        text = _INVISIBLE_RE.sub("", text[: MAX_CHARS * 2])
        text = _CAPITAL_I_RE.sub("l", text)
        folded = expand_contractions(fold(self._unconfuse(text)))
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
        split = self._split(word, many=True)
        if split is None:
            return word
        # a part neither known nor a domain word may itself be two glued words, one misspelled
        # ("chsetpainafter" -> "chsetpain after" -> "chset pain after")
        return " ".join(
            p if self._piece(p) or len(p) < 6 else (self._split(p) or p) for p in split.split()
        )

    def _collapse(self, tok: str) -> str:
        """Runs of three or more of a letter cut to a domain word, else a known word (two letters
        first, then one: "bladdder" -> "bladder", "booooth" -> "both", "paaain" -> "pain"), else
        to two letters."""
        if not _RUN_RE.search(tok):
            return tok
        two = _RUN_RE.sub(r"\1\1", tok)
        one = _RUN_RE.sub(r"\1", tok)
        for vocab in (self.domain, self.known):
            for cand in (two, one):
                if cand in vocab:
                    return cand
        return two

    def _unleet(self, tok: str) -> str:
        """Digits and symbols read as letters: the whole token first ("@cc!dent", "fee|"), then
        without symbols at its ends ("help!" -> "help")."""
        letters = tok.strip("@$!|")
        if is_quantity(letters):
            return tok
        if letters != tok:
            # symbols at the ends: kept only when that gives a domain word ("fee|", not "so!")
            vocabs = (self.domain,) if letters.isalpha() else (self.domain, self.known)
            word = self._read_leet(tok, splits=False, vocabs=vocabs)
            if word is not None:
                return word
        if letters.isalpha() or not letters:
            return letters or tok
        return self._read_leet(letters, splits=True) or tok

    def _read_leet(
        self, letters: str, splits: bool, vocabs: tuple[frozenset[str], ...] = ()
    ) -> str | None:
        words = _readings(letters)
        # a domain word first ("f411" is "fall" before "fail"), then any known word, as written
        # and then with stretched letters cut; then two glued words
        for candidates in (words, [self._collapse(w) for w in words]):
            for vocab in vocabs or (self.domain, self.known):
                for word in candidates:
                    if word in vocab and (len(word) >= 3 or word in self.domain):
                        return word
        if not splits:
            return None
        for word in words:
            parts = self._split(self._collapse(word))
            if parts is not None:
                return parts
        return None

    def _split(self, word: str, many: bool = False) -> str | None:
        """A glued token as two known words, one of them a domain word ("numbgroin"); failing
        that (with `many`), three to five known words (see _split_many); failing that, a domain
        word of four letters or more and three letters or more that the speller may correct
        ("chsetpain" -> "chset pain")."""
        if len(word) < 4:
            return None
        best: tuple[int, bool, int, int, str] | None = None
        for i in range(1, len(word)):
            left, right = word[:i], word[i:]
            in_domain = [len(p) for p in (left, right) if p in self.domain and p not in SHORT_WORDS]
            if not in_domain:
                continue
            if self._piece(left) and self._piece(right):
                clean = 1
            elif max(in_domain) >= 4 and min(len(left), len(right)) >= 3:
                clean = 0
            else:
                continue
            # clean splits first, then no one-letter part ("it all", not "i tall"), then the
            # longest domain word, then the longer left part
            short = min(len(left), len(right)) >= 2
            score = (clean, short, max(in_domain), len(left), f"{left} {right}")
            if best is None or score > best:
                best = score
        if many and (best is None or not best[0]):
            return self._split_many(word) or (best[-1] if best else None)
        return best[-1] if best else None

    def _split_many(self, word: str) -> str | None:
        """A token of three to five glued words, one of them a domain word of three letters or
        more ("wanttodie" -> "want to die", "cantfeelmylegs" -> "cannot feel my legs")."""
        if not 6 <= len(word) <= 30:
            return None
        words = self._segment(word)
        if words is None or not 3 <= len(words) <= 5:
            return None
        if not any(len(w) >= 3 and w in self.domain for w in words):
            return None
        return " ".join(words)

    def _piece(self, w: str) -> bool:
        return w in self.known or w in self._short

    # -- look-alike letters ---------------------------------------------------------------------
    def _unconfuse(self, text: str) -> str:
        """Words in Latin and look-alike letters read as Latin; a word made only of look-alike
        letters only when that gives a known word (so Russian stays Russian)."""
        if all(ord(c) < 0x370 for c in text):
            return text
        return _WORD_RE.sub(self._unconfuse_word, text)

    def _unconfuse_word(self, m: re.Match[str]) -> str:
        word = m.group(0)
        if not any(c in CONFUSABLES for c in word):
            return word
        if not all(c in CONFUSABLES or _latin(c) for c in word):
            return word
        latin = "".join(CONFUSABLES.get(c, c) for c in word)
        if any(_latin(c) and c.isalpha() for c in word):
            return latin
        low = self._collapse(latin.lower())
        # a lone look-alike is a letter (spaced out: "t о i l e t")
        return latin if low in self.known or len(word) == 1 else word

    # -- spaced-out letters ----------------------------------------------------------------------
    def _join_spaced(self, tokens: list[str]) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(tokens):
            j = i
            while (
                j < len(tokens)
                and len(tokens[j]) == 1
                and (tokens[j].isalpha() or tokens[j] in LEET)
            ):
                j += 1
            run = "".join(tokens[i:j])
            if j - i >= 3 and sum(c.isalpha() for c in run) >= 2:
                words = self._read_run(run)
                out.extend(words if words is not None else tokens[i:j])
                i = j
            else:
                out.append(tokens[i])
                i += 1
        return out

    def _read_run(self, run: str) -> list[str] | None:
        """Spaced-out characters as the fewest words: digits read as letters, stretched letters
        cut ("t o o o o i l e t" -> "toilet", not "too oil et")."""
        readings = [run] if run.isalpha() else _readings(run)[:_MAX_RUN_READINGS]
        best: tuple[tuple[int, int], list[str]] | None = None
        for reading in readings:
            for cand in dict.fromkeys(
                (reading, _RUN_RE.sub(r"\1\1", reading), _RUN_RE.sub(r"\1", reading))
            ):
                words = self._segment(cand)
                if words is None:
                    continue
                # fewest words, then the most domain words ("both" before "booth")
                score = (len(words), -sum(w in self.domain for w in words))
                if best is None or score < best[0]:
                    best = (score, words)
        return best[1] if best else None

    def _segment(self, letters: str) -> list[str] | None:
        """The fewest known words that make up `letters`, the most domain words (and letters in
        them) among them ("not been able", not "not be enable"); None when there is no such cut."""
        n = len(letters)
        if n > 60:
            return None
        # best[end]: (words, -domain words, one-letter words, -domain letters), the words of the
        # best cut of letters[:end] ("i tripped" before "it ripped", "it all seems" before
        # "i tall seems", "so breathless on" before "so breath lesson")
        best: list[tuple[tuple[int, int, int, int], list[str]] | None] = [None] * (n + 1)
        best[0] = ((0, 0, 0, 0), [])
        for end in range(1, n + 1):
            for start in range(max(0, end - 20), end):
                prev = best[start]
                piece = letters[start:end]
                if prev is None or not self._piece(piece):
                    continue
                (count, domain, ones, chars), words = prev
                ours = piece in self.domain and piece not in SHORT_WORDS
                score = (
                    count + 1,
                    domain - ours,
                    ones + (len(piece) == 1),
                    chars - len(piece) * ours,
                )
                cur = best[end]
                if cur is None or score < cur[0]:
                    best[end] = (score, [*words, piece])
        last = best[n]
        return last[1] if last is not None else None


def _latin(c: str) -> bool:
    """An ASCII character, or a Latin letter with accents ("ó") or in full width ("ｎ")."""
    return c.isascii() or unicodedata.normalize("NFKD", c)[:1].isascii()


def _readings(letters: str) -> list[str]:
    """Every reading of a token's digits and symbols as letters (none past _MAX_READINGS)."""
    spots = [i for i, c in enumerate(letters) if c in LEET]
    options = [LEET[letters[i]] for i in spots]
    if math.prod(len(r) for r in options) > _MAX_READINGS:
        return []
    words: list[str] = []
    for choice in itertools.product(*options):
        chars = list(letters)
        for i, c in zip(spots, choice, strict=True):
            chars[i] = c
        word = "".join(chars)
        if word.isalpha():
            words.append(word)
    return words


def is_quantity(tok: str) -> bool:
    """30min, 8kg, 5k, 2nd, 10000steps, 3x: a number and a unit (or the right ordinal ending)."""
    m = re.fullmatch(r"(\d+)([a-z]*)", tok)
    if m is None:
        return False
    number, unit = m.groups()
    if unit in ("nd", "rd", "th") or (unit == "st" and number[-1] == "1"):
        last = "th" if number[-2:-1] == "1" else ORDINALS.get(number[-1], "th")
        return unit == last
    return not unit or unit in UNITS
