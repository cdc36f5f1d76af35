"""``greenhouse modem setup`` writes what a real Gammu SMSD runs with (on Gammu's dummy phone), merged into the
gateway's channels.yaml; ``greenhouse modem check`` reads that SMSD healthy, sends a test SMS through it, and says
"not running" once it stopped. Refusals are worded at the option, in Vietnamese and English."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from contract.config_file import load_model
from contract.site_file import load_site
from gateway.notify.channel_settings import ChannelSettings
from greenhouse.cli import main
from greenhouse.demo.roster import write_demo_roster
from tests.conftest import EXAMPLE_SITE
from tests.support.gammu_smsd import CALLER, gammu_binary
from tests.support.stack import REPO

CHANNELS = """\
# How this farm server reaches people.
email:
  # the cooperative's mail server
  host: mail.htx-moc-chau.vn
  from_address: canhbao@htx-moc-chau.vn
  from_name: HTX Mộc Châu

app_url: https://htx-moc-chau.vn
"""


def greenhouse(*args: str) -> subprocess.CompletedProcess[str]:
    """The command in a fresh process, as a technician runs it."""
    clean = {k: v for k, v in os.environ.items() if k != "GREENHOUSE_DATA_DIR"}
    return subprocess.run(
        [sys.executable, "-m", "greenhouse", *args],
        capture_output=True,
        text=True,
        env={**clean, "PYTHONPATH": str(REPO)},
        timeout=240,
    )


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A gateway's data dir with a roster and a channels file a technician wrote (email only)."""
    data = tmp_path / "gateway-data"
    data.mkdir()
    write_demo_roster(load_site(EXAMPLE_SITE), data)
    (data / "channels.yaml").write_text(CHANNELS, encoding="utf-8")
    return data


@pytest.fixture
def phones(tmp_path: Path) -> tuple[Path, Path]:
    """Two dummy phones: the modem's SMS port and its call port."""
    sms, call = tmp_path / "modem-sms", tmp_path / "modem-call"
    sms.mkdir()
    call.mkdir()
    return sms, call


class Smsd:
    """The real gammu-smsd, started with the configuration the command wrote, as its next step says."""

    def __init__(self, conf: Path) -> None:
        self.conf = conf
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [gammu_binary("gammu-smsd"), "-c", str(self.conf)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        log = self.conf.parent / "smsd.log"
        deadline = time.monotonic() + 30
        while "Starting phone communication" not in (log.read_text(errors="replace") if log.exists() else ""):
            assert self.proc.poll() is None, f"gammu-smsd refused the configuration:\n{self.conf.read_text()}"
            assert time.monotonic() < deadline, "gammu-smsd never reached the dummy phone"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)


@pytest.fixture
def smsd(data_dir: Path) -> Iterator[Smsd]:
    server = Smsd(data_dir / "smsd" / "smsdrc")
    yield server
    server.stop()


