"""``greenhouse devices import-ha``: Home Assistant discovery configs on a real Mosquitto, from the simulator's
nodes and hand-published as each firmware really sends them, made into site file entries that load as nodes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contract.clock import Clock
from contract.kinds import SensorKind
from contract.mqtt import BrokerUrl, make_client
from contract.site import Firmware, Greenhouse, Node, SiteConfig
from desk.ha_discovery import FoundNode, Skip, discover, field_of, site_entries
from firmware_sim.mqtt_nodes import MqttOptions
from firmware_sim.server import Simulator
from greenhouse.net import free_port
from tests.firmware_sim.support import wait_for
from tests.firmware_sim.test_mqtt_nodes import GH, Listener, mqtt_site
from tests.support.mosquitto import Mosquitto

ROOT = Path(__file__).resolve().parents[2]
AIR_TEMP_C, SOIL_TEMP_C = SensorKind.AIR_TEMP_C, SensorKind.SOIL_TEMP_C

# As Tasmota (SetOption19 1), ESPHome and Zigbee2MQTT send them, with what a real installation also announces:
# diagnostics, a binary sensor, a computed value, a soil probe without a device class, a name with a space, and a
# device of some other firmware.
REAL: dict[str, dict[str, Any]] = {
    "homeassistant/sensor/9CF9D1_DS18B20_Temperature/config": {
        "name": "Nhiệt độ đất", "~": "tele/tasmota_9CF9D1/", "stat_t": "~SENSOR", "avty_t": "~LWT",
        "pl_avail": "Online", "pl_not_avail": "Offline", "uniq_id": "9CF9D1_DS18B20_Temperature",
        "dev": {"ids": ["9CF9D1"], "name": "Tủ bơm", "mdl": "Sonoff TH16", "mf": "Tasmota"},
        "unit_of_meas": "°C", "dev_cla": "temperature", "frc_upd": True,
        "val_tpl": "{{value_json['DS18B20'].Temperature}}",
    },
    "homeassistant/sensor/9CF9D1_ANALOG_A0/config": {
        "name": "Mực nước", "stat_t": "tele/tasmota_9CF9D1/SENSOR", "uniq_id": "9CF9D1_ANALOG_A0",
        "dev": {"ids": ["9CF9D1"]}, "val_tpl": "{{ value_json.ANALOG.A0 | float / 10.24 }}", "unit_of_meas": "%",
    },
    "homeassistant/switch/9CF9D1_RL_1/config": {
        "name": "Bơm", "cmd_t": "cmnd/tasmota_9CF9D1/POWER", "stat_t": "tele/tasmota_9CF9D1/STATE",
        "val_tpl": "{{value_json.POWER}}", "pl_off": "OFF", "pl_on": "ON", "avty_t": "tele/tasmota_9CF9D1/LWT",
        "uniq_id": "9CF9D1_RL_1", "dev": {"ids": ["9CF9D1"]},
    },
    "homeassistant/sensor/nha2-esp/soil_moisture/config": {
        "unit_of_meas": "%", "stat_cla": "measurement", "name": "Soil Moisture",
        "stat_t": "nha2-esp/sensor/soil_moisture/state", "avty_t": "nha2-esp/status",
        "uniq_id": "ESPsensorsoil_moisture", "dev": {"ids": "a0b1c2d3e4f5", "name": "nha2-esp", "mdl": "esp32dev"},
    },
    "homeassistant/sensor/nha2-esp/bh1750_illuminance/config": {
        "dev_cla": "illuminance", "unit_of_meas": "lx", "stat_cla": "measurement", "name": "BH1750 Illuminance",
        "stat_t": "nha2-esp/sensor/bh1750_illuminance/state", "avty_t": "nha2-esp/status",
        "uniq_id": "ESPsensorbh1750_illuminance", "dev": {"ids": "a0b1c2d3e4f5", "name": "nha2-esp"},
    },
    "homeassistant/sensor/nha2-esp/wifi_signal/config": {
        "dev_cla": "signal_strength", "unit_of_meas": "dBm", "ent_cat": "diagnostic", "name": "WiFi Signal",
        "stat_t": "nha2-esp/sensor/wifi_signal/state", "dev": {"ids": "a0b1c2d3e4f5", "name": "nha2-esp"},
    },
    "homeassistant/binary_sensor/nha2-esp/door/config": {
        "dev_cla": "door", "name": "Door", "stat_t": "nha2-esp/binary_sensor/door/state",
        "dev": {"ids": "a0b1c2d3e4f5", "name": "nha2-esp"},
    },
    "homeassistant/switch/nha2-esp/van_a/config": {
        "name": "Van A", "stat_t": "nha2-esp/switch/van_a/state", "cmd_t": "nha2-esp/switch/van_a/command",
        "avty_t": "nha2-esp/status", "uniq_id": "ESPswitchvan_a", "dev": {"ids": "a0b1c2d3e4f5", "name": "nha2-esp"},
    },
    "homeassistant/sensor/0x00158d0001a2b3c4/temperature/config": {
        "device_class": "temperature", "unit_of_measurement": "°C", "state_class": "measurement",
        "state_topic": "zigbee2mqtt/ngoai_troi", "value_template": "{{ value_json.temperature }}",
        "unique_id": "0x00158d0001a2b3c4_temperature_zigbee2mqtt",
        "device": {"identifiers": ["zigbee2mqtt_0x00158d0001a2b3c4"], "name": "ngoai_troi", "model": "WSDCGQ11LM"},
        "availability": [{"topic": "zigbee2mqtt/bridge/state", "value_template": "{{ value_json.state }}"}],
    },
    "homeassistant/sensor/0x00158d0001a2b3c4/battery/config": {
        "device_class": "battery", "unit_of_measurement": "%", "entity_category": "diagnostic",
        "state_topic": "zigbee2mqtt/ngoai_troi", "value_template": "{{ value_json.battery }}",
        "device": {"identifiers": ["zigbee2mqtt_0x00158d0001a2b3c4"], "name": "ngoai_troi"},
    },
    "homeassistant/sensor/0x00158d0001a2b3c4/linkquality/config": {
        "unit_of_measurement": "lqi", "entity_category": "diagnostic", "state_topic": "zigbee2mqtt/ngoai_troi",
        "value_template": "{{ value_json.linkquality }}", "device": {"name": "ngoai_troi"},
    },
    "homeassistant/switch/0x0c4314fffe8a9b7d/switch/config": {
        "command_topic": "zigbee2mqtt/o_cam_quat/set", "payload_on": "ON", "payload_off": "OFF",
        "state_topic": "zigbee2mqtt/o_cam_quat", "value_template": "{{ value_json.state }}",
        "device": {"identifiers": ["zigbee2mqtt_0x0c4314fffe8a9b7d"], "name": "o_cam_quat", "model": "TS011F"},
    },
    "homeassistant/sensor/0x00124b0022aabbcc/humidity/config": {
        "device_class": "humidity", "unit_of_measurement": "%", "state_topic": "zigbee2mqtt/Cam bien 2",
        "value_template": "{{ value_json.humidity }}", "device": {"name": "Cam bien 2"},
    },
    "homeassistant/sensor/shelly-ht/temperature/config": {
        "device_class": "temperature", "unit_of_measurement": "°C", "state_topic": "shellies/shelly-ht/sensor/temp",
        "device": {"name": "Shelly H&T"},
    },
}  # fmt: skip


def publish_retained(url: str, configs: dict[str, dict[str, Any]]) -> None:
    broker = BrokerUrl.parse(url)
    client = make_client(broker, "test-publisher")
    client.connect(broker.host, broker.port)
    client.loop_start()
    for topic, config in configs.items():
        client.publish(topic, json.dumps(config, ensure_ascii=False), qos=1, retain=True).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def as_greenhouse(entries: str, kinds: dict[str, str]) -> Greenhouse:
    """The entries under a greenhouse's ``nodes:``, each switch's kind set as the technician would."""
    nodes = yaml.safe_load(entries)
    for node in nodes:
        for actuator in node.get("actuators", []):
            assert actuator["kind"] == "?"
            actuator["kind"] = kinds[actuator["channel"]]
    return Greenhouse.model_validate(
        {"id": "nha-2", "area_m2": 100, "buses": [{"id": "wifi", "protocol": "mqtt"}], "nodes": nodes}
    )


def by_topic(greenhouse: Greenhouse) -> dict[str, Node]:
    return {str(n.topic): n for n in greenhouse.nodes}


@pytest.fixture
def broker(mosquitto: Mosquitto) -> BrokerUrl:
    return BrokerUrl.parse(mosquitto.url)


@pytest.fixture
def listener(mosquitto: Mosquitto) -> Iterator[Listener]:
    heard = Listener(mosquitto.url)
    yield heard
    heard.close()


@pytest.fixture
def simulated(mosquitto: Mosquitto) -> Iterator[SiteConfig]:
    """The simulator's MQTT nodes (tests/firmware_sim/test_mqtt_nodes.py) on the broker, discovery on."""
    site = mqtt_site(mosquitto.url)
    handle = Simulator(site, Clock(speed=60), mqtt=MqttOptions(discovery=True)).start_in_thread()
    yield site
    handle.stop()


