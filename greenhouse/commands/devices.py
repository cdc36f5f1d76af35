"""``greenhouse devices scan|read|write``: commissioning a bus of RS485 devices from a laptop (``desk.devices``);
``greenhouse devices import-ha``: the MQTT nodes that announce themselves by Home Assistant discovery
(``desk.ha_discovery``)."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from contract.devices.encoding import Encoding
from contract.devices.profile import (
    SHIPPED,
    Baud,
    DeviceProfile,
    Parity,
    ProfileBook,
    load_profiles,
    shipped_profiles,
)
from contract.mqtt import BrokerUrl
from contract.reasons import Lang, pick
from contract.site import Actuator, Bus, Calibration, Greenhouse, ModbusTcpBus, Node, RtuSerialBus, RtuTcpBus
from contract.site_file import load_site
from contract.topics import ID_PATTERN
from desk import words
from greenhouse.commands import common
from greenhouse.commands.types import broker_url
from greenhouse.errors import UsageError

if TYPE_CHECKING:
    from desk.devices import Found, LineScan, Setting, Step

T = TypeVar("T")
_NUMBER = re.compile(r"\d+(\.\d*)?|\.\d+")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    devices = sub.add_parser("devices", help="commission RS485 devices: find them, read a point, pulse an output")
    dev_sub = devices.add_subparsers(dest="devices_command", required=True, metavar="SUBCOMMAND")
    lang = common.lang()
    on_a_bus = [common.greenhouse("greenhouse id in the site file"), lang]

    scan = dev_sub.add_parser(
        "scan",
        help="find which addresses answer and which device profile each is",
        parents=[_bus_options(sweep=True), *on_a_bus],
    )
    scan.add_argument("--addresses", type=_addresses, default=list(range(1, 33)), help="e.g. 1-32 or 1,3,7 (1-32)")
    scan.add_argument("--profile", action="append", default=[], help="only these profiles (repeatable; default all)")
    scan.add_argument("--timeout", type=_seconds, default=0.2, help="seconds to wait for each answer (0.2)")
    scan.set_defaults(run=run_scan)

    read = dev_sub.add_parser(
        "read",
        help="read one point: raw registers, decoded and calibrated value",
        parents=[_bus_options(sweep=False), *on_a_bus],
    )
    read.add_argument("--sensor", help="the sensor's id in the site file (with --site)")
    read.add_argument("--address", type=int, help="the device's address on the bus (without --site)")
    read.add_argument("--point", help="the profile's point, e.g. temperature (without --site)")
    read.set_defaults(run=run_read)

    write = dev_sub.add_parser(
        "write",
        help="switch an on/off actuator of a site file on for N seconds, then off",
        parents=[_bus_options(sweep=False), *on_a_bus],
    )
    write.add_argument("--actuator", required=True, help="the actuator's id in the site file")
    write.add_argument("--seconds", type=_seconds, required=True, help="how long it stays on (at most max_on_s)")
    write.set_defaults(run=run_write)

    ha = dev_sub.add_parser(
        "import-ha",
        help="site file entries for the MQTT nodes that announce themselves by Home Assistant discovery",
        parents=[lang],
    )
    ha.add_argument("--broker", required=True, type=broker_url, help="the greenhouse's broker, e.g. mqtt://192.168.1.2")
    ha.add_argument("--bus", required=True, type=_bus_id, help="the MQTT bus's id in the site file, e.g. wifi")
    ha.add_argument("--wait", type=_seconds, default=3.0, help="seconds to listen for configs (3)")
    ha.add_argument("--prefix", default="homeassistant", help="the discovery prefix (homeassistant)")
    ha.add_argument("--zigbee2mqtt-base", default="zigbee2mqtt", help="Zigbee2MQTT's base topic (zigbee2mqtt)")
    ha.set_defaults(run=run_import_ha)


def _bus_options(sweep: bool) -> argparse.ArgumentParser:
    """Which bus, and how it is set: a sweep of settings for a scan, one setting to read or write."""
    p = argparse.ArgumentParser(add_help=False)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="serial port of the USB–RS485 adapter, e.g. /dev/ttyUSB0")
    where.add_argument("--rtu-tcp", type=_host_port, help="HOST:PORT of a transparent RS485 converter (RTU over TCP)")
    where.add_argument("--tcp", type=_host_port, help="HOST:PORT of a Modbus TCP gateway")
    where.add_argument("--site", type=Path, help="the site file (with --greenhouse, and --bus for a scan)")
    p.add_argument("--bus", help="the bus's id: in the site file, or the name given to the bus in the YAML printed")
    if sweep:
        p.add_argument("--baud", type=_bauds, help="baud rate(s): 9600, 4800,9600 or all (9600)")
        p.add_argument("--parity", type=_parities, help="parity: N, E, O, N,E or all (N)")
        p.add_argument("--profile-dir", type=Path, help="a folder of the site's own device profiles")
    else:
        p.add_argument("--baud", type=_baud, default=Baud.B9600, help="baud rate (9600)")
        p.add_argument("--parity", type=_parity, default=Parity.NONE, help="parity N, E or O (N)")
        p.add_argument("--profile", help="the device's profile, e.g. xy-md02 (without --site)")
    p.add_argument("--stop-bits", type=int, choices=[1, 2], default=1, help="stop bits (1)")
    return p


# -- argument types ----------------------------------------------------------------------------------------------
def _addresses(text: str) -> list[int]:
    found: list[int] = []
    try:
        for part in text.split(","):
            low, _, high = part.partition("-")
            found += range(int(low), int(high or low) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give addresses like 1-32 or 1,3,7") from None
    if not found or not all(1 <= a <= 247 for a in found):
        raise argparse.ArgumentTypeError(f"{text!r}: addresses are 1 to 247")
    return found


def _seconds(text: str) -> float:
    value = float(text) if _NUMBER.fullmatch(text) else 0.0
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0, at most 86400")
    return value


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: give HOST:PORT, e.g. 192.168.1.50:502")
    return host, int(port)


def _bus_id(text: str) -> str:
    if not re.fullmatch(ID_PATTERN, text):
        raise argparse.ArgumentTypeError(f"{text!r}: a bus id is lower-case letters, digits, '-' and '_'")
    return text


def _baud(text: str) -> Baud:
    try:
        return Baud(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: baud is one of {', '.join(str(int(b)) for b in Baud)}") from None


def _parity(text: str) -> Parity:
    try:
        return Parity(text.upper())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: parity is N, E or O") from None


def _bauds(text: str) -> list[Baud]:
    return list(Baud) if text == "all" else [_baud(part) for part in text.split(",")]


def _parities(text: str) -> list[Parity]:
    return list(Parity) if text == "all" else [_parity(part) for part in text.split(",")]


# -- which bus ---------------------------------------------------------------------------------------------------
def _greenhouse(args: argparse.Namespace) -> Greenhouse:
    if args.greenhouse is None:
        raise UsageError("--site needs --greenhouse")
    site = load_site(args.site)
    try:
        return site.greenhouse(args.greenhouse)
    except KeyError as exc:
        raise UsageError(f"--greenhouse: {exc.args[0]}") from None


def _command_line_bus(args: argparse.Namespace, baud: Baud, parity: Parity) -> Bus:
    bus_id = args.bus or "rs485"
    if args.port is not None:
        return RtuSerialBus(
            protocol="rtu_serial", id=bus_id, port=args.port, baud=baud, parity=parity, stop_bits=args.stop_bits
        )
    if args.rtu_tcp is not None:
        host, port = args.rtu_tcp
        return RtuTcpBus(protocol="rtu_over_tcp", id=bus_id, host=host, port=port, baud=baud)
    host, port = args.tcp
    return ModbusTcpBus(protocol="modbus_tcp", id=bus_id, host=host, port=port)


def _site_bus(g: Greenhouse, bus_id: str | None) -> Bus:
    if bus_id is None:
        if len(g.buses) == 1:
            return g.buses[0]
        raise UsageError(f"--bus: greenhouse {g.id} has several buses ({', '.join(b.id for b in g.buses)})")
    for bus in g.buses:
        if bus.id == bus_id:
            return bus
    raise UsageError(f"--bus: no bus {bus_id!r} in greenhouse {g.id} (has {', '.join(b.id for b in g.buses)})")


def _profiles(args: argparse.Namespace) -> dict[str, DeviceProfile]:
    if args.site is not None:
        return dict(ProfileBook.for_site(args.site.resolve().parent).profiles)
    if getattr(args, "profile_dir", None) is not None:
        return load_profiles([SHIPPED, args.profile_dir])
    return dict(shipped_profiles())


def _failing(lang: Lang, run: Callable[[], T]) -> T:
    """``run()``, with the bus's and the desk's errors as the technician's words."""
    from desk.devices import DeskError
    from edge.fieldbus.transport import BusOpenError

    try:
        return run()
    except (BusOpenError, DeskError) as exc:
        raise UsageError(exc.text(lang)) from None


