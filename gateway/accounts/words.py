"""What a user reads about signing in and being refused, as (vi, en) pairs for ``contract.reasons.pick``."""

from __future__ import annotations

from gateway.accounts.limits import Limit

BAD_CREDENTIALS = ("Sai tên đăng nhập hoặc mật khẩu", "Wrong user name or password")
DISABLED = (
    "Tài khoản đã bị khóa — hãy hỏi quản trị viên của hợp tác xã",
    "This account is disabled — ask your cooperative's admin",
)
# Why a sign-in is held off, by the limit that holds it (accounts/limits.py), and how long to wait.
HELD_OFF: dict[Limit, tuple[str, str]] = {
    Limit.NAME_FROM_ADDRESS: (
        "Đăng nhập sai quá nhiều lần với tên này từ địa chỉ này — thử lại sau {retry_after_s} giây,"
        " hoặc nhờ quản trị viên mở khóa",
        "Too many failed sign-ins for this name from this address — try again in {retry_after_s} s,"
        " or ask an admin to unlock it",
    ),
    Limit.ADDRESS: (
        "Đăng nhập sai quá nhiều lần từ địa chỉ này — thử lại sau {retry_after_s} giây, hoặc nhờ quản trị viên mở khóa",
        "Too many failed sign-ins from this address — try again in {retry_after_s} s, or ask an admin to unlock it",
    ),
    Limit.NAME: (
        "Tên này vừa bị đăng nhập sai nhiều lần từ nơi khác — thử lại sau {retry_after_s} giây,"
        " hoặc đăng nhập từ máy bạn đã dùng trước đây",
        "This name has had many failed sign-ins from elsewhere — try again in {retry_after_s} s,"
        " or sign in from a device you have used before",
    ),
    Limit.DEVICE: (
        "Đăng nhập sai quá nhiều lần từ máy này — thử lại sau {retry_after_s} giây, hoặc nhờ quản trị viên mở khóa",
        "Too many failed sign-ins from this device — try again in {retry_after_s} s, or ask an admin to unlock it",
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
