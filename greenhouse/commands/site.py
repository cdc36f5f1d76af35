"""``greenhouse site check``: a site file's every problem at once, by line, or what it wires where."""

from __future__ import annotations

import argparse
from pathlib import Path

from contract.config_file import ConfigError
from contract.site import Bus, ModbusTcpBus, MqttBus, RtuSerialBus, RtuTcpBus
from contract.site_file import load_site
from greenhouse.commands import common


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    site = sub.add_parser("site", help="site configuration tools")
    site_sub = site.add_subparsers(dest="site_command", required=True, metavar="SUBCOMMAND")
    check = site_sub.add_parser(
        "check", help="validate a site file: every problem at once, by line", parents=[common.lang()]
    )
    check.add_argument("file", type=Path)
    check.set_defaults(run=run_site_check)


def run_site_check(args: argparse.Namespace) -> int:
    from contract.reasons import pick
    from desk import words

    try:
        site = load_site(args.file)
    except ConfigError as exc:
        return common.config_problems(exc, args.command, args.lang)
    print(
        pick(words.SITE_OK, args.lang).format(
            file=args.file,
            cooperative=site.cooperative.id,
            greenhouses=len(site.greenhouses),
            sensors=sum(len(g.sensors) for g in site.greenhouses),
            actuators=sum(len(g.actuators) for g in site.greenhouses),
        )
    )
    for gh in site.greenhouses:
        for bus in gh.buses:
            devices = [n for n in gh.nodes if gh.bus_of(n).id == bus.id]
            named = ", ".join(
                f"{n.id}@{n.address or n.topic}" + (f" ({n.profile})" if n.profile else "") for n in devices
            )
            print(f"  {gh.id} · {bus.id} ({_bus_words(bus)}): {named or pick(words.SITE_NO_DEVICES, args.lang)}")
    return 0


def _bus_words(bus: Bus) -> str:
    match bus:
        case RtuSerialBus():
            return f"RTU {bus.port} {bus.baud} 8{bus.parity.value}{bus.stop_bits}"
        case RtuTcpBus():
            return f"RTU over TCP {bus.host}:{bus.port}"
        case ModbusTcpBus():
            return f"Modbus TCP {bus.host}:{bus.port}"
        case MqttBus():
            return f"MQTT {bus.broker}"
