"""SMS through a real Gammu SMSD (files backend, dummy phone): our outbox files sent as the SMS we counted, replies
and missed calls read back, and what cannot be read set aside without holding up the rest."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from contract.reasons import Reason, render
from contract.site_file import load_site
from edge.modem.gammu_sms import (
    IncomingCall,
    IncomingSms,
    Priority,
    SendState,
    SetAside,
    SmsdFolders,
    SmsdInbox,
    SmsdOutbox,
)
from edge.modem.sms_text import SmsEncoding, SmsForm, fit
from tests.conftest import EXAMPLE_SITE
from tests.support.gammu_smsd import CALLER, GammuSmsd

HOUSE = load_site(EXAMPLE_SITE).greenhouses[0]
FARMER, NEIGHBOUR = "+84912345678", "+84987654321"


T = TypeVar("T")


def wait_for(get: Callable[[], T | None], what: str, timeout_s: float = 30.0) -> T:
    deadline = time.monotonic() + timeout_s
    while (got := get()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout_s} s")
        time.sleep(0.2)
    return got


def drain_until(
    drain: Callable[[], list[SetAside]], done: Callable[[], bool], timeout_s: float = 30.0
) -> list[SetAside]:
    """Drains as the notifier does, round after round, until ``done``; what was set aside on the way."""
    set_aside: list[SetAside] = []
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"not done after {timeout_s} s")
        set_aside += drain()
        time.sleep(0.2)
    return set_aside


def sent(outbox: SmsdOutbox, message_id: str) -> Callable[[], SendState | None]:
    return lambda: None if (state := outbox.state(message_id)) is SendState.QUEUED else state


def test_the_frost_alarm_goes_out_as_one_sms_in_each_form(smsd: GammuSmsd) -> None:
    alarm = f"{HOUSE.name}: " + render(Reason.RULE_FROST_PROTECTING, {"value": "0.8", "limit": "1"}, "vi", HOUSE)
    outbox = SmsdOutbox(smsd.folders)
    with_marks = outbox.send(FARMER, fit(alarm, SmsForm.UNICODE), key="frost|0|farmer|sms", priority=Priority.URGENT)
    without = outbox.send(NEIGHBOUR, fit(alarm, SmsForm.PLAIN), key="frost|0|neighbour|sms")
    assert (with_marks.segments.encoding, with_marks.segments.count) == (SmsEncoding.UCS2, 1)
    assert (without.segments.encoding, without.segments.count) == (SmsEncoding.GSM7, 1)

    assert wait_for(sent(outbox, with_marks.id), "send of the Unicode form") is SendState.SENT
    assert wait_for(sent(outbox, without.id), "send of the plain form") is SendState.SENT
    by_number = {t.number: t for t in smsd.transmissions()}
    assert by_number[FARMER].first_part == alarm
    assert (by_number[FARMER].encoding, by_number[FARMER].parts) == (SmsEncoding.UCS2, 1)
    plain_alarm = "Nha mang ca chua 1: Suong muoi: 0,8 do C, duoi 1 do C - dang chong ret"
    assert by_number[NEIGHBOUR].first_part == plain_alarm
    assert (by_number[NEIGHBOUR].encoding, by_number[NEIGHBOUR].parts) == (SmsEncoding.GSM7, 1)
    # SMSD kept each file, named with its number, in its sent folder.
    (kept,) = smsd.folders.sent.glob(f"OUTA*_{FARMER}_{with_marks.id}.txt")
    assert kept.read_bytes().decode("utf-16") == alarm


def test_smsd_splits_long_texts_into_the_parts_we_count(smsd: GammuSmsd) -> None:
    outbox = SmsdOutbox(smsd.folders)
    texts = {
        "+84900000001": "a" * 161,
        "+84900000002": "a" * 152 + "€" + "a" * 152,  # an escaped character is not split across parts
        "+84900000003": "ă" * 71,
        "+84900000004": "ă" * 66 + "😀" + "ă" * 67,  # nor is a surrogate pair
    }
    queued = {number: outbox.send(number, text, key=number) for number, text in texts.items()}
    for q in queued.values():
        assert wait_for(sent(outbox, q.id), "send") is SendState.SENT
    by_number = {t.number: t for t in smsd.transmissions()}
    for number, q in queued.items():
        assert (by_number[number].encoding, by_number[number].parts) == (q.segments.encoding, q.segments.count)
    assert [q.segments.count for q in queued.values()] == [2, 3, 2, 3]


def test_a_send_made_again_writes_nothing_new(smsd: GammuSmsd) -> None:
    outbox = SmsdOutbox(smsd.folders)
    first = outbox.send(FARMER, "Trả lời OK để nhận", key="incident-7|alert|0|0|farmer|sms")
    assert wait_for(sent(outbox, first.id), "send") is SendState.SENT
    again = outbox.send(FARMER, "Trả lời OK để nhận", key="incident-7|alert|0|0|farmer|sms")
    assert again.id == first.id
    assert list(smsd.folders.outbox.iterdir()) == []
    assert len(list(smsd.folders.sent.iterdir())) == 1


def test_a_repeat_while_still_queued_is_not_written_twice(tmp_path: Path) -> None:
    folders = SmsdFolders.under(tmp_path)
    folders.create()
    outbox = SmsdOutbox(folders)
    first = outbox.send(FARMER, "OK?", key="k")
    assert outbox.send(FARMER, "OK?", key="k") == first
    assert outbox.state(first.id) is SendState.QUEUED
    assert [p.name.endswith(f"_{FARMER}_{first.id}.txt") for p in folders.outbox.iterdir()] == [True]
    assert outbox.state("0" * 20) is SendState.UNKNOWN
    with pytest.raises(ValueError, match="phone number"):
        outbox.send("0912 345 678; rm", "OK?", key="bad")


def test_sent_and_failed_files_older_than_asked_are_pruned_and_the_rest_kept(smsd: GammuSmsd) -> None:
    outbox = SmsdOutbox(smsd.folders)
    old = outbox.send(FARMER, "Tháng trước", key="old")
    new = outbox.send(NEIGHBOUR, "Hôm nay", key="new")
    for message in (old, new):
        assert wait_for(sent(outbox, message.id), "send") is SendState.SENT
    failed = smsd.folders.error / "OUTM_badrecipient.txt"
    failed.write_bytes(b"\xfe\xff" + "OK?".encode("utf-16-be"))
    month_ago = time.time() - 31 * 86400
    for path in [*smsd.folders.sent.glob(f"*_{old.id}.txt"), failed]:
        os.utime(path, (month_ago, month_ago))

    assert outbox.prune(datetime.now(UTC) - timedelta(days=30)) == 2
    assert (outbox.state(old.id), outbox.state(new.id)) == (SendState.UNKNOWN, SendState.SENT)
    assert list(smsd.folders.error.iterdir()) == []


def test_a_message_smsd_cannot_send_is_reported_failed(smsd: GammuSmsd) -> None:
    # A name SMSD finds no recipient in (one underscore): it gives up on the file and moves it to its error folder.
    name = "OUTM_badrecipient.txt"
    (smsd.folders.outbox / name).write_bytes(b"\xfe\xff" + "OK?".encode("utf-16-be"))
    outbox = SmsdOutbox(smsd.folders)
    assert wait_for(sent(outbox, "badrecipient"), "outcome") is SendState.FAILED


def test_replies_come_out_as_number_and_text(smsd: GammuSmsd) -> None:
    smsd.inject_sms(FARMER, "OK")
    smsd.inject_sms(NEIGHBOUR, "OK 12")
    smsd.inject_sms("+84911111111", "Đã biết 😀")
    inbox = SmsdInbox(smsd.folders)

    def refuse(sms: IncomingSms) -> None:
        raise RuntimeError("the store is down")

    # A handler that fails leaves the messages for the next round.
    with pytest.raises(RuntimeError):
        wait_for(lambda: inbox.drain_sms(refuse) or None, "a message handed over")
    got: list[IncomingSms] = []
    assert drain_until(lambda: inbox.drain_sms(got.append), lambda: len(got) == 3) == []
    assert sorted((m.number, m.text) for m in got) == [
        ("+84911111111", "Đã biết 😀"),
        (FARMER, "OK"),
        (NEIGHBOUR, "OK 12"),
    ]
    assert list(smsd.folders.inbox.iterdir()) == []
    assert inbox.drain_sms(got.append) == [] and len(got) == 3  # each handed over once


def test_unreadable_inbox_files_are_set_aside_and_the_rest_taken(smsd: GammuSmsd) -> None:
    inbox_folder = smsd.folders.inbox
    (inbox_folder / "notes.txt").write_text("not from SMSD")
    (inbox_folder / "IN20260101_031200_00_+84912345678_00.txt").write_text("[SMSBackup000\nText00 = 004F")
    (inbox_folder / "IN20260101_031201_00_+84912345678_00.txt").write_text(
        '[SMSBackup000]\nNumber = "+84912345678"\nText00 = 004F004\nCoding = Unicode_No_Compression\n'
    )
    (inbox_folder / "IN20260101_031202_00_+84912345678_00.bin").write_text(
        '[SMSBackup000]\nNumber = "+84912345678"\nText00 = 00FF\nCoding = 8bit\n'
    )
    smsd.inject_sms(FARMER, "OK")
    inbox = SmsdInbox(smsd.folders)
    got: list[IncomingSms] = []
    set_aside = drain_until(lambda: inbox.drain_sms(got.append), lambda: bool(got))
    assert [(m.number, m.text) for m in got] == [(FARMER, "OK")]
    assert sorted((s.name, s.why) for s in set_aside) == [
        ("IN20260101_031200_00_+84912345678_00.txt", "not in Gammu's SMS backup format"),
        ("IN20260101_031201_00_+84912345678_00.txt", "a text that is not UTF-16 hex"),
        ("IN20260101_031202_00_+84912345678_00.bin", "8-bit data, not a text message"),
        ("notes.txt", "not an SMSD inbox file name"),
    ]
    assert sorted(p.name for p in smsd.folders.set_aside.iterdir()) == sorted(s.name for s in set_aside)
    assert list(inbox_folder.iterdir()) == []


def test_a_call_is_rejected_and_its_caller_read(smsd: GammuSmsd) -> None:
    (smsd.folders.calls / "CALL20260101_031200_x.txt").write_text("")
    smsd.ring()
    inbox = SmsdInbox(smsd.folders)
    calls: list[IncomingCall] = []
    set_aside = drain_until(lambda: inbox.drain_calls(calls.append), lambda: bool(calls))
    assert [c.number for c in calls] == [CALLER]
    assert set_aside == [SetAside("CALL20260101_031200_x.txt", "no caller's number in it")]
    assert "Incoming call! # hanging up" in smsd.log.read_text()  # SMSD rejected it: the call costs nothing
    assert not (smsd.phone / "incoming-call").exists()
