"""Load a YAML file into a pydantic model, with errors a technician can act on.

Every problem is reported as ``file:line: path.to.field: what is wrong``;
the line comes from the YAML node the field was read from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ConfigIssue:
    """One problem with a field, for tools that explain it further (``greenhouse rules check``)."""

    line: int | None
    loc: tuple[int | str, ...]
    error_type: str
    message: str  # as in ``problems``: what is wrong, without file, line or field
    limit: str | None = None  # the bound a number broke (``ge`` 1 → "1"), for hints that name it


class ConfigError(Exception):
    """A config or rule file that cannot be used; ``problems`` are one line each, ``issues`` the same
    problems as data when they concern fields (empty when the file could not be read or parsed)."""

    def __init__(self, path: Path, problems: list[str], issues: list[ConfigIssue] | None = None) -> None:
        self.path = path
        self.problems = problems
        self.issues = issues or []
        super().__init__("\n".join(problems))


def dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest YAML node that ``loc`` reaches."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def _limit(err: ErrorDetails) -> str | None:
    context = err.get("ctx") or {}
    bound = next((context[k] for k in ("gt", "ge", "lt", "le") if k in context), None)
    if isinstance(bound, int | float):
        return f"{bound:g}"  # 1.0 → "1"
    return None if bound is None else str(bound)


def _describe(err: dict[str, object]) -> str:
    msg = str(err["msg"])
    if err["type"] == "extra_forbidden":
        return "unknown field (misspelt?)"
    if err["type"] == "missing":
        return "required field is missing"
    if "input" in err and err["type"] not in ("model_type", "dict_type") and not isinstance(err["input"], dict):
        return f"{msg} (got {err['input']!r})"
    return msg


def load_model(path: Path, model: type[M]) -> M:
    """Parse and validate ``path``; raise ConfigError naming file, line, field and reason."""
    return parse_model(load_text(path), path, model)


def load_text(path: Path) -> str:
    """The file's text; ConfigError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(path, [f"{path}: cannot read: {exc.strerror or exc}"]) from None


def parse_model(text: str, path: Path, model: type[M], context: object = None) -> M:
    """``load_model`` for text that came from elsewhere (a message); ``path`` names it in the errors; ``context``
    reaches the model's validators (a site file's device profiles)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if _expanded_size(root, {}) > MAX_EXPANDED_NODES:
            raise ConfigError(path, [f"{path}: too large once its aliases (*name) are expanded"])
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(path, [f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    except RecursionError:  # PyYAML composes nested lists and mappings recursively
        raise ConfigError(path, [f"{path}: nested too deeply to be a site or rule file"]) from None
    if not isinstance(data, dict):
        raise ConfigError(path, [f"{path}: expected a mapping at the top level, found {type(data).__name__}"])
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        issues = [
            ConfigIssue(
                _line_of(root, tuple(err["loc"])), tuple(err["loc"]), err["type"], _describe(dict(err)), _limit(err)
            )
            for err in exc.errors()
        ]
        raise ConfigError(path, problems_of(path, issues), issues) from None


def problems_of(path: Path, issues: list[ConfigIssue]) -> list[str]:
    return [f"{f'{path}:{i.line}' if i.line else path}: {dotted(i.loc)}: {i.message}" for i in issues]


# A site or rule file is thousands of nodes. Aliases can make a short text stand for billions ("billion
# laughs"), which validation would then walk: such a text is refused before it is loaded.
MAX_EXPANDED_NODES = 1_000_000


def _expanded_size(node: yaml.Node | None, sizes: dict[int, int]) -> int:
    """How many nodes the text stands for with every alias expanded; each node is sized once, however often
    aliases repeat it."""
    if node is None:
        return 0
    known = sizes.get(id(node))
    if known is not None:
        return known
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, sizes) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        size += sum(_expanded_size(k, sizes) + _expanded_size(v, sizes) for k, v in node.value)
    sizes[id(node)] = min(size, MAX_EXPANDED_NODES + 1)  # capped: the sum cannot grow without bound
    return sizes[id(node)]


def line_in(text: str, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the field at ``loc`` in the YAML ``text`` (or of the nearest enclosing one)."""
    try:
        return _line_of(yaml.compose(text, Loader=yaml.SafeLoader), loc)
    except yaml.YAMLError:
        return None
