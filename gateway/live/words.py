"""What the live API says in its own words, as (vi, en) pairs for ``contract.reasons.pick``."""

from __future__ import annotations

NO_STATE_YET = ("Chưa nhận được trạng thái", "No state reported yet")
NO_ANSWER = (
    "Nhà màng chưa trả lời (mất kết nối?) — lệnh hết hạn sau {expires_min} phút",
    "The greenhouse has not answered (offline?) — the command expires in {expires_min} min",
)
OFFLINE = ("Nhà màng mất kết nối từ {since}", "Greenhouse offline since {since}")
SILENT = ("Nhà màng im lặng từ {since}", "Greenhouse silent since {since}")
NEVER_HEARD = ("Chưa nhận được tin từ nhà màng", "Nothing heard from the greenhouse yet")
NO_ALERT = ("Không có cảnh báo {alert!r}", "No alert {alert!r}")
NO_ACTUATOR = ("Không có thiết bị {actuator!r}", "No actuator {actuator!r}")
