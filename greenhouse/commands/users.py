"""``greenhouse users add|list|passwd|disable|unlock``: the gateway's accounts, on the accounts file the gateway
itself opens (``greenhouse.gateway_files``), said in the technician's language."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import TypeAdapter, ValidationError

from contract.clock import Clock
from contract.reasons import Lang, pick
from contract.site import SiteConfig
from contract.site_file import load_site
from gateway.accounts.roles import Role
from greenhouse import gateway_files
from greenhouse.commands import common
from greenhouse.commands.types import an_id
from greenhouse.errors import UsageError
from greenhouse.gateway_files import Found, Source

if TYPE_CHECKING:
    from gateway.accounts.models import User, UserSpec
    from gateway.accounts.service import Accounts

Words = tuple[str, str]
_SOURCE: dict[Source, Words] = {
    Source.OPTION: ("theo {option}", "given by {option}"),
    Source.ENV: ("theo ${env}", "from ${env}"),
    Source.STACK: ("của bộ cài đặt trong thư mục này", "of the stack in this folder"),
    Source.DEFAULT: ("mặc định", "the default"),
}
USING = ("Tệp tài khoản: {path} ({source})", "Accounts file: {path} ({source})")
NEW_FILE = (
    "Chưa có tệp tài khoản ở đây: tạo tệp mới. Gateway chỉ dùng nó khi chạy với cùng thư mục dữ liệu ({dir}).",
    "No accounts file here yet: a new one is made. The gateway uses it only when run with this data dir ({dir}).",
)
NO_FILE = (
    "Không có tệp tài khoản {path}: hãy thêm người dùng đầu tiên bằng 'greenhouse users add', hoặc chỉ đúng"
    " thư mục dữ liệu của gateway bằng --data-dir",
    "No accounts file {path}: add the first user with 'greenhouse users add', or name the gateway's data dir"
    " with --data-dir",
)
NEEDS_SITE = (
    "--greenhouse: cần tệp cấu hình của gateway để kiểm tra nhà màng — dùng --config TỆP hoặc đặt ${env}",
    "--greenhouse: the gateway's site file is needed to check the greenhouses — give --config FILE or set ${env}",
)
OTHER_COOPERATIVE = (
    "--cooperative {given}: tệp cấu hình {path} là của hợp tác xã {site}",
    "--cooperative {given}: the site file {path} is cooperative {site}'s",
)
NO_COOPERATIVE = (
    "--cooperative: hãy cho biết hợp tác xã (không tìm thấy tệp cấu hình của gateway)",
    "--cooperative: name the cooperative (no site file of the gateway was found)",
)
ADDED = ("Đã thêm {name}: {role} của {cooperative}", "added {name}: {role} of {cooperative}")
ONLY = (" — chỉ xem {greenhouses}", " — sees only {greenhouses}")
NEW_PASSWORD = ("Đã đặt mật khẩu mới cho {name}", "new password for {name}")
DISABLED = ("Đã khóa {name}; các phiên đăng nhập của họ đã kết thúc", "disabled {name}; their sessions have ended")
UNLOCKED = (
    "Đã mở khóa {name}: {n} lần đăng nhập sai không còn tính",
    "unlocked {name}: {n} failed sign-ins no longer count",
)
EVERY_GREENHOUSE = ("mọi nhà màng", "every greenhouse")
IS_DISABLED = ("  (đã khóa)", "  (disabled)")
PASSWORDS_DIFFER = ("Hai mật khẩu khác nhau; không có gì thay đổi", "the two passwords differ; nothing changed")
SHORT_PASSWORD = (
    "Mật khẩu cần từ 10 đến 256 ký tự; không có gì thay đổi",
    "the password needs 10 to 256 characters; nothing changed",
)


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    accounts_file = argparse.ArgumentParser(add_help=False)
    accounts_file.add_argument(
        "--data-dir",
        type=Path,
        help=f"the gateway's data dir (default: ${gateway_files.DATA_DIR_ENV}, the stack's"
        f" stack/gateway-data in this folder, or ./{gateway_files.DEFAULT_DATA_DIR})",
    )
    password = argparse.ArgumentParser(add_help=False)
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    each = [accounts_file, common.lang()]

    users = sub.add_parser("users", help="accounts of the gateway: who may sign in, in which role")
    users_sub = users.add_subparsers(dest="users_command", required=True, metavar="SUBCOMMAND")
    add = users_sub.add_parser(
        "add", help="add a user (the first admin too); the password is asked twice", parents=[*each, password]
    )
    add.add_argument("name", type=an_id, help="user name: lowercase letters, digits, '-' and '_'")
    add.add_argument("--role", required=True, choices=[r.value for r in Role])
    add.add_argument("--cooperative", type=an_id, help="cooperative id (default: the site file's)")
    add.add_argument(
        "--greenhouse", type=an_id, action="append", help="farmers only: limit to this greenhouse (repeatable)"
    )
    site_help = f"the gateway's site file, to check greenhouses (default: ${gateway_files.SITE_ENV}, the stack's)"
    add.add_argument("--config", type=Path, help=site_help)
    listing = users_sub.add_parser("list", help="list users", parents=each)
    listing.add_argument("--cooperative", type=an_id, help="only this cooperative's users")
    passwd = users_sub.add_parser("passwd", help="give a user a new password (asked twice)", parents=[*each, password])
    passwd.add_argument("name", type=an_id)
    disable = users_sub.add_parser("disable", help="disable a user: no sign-in, open sessions end", parents=each)
    disable.add_argument("name", type=an_id)
    unlock = users_sub.add_parser(
        "unlock", help="let a user held off by failed sign-ins sign in from anywhere", parents=each
    )
    unlock.add_argument("name", type=an_id)
    for p in (add, listing, passwd, disable, unlock):
        p.set_defaults(run=run_users)


def read_password(args: argparse.Namespace, confirm: bool) -> str:
    """From stdin's first line with --password-stdin (for scripts), else from a prompt, twice for a new one."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    if confirm and getpass.getpass("password again: ") != password:
        raise UsageError(pick(PASSWORDS_DIFFER, args.lang))
    return password