# -- scan --------------------------------------------------------------------------------------------------------
def run_scan(args: argparse.Namespace) -> int:
    from desk.devices import scan_lines

    lang: Lang = args.lang
    if args.site is not None:
        bus = _site_bus(_greenhouse(args), args.bus)
    else:
        bus = _command_line_bus(args, Baud.B9600, Parity.NONE)
    book = _profiles(args)
    unknown = [p for p in args.profile if p not in book]
    if unknown:
        raise UsageError(f"--profile {', '.join(unknown)}: no such profile (known: {', '.join(sorted(book))})")
    profiles = [book[p] for p in args.profile] if args.profile else list(book.values())

    def progress(setting: Setting, address: int, n: int, total: int) -> None:
        text = pick(words.SCANNING, lang).format(setting=setting.label, address=address, n=n, total=total)
        print(text, file=sys.stderr, flush=True)

    passes = _failing(
        lang, lambda: scan_lines(bus, args.addresses, profiles, args.baud, args.parity, args.timeout, progress)
    )
    for line in passes:
        print(_verdict(line, lang), file=sys.stderr)
    answered = [line for line in passes if line.found]
    if not answered:
        print(pick(words.FOUND_NONE, lang), file=sys.stderr)
        return 1
    for line in answered:
        print("\n".join(snippet(line, bus.id, lang)))
    return 0