def test_simulator_nodes_import_as_they_are_in_the_site(
    simulated: SiteConfig, broker: BrokerUrl, listener: Listener
) -> None:
    site = simulated
    wait_for(
        lambda: {h.topic for h in listener.heard if h.topic.startswith("homeassistant/")},
        lambda configs: len(configs) == 10,
        what="the simulator's discovery configs",
    )
    entries = site_entries(discover(broker, wait_s=0.2), "wifi", "en")
    kinds = {"POWER1": "fan", "POWER2": "mister", "heater_relay": "heater", "state_l2": "fan"}
    imported = by_topic(as_greenhouse(entries, kinds))

    for node in site.greenhouse(GH).nodes:
        found = imported[str(node.topic)]
        assert found.firmware is node.firmware and found.bus == "wifi"
        assert sorted((a.channel, a.kind) for a in found.actuators) == sorted(
            (a.channel, a.kind) for a in node.actuators
        )
        # The soil probe's °C reads as air temperature until the technician says where it hangs (a comment says so).
        expected = [(s.field, AIR_TEMP_C if s.kind is SOIL_TEMP_C else s.kind) for s in node.sensors]
        assert sorted((s.field, s.kind) for s in found.sensors) == sorted(expected)
        assert all(s.range.contains(0) for s in found.sensors)
    assert "same unit °C: leaf_temp_c, soil_temp_c, outdoor_temp_c" in entries
    # Names come along where the firmware gives them (Zigbee2MQTT's configs name the device, not the entity).
    assert imported["nha1-th16"].sensors[1].name == "Nhiệt độ"


