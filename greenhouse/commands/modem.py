"""``greenhouse modem setup`` and ``greenhouse modem check``: the farm server's USB modem, through which alerts go out
by SMS and ring calls (Gammu SMSD), set up for the notifier and checked — what a technician does once, and again
whenever a farmer says the alerts stopped coming."""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from contract.config_file import ConfigError
from contract.wording import Lang, pick
from greenhouse import gateway_files
from greenhouse.commands import common
from greenhouse.errors import UsageError

if TYPE_CHECKING:
    from gateway.notify.channel_settings import ChannelSettings
    from gateway.notify.modem_health import ModemHealth
    from greenhouse.deploy.modem import ModemSetup

Words = tuple[str, str]

NO_DIR = ("--dir {dir}: thư mục không tồn tại", "--dir {dir}: no such folder")
NO_ROSTER = (
    "--dir {dir}: chưa có danh sách trực ({file}), nên cảnh báo chưa báo cho ai. Lập danh sách trực trong ứng dụng"
    " trước, hoặc chỉ đúng thư mục dữ liệu của gateway bằng --dir",
    "--dir {dir}: no duty roster ({file}) yet, so alerts are told to nobody. Make the duty roster in the app first,"
    " or name the gateway's data dir with --dir",
)
NO_DEVICE = (
    "{option} {device}: không có cổng này. Cắm modem rồi xem các cổng của nó: ls -l /dev/serial/by-id/",
    "{option} {device}: no such port. Plug the modem in and list its ports: ls -l /dev/serial/by-id/",
)
NOT_SERIAL = (
    "{option} {device}: không phải cổng nối tiếp (cổng AT của modem là /dev/ttyUSB… hoặc /dev/ttyACM…)",
    "{option} {device}: not a serial port (a modem's AT ports are /dev/ttyUSB… or /dev/ttyACM…)",
)
NOT_A_FOLDER = (
    "{option} {device}: với --model dummy, thiết bị là một thư mục có sẵn",
    "{option} {device}: with --model dummy, the device is a folder that exists",
)
SAME_PORT = (
    "--call-device {device}: phải là cổng AT thứ hai của modem, khác --device (SMSD giữ cổng đó)",
    "--call-device {device}: must be the modem's second AT port, not --device's (SMSD holds that one)",
)
BAD_PIN = ("--pin: mã PIN là 4 đến 8 chữ số", "--pin: a PIN is 4 to 8 digits")
SPOOL_OUTSIDE = (
    "--spool {spool}: các container của bộ cài đặt chỉ thấy thư mục dữ liệu {dir}: chọn một thư mục trong đó",
    "--spool {spool}: the stack's containers see only the data dir {dir}: choose a folder inside it",
)
EXISTS = (
    "đã có cấu hình modem, không ghi đè: {paths}. Thêm --force để thay.",
    "a modem set-up exists already, not overwritten: {paths}. Add --force to replace it.",
)
WROTE = ("Đã ghi cấu hình modem:", "Modem set-up written:")
NEXT = ("Tiếp theo:", "Next:")
NEXT_STACK = (
    (
        "  1. docker compose up -d --build   (ảnh có Gammu; dịch vụ smsd chạy modem)",
        "  1. docker compose up -d --build   (the image with Gammu; the smsd service drives the modem)",
    ),
    (
        "  2. docker compose restart gateway   (gateway đọc {channels} khi khởi động)",
        "  2. docker compose restart gateway   (the gateway reads {channels} when it starts)",
    ),
    (
        "  3. docker compose exec gateway greenhouse modem check --send-test SỐ_CỦA_BẠN",
        "  3. docker compose exec gateway greenhouse modem check --send-test YOUR_NUMBER",
    ),
)
NEXT_HERE = (
    (
        "  1. Chạy SMSD: gammu-smsd -c {conf}   (hoặc làm dịch vụ systemd; người chạy cần thuộc nhóm dialout)",
        "  1. Start SMSD: gammu-smsd -c {conf}   (or as a systemd service; its user must be in the dialout group)",
    ),
    (
        "  2. Khởi động lại gateway (nó đọc {channels} khi khởi động)",
        "  2. Restart the gateway (it reads {channels} when it starts)",
    ),
    (
        "  3. greenhouse modem check --dir {dir} --send-test SỐ_CỦA_BẠN",
        "  3. greenhouse modem check --dir {dir} --send-test YOUR_NUMBER",
    ),
)
NEXT_APP = (
    "  4. Trong ứng dụng: Thông báo → “Gửi thử cho tôi”: điện thoại phải nhận được tin nhắn",
    "  4. In the app: Notifications → “Send me a test alert”: the phone must get the SMS",
)