def _verdict(line: LineScan, lang: Lang) -> str:
    if line.crc_addresses:
        addresses = ", ".join(map(str, line.crc_addresses))
        return pick(words.SETTING_CRC, lang).format(
            setting=line.setting.label, n=len(line.crc_addresses), addresses=addresses
        )
    if line.silent:
        return pick(words.SETTING_SILENT, lang).format(setting=line.setting.label)
    return pick(words.FOUND_AT, lang).format(setting=line.setting.label, n=len(line.found))


def snippet(line: LineScan, bus_id: str, lang: Lang) -> list[str]:
    """YAML a technician pastes under a greenhouse's ``nodes:``: one node per device, its points as comments."""
    out = [pick(words.FOUND_HEADER, lang).format(n=len(line.found), bus=bus_id, setting=line.setting.label)]
    s = line.setting
    if s.baud is not None and s.parity is not None:
        out.append(
            pick(words.BUS_SETTING, lang).format(
                bus=bus_id, baud=int(s.baud), parity=s.parity.value, stop_bits=s.stop_bits
            )
        )
    for found in line.found:
        out += _node_lines(found, bus_id, lang)
    return out


def _node_lines(found: Found, bus_id: str, lang: Lang) -> list[str]:
    best = found.best
    if best is None:
        why = "; ".join(found.misses[:4])
        return [pick(words.ANSWERS_UNKNOWN, lang).format(address=found.address, why=why)]
    lines: list[str] = []
    if found.ambiguous:
        others = ", ".join(m.profile.id for m in found.matches[1:])
        lines.append(pick(words.AMBIGUOUS, lang).format(address=found.address, best=best.profile.id, others=others))
    profile = best.profile
    lines.append(
        f"- {{id: {profile.id}-{found.address}, bus: {bus_id}, address: {found.address}, profile: {profile.id}}}"
    )
    lines.append(f"  # {profile.name}")
    for sensor in profile.sensors:
        value = best.values[sensor.key]
        lines.append(f"  # point {sensor.key}: {value:g} {sensor.kind.unit} ({sensor.kind.value})")
    for output in profile.outputs:
        state = best.values.get(output.key)
        shown = "" if state is None else f": {pick(words.STATE_ON if state else words.STATE_OFF, lang)}"
        lines.append(f"  # output {output.key}{shown}")
    notes = [m for m in found.matches[1:] if not found.ambiguous or m.rank != best.rank]
    for other in notes:
        shown = ", ".join(f"{k} = {other.values[k]:g}" for k in other.implausible)
        why = pick(words.IMPLAUSIBLE, lang).format(points=shown) if other.implausible else ""
        lines.append(pick(words.ALSO_READS_AS, lang).format(profile=other.profile.id, why=why).rstrip())
    if not best.ships_so:
        serial = profile.serial
        ships = f"{int(serial.baud)} 8{serial.parity.value}{serial.stop_bits}"
        lines.append(f"  # {pick(words.SERIAL_DIFFERS, lang).format(setting=ships)}")
    return lines


