"""What a user reads about signing in and being refused, as (vi, en) pairs for ``contract.reasons.pick``."""

from __future__ import annotations

BAD_CREDENTIALS = ("Sai tên đăng nhập hoặc mật khẩu", "Wrong user name or password")
DISABLED = (
    "Tài khoản đã bị khóa — hãy hỏi quản trị viên của hợp tác xã",
    "This account is disabled — ask your cooperative's admin",
)
RATE_LIMITED = (
    "Đăng nhập sai quá nhiều lần — thử lại sau {retry_after_s} giây",
    "Too many failed sign-ins — try again in {retry_after_s} s",
)
NOT_SIGNED_IN = ("Cần đăng nhập", "Please sign in")
FORBIDDEN = ("Vai trò {role} không được làm việc này", "The {role} role may not do this")
CSRF = (
    "Thiếu hoặc sai mã bảo vệ (X-CSRF-Token) — hãy tải lại trang",
    "Missing or wrong protection token (X-CSRF-Token) — reload the page",
)
NO_USER = ("Không có người dùng {name!r}", "No user {name!r}")
USER_EXISTS = ("Người dùng {name!r} đã có", "User {name!r} already exists")
NOT_YOURSELF = ("Không thể tự khóa tài khoản của mình", "You cannot disable your own account")