NO_MODEM = (
    "{file}: chưa có modem (mục modem: với smsd_config). Chạy 'greenhouse modem setup' trước.",
    "{file}: no modem set up (a modem: section with smsd_config). Run 'greenhouse modem setup' first.",
)
IN_STACK = (
    "modem của bộ cài đặt chạy trong container: docker compose exec gateway greenhouse modem check",
    "the stack's modem runs in a container: docker compose exec gateway greenhouse modem check",
)
NO_MONITOR = (
    "không có gammu-smsd-monitor trên máy này: cài gói gammu-smsd (apt install gammu-smsd)",
    "gammu-smsd-monitor is not on this machine: install the gammu-smsd package (apt install gammu-smsd)",
)
BAD_NUMBER = (
    "--send-test {number}: không phải số điện thoại (chỉ chữ số, có thể bắt đầu bằng +)",
    "--send-test {number}: not a phone number (digits only, + in front allowed)",
)
SMSD_RUNNING = ("SMSD: đang chạy", "SMSD: running")
SMSD_STOPPED = ("SMSD: không chạy", "SMSD: not running")
SMSD_SAID = ("  dòng cuối nhật ký SMSD: {line}", "  SMSD's last log line: {line}")
MODEM_IMEI = ("Modem: đã kết nối (IMEI {imei})", "Modem: connected (IMEI {imei})")
MODEM_NONE = ("Modem: chưa kết nối", "Modem: not reached")
SIGNAL = ("Sóng: {signal} %", "Signal: {signal} %")
SIGNAL_UNKNOWN = ("Sóng: chưa đo", "Signal: not measured")
NETWORK = ("Mạng: {state}", "Network: {state}")
REGISTERED = ("đã vào mạng", "registered")
SENT = ("Đã gửi trong 24 giờ: {count} tin", "Sent in 24 h: {count} SMS")
LAST_SENT = ("Tin gửi gần nhất: {at}", "Last SMS sent: {at}")
WAITING = ("Đang chờ gửi: {count} tin", "Waiting in the outbox: {count} SMS")
READY = ("Tốt: modem sẵn sàng gửi cảnh báo.", "Good: the modem is ready to send alerts.")
ATTENTION = ("Cần xử lý:", "Needs attention:")
TEST_TEXT = (
    "Tin nhắn thử của máy báo động trang trại lúc {time}. Không cần trả lời.",
    "Test SMS from the farm's alert server at {time}. No need to reply.",
)
TEST_NOT_SENT = (
    "Không gửi tin thử: SMSD không chạy.",
    "No test SMS sent: SMSD is not running.",
)
TEST_SENT = ("Tin thử tới {number} đã đi sau {seconds} giây.", "The test SMS to {number} left after {seconds} s.")
TEST_FAILED = (
    "SMSD không gửi được tin thử tới {number} (tệp trong {folder}; xem nhật ký SMSD).",
    "SMSD could not send the test SMS to {number} (its file is in {folder}; see SMSD's log).",
)
TEST_WAITING = (
    "Tin thử vẫn chờ sau {seconds} giây: modem chưa gửi được (tin vẫn trong hàng đợi, có thể đi muộn).",
    "The test SMS still waits after {seconds} s: the modem has not sent it (it stays queued, and may go late).",
)