def _modbus_node(node: Node) -> Node:
    """Reading and pulsing by hand speak Modbus; an MQTT node is tried with its own firmware's tools."""
    if node.on_mqtt:
        raise UsageError(
            f"node {node.id!r} is an MQTT node ({node.firmware}, {node.topic}): read it with mosquitto_sub, switch it "
            "from the phone app or its own web page"
        )
    return node


# -- read --------------------------------------------------------------------------------------------------------
def run_read(args: argparse.Namespace) -> int:
    from desk.devices import read_point

    lang: Lang = args.lang
    calibration: Calibration | None = None
    if args.site is not None:
        if args.sensor is None:
            raise UsageError("--site needs --sensor (the sensor's id)")
        g = _greenhouse(args)
        sensor = g.sensors.get(args.sensor)
        if sensor is None:
            raise UsageError(f"--sensor: no sensor {args.sensor!r} in greenhouse {g.id} (has {', '.join(g.sensors)})")
        node = _modbus_node(g.node_of(sensor.id))
        bus, address, encoding = g.bus_of(node), node.address, sensor.encoding
        calibration, unit, low, high = sensor.calibration, sensor.kind.unit, sensor.range.min, sensor.range.max
    else:
        if args.address is None or args.profile is None or args.point is None:
            raise UsageError("without --site, give --address, --profile and --point")
        profile = _profiles(args).get(args.profile)
        if profile is None:
            raise UsageError(f"--profile: no profile {args.profile!r}")
        point = next((s for s in profile.sensors if s.key == args.point), None)
        if point is None:
            raise UsageError(
                f"--point: {args.profile} has no point {args.point!r} (has {', '.join(s.key for s in profile.sensors)})"
            )
        bus = _command_line_bus(args, args.baud, args.parity)
        address, encoding = args.address, point.encoding
        unit, low, high = point.kind.unit, point.range.min, point.range.max
    reading = _failing(lang, lambda: read_point(bus, address, encoding, calibration))
    print(
        pick(words.READ_RAW, lang).format(
            table=encoding.table.value, address=encoding.address, raw=_raw(reading.raw, encoding)
        )
    )
    if reading.decoded is None:
        print(pick(words.READ_NOT_A_VALUE, lang).format(error=reading.error))
        return 1
    print(pick(words.READ_DECODED, lang).format(value=f"{reading.decoded:g}", unit=unit))
    if reading.calibrated is None:
        print(pick(words.READ_NO_CALIBRATION, lang))
    else:
        print(pick(words.READ_CALIBRATED, lang).format(value=f"{reading.calibrated:g}", unit=unit))
    shown = reading.calibrated if reading.calibrated is not None else reading.decoded
    if not low <= shown <= high:
        print(pick(words.READ_OUT_OF_RANGE, lang).format(min=f"{low:g}", max=f"{high:g}", unit=unit))
        return 1
    return 0


