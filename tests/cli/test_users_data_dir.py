"""``greenhouse users`` opens the accounts file the gateway opens, found the same way (the option, the
environment, the stack in the folder), says which one it uses, and refuses a greenhouse the site does not have."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from greenhouse.net import free_port
from tests.conftest import EXAMPLE_SITE
from tests.support.mosquitto import Mosquitto
from tests.support.stack import REPO

PASSWORD = "mat-khau-nong-dan"


def _greenhouse(args: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("GREENHOUSE_DATA_DIR", "GREENHOUSE_CONFIG")}
    return subprocess.run(
        [sys.executable, "-m", "greenhouse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**clean, "PYTHONPATH": str(REPO), **env},
        timeout=60,
    )


def _stack(root: Path) -> Path:
    """A folder as ``greenhouse init`` leaves it: .env naming the site file, and stack/gateway-data."""
    (root / "stack" / "gateway-data").mkdir(parents=True)
    (root / ".env").write_text(f"# secrets\nSITE_DIR={EXAMPLE_SITE.parent}\nSITE_FILE={EXAMPLE_SITE.name}\n")
    return root / "stack" / "gateway-data"


def _signs_in(url: str, name: str, password: str) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            return httpx.post(f"{url}/api/v1/login", json={"user": name, "password": password}, timeout=5).status_code
        except httpx.TransportError:
            time.sleep(0.3)
    raise AssertionError(f"the gateway at {url} never answered")


def test_a_user_added_in_the_stack_folder_signs_in_to_the_gateway_started_there(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    data = _stack(tmp_path)
    add = ["users", "add", "nong-dan", "--role", "farmer", "--greenhouse", "ca-chua-1", "--password-stdin"]
    added = _greenhouse([*add, "--lang", "en"], tmp_path, {}, PASSWORD + "\n")
    assert added.returncode == 0, added.stderr
    # The cooperative from the stack's site file; the file it wrote, and why that one.
    assert added.stdout == "added nong-dan: farmer of htx-moc-chau — sees only ca-chua-1\n"
    assert f"Accounts file: {data / 'accounts.sqlite3'} (of the stack in this folder)" in added.stderr
    assert not (tmp_path / "gateway-data").exists()

    port = free_port()
    args = ["gateway", "--mqtt-url", mosquitto.url, "--http-port", str(port), "--no-cookie-secure", "--no-share"]
    gateway = subprocess.Popen(
        [sys.executable, "-m", "greenhouse", *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert _signs_in(f"http://127.0.0.1:{port}", "nong-dan", PASSWORD) == 200
    finally:
        gateway.terminate()
        _, err = gateway.communicate(timeout=30)
    assert gateway.returncode == 0, err
    assert {p.name for p in data.glob("*.sqlite3")} > {"accounts.sqlite3"}  # its spool and history are there too


def test_the_data_dir_from_the_environment_is_used_and_said(tmp_path: Path) -> None:
    data = tmp_path / "somewhere" / "gateway-data"
    env = {"GREENHOUSE_DATA_DIR": str(data)}
    add = ["users", "add", "quan-tri", "--role", "admin", "--cooperative", "htx-moc-chau", "--password-stdin"]
    added = _greenhouse(add, tmp_path, env, "mat-khau-quan-tri\n")
    assert added.returncode == 0, added.stderr
    assert added.stdout == "Đã thêm quan-tri: quản trị viên của htx-moc-chau\n"
    assert f"Tệp tài khoản: {data / 'accounts.sqlite3'} (theo $GREENHOUSE_DATA_DIR)" in added.stderr
    assert "Chưa có tệp tài khoản ở đây: tạo tệp mới." in added.stderr  # a new file is never made in silence
    assert (data / "accounts.sqlite3").is_file() and not (tmp_path / "gateway-data").exists()

    listed = _greenhouse(["users", "list", "--lang", "en"], tmp_path, env)
    assert listed.returncode == 0 and listed.stdout.split()[:3] == ["quan-tri", "admin", "htx-moc-chau"]
    assert "new one" not in listed.stderr
    # The option wins over the environment; a folder without accounts is named, and nothing is made there.
    elsewhere = _greenhouse(["users", "list", "--data-dir", "gw", "--lang", "en"], tmp_path, env)
    assert elsewhere.returncode == 2
    assert f"No accounts file {tmp_path / 'gw' / 'accounts.sqlite3'}" in elsewhere.stderr
    assert not (tmp_path / "gw").exists()


def test_an_unknown_greenhouse_is_refused_naming_it_and_the_ones_the_site_has(tmp_path: Path) -> None:
    env = {"GREENHOUSE_CONFIG": str(EXAMPLE_SITE)}
    add = ["users", "add", "nong-dan", "--role", "farmer", "--greenhouse", "ca-chua-9", "--password-stdin"]
    vi = _greenhouse(add, tmp_path, env, PASSWORD + "\n")
    assert vi.returncode == 2
    assert vi.stderr.splitlines()[-1] == (
        "greenhouse users: --greenhouse: Không có nhà màng ca-chua-9 trong htx-moc-chau (có: ca-chua-1 (Nhà màng cà"
        " chua 1), ca-chua-2 (Nhà màng cà chua 2), rau-la-1 (Nhà màng rau ăn lá 1))"
    )
    en = _greenhouse([*add, "--lang", "en"], tmp_path, env, PASSWORD + "\n")
    assert en.stderr.splitlines()[-1].startswith("greenhouse users: --greenhouse: No greenhouse ca-chua-9 in htx-")
    assert not (tmp_path / "gateway-data").exists()  # refused before any file is opened

    # Another cooperative than the site's, and a greenhouse with no site file to check it against.
    farmer = [*add[:-3], "--password-stdin", "--lang", "en"]
    other = _greenhouse([*farmer, "--cooperative", "htx-bac-ha"], tmp_path, env, PASSWORD + "\n")
    assert other.returncode == 2 and "--cooperative htx-bac-ha: the site file" in other.stderr
    no_site = _greenhouse([*add, "--cooperative", "htx-moc-chau", "--lang", "en"], tmp_path, {}, PASSWORD + "\n")
    assert no_site.returncode == 2
    assert "the gateway's site file is needed to check the greenhouses" in no_site.stderr
    assert not (tmp_path / "gateway-data").exists()


@pytest.mark.parametrize("flag", ["--config", None])
def test_a_known_greenhouse_is_taken_from_the_option_or_the_environment(tmp_path: Path, flag: str | None) -> None:
    site = [flag, str(EXAMPLE_SITE)] if flag else []
    env = {} if flag else {"GREENHOUSE_CONFIG": str(EXAMPLE_SITE)}
    add = ["users", "add", "nong-dan", "--role", "farmer", "--greenhouse", "rau-la-1", "--password-stdin", *site]
    done = _greenhouse(add, tmp_path, env, PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Đã thêm nong-dan: nông dân của htx-moc-chau — chỉ xem rau-la-1\n"
