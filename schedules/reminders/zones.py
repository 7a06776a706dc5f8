"""Timezones people can type: exact resolution and fuzzy autocomplete.

- :func:`resolve_timezone` turns what a user typed into a ``ZoneInfo``: an IANA name in any case
  (``europe/berlin``), a common abbreviation (``EST`` -> America/New_York, ``CET``, ``PST``,
  ``UK`` -> Europe/London, ``IST`` -> Asia/Kolkata), a city (``berlin``, ``new york``), a country
  with one zone (``germany``) or a whole-hour offset (``UTC+2``). Anything else raises
  :class:`TimezoneError` with a short ``user_message``.
- :func:`search_timezones` is the autocomplete: up to ``limit`` ``(value, label)`` pairs, best
  first, where ``value`` is an IANA name and ``label`` shows its current local time
  (``"Europe/Berlin — 20:31"``). Fuzzy (rapidfuzz) over IANA names, cities, countries and
  aliases, all precomputed once; a query takes well under 5 ms.

The zones offered are those of the tz database's ``zone.tab`` (one or more per country) plus UTC;
every other name ``zoneinfo`` knows (``US/Eastern``, ``Asia/Calcutta``) still resolves, and is
searchable as a key leading to the zone it links to.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

from rapidfuzz import fuzz, process

from schedules.errors import TimezoneError
from schedules.reminders.timecalc import get_zone

__all__ = ["MAX_ZONE_TEXT", "resolve_timezone", "search_timezones", "zone_label"]

MAX_ZONE_TEXT = 64
_AREAS = (
    "Africa/",
    "America/",
    "Antarctica/",
    "Arctic/",
    "Asia/",
    "Atlantic/",
    "Australia/",
    "Europe/",
    "Indian/",
    "Pacific/",
)

#: Abbreviations, countries and cities people type that are not IANA names (or mean something
#: else there: IANA's ``EST`` is a fixed UTC-5 with no daylight saving).
ALIASES: dict[str, str] = {
    # North America
    "est": "America/New_York",
    "edt": "America/New_York",
    "et": "America/New_York",
    "eastern": "America/New_York",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "ct": "America/Chicago",
    "central": "America/Chicago",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "mt": "America/Denver",
    "mountain": "America/Denver",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "pt": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "akst": "America/Anchorage",
    "akdt": "America/Anchorage",
    "hst": "Pacific/Honolulu",
    "ast": "America/Halifax",
    "adt": "America/Halifax",
    "nst": "America/St_Johns",
    "nyc": "America/New_York",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "washington dc": "America/New_York",
    "philadelphia": "America/New_York",
    "atlanta": "America/New_York",
    "miami": "America/New_York",
    "houston": "America/Chicago",
    "dallas": "America/Chicago",
    "austin": "America/Chicago",
    "minneapolis": "America/Chicago",
    "seattle": "America/Los_Angeles",
    "san francisco": "America/Los_Angeles",
    "la": "America/Los_Angeles",
    "san diego": "America/Los_Angeles",
    "las vegas": "America/Los_Angeles",
    "portland": "America/Los_Angeles",
    "salt lake city": "America/Denver",
    "montreal": "America/Toronto",
    "ottawa": "America/Toronto",
    "calgary": "America/Edmonton",
    # Europe
    "uk": "Europe/London",
    "gb": "Europe/London",
    "britain": "Europe/London",
    "great britain": "Europe/London",
    "england": "Europe/London",
    "scotland": "Europe/London",
    "wales": "Europe/London",
    "bst": "Europe/London",
    "gmt": "Europe/London",
    "ireland": "Europe/Dublin",
    "wet": "Europe/Lisbon",
    "west": "Europe/Lisbon",
    "cet": "Europe/Berlin",
    "cest": "Europe/Berlin",
    "met": "Europe/Berlin",
    "eet": "Europe/Athens",
    "eest": "Europe/Athens",
    "msk": "Europe/Moscow",
    "munich": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "cologne": "Europe/Berlin",
    "barcelona": "Europe/Madrid",
    "milan": "Europe/Rome",
    "geneva": "Europe/Zurich",
    "kiev": "Europe/Kyiv",
    "germany": "Europe/Berlin",
    "spain": "Europe/Madrid",
    "portugal": "Europe/Lisbon",
    "netherlands": "Europe/Amsterdam",
    "holland": "Europe/Amsterdam",
    "russia": "Europe/Moscow",
    "st petersburg": "Europe/Moscow",
    "saint petersburg": "Europe/Moscow",
    "edinburgh": "Europe/London",
    "manchester": "Europe/London",
    # Asia / Oceania / Africa / South America
    "ist": "Asia/Kolkata",
    "india": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata",
    "bombay": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "chennai": "Asia/Kolkata",
    "calcutta": "Asia/Kolkata",
    "pkt": "Asia/Karachi",
    "jst": "Asia/Tokyo",
    "osaka": "Asia/Tokyo",
    "kst": "Asia/Seoul",
    "hkt": "Asia/Hong_Kong",
    "sgt": "Asia/Singapore",
    "china": "Asia/Shanghai",
    "beijing": "Asia/Shanghai",
    "peking": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "guangzhou": "Asia/Shanghai",
    "cst china": "Asia/Shanghai",
    "wib": "Asia/Jakarta",
    "pht": "Asia/Manila",
    "ict": "Asia/Bangkok",
    "saigon": "Asia/Ho_Chi_Minh",
    "gst": "Asia/Dubai",
    "abu dhabi": "Asia/Dubai",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "acst": "Australia/Adelaide",
    "acdt": "Australia/Adelaide",
    "awst": "Australia/Perth",
    "canberra": "Australia/Sydney",
    "nzst": "Pacific/Auckland",
    "nzdt": "Pacific/Auckland",
    "new zealand": "Pacific/Auckland",
    "wellington": "Pacific/Auckland",
    "sast": "Africa/Johannesburg",
    "cape town": "Africa/Johannesburg",
    "wat": "Africa/Lagos",
    "cat": "Africa/Maputo",
    "eat": "Africa/Nairobi",
    "brt": "America/Sao_Paulo",
    "rio": "America/Sao_Paulo",
    "rio de janeiro": "America/Sao_Paulo",
    "art": "America/Argentina/Buenos_Aires",
    "buenos aires": "America/Argentina/Buenos_Aires",
    # UTC
    "utc": "UTC",
    "z": "UTC",
    "zulu": "UTC",
    "universal": "UTC",
    "coordinated universal time": "UTC",
}

#: Shown for an empty query: the zones most people pick.
POPULAR = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Singapore",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Africa/Johannesburg",
)

_OFFSET_RE = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?00)?$")


def _norm(text: str) -> str:
    """Lower case, ``/`` ``_`` ``-`` and runs of spaces to one space."""
    return " ".join(re.sub(r"[/_\-,.]+", " ", text.lower()).split())


def _tz_text(name: str) -> str | None:
    """A text file of the tz database (``zone.tab``, ``tzdata.zi``...), or None."""
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        pass
    for root in zoneinfo.TZPATH:
        path = Path(root) / name
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


@dataclass(frozen=True)
class _Index:
    names: frozenset[str]  # every zone name zoneinfo can load
    by_lower: dict[str, str]  # lower-case name -> name
    offered: tuple[str, ...]  # zones offered in autocomplete
    exact: dict[str, str]  # normalised key -> zone (aliases, cities, unique countries)
    keys: list[str]  # search keys (normalised), parallel to key_zones
    key_zones: list[tuple[str, ...]]


@lru_cache(maxsize=1)
def _index() -> _Index:
    names = frozenset(zoneinfo.available_timezones()) | {"UTC"}
    by_lower = {n.lower(): n for n in names}

    zone_tab = _tz_text("zone.tab") or ""
    countries: dict[str, str] = {}
    for line in (_tz_text("iso3166.tab") or "").splitlines():
        if line and not line.startswith("#") and "\t" in line:
            code, country = line.split("\t")[:2]
            countries[code] = country.strip()
    offered: list[str] = []
    zone_countries: dict[str, list[str]] = {}
    for line in zone_tab.splitlines():
        if not line or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) >= 3 and parts[2] in names:
            offered.append(parts[2])
            zone_countries.setdefault(parts[2], []).append(countries.get(parts[0], ""))
    if not offered:  # no zone.tab: offer every Area/City name
        offered = [n for n in names if n.startswith(_AREAS)]
    offered = sorted(set(offered) | {"UTC"})
    offered_set = set(offered)

    links: dict[str, str] = {}
    for line in (_tz_text("tzdata.zi") or "").splitlines():
        if line.startswith("L "):
            _, target, link = line.split()[:3]
            links[link] = target

    pairs: dict[str, set[str]] = {}

    def add(key: str, zone: str) -> None:
        if key:
            pairs.setdefault(key, set()).add(zone)

    by_country: dict[str, list[str]] = {}
    for zone in offered:
        add(_norm(zone), zone)
        add(_norm(zone.rsplit("/", 1)[-1]), zone)
        for country in zone_countries.get(zone, []):
            if country:
                add(_norm(country), zone)
                by_country.setdefault(_norm(country), []).append(zone)
    for name in names - offered_set:  # legacy names lead to the zone they link to
        target = links.get(name, name)
        if target in offered_set:
            add(_norm(name), target)
    for alias, zone in ALIASES.items():
        add(alias, zone)

    exact: dict[str, str] = {}
    for zone in offered:  # unique city names ("berlin", "new york")
        city = _norm(zone.rsplit("/", 1)[-1])
        if len(pairs.get(city, ())) == 1:
            exact[city] = zone
    for country, zones in by_country.items():
        if len(zones) == 1:
            exact[country] = zones[0]
    exact.update(ALIASES)

    keys = sorted(pairs)
    return _Index(
        names=names,
        by_lower=by_lower,
        offered=tuple(offered),
        exact=exact,
        keys=keys,
        key_zones=[tuple(sorted(pairs[k])) for k in keys],
    )


def resolve_timezone(text: str) -> ZoneInfo:
    """The zone a user means, or :class:`TimezoneError`. See the module docstring for forms."""
    if not isinstance(text, str) or not text.strip():
        raise TimezoneError("Please give a timezone, e.g. Europe/Berlin or America/New_York.")
    raw = text.strip()
    if len(raw) > MAX_ZONE_TEXT:
        raise TimezoneError("That timezone is too long. Pick one from the list.")
    idx = _index()
    key = _norm(raw)
    name = idx.exact.get(key) or idx.by_lower.get(raw.lower().replace(" ", "_"))
    if name is None:
        offset = _OFFSET_RE.match(raw.lower())
        if offset is not None:
            hours = int(offset.group(2))
            if hours == 0:
                name = "UTC"
            elif hours <= (14 if offset.group(1) == "+" else 12):
                # POSIX sign convention: Etc/GMT-2 is two hours AHEAD of UTC.
                name = f"Etc/GMT{'-' if offset.group(1) == '+' else '+'}{hours}"
    if name is None or name not in idx.names:
        raise TimezoneError(
            "I don't know that timezone. Pick one from the list, or type a name like "
            "Europe/Berlin or America/New_York."
        )
    try:
        return get_zone(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - broken tzdata
        raise TimezoneError("That timezone is not available on this server.") from exc


def zone_label(name: str, now: datetime) -> str:
    """``"Europe/Berlin — 20:31"``: the zone with its current local time (max 100 chars)."""
    local = now.astimezone(get_zone(name))
    return f"{name} — {local:%H:%M}"[:100]


def search_timezones(query: str, now: datetime, limit: int = 25) -> list[tuple[str, str]]:
    """Autocomplete: up to ``limit`` ``(iana_name, label)`` pairs, best match first.

    ``now`` (timezone-aware) is the instant the labels show. An empty query lists popular zones.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    limit = max(1, min(limit, 25))
    idx = _index()
    query = _norm(query or "")[:MAX_ZONE_TEXT]
    if not query:
        chosen: Iterable[str] = POPULAR[:limit]
    else:
        scores: dict[str, float] = {}
        for key, score, pos in process.extract(
            query, idx.keys, scorer=fuzz.WRatio, limit=None, score_cutoff=60
        ):
            if key == query:
                score += 100
            elif key.startswith(query):
                score += 50 - min(len(key) - len(query), 20)
            elif f" {query}" in f" {key}":  # a whole-word prefix inside the key
                score += 20
            for zone in idx.key_zones[pos]:
                if score > scores.get(zone, -1.0):
                    scores[zone] = score
        exact = idx.exact.get(query)
        if exact is not None:
            scores[exact] = scores.get(exact, 0.0) + 1000
        chosen = sorted(scores, key=lambda z: (-scores[z], z))[:limit]
    return [(zone, zone_label(zone, now)) for zone in chosen]
