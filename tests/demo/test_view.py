"""The demo's live view: each event as a line in the farmer's language, actions and reasons alike, the greenhouse
by its name."""

from __future__ import annotations

import json
from collections import deque
from datetime import UTC, datetime
from pathlib import Path

from contract.messages import Event, EventKind, Severity
from contract.reasons import Reason
from contract.site_file import load_site
from greenhouse.demo.view import Board
from tests.conftest import EXAMPLE_SITE

SITE = load_site(EXAMPLE_SITE)
AT = datetime(2026, 1, 15, 23, 36, tzinfo=UTC)  # 06:36 in Mộc Châu


def _line(board: Board, event: Event) -> list[str]:
    """What the board prints for the event, as it comes from the broker."""
    return board.apply(f"gh/v1/htx-moc-chau/{event.greenhouse}/events", event.to_json())


def _event(action: str, kind: EventKind = EventKind.SAFETY, **changes: object) -> Event:
    fields: dict[str, object] = {
        "site": "htx-moc-chau",
        "greenhouse": "rau-la-1",
        "ts": AT,
        "kind": kind,
        "severity": Severity.WARNING,
        "actuator": "valve-a",
        "action": action,
        "reason": Reason.MAX_STARTS,
        "reason_params": {"starts": "4", "max_starts": "4"},
        **changes,
    }
    return Event.model_validate(fields)


def test_a_refusal_reads_in_vietnamese_and_in_english() -> None:
    vi, en = Board(SITE, "vi"), Board(SITE, "en")
    assert _line(vi, _event("refused")) == [
        "[06:36] Nhà màng rau ăn lá 1 · an toàn · Van khu A bị từ chối — Đã bật 4 lần trong giờ qua (tối đa 4)"
    ]
    assert _line(en, _event("refused")) == [
        "[06:36] Leafy greens house 1 · safety · Zone A valve refused — Started 4 times in the last hour (max 4)"
    ]


def test_a_rule_that_lost_names_the_winner_in_the_boards_language() -> None:
    lost = _event("lost to frost", EventKind.SUPPRESSED)
    [line] = _line(Board(SITE, "vi"), lost)
    assert "· bỏ qua · Van khu A nhường cho Chống sương muối —" in line  # the rule's name, not its id
    [line] = _line(Board(SITE, "en"), lost)
    assert "· Zone A valve lost to Frost protection —" in line
    [line] = _line(Board(SITE, "vi"), _event("lost to frost-elsewhere", EventKind.SUPPRESSED))
    assert "nhường cho frost-elsewhere —" in line  # a rule the greenhouse's file does not have: its id, as it came
    [line] = _line(Board(SITE, "en"), _event("a new word"))
    assert "Zone A valve a new word —" in line  # an action it does not know is shown as it came


def test_what_the_notifier_sent_is_shown_once_in_the_boards_language(tmp_path: Path) -> None:
    outbox = tmp_path / "notify-outbox.jsonl"
    line = {"at": "2026-01-15T03:12:00+07:00", "channel": "sms", "person": "lan", "name": "Chị Lan", "kind": "alert",
            "step": 0, "text": "Nhà màng cà chua 1: Sương muối: 0,4 °C"}  # as the gateway's local outbox writes it
    outbox.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    vi, en = Board(SITE, "vi", outbox), Board(SITE, "en", outbox)
    assert vi.told() == ["[03:12] tin nhắn → Chị Lan: Nhà màng cà chua 1: Sương muối: 0,4 °C"]
    assert en.told() == ["[03:12] SMS → Chị Lan: Nhà màng cà chua 1: Sương muối: 0,4 °C"]
    assert vi.told() == []  # each once
    later = json.dumps({**line, "at": "2026-01-15T03:17:00+07:00"}, ensure_ascii=False) + "\n"
    with outbox.open("a", encoding="utf-8") as out:
        out.write(later[:40])  # the gateway is still writing it
    assert vi.told() == []
    with outbox.open("a", encoding="utf-8") as out:
        out.write(later[40:])
    assert vi.told() == ["[03:17] tin nhắn → Chị Lan: Nhà màng cà chua 1: Sương muối: 0,4 °C"]
    assert Board(SITE, "vi").told() == []  # no outbox: nothing to show


def test_an_event_sent_again_until_the_gateway_held_it_is_shown_and_counted_once() -> None:
    board = Board(SITE, "en")
    decision = _event("on", EventKind.DECISION, actuator="heater", seq=7)
    [line] = _line(board, decision)
    assert _line(board, decision) == []
    assert board.decisions == 1 and board.events == deque([line])
    assert _line(board, decision.model_copy(update={"seq": 8}))  # the next one is news
