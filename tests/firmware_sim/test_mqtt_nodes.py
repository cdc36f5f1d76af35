"""The simulator's MQTT nodes on a real Mosquitto: each firmware's topics and payloads, values from the physics,
commands switching the greenhouse's actuators, the will on going offline, garbage payloads and discovery configs.

The simulated clock runs at wall speed with hour-long physics steps, so that every reading stays at its first value
for the whole test: what a node publishes is compared with the physics' reading exactly (to the firmware's
rounding), not within a tolerance."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import yaml
from paho.mqtt.subscribeoptions import SubscribeOptions

from contract.mqtt import BrokerUrl, make_client
from contract.site import SiteConfig
from contract.site_file import load_site
from firmware_sim.faults import FaultPlan, MqttGarbageFault, NodeOfflineFault
from firmware_sim.mqtt_nodes import MqttOptions
from firmware_sim.server import SimulatorThread
from tests.conftest import EXAMPLE_SITE
from tests.firmware_sim.conftest import StartSim
from tests.firmware_sim.support import wait_for
from tests.support.mosquitto import Mosquitto

GH = "nha-1"

# Tasmota's TempRes/HumRes (1 decimal), Zigbee2MQTT's 2 decimals: half the last digit.
TASMOTA_STEP, Z2M_STEP = 0.05, 0.005


def mqtt_site(url: str) -> SiteConfig:
    """One greenhouse whose only bus is its Wi-Fi broker: a Tasmota board (an AM2301 read with a calibration
    offset, two relays), an ESPHome board (a soil temperature probe, a light sensor, a relay) and a Zigbee
    sensor-and-plug behind Zigbee2MQTT."""
    text = f"""
cooperative: {{id: htx-test, latitude: 20.85, longitude: 104.63, elevation_m: 1050}}
greenhouses:
  - id: {GH}
    area_m2: 200
    buses: [{{id: wifi, protocol: mqtt, url: "{url}"}}]
    nodes:
      - id: th16
        firmware: tasmota
        topic: nha1-th16
        sensors:
          - {{id: wifi-temp, name: "Nhiệt độ", kind: air_temp_c, field: AM2301.Temperature,
              range: {{min: -40, max: 80}}, calibration: {{offset: -0.5}}}}
          - {{id: wifi-rh, kind: air_rh_pct, field: AM2301.Humidity, range: {{min: 0, max: 100}}}}
        actuators:
          - {{id: fan, kind: fan, channel: POWER1}}
          - {{id: mister, kind: mister, channel: POWER2}}
      - id: esp-soil
        firmware: esphome
        topic: nha1-esp
        sensors:
          - {{id: soil-temp, kind: soil_temp_c, field: soil_temperature, range: {{min: -10, max: 60}}}}
          - {{id: lux, kind: illuminance_lux, field: light, range: {{min: 0, max: 200000}}}}
        actuators:
          - {{id: heater, kind: heater, channel: heater_relay}}
      - id: zb-plug
        firmware: zigbee2mqtt
        topic: cam_bien_1
        sensors:
          - {{id: zb-temp, kind: air_temp_c, field: temperature, range: {{min: -20, max: 60}}}}
          - {{id: zb-rh, kind: air_rh_pct, field: humidity, range: {{min: 0, max: 100}}}}
        actuators:
          - {{id: zb-fan, kind: fan, channel: state_l2}}
