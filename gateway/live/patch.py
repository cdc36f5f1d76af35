"""What changed between two pictures of a greenhouse, as a patch the phone applies (js/patch.js does the same).

A patch is JSON. A value that is not an object replaces what was there, ``null`` included: a sensor's value
that went missing is ``null`` on the phone, not a field gone (unlike RFC 7386, where ``null`` deletes). An
object patches an object key by key; the keys it lost are listed under ``@drop``. A list whose items are
objects named by their first field (``sensor``, ``actuator``: every list of the live models) is patched item
by item, ``{"@key": "sensor", "soil-a1": {"value": 21.5}}``, as long as the same items stay in the same
order; otherwise it is sent whole, which happens only when the site file changes.

Generic over the JSON, so a field added to the models flows through without a change here.
"""

from __future__ import annotations

from typing import TypeAlias

Json: TypeAlias = "bool | int | float | str | list[Json] | dict[str, Json] | None"
JsonObject: TypeAlias = "dict[str, Json]"

KEY = "@key"  # a list patched item by item: the field that names each item
DROP = "@drop"  # the keys an object lost


class _Same:
    """Nothing changed here: distinct from ``None``, which is a value a patch may set."""


_SAME = _Same()


def patch_of(old: JsonObject, new: JsonObject) -> JsonObject | None:
    """The patch that turns ``old`` into ``new``; None when they are equal."""
    return _object_diff(old, new) or None


def apply(target: Json, patch: Json) -> Json:
    """``target`` with ``patch`` applied, as the phone does it; ``target`` itself is left as it was."""
    if not isinstance(patch, dict):
        return patch
    if isinstance(target, list) and KEY in patch:
        field = patch[KEY]
        return [_apply_item(item, field, patch) for item in target]
    out = dict(target) if isinstance(target, dict) else {}
    for key, change in patch.items():
        if key == DROP:
            for gone in change if isinstance(change, list) else []:
                out.pop(str(gone), None)
        else:
            out[key] = apply(out.get(key), change)
    return out


def _apply_item(item: Json, field: Json, patch: JsonObject) -> Json:
    name = item.get(str(field)) if isinstance(item, dict) else None
    return apply(item, patch[name]) if isinstance(name, str) and name in patch else item


def _diff(old: Json, new: Json) -> Json | _Same:
    if isinstance(old, dict) and isinstance(new, dict):
        return _object_diff(old, new) or _SAME
    if isinstance(old, list) and isinstance(new, list):
        field = _names(old, new)
        if field is not None:
            changes = _list_diff(old, new, field)
            return changes if len(changes) > 1 else _SAME
    return _SAME if _equal(old, new) else new


def _equal(a: Json, b: Json) -> bool:
    """Equal as JSON: ``True`` is not ``1`` here, though Python says so."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _object_diff(old: JsonObject, new: JsonObject) -> JsonObject:
    out: JsonObject = {}
    for key, value in new.items():
        change = _diff(old[key], value) if key in old else value
        if not isinstance(change, _Same):
            out[key] = change
    dropped: list[Json] = [key for key in old if key not in new]
    if dropped:
        out[DROP] = dropped
    return out


def _list_diff(old: list[Json], new: list[Json], field: str) -> JsonObject:
    out: JsonObject = {KEY: field}
    for before, after in zip(old, new, strict=True):
        change = _diff(before, after)
        if isinstance(after, dict) and not isinstance(change, _Same):
            out[str(after[field])] = change
    return out


def _names(old: list[Json], new: list[Json]) -> str | None:
    """The field naming each item, when both lists hold the same named objects in the same order."""
    if not new or not isinstance(new[0], dict) or not new[0]:
        return None
    field = next(iter(new[0]))

    def names(items: list[Json]) -> list[Json]:
        return [item.get(field) if isinstance(item, dict) else None for item in items]

    named = names(new)
    if names(old) != named or len(set(map(repr, named))) != len(named):
        return None
    # Names that could be read as the patch's own keys ("@key", "@drop") are not used as keys.
    return field if all(isinstance(n, str) and not n.startswith("@") for n in named) else None