def test_real_firmware_configs_import_and_the_rest_is_listed(broker: BrokerUrl, mosquitto: Mosquitto) -> None:
    publish_retained(mosquitto.url, REAL)
    found = discover(broker, wait_s=0.2)
    nodes = {(n.firmware, n.topic): n for n in found}

    tasmota = nodes[(Firmware.TASMOTA, "tasmota_9CF9D1")]
    assert [(s.field, s.kind.value) for s in tasmota.sensors] == [("DS18B20.Temperature", "air_temp_c")]
    assert [s.channel for s in tasmota.switches] == ["POWER1"]  # a single relay's POWER is POWER1
    assert [(k.why, k.detail) for k in tasmota.skipped] == [
        (Skip.CALCULATED, "{{ value_json.ANALOG.A0 | float / 10.24 }}")
    ]
    esp = nodes[(Firmware.ESPHOME, "nha2-esp")]
    assert [(s.field, s.kind.value) for s in esp.sensors] == [("bh1750_illuminance", "illuminance_lux")]
    assert [s.channel for s in esp.switches] == ["van_a"]
    assert {k.why for k in esp.skipped} == {Skip.OTHER_COMPONENT, Skip.UNKNOWN_KIND, Skip.NOT_A_READING}
    z2m = nodes[(Firmware.ZIGBEE2MQTT, "ngoai_troi")]
    assert [(s.field, s.kind.value) for s in z2m.sensors] == [("temperature", "air_temp_c")]
    assert [k.why for k in z2m.skipped] == [Skip.NOT_A_READING, Skip.NOT_A_READING]
    assert [s.channel for s in nodes[(Firmware.ZIGBEE2MQTT, "o_cam_quat")].switches] == ["state"]
    assert [k.why for k in nodes[(Firmware.ZIGBEE2MQTT, "Cam bien 2")].skipped] == [Skip.UNUSABLE_NAME]
    assert [k.why for k in nodes[(None, "Shelly H&T")].skipped] == [Skip.UNKNOWN_TOPICS]

    entries = site_entries(found, "wifi", "en")
    imported = by_topic(as_greenhouse(entries, {"POWER1": "pump", "van_a": "valve", "state": "fan"}))
    assert set(imported) == {"nha2-esp", "ngoai_troi", "o_cam_quat", "tasmota_9CF9D1"}
    assert imported["tasmota_9CF9D1"].sensors[0].name == "Nhiệt độ đất"
    assert "# not imported Soil Moisture (field soil_moisture): device_class '-', unit '%'" in entries
    assert "the name 'Cam bien 2' has a space" in entries
    assert "# skipped WiFi Signal: about the device" in entries
    assert "the topic 'shellies/shelly-ht/sensor/temp' is laid out as neither" in entries


