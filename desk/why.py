"""``greenhouse rules why``: the audit trail of the gateway, asked from a terminal — what changed an actuator
or a zone's valve around a time, which rule decided it, and the readings it went by."""

from __future__ import annotations

from datetime import datetime

import httpx
from pydantic import BaseModel

from contract.reasons import Lang, pick


class _Entry(BaseModel):
    ts: datetime
    kind: str
    actuator: str | None
    rule: str | None
    action: str
    text_vi: str
    text_en: str
    inputs: dict[str, float]


class _Answer(BaseModel):
    greenhouse: str
    actuators: list[str]
    change: _Entry | None
    decided_by: _Entry | None
    entries: list[_Entry]


_WORDS = {
    "change": ("Thay đổi", "Change"),
    "because": ("Vì", "Because"),
    "inputs": ("Số liệu", "Inputs"),
    "none": ("Không có thay đổi nào trước thời điểm này", "No change before that time"),
    "trail": ("Nhật ký", "Trail"),
}


def why(
    api: httpx.Client, greenhouse: str, at: datetime, lang: Lang, *, zone: str | None, actuator: str | None
) -> list[str]:
    """Lines to print, asked with ``api`` (a client signed in to the gateway, ``gateway.api.client.signed_in``);
    raises httpx.HTTPError when the gateway cannot be asked, ValueError when it refuses."""
    params = {"at": at.isoformat(), **({"zone": zone} if zone else {}), **({"actuator": actuator} if actuator else {})}
    response = api.get(f"/api/v1/greenhouses/{greenhouse}/audit", params=params)
    if response.status_code != 200:
        raise ValueError(f"{response.status_code}: {response.json().get('detail', response.text)}")
    answer = _Answer.model_validate_json(response.content)
    tz = at.tzinfo

    def line(e: _Entry) -> str:
        text = e.text_vi if lang == "vi" else e.text_en
        return f"{e.ts.astimezone(tz):%Y-%m-%d %H:%M:%S} {e.kind:<10} {e.actuator or '-':<12} {e.action:<14} {text}"

    out = [f"{greenhouse} {', '.join(answer.actuators)} @ {at.isoformat()}"]
    if answer.change is None:
        out.append(pick(_WORDS["none"], lang))
    else:
        out.append(f"{pick(_WORDS['change'], lang)}: {line(answer.change)}")
    if answer.decided_by is not None:
        out.append(f"{pick(_WORDS['because'], lang)}: {line(answer.decided_by)}")
        inputs = ", ".join(f"{k} = {v:g}" for k, v in answer.decided_by.inputs.items())
        out.append(f"{pick(_WORDS['inputs'], lang)}: {inputs}")
    out.append(f"{pick(_WORDS['trail'], lang)}:")
    out += [f"  {line(e)}" for e in answer.entries]
    return out
