"""Sign-in limits (here 3 failures for a name from one address, 6 from one address, in 15 minutes): failures hold
off the address that fails, not the name everywhere. Past 10 failures from strangers a name is slowed, never shut,
and a client that signed the name in before (its address, or its device cookie) is not slowed at all.

Clients sign in from real, distinct loopback addresses (127.0.0.0/8), so the gateway sees each as its own peer."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from gateway.accounts.limits import Limit, LimitSettings
from gateway.accounts.service import Accounts
from gateway.accounts.trust import Client
from tests.gateway.api.conftest import Api

WRONG = "doan-mo-1234"
ATTACKER = "127.0.0.66"


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after: str | None
    detail: str
    device: str | None  # the device cookie the gateway gave, on a successful sign-in


def sign_in(
    api: Api, user: str, password: str, address: str = "127.0.0.1", lang: str = "vi", device: str | None = None
) -> Answer:
    """One sign-in from ``address``, with a device cookie if given, as a browser on that device would send it."""
    headers = {"Accept-Language": lang} | ({"Cookie": f"gh_device={device}"} if device else {})
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=api.url, timeout=10, headers=headers, transport=transport) as client:
        response = client.post("/api/v1/login", json={"user": user, "password": password})
    return Answer(
        response.status_code,
        response.headers.get("retry-after"),
        response.json().get("detail", ""),
        response.cookies.get("gh_device"),
    )


def test_fifty_failures_for_a_name_from_one_address_hold_off_that_address_not_the_owner(api: Api) -> None:
    owner = sign_in(api, "nong-dan", api.passwords["nong-dan"], "127.0.0.2")  # the owner's phone, earlier
    assert owner.status == 200 and owner.device is not None
    api.clock.advance(timedelta(hours=1))

    answers = []
    for _ in range(50):
        answers.append(sign_in(api, "nong-dan", WRONG, ATTACKER))
        api.clock.advance(timedelta(seconds=2))
    assert [a.status for a in answers] == [401] * 3 + [429] * 47
    # Even the right password, from there: the first failure leaves the 15-minute window in 900 - 100 s, which a
    # person reads as the minutes to wait, rounded up so that trying again then works.
    held = sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER)
    assert (held.status, held.retry_after) == (429, "800")
    assert held.detail == (
        "Đăng nhập sai quá nhiều lần với tên này từ địa chỉ này — thử lại sau 14 phút, hoặc nhờ quản trị viên mở khóa"
    )
    english = sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER, "en").detail
    assert english == (
        "Too many failed sign-ins for this name from this address — try again in 14 minutes,"
        " or ask an admin to unlock it"
    )

    # The owner: from the address they signed in from, from their phone elsewhere, and from an address new to them.
    assert sign_in(api, "nong-dan", api.passwords["nong-dan"], "127.0.0.2").status == 200
    assert sign_in(api, "nong-dan", api.passwords["nong-dan"], "127.0.0.3", device=owner.device).status == 200
    assert sign_in(api, "nong-dan", api.passwords["nong-dan"], "127.0.0.4").status == 200
    # Other names from the attacker's address are not held off by it (3 failures of the 6 an address may have).
    assert sign_in(api, "nong-hoc", api.passwords["nong-hoc"], ATTACKER).status == 200

    api.clock.advance(timedelta(seconds=799))
    last = sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER)
    assert (last.status, last.retry_after) == (429, "1")
    api.clock.advance(timedelta(seconds=1))
    assert sign_in(api, "nong-dan", api.passwords["nong-dan"], ATTACKER).status == 200


def test_failures_from_many_addresses_slow_strangers_down_and_pass_the_owners_address_and_phone(api: Api) -> None:
    owner = sign_in(api, "ky-thuat", api.passwords["ky-thuat"], "127.0.0.2")
    assert owner.status == 200 and owner.device is not None
    # A botnet: one failure from each of 14 addresses, 30 s apart (slow enough to be let through each time).
    for i in range(14):
        api.clock.advance(timedelta(seconds=30))
        assert sign_in(api, "ky-thuat", WRONG, f"127.0.1.{i + 1}").status == 401

    # Past 10 failures each try from a stranger waits after the last one: 1, 2, 4, 8, now 16 s.
    stranger = sign_in(api, "ky-thuat", api.passwords["ky-thuat"], "127.0.2.1", "en")
    assert (stranger.status, stranger.retry_after) == (429, "16")
    assert stranger.detail == (
        "This name has had many failed sign-ins from elsewhere — try again in 16 seconds,"
        " or sign in from a device you have used before"
    )
    assert sign_in(api, "ky-thuat", WRONG, "127.0.2.2").status == 429  # the next attacker too
    # The owner is not slowed: from the address they signed in from, or from their phone on a new address.
    assert sign_in(api, "ky-thuat", api.passwords["ky-thuat"], "127.0.0.2").status == 200
    assert sign_in(api, "ky-thuat", api.passwords["ky-thuat"], "127.0.2.3", device=owner.device).status == 200
    # Slowed, not shut: the stranger (the owner on a borrowed phone, say) gets in once the wait is over.
    api.clock.advance(timedelta(seconds=16))
    assert sign_in(api, "ky-thuat", api.passwords["ky-thuat"], "127.0.2.1").status == 200


def test_a_name_under_attack_is_never_held_off_strangers_for_more_than_a_minute(tmp_path: Path) -> None:
    now = datetime(2026, 1, 15, tzinfo=UTC)
    accounts = Accounts(tmp_path, lambda: now)  # the default limits
    try:
        waits = []
        for i in range(200):  # as fast as the limits let a botnet go, a new address each time
            bot = Client(address=f"10.1.0.{i}")
            hold = accounts.limiter.hold("quan-tri", bot)
            waits.append(0 if hold is None else hold.retry_after_s)
            now += timedelta(seconds=waits[-1])
            assert accounts.limiter.hold("quan-tri", bot) is None
            accounts.limiter.failed("quan-tri", bot)
        assert waits[:16] == [0] * 10 + [1, 2, 4, 8, 16, 32] and max(waits) == 60
    finally:
        accounts.close()


def test_a_successful_sign_in_clears_the_names_failures_from_that_address(api: Api) -> None:
    for _ in range(2):
        assert sign_in(api, "ky-thuat", WRONG).status == 401
    assert sign_in(api, "ky-thuat", api.passwords["ky-thuat"]).status == 200
    for _ in range(2):
        assert sign_in(api, "ky-thuat", WRONG).status == 401
    assert sign_in(api, "ky-thuat", api.passwords["ky-thuat"]).status == 200


def test_six_failures_from_one_address_over_many_names_hold_it_off_but_not_a_phone_that_signed_in_there(
    api: Api,
) -> None:
    phone = sign_in(api, "quan-tri", api.passwords["quan-tri"])  # a farmer's 3G address, shared with a guesser
    for i in range(6):
        assert sign_in(api, f"doan-ten-{i}", WRONG).status == 401
    held = sign_in(api, "quan-tri", api.passwords["quan-tri"], lang="en")
    assert (held.status, held.retry_after) == (429, "900")
    assert held.detail == (
        "Too many failed sign-ins from this address — try again in 15 minutes, or ask an admin to unlock it"
    )
    assert sign_in(api, "quan-tri", api.passwords["quan-tri"], device=phone.device).status == 200
    api.clock.advance(timedelta(minutes=15))
    assert sign_in(api, "quan-tri", api.passwords["quan-tri"]).status == 200


def test_a_device_is_held_off_by_its_own_failures_only(api: Api) -> None:
    phone = sign_in(api, "nong-hoc", api.passwords["nong-hoc"], "127.0.0.2").device
    # A stolen cookie is worth 5 guesses (the default for a device) in the window, then the device waits.
    for _ in range(5):
        assert sign_in(api, "nong-hoc", WRONG, "127.0.3.1", device=phone).status == 401
    held = sign_in(api, "nong-hoc", api.passwords["nong-hoc"], "127.0.3.2", device=phone)
    assert held.status == 429 and held.detail.startswith("Đăng nhập sai quá nhiều lần từ máy này")
    # Its failures were not a stranger's: the name is not slowed for other clients.
    assert sign_in(api, "nong-hoc", api.passwords["nong-hoc"], "127.0.3.3").status == 200


def test_the_count_survives_a_restart_and_is_shared_by_instances_on_one_accounts_file(tmp_path: Path) -> None:
    now = datetime(2026, 1, 15, tzinfo=UTC)
    settings = LimitSettings(window=timedelta(minutes=1), per_name_from_address=2, per_address=10)
    guesser = Client(address="10.0.0.1")
    first = Accounts(tmp_path, lambda: now, limits=settings)
    first.limiter.failed("a", guesser)
    first.close()  # the gateway restarts
    restarted, other = (Accounts(tmp_path, lambda: now, limits=settings) for _ in range(2))
    try:
        assert restarted.limiter.hold("a", guesser) is None  # one failure of two allowed
        other.limiter.failed("a", guesser)  # through another instance
        assert restarted.limiter.hold("a", guesser) == other.limiter.hold("a", guesser)
        hold = restarted.limiter.hold("a", guesser)
        assert hold is not None and (hold.limit, hold.retry_after_s) == (Limit.NAME_FROM_ADDRESS, 60)
        assert restarted.limiter.hold("a", Client(address="10.0.0.9")) is None
        now += timedelta(seconds=60)  # both left the window, and the file
        assert other.limiter.hold("a", guesser) is None
        with restarted.db.transaction() as db:
            assert db.execute("SELECT COUNT(*) FROM failed_sign_ins").fetchone() == (0,)
    finally:
        restarted.close()
        other.close()


# The accounts file as the previous version made it: one row per counter key.
_VERSION_0 = """
CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, cooperative TEXT NOT NULL, greenhouses TEXT,
    password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),
    created_at REAL NOT NULL, expires_at REAL NOT NULL);
