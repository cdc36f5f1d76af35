"""The edge's field-bus layer: one poller thread per physical bus (Modbus TCP, RTU over TCP, RTU on a serial
port), device points read and written as the devices encode them, writes read back; and one MQTT client per MQTT
bus, for Tasmota, ESPHome and Zigbee2MQTT nodes (mqtt_bus.py)."""

from edge.fieldbus.field import FieldIO
from edge.fieldbus.models import (
    ChannelWrite,
    NodeHealth,
    NodeRead,
    PositionWrite,
    Quarantine,
    SwitchWrite,
    WriteResult,
)
from edge.fieldbus.transport import BusOpenError, OpenProblem

__all__ = [
    "BusOpenError",
    "ChannelWrite",
    "FieldIO",
    "NodeHealth",
    "NodeRead",
    "OpenProblem",
    "PositionWrite",
    "Quarantine",
    "SwitchWrite",
    "WriteResult",
]
