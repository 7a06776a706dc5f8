"""Follow-ups in context: a message that replies to one of the bot's answers is read together with
that answer's topic (CONTRACT.md, after the slash-command table).

Which unit an answer was on is read from the answer itself, in this order: its "Was this
helpful?" buttons (``ww:fb:<vote>:<unit>:<key>``), its embed's title, the bold title of a
plain-text answer; and, with storage, the question row kept for its votes (by the id of the
message it answered, :func:`schedules.feedback.store.answer_context`).

How the context is used (:func:`choose`), for a reply that asks something
(:func:`asks_something`: "thanks!" is not a question about the topic): the follow-up is asked on its own and together with the
topic's title and aliases. When it clearly names a topic of its own ("what about on hills?" after a
cadence answer: incline; "and how often?": the guide's how-often answer), that wins; when on its own
it is weak or off-topic ("how do I count them?"), the reading with the topic answers it. Red flags
and "the guide doesn't cover this" (medication, heat or ice...) are never talked over by the
context.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import discord

from bot.ui.render import unit_heading

if TYPE_CHECKING:
    from bot.services import Services
    from knowledge.models import Library, Unit

log = logging.getLogger(__name__)

_FEEDBACK_ID = re.compile(r"^ww:fb:[yn]:(?P<unit>[a-z0-9_]{1,32}):\d{1,20}$")
_BOLD_TITLE = re.compile(r"^\*\*(?P<title>[^*\n]+)\*\*")

#: A follow-up answered on its own at least this confidently has named its own topic.
OWN_TOPIC_SCORE = 0.8
#: ``none`` reasons the context never overrides.
KEEP_NONE = frozenset({"not_covered", "empty"})


def unit_of_answer(library: Library, answer: discord.Message) -> str | None:
    """The unit one of the bot's answers was on, from its buttons, embed or text; None if it was
    not a unit (a seek-care message, a "not in the guide")."""
    for row in answer.components:
        for child in getattr(row, "children", [row]):
            match = _FEEDBACK_ID.match(getattr(child, "custom_id", None) or "")
            if match and match["unit"] in library.units:
                return match["unit"]
    headings = {unit_heading(u): u.id for u in library.units.values()}
    for embed in answer.embeds:
        if embed.title and embed.title in headings:
            return headings[embed.title]
    match = _BOLD_TITLE.match(answer.content or "")
    if match and match["title"] in headings:
        return headings[match["title"]]
    return None


async def _referenced(message: discord.Message) -> discord.Message | None:
    ref = message.reference
    if not isinstance(ref, discord.MessageReference) or ref.message_id is None:
        return None
    resolved = ref.resolved if ref.resolved is not None else ref.cached_message
    if isinstance(resolved, discord.Message):
        return resolved
    if isinstance(resolved, discord.DeletedReferencedMessage):
        return None
    try:  # Discord left it out (too deep, or not cached): ask for it
        return await message.channel.fetch_message(ref.message_id)
    except (discord.HTTPException, AttributeError):
        return None


async def replied_unit(
    library: Library, services: Services, me_id: int, message: discord.Message
) -> str | None:
    """The unit of the bot's answer that ``message`` replies to, or None (not a reply, a reply to
    someone else, or an answer that was not a unit)."""
    answer = await _referenced(message)
    if answer is None or answer.author.id != me_id:
        return None
    unit_id = unit_of_answer(library, answer)
    if unit_id is not None:
        return unit_id
    key = answer.reference.message_id if answer.reference is not None else None
    if services.db is None or key is None:
        return None
    from schedules.feedback.store import answer_context

    try:
        context = await answer_context(services.db, key)
    except Exception:  # storage trouble: answer without context
        log.warning("could not read the context of answer %s", key, exc_info=True)
        return None
    if context is None or context.unit_id not in library.units:
        return None
    return context.unit_id


#: Words a follow-up question may start with when it has no question mark ("and how often",
#: "what about hills", "tell me more").
_OPENERS = frozenset(
    "what how why when where which who whats hows is are am can could should would do does did "
    "will and but so also any too more tell explain".split()
)
_WORD = re.compile(r"[a-z']+")


def asks_something(text: str) -> bool:
    """Whether a reply asks something (then it is read in context); "thanks!" or "ok" is not
    turned into the same answer again."""
    words = _WORD.findall(text.casefold())
    return bool(words) and ("?" in text or words[0].replace("'", "") in _OPENERS)


#: Words that say nothing about a topic: a follow-up made only of these, numbers and the guide's own
#: words is about the answer it replies to.
_FUNCTION_WORDS = frozenset(
    "a about above after again against all also am an and any are as at be because been before "
    "being below between both but by can could did do does doing down during each enough few for "
    "from further had has have having he her here hers him his how i if in into is it its itself "
    "just me more most much my no nor not now of off on once only or other our out over own same "
    "she should so some such than that the their them then there these they this those through "
    "to too under until up very was we were what when where which while who whom why will with "
    "would you your yours ok okay hmm really still yet many lot lots bit better worse best good "
    "bad right wrong fine normal high low long short far fast slow hard easy count counting "
    "measure know tell explain mean means meant thing things way ways one ones day days week "
    "weeks minute minutes times time".split()
)
_TOKEN = re.compile(r"[a-z]+")


def _guide_words(library: Library) -> frozenset[str]:
    words: set[str] = set()
    for unit in library.units.values():
        for text in (unit.body, unit.title, *unit.aliases, unit.question or ""):
            words.update(_TOKEN.findall(text.casefold()))
    return frozenset(words)


_VOCABULARY: dict[int, frozenset[str]] = {}


def new_topic(library: Library, text: str) -> bool:
    """Whether a reply brings in a topic of its own that the guide does not know ("best pizza in
    town?" under a cadence answer): then it is read on its own, never in the answer's context."""
    known = _VOCABULARY.get(id(library))
    if known is None:
        known = _VOCABULARY[id(library)] = _guide_words(library)
    for word in _TOKEN.findall(text.casefold()):
        if word in _FUNCTION_WORDS or word in known or word.rstrip("s") in known:
            continue
        return True
    return False


def with_topic(question: str, unit: Unit) -> str:
    """The follow-up with its topic's words: what the engine is asked for the in-context reading."""
    words = [unit_heading(unit), *unit.aliases[:4]]
    return f"{question} ({'; '.join(words)})"


def choose(alone: Any, together: Any) -> Any:
    """The answer to a follow-up: its reading on its own when that is urgent, not covered, or
    names a topic confidently; else its reading with the topic (when that answers)."""
    if alone.kind == "urgent" or together.kind == "urgent":
        return alone if alone.kind == "urgent" else together
    if alone.kind == "none" and getattr(alone, "reason", "") in KEEP_NONE:
        return alone
    if alone.kind == "answer" and alone.score >= OWN_TOPIC_SCORE:
        return alone
    return together if together.kind == "answer" else alone