CREATE INDEX sessions_by_expiry ON sessions(expires_at);
CREATE TABLE sign_in_failures (key TEXT NOT NULL, at REAL NOT NULL);
CREATE INDEX sign_in_failures_by_key ON sign_in_failures(key, at);
CREATE INDEX sign_in_failures_by_time ON sign_in_failures(at);
"""


def test_a_file_of_the_previous_version_keeps_its_failures_and_users(tmp_path: Path) -> None:
    now = datetime(2026, 1, 15, tzinfo=UTC)
    at = (now - timedelta(minutes=1)).timestamp()
    with sqlite3.connect(tmp_path / "accounts.sqlite3") as old:
        old.executescript(_VERSION_0)
        old.execute(
            "INSERT INTO users (name, role, cooperative, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
            ("nong-dan", "farmer", "htx-moc-chau", "$argon2id$…", now.isoformat()),
        )
        old.executemany(
            "INSERT INTO sign_in_failures (key, at) VALUES (?, ?)",
            [("user:nong-dan", at)] * 3 + [("address:10.0.0.7", at)] * 3,
        )
    old.close()
    settings = LimitSettings(per_name_from_address=3, per_address=3, per_name=3)
    for _ in range(2):  # the second opening finds the file up to date, and copies nothing twice
        accounts = Accounts(tmp_path, lambda: now, limits=settings)
        try:
            assert [(h.limit, h.name, h.address, h.failures) for h in accounts.limiter.report()] == [
                (Limit.ADDRESS, None, "10.0.0.7", 3),
                (Limit.NAME, "nong-dan", None, 3),
            ]
            assert [u.name for u in accounts.users.all()] == ["nong-dan"]
            with accounts.db.transaction() as db:
                assert db.execute("PRAGMA user_version").fetchone() == (1,)
                # Left, empty, for a gateway of the previous version still running on the same file.
                assert db.execute("SELECT COUNT(*) FROM sign_in_failures").fetchone() == (0,)
        finally:
            accounts.close()
