"""Every text key the bot and WalkWell's plan use, the ``{placeholders}`` each may use, and how a
text file is checked against them.

Two content files hold texts (both read by :mod:`knowledge.content`):

- ``messages.yaml``: flat snake_case keys (:data:`MESSAGE_KEYS`), what the bot says around the
  guide. A content folder of one's own may leave any out but :data:`REQUIRED_MESSAGES`: the
  built-in text stands in.
- ``progress.yaml``: dotted keys in sections (``nudge.reasons.pain_high``, :data:`PROGRESS_KEYS`),
  the words of /progress, its chart and the weekly nudge. Every key is required.

A file is rejected (naming the file and the key) when a key is unknown or missing, a text is empty
or too long, or it uses a placeholder its key does not allow.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from knowledge.contentfile import ContentError

_NONE: frozenset[str] = frozenset()


def _p(*names: str) -> frozenset[str]:
    return frozenset(names)


#: ``messages.yaml``: every key, and the placeholders it may use.
MESSAGE_KEYS: dict[str, frozenset[str]] = {
    "disclaimer": _NONE,
    "not_in_guide": _NONE,
    "not_in_guide_offtopic": _NONE,
    "not_in_guide_title": _NONE,
    "you_asked": _p("question"),
    "ask_empty": _NONE,
    "seek_care_title": _NONE,
    "guide_unknown": _p("topic"),
    "guide_pick": _NONE,
    "unit_gone": _NONE,
    "faq_title": _NONE,
    "faq_intro": _NONE,
    "checklist_title": _NONE,
    "checklist_intro": _NONE,
    "checklist_progress": _p("done", "total"),
    "checklist_ready": _NONE,
    "checklist_expired": _NONE,
    "cadence_title": _NONE,
    "cadence_targets": _p("start_low", "start_high", "goal"),
    "cadence_week": _p("current", "target"),
    "cadence_at_goal": _p("current", "goal"),
    "cadence_bad_current": _p("low", "high"),
    "storage_off": _NONE,
    "reminders_started": _NONE,
    "reminders_stopped": _NONE,
    "reminders_were_off": _NONE,
    "reminders_off": _NONE,
    "reminders_paused": _NONE,
    "reminders_paused_dms_blocked": _NONE,
    "reminders_paused_channel_unavailable": _NONE,
    "reminders_paused_invalid_timezone": _NONE,
    "here_needs_server": _NONE,
    "here_no_permission": _p("missing"),
    "status_title": _NONE,
    "status_time": _p("time", "timezone"),
    "status_where": _p("where"),
    "where_dm": _NONE,
    "status_nudges_on": _NONE,
    "status_nudges_off": _NONE,
    "status_targets": _p("week", "cadence", "minutes"),
    "status_next": _p("local", "stamp", "relative"),
    "status_snooze": _p("at"),
    "reminder_title": _NONE,
    "reminder_snooze_title": _NONE,
    "reminder_late": _p("time"),
    "reminder_fallback": _NONE,
    "reminder_focus": _p("topic"),
    "reminder_done_label": _NONE,
    "reminder_snooze_label": _p("minutes"),
    "reminder_stop_label": _NONE,
    "reminder_done": _NONE,
    "reminder_snoozed": _p("at"),
    "reminder_not_yours": _NONE,
    "nudge_title": _p("week"),
    "feedback_prompt": _NONE,
    "feedback_yes": _NONE,
    "feedback_no": _NONE,
    "feedback_thanks": _NONE,
    "feedback_changed": _NONE,
    "walk_logged": _p("day", "minutes"),
    "walk_logged_cadence": _p("cadence"),
    "walk_logged_pain": _p("pain"),
    "walk_logged_note": _NONE,
    "walk_zone": _p("zone"),
    "walk_zone_utc": _NONE,
    "walk_progress_hint": _NONE,
    "walk_modal_title": _NONE,
    "walk_modal_minutes": _NONE,
    "walk_modal_minutes_hint": _NONE,
    "walk_modal_cadence": _NONE,
    "walk_modal_cadence_hint": _NONE,
    "walk_modal_pain": _NONE,
    "walk_modal_pain_hint": _NONE,
    "walk_modal_note": _NONE,
    "walk_modal_note_hint": _NONE,
    "progress_alt": _NONE,
    "privacy_export": _NONE,
    "privacy_export_empty": _NONE,
    "privacy_delete_confirm": _NONE,
    "privacy_delete_button": _NONE,
    "privacy_cancel_button": _NONE,
    "privacy_deleted": _NONE,
    "privacy_nothing": _NONE,
    "privacy_cancelled": _NONE,
    "privacy_expired": _NONE,
    "privacy_not_yours": _NONE,
    "error": _p("error_id"),
    "error_cooldown": _p("seconds"),
    "error_not_allowed": _NONE,
    "error_bad_input": _NONE,
    # ask: uncertain answers offer the runner-ups
    "did_you_mean": _NONE,
    # faults in handlers (botfaults)
    "feedback_unavailable": _NONE,
    # walking club (/club, the walk call and its "I walked" button)
    "club_call_title": _NONE,
    "club_call_focus": _p("topic"),
    "club_call_late": _p("time"),
    "club_call_count": _p("count"),
    "club_week_line": _p("walks", "walkers", "days"),
    "club_week_empty": _NONE,
    "club_summary": _p("walkers", "days", "best_day", "best_count"),
    "club_summary_empty": _NONE,
    "club_walked_label": _NONE,
    "club_walked_thanks": _NONE,
    "club_walked_streak": _p("days"),
    "club_walked_again": _NONE,
    "club_walked_no_call": _NONE,
    "club_needs_server": _NONE,
    "club_not_admin": _NONE,
    "club_no_permission": _p("channel", "missing"),
    "club_role_not_mentionable": _p("role"),
    "club_setup_done": _p("channel", "time", "timezone"),
    "club_stopped": _NONE,
    "club_was_off": _NONE,
    "club_none": _NONE,
    "club_status_title": _NONE,
    "club_status_settings": _p("time", "timezone", "channel"),
    "club_status_role": _p("role"),
    "club_status_next": _p("stamp", "relative"),
    "club_status_stopped": _NONE,
    "club_status_paused_channel_unavailable": _NONE,
    "club_status_paused_bot_removed": _NONE,
    "club_status_today": _p("count"),
    "club_status_week": _p("walks", "walkers", "days"),
    # fair use and channel reminders (trust)
    "ask_too_many": _p("seconds"),
    "here_member_cannot_send": _NONE,
    # answers: medication, injections, surgery and other treatments (engine reason "treatment")
    "not_in_guide_treatment": _NONE,
}

#: ``progress.yaml``: every key, and the placeholders it may use.
PROGRESS_KEYS: dict[str, frozenset[str]] = {
    "progress.chart_title": _p("weeks"),
    "progress.chart_title_one": _NONE,
    "progress.no_walks": _NONE,
    "progress.streak_none": _NONE,
    "progress.streak_one": _NONE,
    "progress.streak_many": _p("days"),
    "progress.week": _p("start", "end", "minutes", "walks", "days"),
    "progress.week_empty": _p("start", "end"),
    "progress.week_cadence": _p("cadence"),
    "progress.week_pain": _p("pain"),
    "progress.targets": _p("cadence", "minutes"),
    "progress.guide": _NONE,
    "chart.minutes_axis": _NONE,
    "chart.minutes_bars": _NONE,
    "chart.minutes_target": _NONE,
    "chart.cadence_axis": _NONE,
    "chart.cadence_line": _NONE,
    "chart.cadence_target": _NONE,
    "chart.pain_axis": _NONE,
    "chart.pain_marks": _NONE,
    "chart.no_walks": _NONE,
    "nudge.step_up": _NONE,
    "nudge.step_up_some": _NONE,
    "nudge.hold": _NONE,
    "nudge.keep": _NONE,
    "nudge.targets": _p("cadence", "minutes"),
    "nudge.always": _NONE,
    "nudge.reasons.no_log": _NONE,
    "nudge.reasons.pain_high": _p("pain"),
    "nudge.reasons.pain_rose": _NONE,
    "nudge.reasons.see_professional": _NONE,
    "nudge.reasons.minutes_met": _p("minutes", "days"),
    "nudge.reasons.minutes_below": _p("minutes", "days"),
    "nudge.reasons.cadence_met": _p("cadence"),
    "nudge.reasons.cadence_below": _p("cadence"),
    "nudge.reasons.cadence_not_logged": _NONE,
    "nudge.reasons.cadence_goal": _p("cadence"),
    "nudge.reasons.minutes_goal": _p("minutes"),
    "nudge.reasons.start_slowly": _NONE,
}

#: Every text key of both files (they never share a key: progress keys are dotted).
TEXT_KEYS: dict[str, frozenset[str]] = {**MESSAGE_KEYS, **PROGRESS_KEYS}

#: Messages the bot relies on; a content folder's ``messages.yaml`` must define each.
REQUIRED_MESSAGES: tuple[str, ...] = ("disclaimer", "not_in_guide", "not_in_guide_offtopic")
#: Discord's limit for a message's content (every message text must fit in one message).
MESSAGE_LIMIT = 2000
#: The longest text ``progress.yaml`` may hold.
PROGRESS_LIMIT = 1000


def parse_texts(
    path: Path,
    data: Any,
    keys: Mapping[str, frozenset[str]],
    *,
    required: tuple[str, ...] | None,
    limit: int,
) -> dict[str, str]:
    """The texts of one parsed file, checked against ``keys`` (``required=None``: all of them).

    Nested mappings are sections: ``{"nudge": {"hold": ...}}`` is the key ``nudge.hold``.
    """
    if not isinstance(data, Mapping):
        raise ContentError(path, "must be a mapping of keys (or sections of keys) to texts")
    flat: dict[str, Any] = {}
    _flatten(data, "", flat)
    unknown = [key for key in flat if key not in keys]
    if unknown:
        raise ContentError(path, f"unknown key '{unknown[0]}'")
    missing = [key for key in (keys if required is None else required) if key not in flat]
    if missing:
        raise ContentError(path, f"missing key '{missing[0]}'")
    texts: dict[str, str] = {}
    for key, value in flat.items():
        if not isinstance(value, str) or not value.strip():
            raise ContentError(path, f"{key}: must be non-empty text")
        text = value.strip()
        if len(text) > limit:
            raise ContentError(path, f"{key}: {len(text)} characters, longer than {limit}")
        _check_placeholders(path, key, text, keys[key])
        texts[key] = text
    return texts


def _flatten(data: Mapping[Any, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, f"{name}.", out)
        else:
            out[name] = value


def _check_placeholders(path: Path, key: str, text: str, allowed: frozenset[str]) -> None:
    try:
        used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:
        raise ContentError(path, f"{key}: bad placeholder ({exc})") from None
    extra = sorted(used - allowed)
    if extra:
        allowed_text = ", ".join(sorted(allowed)) or "none"
        raise ContentError(
            path, f"{key}: unknown placeholder {{{extra[0]}}} (allowed: {allowed_text})"
        )