"""
    return SiteConfig.model_validate(yaml.safe_load(text))


@dataclass
class Heard:
    topic: str
    payload: str
    retain: bool


class Listener:
    """A client subscribed to everything on the broker, keeping what it heard; with MQTT 5's "retain as published",
    so that a retained message says so even when it arrives live."""

    def __init__(self, url: str) -> None:
        self.heard: list[Heard] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        broker = BrokerUrl.parse(url)
        self.client = make_client(broker, f"test-listener-{id(self)}", mqtt5=True)
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.connect(broker.host, broker.port)
        self.client.subscribe("#", options=SubscribeOptions(qos=1, retainAsPublished=True))
        self.client.loop_start()
        assert self._subscribed.wait(10), "the listener's subscription was not acknowledged"

    def _on_message(self, _c: object, _u: object, message: object) -> None:
        topic, payload, retain = message.topic, message.payload, message.retain  # type: ignore[attr-defined]
        with self._lock:
            self.heard.append(Heard(topic, payload.decode(), bool(retain)))

    def on(self, topic: str) -> list[Heard]:
        with self._lock:
            return [h for h in self.heard if h.topic == topic]

    def wait(self, topic: str, done: Callable[[Heard], bool] = lambda _: True, timeout_s: float = 15.0) -> Heard:
        """The first message on ``topic`` heard that is ``done``."""
        found = wait_for(
            lambda: next((h for h in self.on(topic) if done(h)), None),
            lambda h: h is not None,
            timeout_s,
            what=f"a message on {topic}",
        )
        assert found is not None
        return found

    def publish(self, topic: str, payload: str) -> None:
        self.client.publish(topic, payload, qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def listen(mosquitto: Mosquitto) -> Iterator[Callable[[], Listener]]:
    listeners: list[Listener] = []

    def make() -> Listener:
        listeners.append(Listener(mosquitto.url))
        return listeners[-1]

    yield make
    for listener in listeners:
        listener.close()


@pytest.fixture
def site(mosquitto: Mosquitto) -> SiteConfig:
    """Ask for it before ``start_sim``: the broker then outlives the simulator, whose nodes leave as boards do."""
    return mqtt_site(mosquitto.url)


def start(start_sim: StartSim, site: SiteConfig, **options: object) -> SimulatorThread:
    """Wall-speed clock, hour-long physics steps: the readings keep their first values throughout."""
    mqtt = MqttOptions(period_s=1.0, **options)  # type: ignore[arg-type]
    return start_sim(site, speed=1.0, physics_step_s=3600.0, mqtt=mqtt)


def reading(sim: SimulatorThread, sensor_id: str) -> float:
    """The physics' reading of a sensor (true value and the probe's noise)."""
    return sim.call(lambda: sim.simulator.greenhouses[GH].physics.readings[sensor_id])


def on(sim: SimulatorThread, actuator_id: str) -> bool:
    return sim.state(GH).actuators[actuator_id].on


def test_tasmota_sensor_and_state_messages(
    site: SiteConfig, listen: Callable[[], Listener], start_sim: StartSim
) -> None:
    heard = listen()
    sim = start(start_sim, site)
    lwt = heard.wait("tele/nha1-th16/LWT")
    sensor = json.loads(heard.wait("tele/nha1-th16/SENSOR").payload)
    state = json.loads(heard.wait("tele/nha1-th16/STATE").payload)

    assert (lwt.payload, lwt.retain) == ("Online", True)
    assert sorted(sensor) == ["AM2301", "TempUnit", "Time"] and sensor["TempUnit"] == "C"
    assert sensor["Time"].startswith("2026-01-15T10:")  # local time in the site's zone, as Tasmota gives it
    # The calibration's offset of -0.5 is the edge's to apply: the board reports 0.5 more than the physics.
    assert abs(sensor["AM2301"]["Temperature"] - 0.5 - reading(sim, "wifi-temp")) <= TASMOTA_STEP
    assert abs(sensor["AM2301"]["Humidity"] - reading(sim, "wifi-rh")) <= TASMOTA_STEP
    assert (state["POWER1"], state["POWER2"]) == ("OFF", "OFF") and state["UptimeSec"] >= 0
    # Every TelePeriod (here 1 s) again.
    heard.wait("tele/nha1-th16/SENSOR", lambda h: json.loads(h.payload)["Time"] != sensor["Time"])


def test_esphome_states_are_plain_retained_values(
    site: SiteConfig, listen: Callable[[], Listener], start_sim: StartSim
) -> None:
    heard = listen()
    sim = start(start_sim, site)
    status = heard.wait("nha1-esp/status")
    soil = heard.wait("nha1-esp/sensor/soil_temperature/state")
    light = heard.wait("nha1-esp/sensor/light/state")
    relay = heard.wait("nha1-esp/switch/heater_relay/state")

    assert (status.payload, status.retain) == ("online", True)
    assert soil.retain and abs(float(soil.payload) - reading(sim, "soil-temp")) <= TASMOTA_STEP
    assert float(light.payload) == round(reading(sim, "lux"))  # lux in whole numbers
    assert (relay.payload, relay.retain) == ("OFF", True)


def test_zigbee2mqtt_device_message_and_availability(
    site: SiteConfig, listen: Callable[[], Listener], start_sim: StartSim
) -> None:
    heard = listen()
    sim = start(start_sim, site)
    availability = heard.wait("zigbee2mqtt/cam_bien_1/availability")
    device = json.loads(heard.wait("zigbee2mqtt/cam_bien_1").payload)

    assert json.loads(availability.payload) == {"state": "online"} and availability.retain
    assert json.loads(heard.wait("zigbee2mqtt/bridge/state").payload) == {"state": "online"}
    assert sorted(device) == ["humidity", "linkquality", "state_l2", "temperature"]
    assert abs(device["temperature"] - reading(sim, "zb-temp")) <= Z2M_STEP
    assert abs(device["humidity"] - reading(sim, "zb-rh")) <= Z2M_STEP
    assert device["state_l2"] == "OFF"


@pytest.mark.parametrize(
    ("actuator", "command", "payload", "off", "answer", "says_on"),
    [
        ("fan", "cmnd/nha1-th16/POWER1", "ON", "OFF", "stat/nha1-th16/POWER1", lambda p: p == "ON"),
        # Tasmota takes its commands in any case; a relay board has POWER1…n.
        ("mister", "cmnd/nha1-th16/power2", "toggle", "TOGGLE", "stat/nha1-th16/RESULT",
         lambda p: json.loads(p) == {"POWER2": "ON"}),
        ("heater", "nha1-esp/switch/heater_relay/command", "ON", "OFF", "nha1-esp/switch/heater_relay/state",
         lambda p: p == "ON"),
        ("zb-fan", "zigbee2mqtt/cam_bien_1/set", '{"state_l2": "ON"}', '{"state_l2": "OFF"}',
         "zigbee2mqtt/cam_bien_1", lambda p: json.loads(p)["state_l2"] == "ON"),
        ("zb-fan", "zigbee2mqtt/cam_bien_1/l2/set", "ON", '{"state": "OFF"}', "zigbee2mqtt/cam_bien_1",
         lambda p: json.loads(p)["state_l2"] == "ON"),
    ],
)  # fmt: skip
def test_a_command_switches_the_relay_and_the_state_is_published(
    site: SiteConfig,
    listen: Callable[[], Listener],
    start_sim: StartSim,
    actuator: str,
    command: str,
    payload: str,
    off: str,
    answer: str,
    says_on: Callable[[str], bool],
) -> None:
    heard = listen()
    sim = start(start_sim, site)
    heard.wait("tele/nha1-th16/LWT")
    heard.wait("nha1-esp/status")
    heard.wait("zigbee2mqtt/cam_bien_1/availability")
    assert not on(sim, actuator)

    heard.publish(command, payload)
    heard.wait(answer, lambda h: says_on(h.payload))
    assert on(sim, actuator)
    others = {a for a in site.greenhouse(GH).actuators if a != actuator}
    assert not any(on(sim, a) for a in others)

    heard.publish(command, off)
    wait_for(lambda: on(sim, actuator), lambda state: not state, what=f"{actuator} off again")


@pytest.mark.parametrize(
    ("node", "topic", "online", "offline"),
    [
        ("th16", "tele/nha1-th16/LWT", "Online", "Offline"),
        ("esp-soil", "nha1-esp/status", "online", "offline"),
        ("zb-plug", "zigbee2mqtt/cam_bien_1/availability", '{"state":"online"}', '{"state":"offline"}'),
    ],
)
def test_offline_node_publishes_its_will_and_comes_back(
    site: SiteConfig,
    listen: Callable[[], Listener],
    start_sim: StartSim,
    node: str,
    topic: str,
    online: str,
    offline: str,
) -> None:
    heard = listen()
    sim = start(start_sim, site)
    heard.wait(topic, lambda h: h.payload == online)

    sim.inject(NodeOfflineFault(greenhouse=GH, node=node))
    gone = heard.wait(topic, lambda h: h.payload == offline)
    assert gone.retain
    # A late listener learns it from the broker's retained copy.
    assert listen().wait(topic).payload == offline

    def onlines() -> int:
        return sum(h.payload == online for h in heard.on(topic))

    before = onlines()
    sim.clear_faults(GH)
    wait_for(onlines, lambda n: n > before, what=f"{node} online again")
    assert heard.on(topic)[-1].payload == online


def test_garbage_fault_publishes_unparseable_readings(
    site: SiteConfig, listen: Callable[[], Listener], start_sim: StartSim
) -> None:
    heard = listen()
    sim = start(start_sim, site)
    heard.wait("tele/nha1-th16/SENSOR")
    sim.inject(MqttGarbageFault(greenhouse=GH, node="th16"))
    sim.inject(MqttGarbageFault(greenhouse=GH, node="esp-soil"))

    def unparseable(h: Heard) -> bool:
        try:
            json.loads(h.payload)
        except ValueError:
            return True
        return False

    bad = heard.wait("tele/nha1-th16/SENSOR", unparseable)
    assert bad.payload.startswith('{"Time":')
    heard.wait("nha1-esp/sensor/soil_temperature/state", lambda h: not _is_number(h.payload))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_garbage_fault_needs_an_mqtt_node(site: SiteConfig) -> None:
    FaultPlan(faults=[MqttGarbageFault(greenhouse=GH, node="th16")]).check(site)
    modbus = load_site(EXAMPLE_SITE)
    with pytest.raises(ValueError, match="node 'climate' of greenhouse 'ca-chua-1' is not on an MQTT bus"):
        FaultPlan(faults=[MqttGarbageFault(greenhouse="ca-chua-1", node="climate")]).check(modbus)


def test_discovery_configs_published_retained_when_asked(
    site: SiteConfig, listen: Callable[[], Listener], start_sim: StartSim
) -> None:
    heard = listen()
    start(start_sim, site, discovery=True)
    configs = wait_for(
        lambda: {h.topic: h for h in heard.heard if h.topic.startswith("homeassistant/")},
        lambda found: len(found) == 10,  # 6 sensors, 4 switches
        what="every discovery config",
    )
    assert all(h.retain for h in configs.values())
    tasmota = json.loads(next(h.payload for t, h in configs.items() if t.endswith("_AM2301_Temperature/config")))
    assert tasmota["stat_t"] == "tele/nha1-th16/SENSOR" and tasmota["val_tpl"] == "{{value_json['AM2301'].Temperature}}"
    assert (tasmota["dev_cla"], tasmota["unit_of_meas"], tasmota["avty_t"]) == (
        "temperature",
        "°C",
        "tele/nha1-th16/LWT",
    )
    relay = json.loads(next(h.payload for t, h in configs.items() if t.endswith("_RL_2/config")))
    assert relay["cmd_t"] == "cmnd/nha1-th16/POWER2"
    esp = json.loads(configs["homeassistant/switch/nha1-esp/heater_relay/config"].payload)
    assert (esp["cmd_t"], esp["avty_t"]) == ("nha1-esp/switch/heater_relay/command", "nha1-esp/status")
    lux = json.loads(configs["homeassistant/sensor/nha1-esp/light/config"].payload)
    assert (lux["dev_cla"], lux["unit_of_meas"]) == ("illuminance", "lx")
    zb = json.loads(next(h.payload for t, h in configs.items() if t.endswith("/switch_l2/config")))
    assert (zb["command_topic"], zb["value_template"]) == ("zigbee2mqtt/cam_bien_1/l2/set", "{{ value_json.state_l2 }}")


def test_without_discovery_no_configs(site: SiteConfig, listen: Callable[[], Listener], start_sim: StartSim) -> None:
    heard = listen()
    start(start_sim, site)
    heard.wait("zigbee2mqtt/cam_bien_1")
    heard.wait("tele/nha1-th16/SENSOR")
    heard.wait("nha1-esp/sensor/light/state")
    assert not [h for h in heard.heard if h.topic.startswith("homeassistant/")]
