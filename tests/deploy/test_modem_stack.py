"""The modem in the production stack, checked as data (there is no Docker engine here): the ``smsd`` service runs
Gammu SMSD from the project's image only under the ``modem`` profile, on the port .env names, with the configuration
``greenhouse modem setup`` wrote in the stack folder — every path in it is one the containers see, on the files the
setup wrote — and the gateway reads the same folders, dials on the second port and shares SMSD's IPC namespace."""

from __future__ import annotations

import configparser
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.site_file import load_site
from greenhouse.cli import build_parser, main
from greenhouse.demo.roster import write_demo_roster
from greenhouse.deploy.layout import StackLayout
from tests.conftest import EXAMPLE_SITE
from tests.deploy.compose import host_path, load, mounts, read_env, resolve

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "docker-compose.yml"
# Character devices that exist on every Linux machine, standing in for the modem's two AT ports.
SMS_PORT, CALL_PORT = "/dev/null", "/dev/zero"


@pytest.fixture
def stack_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stack folder as ``greenhouse init`` leaves it, with a roster, and the technician working in it."""
    assert main(["init", str(tmp_path), "--site", str(EXAMPLE_SITE)]) == 0
    write_demo_roster(load_site(EXAMPLE_SITE), StackLayout(tmp_path).gateway_data)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GREENHOUSE_DATA_DIR", raising=False)
    return tmp_path


def on_host(source: str, stack_dir: Path) -> Path:
    return stack_dir / source.removeprefix("./") if source.startswith("./") else Path(source)


def host_file(container_path: str, service: dict[str, Any], stack_dir: Path) -> Path:
    source = host_path(container_path, service)
    assert source is not None, f"{container_path} is not under any of the service's mounts {mounts(service)}"
    return on_host(source, stack_dir)


def test_the_smsd_service_starts_only_with_the_modem_profile_from_the_projects_image() -> None:
    services = load(MAIN)["services"]
    smsd = services["smsd"]
    assert smsd["profiles"] == ["modem"]
    assert [name for name, service in services.items() if "profiles" in service] == ["smsd"]
    assert smsd["image"] == services["gateway"]["image"] and smsd["restart"] == "unless-stopped"
    assert smsd["entrypoint"][:2] == ["gammu-smsd", "--config"] and "command" not in smsd
    health = smsd["healthcheck"]["test"]
    assert health[:2] == ["CMD", "gammu-smsd-monitor"] and health[health.index("--config") + 1] == smsd["entrypoint"][2]
    # Both in one IPC namespace, the host's: SMSD's status in shared memory is what the gateway's watch reads.
    assert smsd["ipc"] == services["gateway"]["ipc"] == "host"


def test_the_dockerfile_installs_gammu_for_smsd_the_ring_calls_and_the_watch() -> None:
    text = (REPO / "Dockerfile").read_text()
    install = re.search(r"apt-get install -y --no-install-recommends ([^\\\n]+)", text)
    assert install is not None and {"gammu", "gammu-smsd"} <= set(install[1].split())
    assert "rm -rf /var/lib/apt/lists/*" in text
    assert text.index("apt-get install") < text.index("pip install")  # a code change does not install it again


def test_setup_in_the_stack_folder_writes_what_the_containers_see_and_compose_passes_the_ports(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = StackLayout(stack_dir)
    before = read_env(layout.env)
    assert main(["modem", "setup", "--device", SMS_PORT, "--call-device", CALL_PORT, "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "docker compose up -d --build" in out and "docker compose restart gateway" in out
    assert "docker compose exec gateway greenhouse modem check --send-test YOUR_NUMBER" in out

    # .env: the host's ports and the profile, so that 'docker compose up -d' starts SMSD; the secrets untouched.
    env = read_env(layout.env)
    assert {k: v for k, v in env.items() if k in before} == before
    assert (env["MODEM_DEVICE"], env["MODEM_CALL_DEVICE"], env["COMPOSE_PROFILES"]) == (SMS_PORT, CALL_PORT, "modem")
    assert stat.S_IMODE(layout.env.stat().st_mode) == 0o600
    project = resolve(load(MAIN), env)["services"]
    smsd, gateway = project["smsd"], project["gateway"]
    assert smsd["devices"] == [f"{SMS_PORT}:/dev/modem"]
    assert gateway["devices"] == [f"{CALL_PORT}:/dev/modem-call"]

    # SMSD's configuration, through the smsd service's mounts: the file the setup wrote, naming the modem as the
    # container has it and folders that are, through the gateway's mounts, the very ones the gateway uses.
    conf_in_container = smsd["entrypoint"][2]
    conf = host_file(conf_in_container, smsd, stack_dir)
    assert conf == layout.gateway_data / "smsd" / "smsdrc" and conf.is_file()
    smsdrc = configparser.ConfigParser(interpolation=None)
    smsdrc.read(conf)
    assert smsdrc["gammu"]["device"] == "/dev/modem" and smsdrc["gammu"]["connection"] == "at"
    hook = smsdrc["smsd"]["runonincomingcall"]
    assert host_file(hook, smsd, stack_dir).read_text().count("/data/smsd/calls") == 2
    channels = yaml.safe_load((layout.gateway_data / "channels.yaml").read_text())
    assert channels["modem"]["smsd_config"] == conf_in_container
    for folder, key in (("inbox", "inboxpath"), ("outbox", "outboxpath"), ("sent", "sentsmspath"),
                        ("error", "errorsmspath")):  # fmt: skip
        here = host_file(smsdrc["smsd"][key].rstrip("/"), smsd, stack_dir)
        assert here.is_dir(), folder
        assert host_file(f"{channels['modem']['smsd_dir']}/{folder}", gateway, stack_dir) == here

    # The call port: the gateway's gammurc names the device compose gives the gateway.
    gammurc = host_file(channels["call"]["gammurc"], gateway, stack_dir)
    assert "device = /dev/modem-call" in gammurc.read_text()
    # The gateway reads channels.yaml in its data dir; a technician's command in the container finds it too.
    data = build_parser().parse_args(gateway["command"]).data_dir
    assert str(data) == gateway["environment"]["GREENHOUSE_DATA_DIR"] == "/data"
    assert host_file(f"{data}/channels.yaml", gateway, stack_dir) == layout.gateway_data / "channels.yaml"


def test_a_stack_without_a_modem_gives_the_gateway_no_port_and_is_checked_in_the_container(
    stack_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env = read_env(StackLayout(stack_dir).env)
    assert "COMPOSE_PROFILES" not in env
    gateway = resolve(load(MAIN), env)["services"]["gateway"]
    assert gateway["devices"] == ["/dev/null:/dev/modem-call"]  # a device every container may have: no call port

    assert main(["modem", "setup", "--device", SMS_PORT, "--spool", "/tmp/elsewhere"]) == 2
    assert "--spool /tmp/elsewhere: các container của bộ cài đặt chỉ thấy thư mục dữ liệu" in capsys.readouterr().err
    assert main(["modem", "setup", "--device", SMS_PORT]) == 0
    assert read_env(StackLayout(stack_dir).env)["COMPOSE_PROFILES"] == "modem"
    capsys.readouterr()
    # On the host, the files name the containers' paths and SMSD's status is the root-run containers': said so.
    assert main(["modem", "check", "--lang", "en"]) == 2
    assert "docker compose exec gateway greenhouse modem check" in capsys.readouterr().err
