"""What a user reads about signing in and being refused, as (vi, en) pairs for ``contract.reasons.pick``."""

from __future__ import annotations

import math

from gateway.accounts.limits import Limit
from gateway.accounts.roles import Role

Words = tuple[str, str]

BAD_CREDENTIALS = ("Sai tên đăng nhập hoặc mật khẩu", "Wrong user name or password")
DISABLED = (
    "Tài khoản đã bị khóa — hãy hỏi quản trị viên của hợp tác xã",
    "This account is disabled — ask your cooperative's admin",
)
# Why a sign-in is held off, by the limit that holds it (accounts/limits.py), and how long to wait.
HELD_OFF: dict[Limit, Words] = {
    Limit.NAME_FROM_ADDRESS: (
        "Đăng nhập sai quá nhiều lần với tên này từ địa chỉ này — thử lại sau {wait},"
        " hoặc nhờ quản trị viên mở khóa",
        "Too many failed sign-ins for this name from this address — try again in {wait},"
        " or ask an admin to unlock it",
    ),
    Limit.ADDRESS: (
        "Đăng nhập sai quá nhiều lần từ địa chỉ này — thử lại sau {wait}, hoặc nhờ quản trị viên mở khóa",
        "Too many failed sign-ins from this address — try again in {wait}, or ask an admin to unlock it",
    ),
    Limit.NAME: (
        "Tên này vừa bị đăng nhập sai nhiều lần từ nơi khác — thử lại sau {wait},"
        " hoặc đăng nhập từ máy bạn đã dùng trước đây",
        "This name has had many failed sign-ins from elsewhere — try again in {wait},"
        " or sign in from a device you have used before",
    ),
    Limit.DEVICE: (
        "Đăng nhập sai quá nhiều lần từ máy này — thử lại sau {wait}, hoặc nhờ quản trị viên mở khóa",
        "Too many failed sign-ins from this device — try again in {wait}, or ask an admin to unlock it",
    ),
}
NOT_SIGNED_IN = ("Cần đăng nhập", "Please sign in")
FORBIDDEN = ("Vai trò {role} không được làm việc này", "The {role} role may not do this")
CSRF = (
    "Thiếu hoặc sai mã bảo vệ (X-CSRF-Token) — hãy tải lại trang",
    "Missing or wrong protection token (X-CSRF-Token) — reload the page",
)
NO_USER = ("Không có người dùng {name!r}", "No user {name!r}")
USER_EXISTS = ("Người dùng {name!r} đã có", "User {name!r} already exists")
NOT_YOURSELF = ("Không thể tự khóa tài khoản của mình", "You cannot disable your own account")
ONLY_FARMERS_LIMITED = (
    "Chỉ tài khoản nông dân mới giới hạn theo nhà màng, không phải {role}",
    "Only a farmer is limited to some greenhouses, not a {role}",
)
NO_GREENHOUSE_GIVEN = (
    "Hãy chọn ít nhất một nhà màng, hoặc bỏ trống để xem mọi nhà màng",
    "Choose at least one greenhouse, or none for every greenhouse",
)
UNKNOWN_GREENHOUSES = (
    "Không có nhà màng {unknown} trong {cooperative} (có: {known})",
    "No greenhouse {unknown} in {cooperative} (it has: {known})",
)
ROLES: dict[Role, Words] = {
    Role.FARMER: ("nông dân", "farmer"),
    Role.TECHNICIAN: ("kỹ thuật viên", "technician"),
    Role.AGRONOMIST: ("kỹ sư nông học", "agronomist"),
    Role.ADMIN: ("quản trị viên", "admin"),
}


def wait_words(seconds: int) -> Words:
    """A wait as people say it: "45 giây", "15 phút", rounded up so that trying again then works."""
    if seconds < 60:
        return f"{seconds} giây", f"{seconds} second{'' if seconds == 1 else 's'}"
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return f"{minutes} phút", f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = math.ceil(minutes / 60)
    return f"{hours} giờ", f"{hours} hour{'' if hours == 1 else 's'}"
