"""docker-compose.yml and docker-compose.sim.yml: valid Compose files, pinned and healthy, no default
secret, and every file, folder and command argument they name exists (in the repo, or from 'greenhouse init')."""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from greenhouse.cli import build_parser
from greenhouse.deploy.env_file import HEALTH_USER, StackEnv
from greenhouse.deploy.listeners import BrokerListener
from greenhouse.grafana.export import files as grafana_files
from tests.conftest import EXAMPLE_SITE
from tests.deploy import mosquitto_conf
from tests.deploy.compose import MissingVariable, host_path, load, mounts, read_env, resolve

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "docker-compose.yml"
SIM = REPO / "docker-compose.sim.yml"
SCHEMA = json.loads((Path(__file__).parent / "schema" / "compose_spec.json").read_text())
# The file names draft 2019-09 under an address jsonschema does not know: say it plainly.
VALIDATOR = jsonschema.Draft201909Validator(SCHEMA)
COMMANDS = {"gateway", "edge", "sim"}  # the services that run 'greenhouse …'


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from greenhouse.cli import main

    root = tmp_path_factory.mktemp("farm-server")
    assert main(["init", str(root), "--site", str(EXAMPLE_SITE), "--sim"]) == 0
    return root


@pytest.fixture(scope="module")
def resolved(stack_dir: Path) -> dict[str, dict[str, Any]]:
    env = read_env(stack_dir / ".env")
    return {"main": resolve(load(MAIN), env), "sim": resolve(load(SIM), env)}


def on_host(source: str, stack_dir: Path) -> Path:
    """A mount source: ./stack/… is what init wrote (the same folder as docker-compose.yml on the server)."""
    if source.startswith("./stack/"):
        return stack_dir / source.removeprefix("./")
    return REPO / source.removeprefix("./") if source.startswith("./") else Path(source)


@pytest.mark.parametrize("path", [MAIN, SIM], ids=["main", "sim"])
def test_the_files_validate_against_the_compose_specification(path: Path) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(load(path))]
    assert errors == []
    assert list(VALIDATOR.iter_errors({"services": {"x": {"imagee": "typo:1"}}})), "the schema checks nothing?"


def test_the_two_files_merged_are_still_one_valid_project(resolved: dict[str, dict[str, Any]]) -> None:
    merged = {"services": {**resolved["main"]["services"], **resolved["sim"]["services"]}}
    merged["volumes"] = {**resolved["main"]["volumes"], **resolved["sim"]["volumes"]}
    assert list(VALIDATOR.iter_errors(merged)) == []
    for name, service in merged["services"].items():
        for dependency in service.get("depends_on", []):
            assert dependency in merged["services"], f"{name} depends on unknown {dependency}"


def test_no_secret_has_a_default_and_compose_stops_without_init() -> None:
    text = MAIN.read_text() + SIM.read_text()
    secrets = set(re.findall(r"\$\{([A-Z_]*PASSWORD[A-Z_0-9]*)([^}]*)\}", text))
    assert secrets, "the compose files read no secret?"
    for name, rest in secrets:
        assert rest.startswith(":?"), f"${{{name}}} must fail when unset, not default ({rest!r})"
    with pytest.raises(MissingVariable):
        resolve(load(MAIN), {})


def test_images_are_pinned_services_restart_and_the_main_ones_have_healthchecks() -> None:
    for path in (MAIN, SIM):
        for name, service in load(path)["services"].items():
            image = service.get("image", "")
            assert re.fullmatch(r"[\w./-]+:\d[\w.-]*", image), f"{name}: image {image!r} is not pinned to a version"
            assert service.get("restart") == "unless-stopped", name
    for name, service in load(MAIN)["services"].items():
        assert {"test", "interval", "retries"} <= set(service["healthcheck"]), name
    assert set(load(MAIN)["volumes"]) == {"mosquitto-data", "influxdb-data", "grafana-data", "proxy-acme"}


def test_every_mounted_file_exists(resolved: dict[str, dict[str, Any]], stack_dir: Path) -> None:
    for project in resolved.values():
        declared = set(project.get("volumes", {})) | set(resolved["main"]["volumes"])
        for name, service in project["services"].items():
            for volume in service.get("volumes", []):
                source = volume.split(":")[0]
                if source.startswith(("/", "./")):
                    assert on_host(source, stack_dir).exists(), f"{name}: {source} does not exist"
                else:
                    assert source in declared, f"{name}: named volume {source} is not declared"


def _container_file(arg: str, service: dict[str, Any], stack_dir: Path) -> Path:
    source = host_path(arg, service)
    assert source is not None, f"{arg} is not under any of the service's mounts {mounts(service)}"
    return on_host(source, stack_dir)


def test_greenhouse_commands_are_accepted_by_the_real_parser_and_name_mounted_files(
    resolved: dict[str, dict[str, Any]], stack_dir: Path
) -> None:
    services = {**resolved["main"]["services"], **resolved["sim"]["services"]}
    ran = set()
    for name, service in services.items():
        if "command" not in service or name in ("mosquitto", "proxy"):  # theirs, not greenhouse's
            continue
        args = build_parser().parse_args(service["command"])
        ran.add(args.command)
        for option in ("config", "mqtt_ca"):
            value = getattr(args, option, None)
            if value is not None:
                assert _container_file(str(value), service, stack_dir).is_file(), f"{name}: --{option} {value}"
        if args.command in ("gateway", "edge"):
            assert args.mqtt_url.tls and args.mqtt_url.host == "mosquitto" and args.mqtt_url.password
    assert ran == COMMANDS
    gateway = build_parser().parse_args(services["gateway"]["command"])
    assert gateway.influx_url == "http://influxdb:8086" and gateway.http_host == "0.0.0.0"


