"""Reading one content file: :class:`ContentError` and the readers every content loader shares.

Which files a content folder holds, and what each must say, is :mod:`knowledge.content`'s business;
this module only reads text and YAML and turns a problem into one line that names the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

#: libyaml's C parser when present (10x faster start-up), else the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

#: A key an editor writes (message keys, checklist keys): snake_case.
KEY_RE = re.compile(r"^[a-z][a-z0-9_]*$")

M = TypeVar("M", bound=BaseModel)


class ContentError(Exception):
    """A content file is missing or invalid. ``str()`` is ``"PATH: reason"``."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


def normalise(text: str) -> str:
    """How aliases, ids and titles are compared: casefolded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def read_text(path: Path) -> str:
    """The file's text (UTF-8, no BOM, ``\\n`` line ends)."""
    if not path.exists():
        raise ContentError(path, "missing: cannot read it")
    if not path.is_file():
        raise ContentError(path, "not a file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise ContentError(path, f"cannot read: {exc.strerror or exc}") from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def load_yaml(path: Path, text: str, first_line: int = 1) -> Any:
    """Parse YAML; ``first_line`` is the file line ``text`` starts on (for the error's line)."""
    try:
        return yaml.load(text, Loader=_YAML_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        where = f" (line {mark.line + first_line})" if mark is not None else ""
        raise ContentError(path, f"not valid YAML{where}: {problem}") from None


def read_yaml(path: Path) -> Any:
    """A whole YAML file, parsed."""
    return load_yaml(path, read_text(path))


def parse_model(path: Path, data: Any, model: type[M], not_a_mapping: str) -> M:
    """``data`` (a parsed YAML mapping) validated by ``model``; ``not_a_mapping`` is the reason
    given when ``data`` is not a mapping at all."""
    if not isinstance(data, dict):
        raise ContentError(path, not_a_mapping)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ContentError(path, _describe(exc, model)) from None


def _describe(err: ValidationError, model: type[BaseModel]) -> str:
    """The first pydantic error as one short line an editor can act on."""
    first = err.errors()[0]
    loc = ".".join(str(part) for part in first["loc"])
    kind = first["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(model, first["loc"][:-1])
        return f"unknown key '{loc}' (allowed: {', '.join(allowed)})"
    if kind == "missing":
        return f"missing key '{loc}'"
    where = f"{loc}: " if loc else ""
    return f"{where}{first['msg']}"


def _allowed_keys(model: type[BaseModel], parent: tuple[int | str, ...]) -> list[str]:
    """The keys allowed at ``parent`` inside ``model`` (for "unknown key" messages)."""
    current: Any = model
    is_key = False  # the part names a key of a mapping, not a field
    for part in parent:
        if isinstance(part, int) or is_key:
            is_key = False
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        is_key = getattr(annotation, "__origin__", None) is dict
        args = [a for a in getattr(annotation, "__args__", ()) if a is not type(None)]
        current = args[-1] if args else annotation
    fields = getattr(current, "model_fields", {})
    return list(fields)