def _new_password(args: argparse.Namespace) -> str:
    from gateway.accounts.models import Password

    try:
        return TypeAdapter(Password).validate_python(read_password(args, confirm=True))
    except ValidationError:
        raise UsageError(pick(SHORT_PASSWORD, args.lang)) from None


def _source(found: Found, option: str, env: str, lang: Lang) -> str:
    return pick(_SOURCE[found.source], lang).format(option=option, env=env)


def _site(args: argparse.Namespace) -> tuple[Found, SiteConfig] | None:
    found = gateway_files.site_file(args.config, os.environ, Path.cwd())
    return None if found is None else (found, load_site(found.path))


def _spec(args: argparse.Namespace) -> UserSpec:
    """The new user, checked against the site file the gateway serves: its cooperative, its greenhouses."""
    from gateway.accounts.errors import AccountError
    from gateway.accounts.models import UserSpec
    from gateway.accounts.site_check import check_greenhouses
    from gateway.accounts.users import check_limit

    lang: Lang = args.lang
    greenhouses = None if args.greenhouse is None else frozenset(args.greenhouse)
    try:
        check_limit(Role(args.role), greenhouses)
    except AccountError as exc:
        raise UsageError(f"--greenhouse: {exc.text(lang)}") from None
    found = _site(args)
    if found is None and greenhouses is not None:
        raise UsageError(pick(NEEDS_SITE, lang).format(env=gateway_files.SITE_ENV))
    if found is not None:
        path, site = found[0].path, found[1]
        if args.cooperative not in (None, site.cooperative.id):
            words = pick(OTHER_COOPERATIVE, lang)
            raise UsageError(words.format(given=args.cooperative, path=path, site=site.cooperative.id))
        try:
            check_greenhouses(site, greenhouses)
        except AccountError as exc:
            raise UsageError(f"--greenhouse: {exc.text(lang)}") from None
    cooperative = args.cooperative or (found[1].cooperative.id if found else None)
    if cooperative is None:
        raise UsageError(pick(NO_COOPERATIVE, lang))
    return UserSpec(name=args.name, role=args.role, cooperative=cooperative, greenhouses=greenhouses)


def _accounts(args: argparse.Namespace, *, create: bool) -> Accounts:
    """The accounts file the gateway opens, said on stderr: stdout stays the command's answer."""
    from gateway.accounts.db import accounts_path
    from gateway.accounts.service import Accounts

    lang: Lang = args.lang
    found = gateway_files.data_dir(args.data_dir, os.environ, Path.cwd())
    path = accounts_path(found.path).absolute()
    source = _source(found, "--data-dir", gateway_files.DATA_DIR_ENV, lang)
    print(pick(USING, lang).format(path=path, source=source), file=sys.stderr)
    if not path.is_file():
        if not create:
            raise UsageError(pick(NO_FILE, lang).format(path=path))
        print(pick(NEW_FILE, lang).format(dir=found.path.absolute()), file=sys.stderr)
        found.path.mkdir(parents=True, exist_ok=True)
    return Accounts(found.path, Clock().now)


def _listed(u: User, lang: Lang) -> str:
    where = pick(EVERY_GREENHOUSE, lang) if u.greenhouses is None else ", ".join(sorted(u.greenhouses))
    state = pick(IS_DISABLED, lang) if u.disabled else ""
    return f"{u.name:<20} {u.role:<11} {u.cooperative:<20} {where}{state}"


def run_users(args: argparse.Namespace) -> int:
    from gateway.accounts.errors import AccountError
    from gateway.accounts.words import ROLES

    lang: Lang = args.lang
    spec = _spec(args) if args.users_command == "add" else None
    password = _new_password(args) if args.users_command in ("add", "passwd") else ""
    accounts = _accounts(args, create=spec is not None)
    try:
        if spec is not None:
            user = accounts.users.add(spec, password)
            role = pick(ROLES[user.role], lang)
            limited = user.greenhouses is not None
            only = pick(ONLY, lang).format(greenhouses=", ".join(sorted(user.greenhouses or ()))) if limited else ""
            print(pick(ADDED, lang).format(name=user.name, role=role, cooperative=user.cooperative) + only)
        elif args.users_command == "passwd":
            accounts.users.set_password(args.name, password)
            accounts.sessions.end_all(args.name)  # whoever had the old one is signed out
            print(pick(NEW_PASSWORD, lang).format(name=args.name))
        elif args.users_command == "disable":
            accounts.users.disable(args.name)
            print(pick(DISABLED, lang).format(name=args.name))
        elif args.users_command == "unlock":
            print(pick(UNLOCKED, lang).format(name=args.name, n=accounts.unlock(args.name)))
        else:
            for u in accounts.users.all(args.cooperative):
                print(_listed(u, lang))
    except AccountError as exc:
        raise UsageError(exc.text(lang)) from None
    finally:
        accounts.close()
    return 0