def test_the_web_apps_grafana_link_goes_from_init_through_compose_to_the_gateway(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from greenhouse.cli import main

    assert main(["init", str(tmp_path), "--site", str(EXAMPLE_SITE), "--broker-host", "192.168.1.10"]) == 0
    gateway = resolve(load(MAIN), read_env(tmp_path / ".env"))["services"]["gateway"]
    assert gateway["environment"]["GREENHOUSE_GRAFANA_URL"] == "http://192.168.1.10:3000"
    monkeypatch.setenv("GREENHOUSE_GRAFANA_URL", gateway["environment"]["GREENHOUSE_GRAFANA_URL"])
    assert build_parser().parse_args(gateway["command"]).grafana_url == "http://192.168.1.10:3000"
    monkeypatch.setenv("GREENHOUSE_GRAFANA_URL", "")  # init without a broker host: no link, not a bad one
    assert build_parser().parse_args(gateway["command"]).grafana_url is None


def test_mosquitto_finds_every_file_its_config_names(resolved: dict[str, dict[str, Any]], stack_dir: Path) -> None:
    broker = resolved["main"]["services"]["mosquitto"]
    conf = _container_file("/mosquitto/config/mosquitto.conf", broker, stack_dir)
    for line in conf.read_text().splitlines():
        key, _, value = line.partition(" ")
        if key in ("password_file", "acl_file", "cafile", "certfile", "keyfile"):
            assert _container_file(value, broker, stack_dir).is_file(), f"mosquitto.conf {key} {value}"
    health = " ".join(broker["healthcheck"]["test"][1:])
    assert f"-u {HEALTH_USER}" in health and "--cafile /mosquitto/secrets/certs/ca.crt" in health
    assert f"-p {BrokerListener.CENTRAL.value}" in health and shlex.split(health)[0] == "mosquitto_sub"


def test_each_client_uses_the_listener_meant_for_it_and_only_the_edges_one_is_published(
    resolved: dict[str, dict[str, Any]],
) -> None:
    conf = mosquitto_conf.read()
    assert set(conf.listeners) == {listener.value for listener in BrokerListener}
    # A greenhouse's login is its client id where greenhouses connect; the central services pick theirs.
    assert conf.listener_option(BrokerListener.EDGES, "use_username_as_clientid") == "true"
    assert conf.listener_option(BrokerListener.CENTRAL, "use_username_as_clientid") in (None, "false")
    assert conf.setting("use_username_as_clientid") is None, "global: it would make central connections kick each other"
    # Mosquitto 2.0.12 and later (the image) drop what arrives for an offline persistent session when security
    # is per listener (eclipse/mosquitto#2618); the Debian 2.0.11 the tests run predates that, so only this shows it.
    assert conf.setting("per_listener_settings") == "false"
    for port in conf.listeners:
        assert conf.listener_option(port, "certfile") and conf.listener_option(port, "keyfile"), f"listener {port}"
    services = {**resolved["main"]["services"], **resolved["sim"]["services"]}
    published = {int(str(p).rsplit(":", 1)[1]) for p in services["mosquitto"]["ports"]}
    assert published == {BrokerListener.EDGES.value}
    for name, service in services.items():
        if service.get("command", [None])[0] in ("gateway", "edge"):
            url = build_parser().parse_args(service["command"]).mqtt_url
            expected = BrokerListener.CENTRAL if name == "gateway" else BrokerListener.EDGES
            assert url.port == expected.value, f"{name}: {url}"


def test_grafana_provisioning_is_what_the_code_generates(resolved: dict[str, dict[str, Any]], stack_dir: Path) -> None:
    shipped = REPO / "deploy" / "grafana"
    generated = grafana_files(("vi", "en"))
    for name, text in generated.items():
        assert (shipped / name).read_text(encoding="utf-8") == text, (
            f"deploy/grafana/{name}: run 'greenhouse grafana export deploy/grafana'"
        )
    on_disk = {str(p.relative_to(shipped)) for p in shipped.rglob("*") if p.is_file()}
    assert on_disk == set(generated), "files in deploy/grafana that the code does not generate"
    grafana = resolved["main"]["services"]["grafana"]
    providers = yaml.safe_load(generated["provisioning/dashboards/greenhouse.yaml"])["providers"]
    for provider in providers:
        assert _container_file(provider["options"]["path"], grafana, stack_dir).is_dir()
    assert "INFLUXDB_GRAFANA_PASSWORD" in grafana["environment"]


def test_env_example_lists_every_variable_empty() -> None:
    lines = [line for line in (REPO / ".env.example").read_text().splitlines() if line and not line.startswith("#")]
    assert [line.split("=")[0] for line in lines] == list(StackEnv.model_fields)
    assert all(line.endswith("=") for line in lines)


def test_the_image_holds_every_package_the_project_installs() -> None:
    """The Dockerfile copies the sources package by package: one left out installs without it, and the gateway
    fails at its first import on the farm server (agronomy/ and desk/ were, once)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \1$", (REPO / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE))
    assert packages <= copied, f"the Dockerfile does not copy {sorted(packages - copied)}"
