"""The live stream's patches: applied to the picture the phone holds, they give exactly the server's new one,
and they carry only what changed — a sensor by its id, not the list of sensors again."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from gateway.live.patch import DROP, KEY, Json, apply, patch_of

# Keys as the models have them: never starting with "@", which the patch keeps for itself.
keys = st.text(alphabet="abcdeéạ_-", min_size=1, max_size=4)
leaves = st.none() | st.booleans() | st.integers(-5, 5) | st.floats(-3, 3, allow_nan=False) | st.text(max_size=3)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4))
objects = st.dictionaries(keys, values, max_size=5)


@st.composite
def named_lists(draw: st.DrawFn) -> tuple[list[Json], list[Json]]:
    """Two lists of sensors by id: the same ids in the same order, or now and then not."""
    ids = draw(st.lists(st.sampled_from(["soil-a1", "soil-a2", "air-t", "tank", "@x"]), unique=True, max_size=4))
    old: list[Json] = [{"sensor": i, "value": draw(leaves), "extra": draw(values)} for i in ids]
    if draw(st.booleans()):
        ids = draw(st.permutations(ids))
    new: list[Json] = [{"sensor": i, "value": draw(leaves), "extra": draw(values)} for i in ids]
    return old, new


def _same_json(a: Json, b: Json) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@given(objects, objects)
def test_a_patch_turns_any_picture_into_the_next(old: dict[str, Json], new: dict[str, Json]) -> None:
    patch = patch_of(old, new)
    if patch is None:
        assert _same_json(old, new)
    else:
        assert _same_json(apply(old, patch), new)
        assert _same_json(apply(json.loads(json.dumps(old)), json.loads(json.dumps(patch))), new)


@given(named_lists(), objects, objects)
def test_lists_of_named_items_are_patched_by_name(
    lists: tuple[list[Json], list[Json]], before: dict[str, Json], after: dict[str, Json]
) -> None:
    old, new = {"sensors": lists[0], **before}, {"sensors": lists[1], **after}
    patch = patch_of(old, new)
    assert _same_json(apply(old, patch), new) if patch is not None else _same_json(old, new)


def _picture(soil_a1: float | None, tank: float) -> dict[str, Json]:
    sensors: list[Json] = [
        {"sensor": "soil-a1", "name": "Độ ẩm đất A1", "value": soil_a1, "level": "ok", "band": {"low": 20, "high": 40}},
        {"sensor": "soil-a2", "name": "Độ ẩm đất A2", "value": 25.0, "level": "ok", "band": {"low": 20, "high": 40}},
        {"sensor": "tank-level", "name": "Bể nước", "value": tank, "level": "ok", "band": None},
    ]
    return {"greenhouse": "ca-chua-1", "name": "Nhà màng cà chua 1", "sensors": sensors, "active_alerts": 0}


def test_a_changed_sensor_is_sent_by_its_id_and_nothing_else() -> None:
    assert patch_of(_picture(31.5, 60.0), _picture(32.0, 60.0)) == {
        "sensors": {KEY: "sensor", "soil-a1": {"value": 32.0}}
    }
    assert patch_of(_picture(31.5, 60.0), _picture(31.5, 60.0)) is None


def test_a_value_gone_is_null_on_the_phone_not_a_field_gone() -> None:
    # RFC 7386 would drop the field, and the phone's `value === null` would no longer hold.
    patch = patch_of(_picture(31.5, 60.0), _picture(None, 60.0))
    assert patch == {"sensors": {KEY: "sensor", "soil-a1": {"value": None}}}
    [soil] = [s for s in apply(_picture(31.5, 60.0), patch)["sensors"] if s["sensor"] == "soil-a1"]  # type: ignore[index, union-attr]
    assert "value" in soil and soil["value"] is None


def test_a_field_dropped_and_a_list_reordered_are_sent_as_such() -> None:
    old, new = _picture(31.5, 60.0), _picture(31.5, 60.0)
    del new["active_alerts"]
    new["sensors"] = list(reversed(new["sensors"]))  # type: ignore[arg-type]
    patch = patch_of(old, new)
    assert patch == {"sensors": new["sensors"], DROP: ["active_alerts"]}
    assert apply(old, patch) == new


def test_true_is_not_one() -> None:
    # Python's True == 1; JSON's and the phone's are different values.
    assert patch_of({"on": 1}, {"on": True}) == {"on": True}
