"""Discord's documented limits, checked the way Discord checks them (400, code 50035).

Each ``check_*`` returns a list of :class:`Violation`; the REST layer turns a non-empty list into
``400 {"code": 50035, "message": "Invalid Form Body", "errors": {...}}`` like Discord does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
ACTION_ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
BUTTON_LABEL_MAX = 80
CUSTOM_ID_MAX = 100
SELECT_OPTIONS_MAX = 25
SELECT_TEXT_MAX = 100
SELECT_PLACEHOLDER_MAX = 150
V2_COMPONENTS_MAX = 40
V2_TEXT_TOTAL_MAX = 4000
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
COMMAND_NAME_MAX = 32
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
COMMAND_TOTAL_CHARS_MAX = 4000
GLOBAL_CHAT_COMMANDS_MAX = 100
STRING_OPTION_MAX = 6000

FLAG_COMPONENTS_V2 = 1 << 15


@dataclass(frozen=True)
class Violation:
    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} ({self.code})"


def errors_payload(violations: list[Violation]) -> dict[str, Any]:
    """Discord's nested ``errors`` object for 50035."""
    root: dict[str, Any] = {}
    for v in violations:
        node = root
        for part in v.path.split(".") if v.path else []:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": v.code, "message": v.message})
    return root


def _max_len(out: list[Violation], path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        out.append(Violation(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))


def _max_items(out: list[Violation], path: str, items: list[Any], limit: int) -> None:
    if len(items) > limit:
        out.append(Violation(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."))


def _required(out: list[Violation], path: str, value: Any) -> None:
    if value is None or (isinstance(value, str) and not value.strip()):
        out.append(Violation(path, "BASE_TYPE_REQUIRED", "This field is required"))


def check_message(
    payload: dict[str, Any], *, has_files: bool = False, edit: bool = False
) -> list[Violation]:
    """Content, embeds and components of a message create/edit payload."""
    out: list[Violation] = []
    content = payload.get("content")
    embeds = payload.get("embeds") or []
    components = payload.get("components") or []
    flags = int(payload.get("flags") or 0)
    if content is not None and not isinstance(content, str):
        out.append(Violation("content", "BASE_TYPE_BAD_TYPE", "Must be a string."))
    _max_len(out, "content", content, CONTENT_MAX)
    _max_items(out, "embeds", embeds, EMBEDS_MAX)
    total = 0
    for i, embed in enumerate(embeds):
        p = f"embeds.{i}"
        _max_len(out, f"{p}.title", embed.get("title"), EMBED_TITLE_MAX)
        _max_len(out, f"{p}.description", embed.get("description"), EMBED_DESCRIPTION_MAX)
        fields = embed.get("fields") or []
        _max_items(out, f"{p}.fields", fields, EMBED_FIELDS_MAX)
        for j, f in enumerate(fields):
            _required(out, f"{p}.fields.{j}.name", f.get("name"))
            _required(out, f"{p}.fields.{j}.value", f.get("value"))
            _max_len(out, f"{p}.fields.{j}.name", f.get("name"), EMBED_FIELD_NAME_MAX)
            _max_len(out, f"{p}.fields.{j}.value", f.get("value"), EMBED_FIELD_VALUE_MAX)
            total += len(str(f.get("name") or "")) + len(str(f.get("value") or ""))
        footer = embed.get("footer") or {}
        author = embed.get("author") or {}
        _max_len(out, f"{p}.footer.text", footer.get("text"), EMBED_FOOTER_MAX)
        _max_len(out, f"{p}.author.name", author.get("name"), EMBED_AUTHOR_MAX)
        for text in (
            embed.get("title"),
            embed.get("description"),
            footer.get("text"),
            author.get("name"),
        ):
            total += len(str(text or ""))
    if total > EMBED_TOTAL_MAX:
        out.append(
            Violation(
                "embeds",
                "MESSAGE_EMBEDS_TOO_LONG",
                f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX}",
            )
        )
    if flags & FLAG_COMPONENTS_V2:
        if content:
            out.append(
                Violation(
                    "content",
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    "content not allowed",
                )
            )
        if embeds:
            out.append(
                Violation(
                    "embeds",
                    "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                    "embeds not allowed",
                )
            )
        out.extend(_check_v2_components(components))
    else:
        out.extend(_check_legacy_components(components))
    if not edit and not (
        content
        or embeds
        or components
        or has_files
        or payload.get("sticker_ids")
        or payload.get("poll")
    ):
        out.append(Violation("", "EMPTY_MESSAGE", "Cannot send an empty message"))
    return out


def _check_custom_id(out: list[Violation], path: str, comp: dict[str, Any], seen: set[str]) -> None:
    cid = comp.get("custom_id")
    if cid is None:
        return
    if not isinstance(cid, str) or not cid:
        out.append(Violation(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required"))
        return
    _max_len(out, f"{path}.custom_id", cid, CUSTOM_ID_MAX)
    if cid in seen:
        out.append(
            Violation(
                f"{path}.custom_id",
                "COMPONENT_CUSTOM_ID_DUPLICATED",
                "Component custom id cannot be duplicated",
            )
        )
    seen.add(cid)


def _check_button(out: list[Violation], path: str, comp: dict[str, Any], seen: set[str]) -> None:
    _max_len(out, f"{path}.label", comp.get("label"), BUTTON_LABEL_MAX)
    style = comp.get("style")
    if style == 5:
        if not comp.get("url") or comp.get("custom_id"):
            out.append(
                Violation(
                    path,
                    "BUTTON_COMPONENT_URL_REQUIRED",
                    "A link button needs a url and no custom_id",
                )
            )
    elif style == 6:
        if not comp.get("sku_id"):
            out.append(
                Violation(
                    path, "BUTTON_COMPONENT_SKU_ID_REQUIRED", "A premium button needs a sku_id"
                )
            )
    else:
        if not comp.get("custom_id"):
            out.append(
                Violation(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required")
            )
        if comp.get("url"):
            out.append(
                Violation(
                    f"{path}.url",
                    "BUTTON_COMPONENT_URL_NOT_ALLOWED",
                    "Only link buttons have a url",
                )
            )
    if not comp.get("label") and not comp.get("emoji") and style != 6:
        out.append(
            Violation(
                path,
                "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED",
                "A button needs a label or an emoji",
            )
        )
    _check_custom_id(out, path, comp, seen)


def _check_select(out: list[Violation], path: str, comp: dict[str, Any], seen: set[str]) -> None:
    _check_custom_id(out, path, comp, seen)
    if not comp.get("custom_id"):
        out.append(Violation(f"{path}.custom_id", "BASE_TYPE_REQUIRED", "This field is required"))
    _max_len(out, f"{path}.placeholder", comp.get("placeholder"), SELECT_PLACEHOLDER_MAX)
    if comp.get("type") == 3:
        options = comp.get("options") or []
        if not 1 <= len(options) <= SELECT_OPTIONS_MAX:
            out.append(
                Violation(
                    f"{path}.options",
                    "BASE_TYPE_BAD_LENGTH",
                    f"Must be between 1 and {SELECT_OPTIONS_MAX} in length.",
                )
            )
        values: set[str] = set()
        for k, opt in enumerate(options):
            for key in ("label", "value", "description"):
                _max_len(out, f"{path}.options.{k}.{key}", opt.get(key), SELECT_TEXT_MAX)
            _required(out, f"{path}.options.{k}.label", opt.get("label"))
            _required(out, f"{path}.options.{k}.value", opt.get("value"))
            if opt.get("value") in values:
                out.append(
                    Violation(
                        f"{path}.options.{k}.value",
                        "SELECT_COMPONENT_OPTION_VALUE_DUPLICATED",
                        "Select option values must be unique",
                    )
                )
            values.add(str(opt.get("value")))
    lo, hi = comp.get("min_values", 1), comp.get("max_values", 1)
    if not (0 <= lo <= 25 and 1 <= hi <= 25 and lo <= hi):
        out.append(
            Violation(path, "SELECT_COMPONENT_BAD_VALUES", "min_values/max_values out of range")
        )


def _check_legacy_components(components: list[dict[str, Any]]) -> list[Violation]:
    out: list[Violation] = []
    _max_items(out, "components", components, ACTION_ROWS_MAX)
    seen: set[str] = set()
    for i, row in enumerate(components):
        path = f"components.{i}"
        if row.get("type") != 1:
            out.append(
                Violation(
                    f"{path}.type",
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "Top-level components must be action rows",
                )
            )
            continue
        children = row.get("components") or []
        if not children:
            out.append(
                Violation(
                    f"{path}.components",
                    "BASE_TYPE_BAD_LENGTH",
                    "Must be between 1 and 5 in length.",
                )
            )
        selects = [c for c in children if c.get("type") in (3, 5, 6, 7, 8)]
        if selects and len(children) > 1:
            out.append(
                Violation(
                    f"{path}.components",
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "A select menu takes a whole row",
                )
            )
        _max_items(out, f"{path}.components", children, ROW_BUTTONS_MAX)
        for j, comp in enumerate(children):
            cpath = f"{path}.components.{j}"
            if comp.get("type") == 2:
                _check_button(out, cpath, comp, seen)
            elif comp.get("type") in (3, 5, 6, 7, 8):
                _check_select(out, cpath, comp, seen)
            else:
                out.append(
                    Violation(
                        f"{cpath}.type",
                        "UNION_TYPE_CHOICES",
                        f"Component type {comp.get('type')} not allowed in a message row",
                    )
                )
    return out


def _check_v2_components(components: list[dict[str, Any]]) -> list[Violation]:
    out: list[Violation] = []
    seen: set[str] = set()
    count = 0
    text_total = 0

    def walk(items: list[dict[str, Any]], path: str) -> None:
        nonlocal count, text_total
        for i, comp in enumerate(items):
            cpath = f"{path}.{i}"
            count += 1
            ctype = comp.get("type")
            if ctype == 2:
                _check_button(out, cpath, comp, seen)
            elif ctype in (3, 5, 6, 7, 8):
                _check_select(out, cpath, comp, seen)
            elif ctype == 10:
                text_total += len(str(comp.get("content") or ""))
            walk(comp.get("components") or [], f"{cpath}.components")
            if isinstance(comp.get("accessory"), dict):
                walk([comp["accessory"]], f"{cpath}.accessory")

    walk(components, "components")
    if count > V2_COMPONENTS_MAX:
        out.append(
            Violation(
                "components",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {V2_COMPONENTS_MAX} or fewer components in total.",
            )
        )
    if text_total > V2_TEXT_TOTAL_MAX:
        out.append(
            Violation(
                "components",
                "COMPONENT_TEXT_TOO_LONG",
                f"Text displays exceed {V2_TEXT_TOTAL_MAX} characters.",
            )
        )
    return out


def check_choices(choices: Any) -> list[Violation]:
    out: list[Violation] = []
    if not isinstance(choices, list):
        return [Violation("data.choices", "BASE_TYPE_REQUIRED", "This field is required")]
    _max_items(out, "data.choices", choices, CHOICES_MAX)
    _check_choices(out, "data.choices", choices, value_required=True)
    return out


def _check_choices(
    out: list[Violation], path: str, choices: list[Any], *, value_required: bool
) -> None:
    """Each choice's name and string value, for autocomplete results and option choices alike."""
    for i, c in enumerate(choices):
        name = c.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= CHOICE_NAME_MAX:
            out.append(
                Violation(
                    f"{path}.{i}.name",
                    "BASE_TYPE_BAD_LENGTH",
                    f"Must be between 1 and {CHOICE_NAME_MAX} in length.",
                )
            )
        _max_len(out, f"{path}.{i}.value", c.get("value"), CHOICE_VALUE_MAX)
        if value_required and c.get("value") is None:
            out.append(
                Violation(f"{path}.{i}.value", "BASE_TYPE_REQUIRED", "This field is required")
            )


def check_modal(data: dict[str, Any]) -> list[Violation]:
    out: list[Violation] = []
    _required(out, "data.title", data.get("title"))
    _max_len(out, "data.title", data.get("title"), MODAL_TITLE_MAX)
    _required(out, "data.custom_id", data.get("custom_id"))
    _max_len(out, "data.custom_id", data.get("custom_id"), CUSTOM_ID_MAX)
    comps = data.get("components") or []
    if not 1 <= len(comps) <= MODAL_COMPONENTS_MAX:
        out.append(
            Violation(
                "data.components",
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {MODAL_COMPONENTS_MAX} in length.",
            )
        )
    for i, item in enumerate(comps):
        if item.get("type") == 1:
            inner = item.get("components") or []
            label_key = "label"
        elif item.get("type") == 18:
            inner = [item.get("component") or {}]
            label_key = ""
            _max_len(out, f"data.components.{i}.label", item.get("label"), TEXT_INPUT_LABEL_MAX)
        else:
            inner = []
        for comp in inner:
            if comp.get("type") == 4:
                if label_key:
                    _max_len(
                        out, f"data.components.{i}.label", comp.get(label_key), TEXT_INPUT_LABEL_MAX
                    )
                _max_len(out, f"data.components.{i}.value", comp.get("value"), TEXT_INPUT_VALUE_MAX)
                _required(out, f"data.components.{i}.custom_id", comp.get("custom_id"))
    return out


def _check_name(out: list[Violation], path: str, name: Any, *, lower: bool = True) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= COMMAND_NAME_MAX:
        out.append(
            Violation(
                path, "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {COMMAND_NAME_MAX} in length."
            )
        )
        return
    if not all(ch.isalnum() or ch in "-_" for ch in name):
        out.append(Violation(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid"))
    if lower and name != name.lower():
        out.append(
            Violation(path, "APPLICATION_COMMAND_INVALID_NAME", "Command name must be lower case")
        )


def _check_description(out: list[Violation], path: str, text: Any) -> None:
    if not isinstance(text, str) or not 1 <= len(text) <= COMMAND_DESCRIPTION_MAX:
        out.append(
            Violation(
                path,
                "BASE_TYPE_BAD_LENGTH",
                f"Must be between 1 and {COMMAND_DESCRIPTION_MAX} in length.",
            )
        )


def _command_chars(cmd: dict[str, Any]) -> int:
    total = len(cmd.get("name") or "") + len(cmd.get("description") or "")
    for opt in cmd.get("options") or []:
        total += _command_chars(opt)
        for ch in opt.get("choices") or []:
            total += len(str(ch.get("name") or "")) + len(str(ch.get("value") or ""))
    return total


def _check_options(
    out: list[Violation], path: str, options: list[dict[str, Any]], depth: int
) -> None:
    _max_items(out, path, options, COMMAND_OPTIONS_MAX)
    names: set[str] = set()
    seen_optional = False
    kinds = {o.get("type") for o in options}
    if kinds & {1, 2} and kinds - {1, 2}:
        out.append(
            Violation(
                path,
                "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                "Subcommands cannot be mixed with options",
            )
        )
    for i, opt in enumerate(options):
        p = f"{path}.{i}"
        _check_name(out, f"{p}.name", opt.get("name"))
        _check_description(out, f"{p}.description", opt.get("description"))
        name = opt.get("name")
        if name in names:
            out.append(
                Violation(
                    f"{p}.name",
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    f"Option name {name} is already used",
                )
            )
        names.add(str(name))
        otype = opt.get("type")
        if otype in (1, 2):
            if otype == 2 and depth > 0 or otype == 1 and depth > 1:
                out.append(
                    Violation(
                        f"{p}.type",
                        "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                        "Subcommands nest too deep",
                    )
                )
            _check_options(out, f"{p}.options", opt.get("options") or [], depth + 1)
            continue
        if opt.get("required"):
            if seen_optional:
                out.append(
                    Violation(
                        f"{p}.required",
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True
        choices = opt.get("choices") or []
        _max_items(out, f"{p}.choices", choices, CHOICES_MAX)
        if choices and opt.get("autocomplete"):
            out.append(
                Violation(
                    f"{p}.autocomplete",
                    "APPLICATION_COMMAND_AUTOCOMPLETE_CHOICES",
                    "Autocomplete cannot be used with choices",
                )
            )
        _check_choices(out, f"{p}.choices", choices, value_required=False)
        if (
            otype == 3
            and opt.get("max_length") is not None
            and not 1 <= int(opt["max_length"]) <= STRING_OPTION_MAX
        ):
            out.append(
                Violation(
                    f"{p}.max_length",
                    "NUMBER_TYPE_MAX",
                    f"max_length must be 1..{STRING_OPTION_MAX}",
                )
            )


def check_commands(commands: list[dict[str, Any]]) -> list[Violation]:
    """A bulk overwrite (PUT) payload: every command and option, and no two sharing a name."""
    out: list[Violation] = []
    seen: set[tuple[int, str]] = set()
    chat = 0
    for i, cmd in enumerate(commands):
        ctype = int(cmd.get("type", 1))
        p = str(i)
        _check_name(out, f"{p}.name", cmd.get("name"), lower=ctype == 1)
        if ctype == 1:
            chat += 1
            _check_description(out, f"{p}.description", cmd.get("description"))
            _check_options(out, f"{p}.options", cmd.get("options") or [], 0)
            if _command_chars(cmd) > COMMAND_TOTAL_CHARS_MAX:
                out.append(
                    Violation(
                        p,
                        "APPLICATION_COMMAND_TOO_LARGE",
                        f"Command exceeds {COMMAND_TOTAL_CHARS_MAX} characters",
                    )
                )
        key = (ctype, str(cmd.get("name")))
        if key in seen:
            out.append(
                Violation(
                    f"{p}.name",
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {key[1]}",
                )
            )
        seen.add(key)
    if chat > GLOBAL_CHAT_COMMANDS_MAX:
        out.append(
            Violation(
                "",
                "BASE_TYPE_MAX_LENGTH",
                f"Must be {GLOBAL_CHAT_COMMANDS_MAX} or fewer chat commands.",
            )
        )
    return out