_PIN = re.compile(r"[0-9]{4,8}")
_NUMBER = re.compile(r"\+?[0-9]{3,20}")  # what SMSD's outbox takes (edge/modem/gammu_sms.py)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    modem = sub.add_parser("modem", help="the farm server's USB modem: alerts by SMS and ring calls (Gammu SMSD)")
    modem_sub = modem.add_subparsers(dest="modem_command", required=True, metavar="SUBCOMMAND")
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument(
        "--dir",
        type=Path,
        help=f"the gateway's data dir (default: ${gateway_files.DATA_DIR_ENV}, the stack in this folder, or"
        " ./gateway-data)",
    )

    setup = modem_sub.add_parser(
        "setup",
        help="write Gammu SMSD's configuration and folders, the call port's, and channels.yaml's modem: and call:",
        parents=[common.lang(), data_dir],
    )
    setup.add_argument(
        "--device",
        required=True,
        help="the modem's AT port for SMS, e.g. /dev/ttyUSB2 (better its /dev/serial/by-id/… name);"
        " with --model dummy a folder (for tests)",
    )
    setup.add_argument("--call-device", help="the modem's second AT port, for ring calls (e.g. /dev/ttyUSB3)")
    setup.add_argument("--spool", type=Path, help="SMSD's folders (default: DATA_DIR/smsd)")
    setup.add_argument("--pin", help="the SIM's PIN, only if it cannot be turned off")
    setup.add_argument("--model", choices=["dummy"], help="Gammu's dummy phone instead of a modem (for tests)")
    setup.add_argument("--force", action="store_true", help="replace a set-up that exists")
    setup.set_defaults(run=run_setup)

    check = modem_sub.add_parser(
        "check",
        help="is the modem ready to send alerts? SMSD, modem, signal, network, the outbox; exit 1 when not",
        parents=[common.lang(), data_dir],
    )
    check.add_argument("--send-test", metavar="NUMBER", help="also send one SMS to NUMBER and wait until it left")
    check.add_argument(
        "--wait-s", type=float, default=180.0, help="how long to wait for the test SMS to leave (default 180)"
    )
    check.set_defaults(run=run_check)


def _data_dir(option: Path | None) -> Path:
    return gateway_files.data_dir(option, os.environ, Path.cwd()).path


# --- setup ---------------------------------------------------------------------------------------------------------
def _check_device(device: str, option: str, dummy: bool, lang: Lang) -> None:
    path = Path(device)
    if dummy:
        if not path.is_dir():
            raise UsageError(pick(NOT_A_FOLDER, lang).format(option=option, device=device))
    elif not path.exists():
        raise UsageError(pick(NO_DEVICE, lang).format(option=option, device=device))
    elif not stat.S_ISCHR(path.stat().st_mode):
        raise UsageError(pick(NOT_SERIAL, lang).format(option=option, device=device))


def _setup_of(args: argparse.Namespace) -> ModemSetup:
    """The set-up the arguments ask for, each refused at its option."""
    from gateway.notify.roster import ROSTER_FILE
    from greenhouse.deploy.modem import DEFAULT_SPOOL, DUMMY, ModemSetup

    lang: Lang = args.lang
    data = _data_dir(args.dir)
    if not data.is_dir():
        raise UsageError(pick(NO_DIR, lang).format(dir=data))
    if not (data / ROSTER_FILE).is_file():
        raise UsageError(pick(NO_ROSTER, lang).format(dir=data, file=ROSTER_FILE))
    dummy = args.model == DUMMY
    _check_device(args.device, "--device", dummy, lang)
    if args.call_device is not None:
        _check_device(args.call_device, "--call-device", dummy, lang)
        if Path(args.call_device).resolve() == Path(args.device).resolve():
            raise UsageError(pick(SAME_PORT, lang).format(device=args.call_device))
    if args.pin is not None and not _PIN.fullmatch(args.pin):
        raise UsageError(pick(BAD_PIN, lang))

    def device(value: str | None) -> str | None:
        # Gammu's dummy phone takes a folder, named absolutely since SMSD runs elsewhere, ending in '/'.
        return f"{Path(value).absolute()}/" if dummy and value is not None else value

    spool = (args.spool or data / DEFAULT_SPOOL).absolute()
    setup = ModemSetup(
        data_dir=data.absolute(),
        spool=spool,
        device=str(device(args.device)),
        call_device=device(args.call_device),
        model=args.model or "",
        pin=args.pin,
    )
    if setup.stack is not None and not spool.resolve().is_relative_to(data.resolve()):
        raise UsageError(pick(SPOOL_OUTSIDE, lang).format(spool=args.spool, dir=data))
    return setup