def test_placeholder_kind_does_not_load(broker: BrokerUrl, mosquitto: Mosquitto) -> None:
    publish_retained(mosquitto.url, {k: v for k, v in REAL.items() if "/switch/" in k})
    entries = site_entries(discover(broker, wait_s=0.2), "wifi", "vi")
    assert "ĐẶT 'kind'" in entries
    nodes = yaml.safe_load(entries)
    with pytest.raises(ValueError, match="kind"):
        Greenhouse.model_validate(
            {"id": "nha-2", "area_m2": 100, "buses": [{"id": "wifi", "protocol": "mqtt"}], "nodes": nodes}
        )


@pytest.mark.parametrize(
    ("template", "field"),
    [
        ("{{ value_json.temperature }}", "temperature"),
        ("{{value_json['AM2301'].Temperature}}", "AM2301.Temperature"),
        ('{{ value_json["SHT3X-0x44"]["Humidity"] | float | round(1) }}', "SHT3X-0x44.Humidity"),
        ("{{ value_json.ANALOG.A0 | float / 10 }}", None),
        ("{% if value_json.x %}1{% endif %}", None),
        ("{{ value }}", None),
    ],
)
def test_field_of_a_value_template(template: str, field: str | None) -> None:
    assert field_of(template) == field


def greenhouse_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "greenhouse", "devices", "import-ha", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_prints_entries_and_says_when_there_is_nothing(mosquitto: Mosquitto) -> None:
    empty = greenhouse_cli("--broker", mosquitto.url, "--bus", "wifi", "--wait", "0.2", "--lang", "en")
    assert empty.returncode == 1 and "No discovery config under 'homeassistant/'" in empty.stderr

    publish_retained(mosquitto.url, REAL)
    done = greenhouse_cli("--broker", mosquitto.url, "--bus", "wifi", "--wait", "0.2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("# 4 nút MQTT") and "Đang nghe" in done.stderr
    topics = {n["topic"] for n in yaml.safe_load(done.stdout)}
    assert topics == {"nha2-esp", "ngoai_troi", "o_cam_quat", "tasmota_9CF9D1"}


def test_cli_names_a_broker_it_cannot_reach() -> None:
    url = f"mqtt://127.0.0.1:{free_port()}"
    run = greenhouse_cli("--broker", url, "--bus", "wifi", "--lang", "en")
    assert run.returncode == 2 and f"Cannot connect to the broker {url}" in run.stderr


def test_a_node_with_nothing_to_import_is_only_a_comment() -> None:
    entries = site_entries([FoundNode(firmware=Firmware.TASMOTA, topic="x", name="Sonoff")], "wifi", "en")
    assert entries.startswith("# 0 MQTT node(s)") and "# x Sonoff: nothing to import:" in entries
    assert yaml.safe_load(entries) is None