def _raw(raw: tuple[int, ...], encoding: Encoding) -> str:
    if encoding.table.bits:
        return " ".join(map(str, raw))
    return " ".join(f"{word} (0x{word:04X})" for word in raw)


# -- write -------------------------------------------------------------------------------------------------------
def run_write(args: argparse.Namespace) -> int:
    from desk.devices import pulse_output

    lang: Lang = args.lang
    if args.site is None:
        raise UsageError("--actuator needs --site and --greenhouse: its safety limits are in the site file")
    g = _greenhouse(args)
    actuator = g.actuators.get(args.actuator)
    if actuator is None:
        raise UsageError(
            f"--actuator: no actuator {args.actuator!r} in greenhouse {g.id} (has {', '.join(g.actuators)})"
        )
    node = _modbus_node(g.node_of(actuator.id))
    bus = g.bus_of(node)
    _warn_interlocks(actuator, lang)
    print(
        pick(words.PULSE_ON, lang).format(
            actuator=actuator.id, where=f"{bus.id} @{node.address}", seconds=f"{args.seconds:g}"
        ),
        flush=True,
    )
    steps = _failing(lang, lambda: pulse_output(bus, node.address, actuator, args.seconds, lambda s: _say(s, lang)))
    print(pick(words.PULSE_OFF, lang).format(actuator=actuator.id))
    return 0 if all(s.followed is not False for s in steps) else 1


def _warn_interlocks(actuator: Actuator, lang: Lang) -> None:
    what = [il.sensor for il in actuator.safety.sensor_interlocks]
    what += [" | ".join(il.any_on) for il in actuator.safety.actuator_interlocks]
    if what:
        print(pick(words.INTERLOCKS, lang).format(actuator=actuator.id, what=", ".join(what)), file=sys.stderr)


def _say(step: Step, lang: Lang) -> None:
    state = pick(words.STATE_ON if step.on else words.STATE_OFF, lang)
    if step.followed is None:
        print(pick(words.CANNOT_READ_BACK, lang), flush=True)
    elif step.followed:
        print(pick(words.FOLLOWED, lang).format(state=state), flush=True)
    else:
        other = pick(words.STATE_OFF if step.on else words.STATE_ON, lang)
        print(pick(words.NOT_FOLLOWED, lang).format(state=other), flush=True)


# -- import-ha ---------------------------------------------------------------------------------------------------
def run_import_ha(args: argparse.Namespace) -> int:
    from desk.ha_discovery import discover, site_entries

    lang: Lang = args.lang
    broker: BrokerUrl = args.broker
    listening = pick(words.HA_LISTENING, lang).format(broker=broker, prefix=args.prefix, wait=f"{args.wait:g}")
    print(listening, file=sys.stderr, flush=True)
    found = _failing(lang, lambda: discover(broker, args.wait, args.prefix, args.zigbee2mqtt_base))
    if not found:
        print(pick(words.HA_NONE, lang).format(prefix=args.prefix, broker=broker), file=sys.stderr)
        return 1
    print(site_entries(found, args.bus, lang), end="")
    return 0
