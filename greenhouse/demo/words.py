"""What the demo says on the console, as (vi, en) pairs for ``contract.reasons.pick``."""

from __future__ import annotations

STARTED = (
    "Demo nhà màng — {n} nhà màng, broker {broker}, thời gian nhanh ×{speed}, nhật ký ở {logs}",
    "greenhouse demo — {n} greenhouses, broker {broker}, time ×{speed}, logs in {logs}",
)
PORT_TAKEN = (
    "Cổng {taken} đang bận; ứng dụng dùng cổng {port}",
    "port {taken} is in use; the app takes {port} instead",
)
APP = ("Ứng dụng điện thoại: {app}/ (API: {app}/docs)", "phone web app: {app}/ (API: {app}/docs)")
SIGN_IN = (
    "  đăng nhập với tên {user}, mật khẩu {password} (mới cho lần chạy này)",
    "  sign in (POST /api/v1/login) as {user}, password {password} (new for this run)",
)
STOPPING = ("Đang dừng…", "Stopping…")
EXITED_EARLY = ("Dừng lại: {who} đã thoát sớm", "stopped: {who} exited early")
STOPPED = ("{who}: đã dừng", "{who}: stopped")
FAILED = (
    "{who}: dừng bất thường (mã {code}) — cuối nhật ký {log}:",
    "{who}: ended abnormally (code {code}) — end of {log}:",
)
SIMULATOR = ("Mô phỏng nhà màng", "Greenhouse simulator")
GATEWAY = ("Máy chủ trung tâm (gateway)", "Central gateway")
EDGE = ("Bộ điều khiển {house}", "Controller of {house}")
NOT_SAFE = (
    "Không phải nhà màng nào cũng xác nhận mọi thiết bị về trạng thái an toàn khi dừng",
    "not every greenhouse confirmed its fail-safe state at shutdown",
)
DECISIONS = ("{n} quyết định của luật", "{n} rule decisions")
ALL_SAFE = ("; mọi thiết bị ở trạng thái an toàn.", "; every actuator left in its fail-safe state.")
REMOVED = ("Đã xóa thư mục tạm {dir}", "removed the temporary folder {dir}")
KEPT = ("Dữ liệu và nhật ký giữ ở {dir}", "data and logs kept in {dir}")
