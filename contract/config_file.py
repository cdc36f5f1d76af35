"""Load a YAML file into a pydantic model, with errors a technician can act on.

Every problem is reported as ``file:line: path.to.field: what is wrong``, all of a file's at once, sorted by line,
in Vietnamese or English (``contract.validation_words``); the line comes from the YAML node the field was read
from. A mistake inside a block that aliases (``*name``) repeat is one mistake: it is reported once, at the block.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from contract.reasons import Lang
from contract.validation_words import Words, describe

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class ConfigIssue:
    """One problem with a field, for tools that explain it further (``greenhouse rules check``)."""

    line: int | None
    loc: tuple[int | str, ...]
    error_type: str
    words: Words  # what is wrong, without file, line or field
    limit: str | None = None  # the bound a number broke (``ge`` 1 → "1"), for hints that name it

    @property
    def message(self) -> str:
        """In English, as in ``problems``."""
        return self.words.en

    def text(self, lang: Lang) -> str:
        return self.words.pick(lang)


class ConfigError(Exception):
    """A config or rule file that cannot be used; ``problems`` are one line each (English; ``lines`` gives them in
    either language), ``issues`` the same problems as data when they concern fields (empty when the file could not
    be read or parsed)."""

    def __init__(
        self,
        path: Path,
        problems: list[str],
        issues: list[ConfigIssue] | None = None,
        problems_vi: list[str] | None = None,
    ) -> None:
        self.path = path
        self.problems = problems
        self.issues = issues or []
        self._problems_vi = problems_vi
        super().__init__("\n".join(problems))

    def lines(self, lang: Lang) -> list[str]:
        """The problems in ``lang``; in English only where a problem came without Vietnamese words."""
        if lang == "vi" and self._problems_vi is not None:
            return self._problems_vi
        if self.issues:
            return problems_of(self.path, self.issues, lang)
        return self.problems


def file_error(path: Path, words: Words) -> ConfigError:
    """A problem with the file as a whole (cannot be read, not YAML), in both languages."""
    return ConfigError(path, [words.en], problems_vi=[words.vi])


def dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


_MERGE = "tag:yaml.org,2002:merge"


def _value_of(node: yaml.MappingNode, key: int | str) -> yaml.Node | None:
    """The value of ``key`` in a mapping, or in the blocks it merges (``<<: *name``) when it does not say it."""
    own: yaml.Node | None = next((v for k, v in node.value if k.value == key), None)
    if own is not None:
        return own
    for k, v in node.value:
        if k.tag == _MERGE:
            for block in v.value if isinstance(v, yaml.SequenceNode) else [v]:
                found = _value_of(block, key) if isinstance(block, yaml.MappingNode) else None
                if found is not None:
                    return found
    return None


def _reach(node: yaml.Node | None, loc: tuple[int | str, ...]) -> tuple[yaml.Node | None, int]:
    """The deepest YAML node that ``loc`` reaches, and how many parts of ``loc`` it took to get there."""
    taken = 0
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            inner = _value_of(node, part)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            inner = node.value[part]
        else:
            break
        if inner is None:
            break
        node, taken = inner, taken + 1
    return node, taken


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest YAML node that ``loc`` reaches."""
    reached, _ = _reach(node, loc)
    return reached.start_mark.line + 1 if reached is not None else None


def _scalar_named(node: yaml.Node, text: str, seen: set[int]) -> yaml.Node | None:
    """The first scalar at or under ``node`` that says ``text``: where the id a cross-reference names is written."""
    if id(node) in seen:
        return None
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        return node if node.value == text else None
    children = [v for _, v in node.value] if isinstance(node, yaml.MappingNode) else node.value
    return next((found for child in children if (found := _scalar_named(child, text, seen)) is not None), None)


def _limit(err: ErrorDetails) -> str | None:
    context = err.get("ctx") or {}
    bound = next((context[k] for k in ("gt", "ge", "lt", "le") if k in context), None)
    if isinstance(bound, int | float):
        return f"{bound:g}"  # 1.0 → "1"
    return None if bound is None else str(bound)


def issues_of(root: yaml.Node | None, errors: list[ErrorDetails]) -> list[ConfigIssue]:
    """One issue per real mistake, sorted by line: a validator's several problems each on its own line (at the id
    it names, where it can be found); the same mistake reached through several aliases once, at its first path."""
    issues: list[ConfigIssue] = []
    seen: set[tuple[object, ...]] = set()
    for err in errors:
        loc = tuple(err["loc"])
        node, taken = _reach(root, loc)
        for words, about in describe(err):
            at = _scalar_named(node, about, set()) if node is not None and about else None
            where = at or node
            key = (id(where), loc[taken:], err["type"], words)
            if key in seen:
                continue
            seen.add(key)
            line = where.start_mark.line + 1 if where is not None else None
            issues.append(ConfigIssue(line, loc, err["type"], words, _limit(err)))
    # Python's sort is stable: problems on one line keep the order pydantic found them in.
    return sorted(issues, key=lambda i: i.line if i.line is not None else 0)


def load_model(path: Path, model: type[M]) -> M:
    """Parse and validate ``path``; raise ConfigError naming file, line, field and reason."""
    return parse_model(load_text(path), path, model)


def load_text(path: Path) -> str:
    """The file's text; ConfigError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        # The system's reason is in English: the Vietnamese names the two usual ones instead.
        vi = f"{path}: không đọc được tệp (không có tệp này, hoặc không được phép đọc)"
        raise file_error(path, Words(vi, f"{path}: cannot read: {exc.strerror or exc}")) from None


def parse_model(text: str, path: Path, model: type[M], context: object = None) -> M:
    """``load_model`` for text that came from elsewhere (a message); ``path`` names it in the errors; ``context``
    reaches the model's validators (a site file's device profiles)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if _expanded_size(root, {}) > MAX_EXPANDED_NODES:
            raise file_error(
                path,
                Words(
                    f"{path}: quá lớn khi mở rộng các bí danh (*tên)",
                    f"{path}: too large once its aliases (*name) are expanded",
                ),
            )
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        # PyYAML says what it expected in English; the Vietnamese says where to look instead.
        words = Words(
            f"{where}: không phải YAML hợp lệ: xem thụt lề, dấu ':' và các dấu ngoặc ở dòng này hoặc dòng trên",
            f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}",
        )
        raise file_error(path, words) from None
    except RecursionError:  # PyYAML composes nested lists and mappings recursively
        words = Words(
            f"{path}: lồng nhau quá sâu, không thể là tệp cài đặt hay tệp luật",
            f"{path}: nested too deeply to be a site or rule file",
        )
        raise file_error(path, words) from None
    if not isinstance(data, dict):
        found = type(data).__name__
        words = Words(
            f"{path}: tệp phải bắt đầu bằng các mục (tên: giá trị), ví dụ 'version: 1'",
            f"{path}: expected a mapping at the top level, found {found}",
        )
        raise file_error(path, words)
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        issues = issues_of(root, exc.errors())
        raise ConfigError(path, problems_of(path, issues), issues) from None


def problems_of(path: Path, issues: list[ConfigIssue], lang: Lang = "en") -> list[str]:
    return [f"{f'{path}:{i.line}' if i.line else path}: {dotted(i.loc)}: {i.text(lang)}" for i in issues]


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
