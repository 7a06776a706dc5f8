"""``/guide`` autocomplete: the units whose id, title or alias matches what someone has typed."""

from __future__ import annotations

from rapidfuzz import fuzz, process

from knowledge.models import Library, Unit


class TopicFinder:
    """Built once per library; :meth:`find` is cheap enough for every keystroke (~0.3 ms)."""

    def __init__(self, library: Library) -> None:
        self.units = list(library.units.values())
        self.choices: list[tuple[str, int]] = [
            (name.casefold(), i)
            for i, u in enumerate(self.units)
            for name in (u.id, u.id.replace("_", " "), u.title, *u.aliases)
        ]
        self.names = [name for name, _ in self.choices]

    def find(self, partial: str, limit: int = 25) -> list[Unit]:
        """Best first: names starting with ``partial``, then containing it, then fuzzy matches
        (typos, partial words); an empty ``partial`` gives every unit in guide order."""
        q = " ".join((partial or "").casefold().split())[:100]
        if not q:
            return self.units[:limit]
        best: dict[int, float] = {}
        for name, i in self.choices:
            if name.startswith(q):
                s = 200.0 - len(name) / 10
            elif q in name:
                s = 150.0 - len(name) / 10
            else:
                continue
            if s > best.get(i, -1.0):
                best[i] = s
        # typos and partial words, scored in C by rapidfuzz
        for _, score, k in process.extract(
            q, self.names, scorer=fuzz.WRatio, score_cutoff=70, limit=None
        ):
            i = self.choices[k][1]
            if score > best.get(i, -1.0):
                best[i] = float(score)
        ranked = sorted(best, key=lambda i: (-best[i], i))
        return [self.units[i] for i in ranked[:limit]]