def test_setup_writes_what_real_smsd_runs_with_and_check_follows_it_until_it_stops(
    data_dir: Path, phones: tuple[Path, Path], smsd: Smsd
) -> None:
    sms_port, call_port = phones
    done = greenhouse(
        "modem", "setup", "--dir", str(data_dir), "--device", str(sms_port), "--call-device", str(call_port),
        "--model", "dummy", "--lang", "en",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    conf = data_dir / "smsd" / "smsdrc"
    assert f"Start SMSD: gammu-smsd -c {conf}" in done.stdout
    assert "greenhouse modem check --dir" in done.stdout and "Send me a test alert" in done.stdout

    # channels.yaml: the technician's email section and comments kept, the modem's and the call port's added.
    text = (data_dir / "channels.yaml").read_text(encoding="utf-8")
    assert text.startswith(CHANNELS)
    settings = load_model(data_dir / "channels.yaml", ChannelSettings)
    assert settings.email is not None and settings.email.host == "mail.htx-moc-chau.vn"
    assert settings.app_url == "https://htx-moc-chau.vn"
    assert settings.modem is not None and settings.modem.smsd_dir == data_dir / "smsd"
    assert settings.modem.smsd_config == conf
    assert settings.call is not None and str(call_port) in settings.call.gammurc.read_text()

    smsd.start()
    healthy = greenhouse("modem", "check", "--dir", str(data_dir), "--lang", "en")
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    lines = healthy.stdout.splitlines()
    assert "SMSD: running" in lines and "Modem: connected (IMEI 999999999999999)" in lines
    assert "Network: registered" in lines  # asked on the call port, through its own gammurc
    assert lines[-1] == "Good: the modem is ready to send alerts."

    test = greenhouse("modem", "check", "--dir", str(data_dir), "--send-test", "+84912345678")
    assert test.returncode == 0, test.stdout + test.stderr
    assert "Tốt: modem sẵn sàng gửi cảnh báo." in test.stdout
    assert "Tin thử tới +84912345678 đã đi sau" in test.stdout
    sent = list((data_dir / "smsd" / "sent").glob("OUT*_+84912345678_*.txt"))
    assert len(sent) == 1
    assert sent[0].read_bytes().decode("utf-16").startswith("Tin nhắn thử của máy báo động trang trại lúc")
    assert "to +84912345678" in (data_dir / "smsd" / "smsd.log").read_text(errors="replace")

    # A call to the modem reaches SMSD's hook, which the setup wrote: the caller's number lands in the calls folder.
    (sms_port / "incoming-call").touch()
    deadline = time.monotonic() + 30
    while not (calls := list((data_dir / "smsd" / "calls").glob("CALL*.txt"))):
        assert time.monotonic() < deadline, "SMSD did not run the call hook"
        time.sleep(0.1)
    assert calls[0].read_text().strip() == CALLER

    smsd.stop()
    stopped = greenhouse("modem", "check", "--dir", str(data_dir), "--lang", "en", "--send-test", "+84912345678")
    assert stopped.returncode == 1
    assert "SMSD: not running" in stopped.stdout
    assert "  - Gammu SMSD is not running on the server: no alert SMS can go out" in stopped.stdout
    assert "No test SMS sent: SMSD is not running." in stopped.stderr
    assert list((data_dir / "smsd" / "outbox").glob("OUT*")) == []  # nothing left to go out later


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def test_setup_refuses_at_the_option_in_both_languages(
    tmp_path: Path, data_dir: Path, phones: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "ttyUSB9"
    code, err = run(capsys, "modem", "setup", "--dir", str(data_dir), "--device", str(missing))
    assert code == 2
    assert f"--device {missing}: không có cổng này. Cắm modem rồi xem các cổng của nó" in err
    code, err = run(capsys, "modem", "setup", "--dir", str(data_dir), "--device", str(missing), "--lang", "en")
    assert f"--device {missing}: no such port. Plug the modem in and list its ports: ls -l /dev/serial/by-id/" in err

    regular = tmp_path / "notes.txt"
    regular.write_text("")
    code, err = run(capsys, "modem", "setup", "--dir", str(data_dir), "--device", str(regular), "--lang", "en")
    assert code == 2 and f"--device {regular}: not a serial port" in err
    code, err = run(capsys, "modem", "setup", "--dir", str(data_dir), "--device", "/dev/null", "--call-device",
                    "/dev/null", "--lang", "en")  # fmt: skip
    assert code == 2 and "--call-device /dev/null: must be the modem's second AT port, not --device's" in err
    code, err = run(capsys, "modem", "setup", "--dir", str(data_dir), "--device", "/dev/null", "--pin", "12ab")
    assert code == 2 and "--pin: mã PIN là 4 đến 8 chữ số" in err

    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = run(capsys, "modem", "setup", "--dir", str(empty), "--device", "/dev/null")
    assert code == 2 and f"--dir {empty}: chưa có danh sách trực (roster.yaml)" in err
    code, err = run(capsys, "modem", "setup", "--dir", str(empty), "--device", "/dev/null", "--lang", "en")
    assert f"--dir {empty}: no duty roster (roster.yaml) yet, so alerts are told to nobody" in err
    assert list(empty.iterdir()) == []  # nothing written anywhere
    assert (data_dir / "channels.yaml").read_text(encoding="utf-8") == CHANNELS


def test_setup_never_overwrites_without_force_nor_merges_into_a_file_with_mistakes(
    data_dir: Path, phones: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    sms_port, _ = phones
    setup = ("modem", "setup", "--dir", str(data_dir), "--device", str(sms_port), "--model", "dummy", "--lang", "en")
    assert run(capsys, *setup)[0] == 0
    conf = data_dir / "smsd" / "smsdrc"
    first = conf.read_text()

    code, err = run(capsys, *setup, "--pin", "1234")
    assert code == 2 and "a modem set-up exists already, not overwritten:" in err and str(conf) in err
    assert conf.read_text() == first
    assert run(capsys, *setup, "--pin", "1234", "--force")[0] == 0
    assert "pin = 1234" in conf.read_text().split("[smsd]")[1]
    channels = yaml.safe_load((data_dir / "channels.yaml").read_text(encoding="utf-8"))
    assert list(channels) == ["email", "app_url", "modem"]  # replaced where it stood, not written twice

    broken = "email:\n  host: mail.htx-moc-chau.vn\n  port: 99999\n"
    (data_dir / "channels.yaml").write_text(broken, encoding="utf-8")
    code = main([*setup, "--force"])
    err = capsys.readouterr().err
    assert code == 2 and "channels.yaml:3" in err and "port" in err
    assert (data_dir / "channels.yaml").read_text(encoding="utf-8") == broken


def test_check_without_a_modem_set_up_says_what_to_run(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "modem", "check", "--dir", str(data_dir), "--lang", "en")
    assert code == 2
    assert "no modem set up (a modem: section with smsd_config). Run 'greenhouse modem setup' first." in err
    code, err = run(capsys, "modem", "check", "--dir", str(data_dir), "--send-test", "0912 345 678")
    assert code == 2 and "--send-test 0912 345 678: không phải số điện thoại" in err
