"""What ``greenhouse init`` and ``greenhouse gateways`` tell the technician, in Vietnamese and English."""

from __future__ import annotations

EXISTS = (
    "đã có bí mật, không ghi đè: {paths}. Xoá chúng nếu thật sự muốn tạo lại.",
    "secrets exist already, not overwritten: {paths}. Delete them if you really mean to start again.",
)
WROTE = ("Đã tạo cấu hình trong {root}:", "Stack configuration written in {root}:")
ADMIN = (
    "Quản trị viên đầu tiên: {name}  mật khẩu: {password}  (chỉ hiện một lần, hãy ghi lại)",
    "First admin: {name}  password: {password}  (shown once: write it down)",
)
NEXT = ("Tiếp theo: docker compose up -d", "Next: docker compose up -d")
NOT_INITIALISED = (
    "{missing} chưa có: chạy 'greenhouse init {root}' trước.",
    "{missing} does not exist: run 'greenhouse init {root}' first.",
)
ACCOUNT_EXISTS = (
    "tài khoản MQTT {user} đã có; xoá dòng của nó trong {passwd} và {acl} để tạo lại.",
    "MQTT account {user} exists already; remove its lines from {passwd} and {acl} to make it again.",
)
EDGE_ACCOUNT = (
    "Tài khoản MQTT của gateway nhà màng {greenhouse}: {user}  mật khẩu: {password}  (chỉ hiện một lần)",
    "MQTT account of greenhouse {greenhouse}'s gateway: {user}  password: {password}  (shown once)",
)
EDGE_RUN = (
    "Trên gateway nhà màng, chép {ca} rồi chạy:",
    "On the greenhouse gateway, copy {ca} there, then run:",
)
RELOAD = (
    "Nạp lại broker: docker compose kill -s HUP mosquitto",
    "Reload the broker: docker compose kill -s HUP mosquitto",
)
PHONES_ACME = (
    "Điện thoại mở https://{domain} — trước đó điền mã API của {provider} vào .env (xem docs/deployment.md).",
    "Phones open https://{domain} — first put {provider}'s API token in .env (see docs/deployment.md).",
)
PHONES_OWN_CA = (
    "Điện thoại: cài {ca} làm chứng chỉ CA (xem docs/deployment.md), rồi mở https://{host}",
    "Phones: install {ca} as a CA certificate (see docs/deployment.md), then open https://{host}",
)
