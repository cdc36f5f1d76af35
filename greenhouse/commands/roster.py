"""``greenhouse roster``: who is told of alerts. ``check`` a roster file (its mistakes by line, whether it fits the
site, who is told this week) — what the technician checks before the first frost night; and on the gateway's own
``roster.yaml`` (its data dir, found as ``greenhouse users`` finds it): ``show`` who is told about each greenhouse
this week, ``add-person``, ``set-person``, ``remove-person``, ``duty`` (a greenhouse's order), ``rotation`` (weekly
turns), ``farm-number``. Each edit is checked whole, refused at the argument it came from, and saved atomically
with the old file kept as ``roster.yaml.prev``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contract.config_file import ConfigError
from contract.reasons import Lang, pick
from greenhouse import gateway_files
from greenhouse.commands import common
from greenhouse.commands.types import an_id
from greenhouse.errors import UsageError

if TYPE_CHECKING:
    from pydantic import ValidationError

    from contract.site import SiteConfig
    from gateway.notify.roster import Roster

OK = ("{file}: hợp lệ — {people} người, {duties} nhà màng", "{file}: OK — {people} people, {duties} greenhouses")
ORDER = ("  {house} (tuần này): {chain}", "  {house} (this week): {chain}")
MISFITS = ("{file}: không khớp với {site}:", "{file}: does not fit {site}:")
NOBODY_YET = ("{file}: chưa có danh sách trực", "{file}: no roster yet")
SAVED = (
    "Đã lưu {file} (bản cũ giữ ở {file}.prev). Gateway đang chạy dùng danh sách mới trong vài giây.",
    "Saved {file} (the old one is kept as {file}.prev). A running gateway takes it within seconds.",
)
CHANGED = (
    "{file} vừa được lưu ở nơi khác trong lúc sửa; không có gì thay đổi — hãy chạy lại lệnh",
    "{file} was saved elsewhere meanwhile; nothing changed — run the command again",
)
NO_PERSON = (
    "không có người {id} trong danh sách; thêm bằng 'greenhouse roster add-person'",
    "no person {id} in the roster; add them with 'greenhouse roster add-person'",
)
ALREADY = ("đã có người {id}; sửa bằng 'greenhouse roster set-person'", "{id} is already listed; use set-person")
STILL_ON_DUTY = (
    "{id} còn trong danh sách trực của {houses}: bỏ ra bằng 'greenhouse roster duty' trước",
    "{id} is still on duty for {houses}: take them off with 'greenhouse roster duty' first",
)
NO_GREENHOUSE = ("tệp cấu hình {site} không có nhà màng {id}", "the site file {site} has no greenhouse {id}")
NOT_ON_LIST = (
    "{id} không có trong danh sách trực của nhà này; thêm bằng 'greenhouse roster duty' trước",
    "{id} is not on this greenhouse's list; add them with 'greenhouse roster duty' first",
)
NO_DUTY = ("nhà {id} chưa có danh sách trực", "greenhouse {id} has no duty list yet")

# Which argument each field of a person comes from, to say a refusal where the technician typed it.
_ARGUMENT = {
    "id": "ID",
    "name": "--name",
    "phone": "--phone",
    "email": "--email",
    "lang": "--person-lang",
    "channels": "--channel",
    "plain_sms": "--plain-sms",
    "account": "--account",
    "farm_number": "NUMBER",
}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from gateway.notify.roster import Channel

    roster = sub.add_parser("roster", help="who is told of alerts: the duty roster (roster.yaml in the data dir)")
    roster_sub = roster.add_subparsers(dest="roster_command", required=True, metavar="SUBCOMMAND")
    check = roster_sub.add_parser(
        "check",
        help="validate a roster: every problem at once, by line; with --site, whether it fits and who is told",
        parents=[common.lang(), common.site("the site file the roster's greenhouses are checked against")],
    )
    check.add_argument("file", type=Path)
    check.set_defaults(run=run_roster_check)

    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument(
        "--data-dir",
        type=Path,
        help=f"the gateway's data dir (default: ${gateway_files.DATA_DIR_ENV}, the stack's"
        f" stack/gateway-data in this folder, or ./{gateway_files.DEFAULT_DATA_DIR})",
    )
    site_help = f"the gateway's site file, for its greenhouses (default: ${gateway_files.SITE_ENV}, the stack's)"
    each = [data_dir, common.lang(), common.site(site_help)]

    person = argparse.ArgumentParser(add_help=False)
    person.add_argument("--name", help="the name people know them by, e.g. 'Chị Lan'")
    person.add_argument("--phone", help="e.g. 0912 345 678 (SMS, calls and Zalo need one)")
    person.add_argument("--email")
    person.add_argument("--person-lang", choices=common.LANGS, help="the language their messages are in")
    person.add_argument(
        "--channel", action="append", choices=[c.value for c in Channel], help="how they are told (repeatable)"
    )
    person.add_argument("--plain-sms", action=argparse.BooleanOptionalAction, help="SMS without diacritics")
    person.add_argument("--account", help="their sign-in name in the web app (phone notifications go there)")

    show = roster_sub.add_parser("show", help="who is told about each greenhouse this week, in order", parents=each)
    show.set_defaults(run=run_roster_show)
    add = roster_sub.add_parser(
        "add-person", help="add a person (--name and --channel needed)", parents=[*each, person]
    )
    add.add_argument("id", type=an_id, help="a short id: lowercase letters, digits, '-' and '_', e.g. lan")
    add.set_defaults(run=run_roster_edit)
    change = roster_sub.add_parser("set-person", help="change what is given of a person", parents=[*each, person])
    change.add_argument("id", type=an_id)
    change.add_argument("--clear", action="append", choices=["phone", "email", "account"], help="remove this")
    change.set_defaults(run=run_roster_edit)
    remove = roster_sub.add_parser("remove-person", help="remove a person no duty names", parents=each)
    remove.add_argument("id", type=an_id)
    remove.set_defaults(run=run_roster_edit)
    duty = roster_sub.add_parser("duty", help="who is told about a greenhouse, first to last", parents=each)
    duty.add_argument("greenhouse", type=an_id)
    duty.add_argument("people", type=an_id, nargs="+", metavar="PERSON")
    duty.set_defaults(run=run_roster_edit)
    rotation = roster_sub.add_parser(
        "rotation", help="who takes turns week by week as the first told (none: no turns)", parents=each
    )
    rotation.add_argument("greenhouse", type=an_id)
    rotation.add_argument("people", type=an_id, nargs="*", metavar="PERSON")
    rotation.set_defaults(run=run_roster_edit)
    number = roster_sub.add_parser(
        "farm-number", help="the farm server modem's number (farmers save it, call it back)", parents=each
    )
    number.add_argument("number", help="e.g. 0912 345 678; 'none' to remove it")
    number.set_defaults(run=run_roster_edit)


def run_roster_check(args: argparse.Namespace) -> int:
    from contract.config_file import load_model
    from contract.site_file import load_site
    from gateway.notify.roster import Roster

    try:
        roster = load_model(args.file, Roster)
    except ConfigError as exc:
        return common.config_problems(exc, args.command, args.lang)
    print(pick(OK, args.lang).format(file=args.file, people=len(roster.people), duties=len(roster.duties)))
    if args.site is None:
        return 0
    site = load_site(args.site)
    fits = _fits(roster, site, args.file, args.site, args.lang)
    _print_order(roster, site, args.lang)
    return 0 if fits else 2


def run_roster_show(args: argparse.Namespace) -> int:
    from gateway.notify.settings_files import NotifyFiles

    files = NotifyFiles(_data_dir(args))
    try:
        found = files.roster()
    except ConfigError as exc:
        return common.config_problems(exc, args.command, args.lang)
    if not found.exists:
        print(pick(NOBODY_YET, args.lang).format(file=files.roster_path), file=sys.stderr)
        return 2
    roster = found.model
    path = files.roster_path
    print(pick(OK, args.lang).format(file=path, people=len(roster.people), duties=len(roster.duties)))
    site = _site(args)
    if site is None:
        for duty in roster.duties:
            print(f"  {duty.greenhouse}: {' → '.join(duty.people)}")
        return 0
    fits = _fits(roster, site[1], path, site[0], args.lang)
    _print_order(roster, site[1], args.lang)
    return 0 if fits else 2


def run_roster_edit(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from gateway.notify.roster import Roster
    from gateway.notify.settings_files import FileChanged, NotifyFiles

    lang: Lang = args.lang
    files = NotifyFiles(_data_dir(args))
    site = _site(args)  # read first: a site file that cannot be read stops the command before anything is saved
    try:
        found = files.roster()
    except ConfigError as exc:
        return common.config_problems(exc, args.command, lang)
    data = found.model.model_dump(mode="json", exclude_none=True)
    _edit(args, data, site, lang)
    try:
        roster = Roster.model_validate(data)
    except ValidationError as exc:
        raise UsageError(_refusal(exc, lang)) from None
    try:
        files.save_roster(roster, found.sha256, f"greenhouse roster {args.roster_command}")
    except FileChanged:
        raise UsageError(pick(CHANGED, lang).format(file=files.roster_path)) from None
    print(pick(SAVED, lang).format(file=files.roster_path))
    if site is not None:
        _fits(roster, site[1], files.roster_path, site[0], lang)
        _print_order(roster, site[1], lang)
    return 0


def _edit(args: argparse.Namespace, data: dict[str, Any], site: tuple[Path, SiteConfig] | None, lang: Lang) -> None:
    """``args``' change, made to the roster's ``data``; what cannot be done is refused at its argument."""
    people: list[dict[str, Any]] = data["people"]
    duties: list[dict[str, Any]] = data["duties"]
    command = args.roster_command
    if command == "farm-number":
        data.pop("farm_number", None)
        if args.number.lower() != "none":
            data["farm_number"] = args.number
        return
    if command in ("duty", "rotation"):
        if site is not None and args.greenhouse not in {gh.id for gh in site[1].greenhouses}:
            said = pick(NO_GREENHOUSE, lang).format(site=site[0], id=args.greenhouse)
            raise UsageError(f"GREENHOUSE {args.greenhouse}: {said}")
        for person_id in args.people:
            if not any(p["id"] == person_id for p in people):
                raise UsageError(f"PERSON {person_id}: {pick(NO_PERSON, lang).format(id=person_id)}")
        duty = next((d for d in duties if d["greenhouse"] == args.greenhouse), None)
        if command == "duty":
            if duty is None:
                duties.append({"greenhouse": args.greenhouse, "people": list(args.people)})
            else:
                duty["people"] = list(args.people)
            return
        if duty is None:
            raise UsageError(f"GREENHOUSE {args.greenhouse}: {pick(NO_DUTY, lang).format(id=args.greenhouse)}")
        missing = [p for p in args.people if p not in duty["people"]]
        if missing:
            raise UsageError(f"PERSON {missing[0]}: {pick(NOT_ON_LIST, lang).format(id=missing[0])}")
        duty["rotation"] = list(args.people)
        return
    found = next((p for p in people if p["id"] == args.id), None)
    if command == "add-person":
        if found is not None:
            raise UsageError(f"ID {args.id}: {pick(ALREADY, lang).format(id=args.id)}")
        people.append(_person_fields(args, {"id": args.id}))
    elif found is None:
        raise UsageError(f"ID {args.id}: {pick(NO_PERSON, lang).format(id=args.id)}")
    elif command == "set-person":
        for field in args.clear or []:
            found.pop(field, None)
        _person_fields(args, found)
    else:  # remove-person: never leave a duty naming somebody who is not there
        houses = [d["greenhouse"] for d in duties if args.id in d["people"] + d.get("rotation", [])]
        if houses:
            raise UsageError(f"ID {args.id}: {pick(STILL_ON_DUTY, lang).format(id=args.id, houses=', '.join(houses))}")
        people.remove(found)


def _person_fields(args: argparse.Namespace, person: dict[str, Any]) -> dict[str, Any]:
    given = {
        "name": args.name,
        "phone": args.phone,
        "email": args.email,
        "lang": args.person_lang,
        "channels": args.channel,
        "plain_sms": args.plain_sms,
        "account": args.account,
    }
    person.update({k: v for k, v in given.items() if v is not None})
    return person


def _refusal(exc: ValidationError, lang: Lang) -> str:
    """The first of the model's refusals, at the argument its field came from; a whole person's or the roster's
    own (a phone needed for SMS) as it is."""
    from contract.validation_words import describe

    lines = []
    for err in exc.errors():
        field = next((str(k) for k in reversed(err["loc"]) if isinstance(k, str)), "")
        argument = _ARGUMENT.get(field) if err["loc"][0] in ("people", "farm_number") else None
        for words, _ in describe(err):
            lines.append(f"{argument}: {words.pick(lang)}" if argument else words.pick(lang))
    return "; ".join(lines)


def _data_dir(args: argparse.Namespace) -> Path:
    return gateway_files.data_dir(args.data_dir, os.environ, Path.cwd()).path


def _site(args: argparse.Namespace) -> tuple[Path, SiteConfig] | None:
    """The gateway's site file, when one is named or found: its greenhouses are what a duty may name."""
    from contract.site_file import load_site

    found = gateway_files.site_file(args.site, os.environ, Path.cwd())
    return None if found is None else (found.path, load_site(found.path))


def _fits(roster: Roster, site: SiteConfig, file: Path, site_path: Path, lang: Lang) -> bool:
    from gateway.notify.roster import roster_problems

    problems = roster_problems(roster, site)
    if problems:
        print(pick(MISFITS, lang).format(file=file, site=site_path), file=sys.stderr)
        for problem in problems:
            print(f"  {problem.pick(lang)}", file=sys.stderr)
    return not problems


def _print_order(roster: Roster, site: SiteConfig, lang: Lang) -> None:
    from contract.clock import Clock
    from gateway.notify.words import CHANNEL

    now = Clock().now()
    for gh in site.greenhouses:
        chain = roster.chain(gh.id, now, site.cooperative.tz)
        said = " → ".join(f"{p.name} ({', '.join(pick(CHANNEL[c.value], lang) for c in p.channels)})" for p in chain)
        print(pick(ORDER, lang).format(house=gh.label_in(lang), chain=said or "—"))