def run_setup(args: argparse.Namespace) -> int:
    from contract.config_file import load_model
    from gateway.notify.channel_settings import ChannelSettings

    lang: Lang = args.lang
    setup = _setup_of(args)
    if setup.channels_file.exists():
        try:  # a file with mistakes is the technician's to fix: nothing is merged into it
            load_model(setup.channels_file, ChannelSettings)
        except ConfigError as exc:
            return common.config_problems(exc, f"{args.command} {args.modem_command}", lang)
    existing = setup.existing()
    if existing and not args.force:
        raise UsageError(pick(EXISTS, lang).format(paths=", ".join(map(str, existing))))
    written = setup.write()
    print(pick(WROTE, lang))
    for path in written:
        print(f"  {path}")
    print(pick(NEXT, lang))
    if setup.stack is not None:
        steps = [pick(step, lang).format(channels=setup.channels_file.name) for step in NEXT_STACK]
    else:
        steps = [
            pick(step, lang).format(conf=setup.smsd_conf, channels=setup.channels_file, dir=setup.data_dir)
            for step in NEXT_HERE
        ]
    for step in [*steps, pick(NEXT_APP, lang)]:
        print(step)
    return 0


# --- check ---------------------------------------------------------------------------------------------------------
def _settings(data: Path, lang: Lang) -> ChannelSettings | int:
    """channels.yaml with its modem section, or the exit code once its problems are said."""
    from contract.config_file import load_model
    from gateway.notify.channel_settings import CHANNELS_FILE, ChannelSettings

    path = data / CHANNELS_FILE
    if not path.is_file():
        raise UsageError(pick(NO_MODEM, lang).format(file=path))
    try:
        settings = load_model(path, ChannelSettings)
    except ConfigError as exc:
        return common.config_problems(exc, "modem check", lang)
    if settings.modem is None or settings.modem.smsd_config is None:
        raise UsageError(pick(NO_MODEM, lang).format(file=path))
    return settings


def _when(at: datetime, lang: Lang) -> str:
    local = at.astimezone()
    return f"{local:%H:%M %d/%m/%Y}" if lang == "vi" else f"{local:%H:%M, %d %b %Y}"


def _last_log_line(conf: Path) -> str | None:
    """SMSD's last word in its log ("Error opening device…"), where its configuration names a log file."""
    import configparser

    config = configparser.ConfigParser(interpolation=None, strict=False)
    config.read(conf, encoding="utf-8")
    log = Path(config.get("smsd", "logfile", fallback=""))
    if not log.is_absolute() or not log.is_file():
        return None
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines[-1].strip() if lines else None


