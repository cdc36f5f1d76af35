"""Sign-ins are limited per user name and per client address (here 3 and 6 failures in 15 minutes):
past the limit even the right password gets 429 with Retry-After, until the clock moves on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from gateway.accounts.limits import LimitSettings
from gateway.accounts.service import Accounts
from tests.gateway.api.conftest import Api


def _sign_in(api: Api, user: str, password: str, lang: str = "vi") -> tuple[int, str | None, str]:
    response = api.anonymous(lang).post("/api/v1/login", json={"user": user, "password": password})
    return response.status_code, response.headers.get("retry-after"), response.json().get("detail", "")


def test_three_failures_for_a_name_hold_it_off_even_with_the_right_password(api: Api) -> None:
    for _ in range(3):
        assert _sign_in(api, "nong-dan", "doan-mo-1234")[0] == 401
        api.clock.advance(timedelta(minutes=1))
    status, retry_after, detail = _sign_in(api, "nong-dan", api.passwords["nong-dan"])
    # The first failure leaves the 15-minute window 12 minutes from now.
    assert (status, retry_after) == (429, "720")
    assert detail == "Đăng nhập sai quá nhiều lần — thử lại sau 720 giây"
    assert (
        _sign_in(api, "nong-dan", api.passwords["nong-dan"], "en")[2] == "Too many failed sign-ins — try again in 720 s"
    )
    # Other names are not held off by it.
    assert _sign_in(api, "nong-hoc", api.passwords["nong-hoc"])[0] == 200
    api.clock.advance(timedelta(seconds=719))
    assert _sign_in(api, "nong-dan", api.passwords["nong-dan"])[:2] == (429, "1")
    api.clock.advance(timedelta(seconds=1))
    assert _sign_in(api, "nong-dan", api.passwords["nong-dan"])[0] == 200


def test_a_successful_sign_in_clears_the_names_failures(api: Api) -> None:
    for _ in range(2):
        assert _sign_in(api, "ky-thuat", "doan-mo-1234")[0] == 401
    assert _sign_in(api, "ky-thuat", api.passwords["ky-thuat"])[0] == 200
    for _ in range(2):
        assert _sign_in(api, "ky-thuat", "doan-mo-1234")[0] == 401
    assert _sign_in(api, "ky-thuat", api.passwords["ky-thuat"])[0] == 200


def test_six_failures_from_one_address_over_many_names_hold_the_address_off(api: Api) -> None:
    for i in range(6):
        assert _sign_in(api, f"doan-ten-{i}", "doan-mo-1234")[0] == 401
    status, retry_after, _ = _sign_in(api, "quan-tri", api.passwords["quan-tri"])
    assert (status, retry_after) == (429, "900")
    api.clock.advance(timedelta(minutes=15))
    assert _sign_in(api, "quan-tri", api.passwords["quan-tri"])[0] == 200


def test_the_count_survives_a_restart_and_is_shared_by_instances_on_one_accounts_file(tmp_path: Path) -> None:
    now = datetime(2026, 1, 15, tzinfo=UTC)
    settings = LimitSettings(window=timedelta(minutes=1), per_user=2, per_address=10)
    first = Accounts(tmp_path, lambda: now, limits=settings)
    first.limiter.failed("a", "10.0.0.1")
    first.close()  # the gateway restarts
    restarted, other = (Accounts(tmp_path, lambda: now, limits=settings) for _ in range(2))
    try:
        assert restarted.limiter.retry_after_s("a", "10.0.0.9") == 0  # one failure of two allowed
        other.limiter.failed("a", "10.0.0.2")  # through another instance
        assert restarted.limiter.retry_after_s("a", "10.0.0.9") == 60
        now += timedelta(seconds=59)
        assert restarted.limiter.retry_after_s("a", "10.0.0.9") == 1
        now += timedelta(seconds=1)  # both left the window, and the file
        assert other.limiter.retry_after_s("a", "10.0.0.9") == 0
        with restarted.db.transaction() as db:
            assert db.execute("SELECT COUNT(*) FROM sign_in_failures").fetchone() == (0,)
    finally:
        restarted.close()
        other.close()
