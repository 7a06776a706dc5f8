"""Every sentence the bot says that is not a unit of the guide, in one table.

The content folder may override any of them (``Library.messages``, edited by the same people who
edit the guide, in ``knowledge/content/messages.yaml``); these defaults keep the bot whole when
a key is missing there. Keys are snake_case, as that file requires. Placeholders use
``str.format`` names; an unknown placeholder is left as written instead of failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowledge.models import Library

DEFAULTS: dict[str, str] = {
    # /ask, mentions and DMs (the first two: keys messages.yaml is required to have)
    "not_in_guide": "The guide doesn't cover that. These parts of it may help:",
    "not_in_guide_offtopic": (
        "The guide doesn't cover that: it is about walking techniques for back pain relief. "
        "Try /faq to see the questions it answers, or /guide to open a topic."
    ),
    "not_in_guide_title": "Not in the guide",
    "you_asked": "You asked: {question}",
    "ask_empty": (
        "Ask me anything about walking for back pain, for example: how long should my steps be? "
        "You can also use /guide, /faq, /checklist and /cadence."
    ),
    "seek_care_title": "Please get medical help",
    # /guide and topic buttons
    "guide_unknown": "There is no topic called “{topic}” in the guide.",
    "guide_pick": "Pick a topic from the list as you type, or open one of these:",
    "unit_gone": "That topic is no longer in the guide. Try /guide to see what is.",
    # /faq
    "faq_title": "Frequently asked questions",
    "faq_intro": "Tap a question to read its answer.",
    # /checklist
    "checklist_title": "Before you walk",
    "checklist_intro": "Tick each item as you get ready.",
    "checklist_progress": "{done} of {total} ready",
    "checklist_ready": "All done: you are ready to walk. Start gently and listen to your body.",
    "checklist_expired": "This checklist has expired. Start a new one with /checklist.",
    # /cadence
    "cadence_title": "Cadence: steps per minute",
    "cadence_targets": (
        "The guide's targets: start at {start_low}–{start_high} steps per minute, "
        "then build up to {goal} or more."
    ),
    "cadence_week": (
        "You walk at about {current} steps per minute. This week's target: **{target}** "
        "steps per minute."
    ),
    "cadence_at_goal": (
        "You walk at about {current} steps per minute: you are at the guide's target of "
        "{goal} or more. Keep it there."
    ),
    "cadence_bad_current": (
        "`current` must be a whole number of steps per minute from {low} to {high}."
    ),
    # /reminders and the reminder messages
    "storage_off": "Reminders and the walk log are not available on this bot right now.",
    "reminders_started": "Your daily walk reminder is set.",
    "reminders_stopped": "Your walk reminders are stopped: nothing more will be sent.",
    "reminders_were_off": "Your walk reminders were already off.",
    "reminders_off": "Your walk reminders are off. Start them with /reminders start.",
    "here_needs_server": "`where: here` works in a server channel. Use `where: dm` here.",
    "here_no_permission": (
        "I can't post reminders in this channel (missing: {missing}). Pick another channel, "
        "or use `where: dm`."
    ),
    "status_title": "Your walk reminders",
    "status_time": "Time: **{time}** ({timezone})",
    "status_where": "Where: {where}",
    "where_dm": "a direct message",
    "status_nudges_on": "Weekly progression nudges: on",
    "status_nudges_off": "Weekly progression nudges: off",
    "status_targets": "Week {week} targets: {cadence} steps per minute, {minutes} minutes a day",
    "status_next": "Next reminder: {local}, {stamp} ({relative})",
    "status_snooze": "Snoozed until {at}",
    "reminder_title": "Time for your walk",
    "reminder_snooze_title": "Your snoozed walk reminder",
    "reminder_late": "Sorry, this reminder is late: it was due at {time} and I was offline.",
    "reminder_fallback": (
        "I couldn't post in the channel you chose, so this comes by DM. Your reminders are paused "
        "until you run /reminders start again."
    ),
    "reminder_focus": "Today's focus: **{topic}**",
    "reminder_done_label": "Done",
    "reminder_snooze_label": "Snooze {minutes} min",
    "reminder_stop_label": "Stop reminders",
    "reminder_done": "Well done! Your walk is noted.",
    "reminder_snoozed": "Snoozed: I'll remind you again at {at}. Your daily time stays the same.",
    "reminder_not_yours": "These buttons belong to the person this reminder is for.",
    "nudge_title": "Your walking plan: week {week}",
    # "Was this helpful?" under every answer
    "feedback_prompt": "Was this helpful?",
    "feedback_yes": "Yes",
    "feedback_no": "No",
    "feedback_thanks": "Thanks for your feedback: it helps us improve the guide's answers.",
    "feedback_changed": "Your vote on this answer is changed. Thanks!",
    # /walk log and the Done button's form
    "walk_logged": "Walk logged for **{day}**: {minutes} min.",
    "walk_logged_cadence": "Cadence: {cadence} steps per minute.",
    "walk_logged_pain": "Pain: {pain}/10.",
    "walk_logged_note": "Your note is saved.",
    "walk_zone": "(Your local day, {zone}.)",
    "walk_zone_utc": (
        "(Counted in UTC: set your timezone with /reminders start and your walks count "
        "on your own local days.)"
    ),
    "walk_progress_hint": "See your progress with /progress.",
    "walk_modal_title": "Log your walk",
    "walk_modal_minutes": "Minutes walked",
    "walk_modal_minutes_hint": "e.g. 20",
    "walk_modal_cadence": "Cadence in steps per minute (optional)",
    "walk_modal_cadence_hint": "e.g. 90",
    "walk_modal_pain": "Pain from 0 to 10 (optional)",
    "walk_modal_pain_hint": "0 is none, 10 is the worst",
    "walk_modal_note": "Note (optional)",
    "walk_modal_note_hint": "How did it go?",
    # /progress
    "progress_alt": "Chart of your daily walking minutes, cadence and pain against your targets",
    # /privacy
    "privacy_export": "Here is everything WalkWell stores about you, as a JSON file.",
    "privacy_export_empty": "WalkWell stores nothing about you. The file shows it.",
    "privacy_delete_confirm": (
        "This erases everything WalkWell stores about you: your reminder settings and their "
        "history, your walks, your votes and your questions. Your reminders stop at once. "
        "This cannot be undone."
    ),
    "privacy_delete_button": "Erase my data",
    "privacy_cancel_button": "Cancel",
    "privacy_deleted": (
        "Done: everything WalkWell stored about you is erased, and no more reminders will be sent."
    ),
    "privacy_nothing": "There was nothing stored about you, so nothing was erased.",
    "privacy_cancelled": "Nothing was erased.",
    "privacy_expired": "This confirmation has expired. Run /privacy delete again.",
    "privacy_not_yours": "Only the person who asked can confirm this.",
    # errors
    "error": "Sorry, something went wrong on our side. Error id: `{error_id}`.",
    "error_cooldown": "Slow down a little: try again in {seconds} seconds.",
    "error_not_allowed": "This command cannot be used here.",
    "error_bad_input": "That value is not valid here: check the command's options and try again.",
}


class _KeepMissing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class Texts:
    """The bot's sentences: the content's ``messages`` over :data:`DEFAULTS`."""

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        self._table = {**DEFAULTS, **(overrides or {})}

    @classmethod
    def from_library(cls, library: Library) -> Texts:
        overrides = getattr(library, "messages", None)
        return cls(overrides if isinstance(overrides, Mapping) else None)

    def __call__(self, key: str, **values: Any) -> str:
        template = self._table[key]
        try:
            return template.format_map(_KeepMissing(values))
        except (ValueError, IndexError):  # a stray brace in edited content: show it as written
            return template