def _say_health(health: ModemHealth, conf: Path, lang: Lang) -> None:
    from gateway.notify.modem_health import STATES

    if not health.smsd_running:
        print(pick(SMSD_STOPPED, lang))
        last = _last_log_line(conf)
        if last:
            print(pick(SMSD_SAID, lang).format(line=last))
        return
    print(pick(SMSD_RUNNING, lang))
    print(pick(MODEM_IMEI, lang).format(imei=health.imei) if health.imei else pick(MODEM_NONE, lang))
    signal = health.signal_pct
    print(pick(SIGNAL, lang).format(signal=signal) if signal is not None else pick(SIGNAL_UNKNOWN, lang))
    if health.registration is not None:
        registered = health.registration.registered
        state = pick(REGISTERED, lang) if registered else STATES[health.registration].pick(lang)
        print(pick(NETWORK, lang).format(state=state))
    print(pick(SENT, lang).format(count=health.sent_24h))
    if health.last_sent_at is not None:
        print(pick(LAST_SENT, lang).format(at=_when(health.last_sent_at, lang)))
    print(pick(WAITING, lang).format(count=health.waiting))


def _send_test(number: str, folders_root: Path, wait_s: float, lang: Lang) -> bool:
    """One SMS through SMSD's outbox, waited for until it left (moved to the sent folder): whether it did."""
    from edge.modem.gammu_sms import SendState, SmsdFolders, SmsdOutbox

    folders = SmsdFolders.under(folders_root)
    outbox = SmsdOutbox(folders)
    text = pick(TEST_TEXT, lang).format(time=f"{datetime.now().astimezone():%H:%M}")
    started = time.monotonic()
    queued = outbox.send(number, text, key=f"modem-check-{time.time_ns()}")
    while (state := outbox.state(queued.id)) is SendState.QUEUED and time.monotonic() - started < wait_s:
        time.sleep(0.2)
    seconds = f"{time.monotonic() - started:.0f}"
    if state is SendState.SENT:
        print(pick(TEST_SENT, lang).format(number=number, seconds=seconds))
        return True
    if state is SendState.QUEUED:
        print(pick(TEST_WAITING, lang).format(seconds=seconds), file=sys.stderr)
    else:
        print(pick(TEST_FAILED, lang).format(number=number, folder=folders.error), file=sys.stderr)
    return False


def run_check(args: argparse.Namespace) -> int:
    import shutil

    from edge.modem.gammu_sms import SmsdFolders
    from gateway.notify.modem_health import DEFAULT_LIMITS, judge, read_health
    from gateway.notify.ring_call import RingCall
    from greenhouse.deploy.modem import stack_of

    lang: Lang = args.lang
    if args.send_test is not None and not _NUMBER.fullmatch(args.send_test):
        raise UsageError(pick(BAD_NUMBER, lang).format(number=args.send_test))
    data = _data_dir(args.dir)
    if stack_of(data) is not None:  # SMSD's files name what the containers see, and its status is theirs
        raise UsageError(pick(IN_STACK, lang))
    settings = _settings(data, lang)
    if isinstance(settings, int):
        return settings
    assert settings.modem is not None and settings.modem.smsd_config is not None  # checked by _settings
    monitor = shutil.which("gammu-smsd-monitor")
    if monitor is None:
        raise UsageError(pick(NO_MONITOR, lang))
    # The network registration, asked on the call port when there is one: a SIM refused or out of credit.
    network = RingCall(settings.call).registration if settings.call is not None else None
    conf = settings.modem.smsd_config
    now = datetime.now().astimezone()
    health = read_health(conf, SmsdFolders.under(settings.modem.smsd_dir), now, monitor=monitor, network=network)
    _say_health(health, conf, lang)
    limits = settings.watch.limits if settings.watch is not None else DEFAULT_LIMITS
    problems = judge(health, None, now, limits)
    if problems:
        print(pick(ATTENTION, lang))
        for problem in problems:
            print(f"  - {problem.pick(lang)}")
    else:
        print(pick(READY, lang))
    if args.send_test is None:
        return 1 if problems else 0
    if not health.smsd_running:
        print(pick(TEST_NOT_SENT, lang), file=sys.stderr)
        return 1
    sent = _send_test(args.send_test, settings.modem.smsd_dir, args.wait_s, lang)
    return 0 if sent and not problems else 1
