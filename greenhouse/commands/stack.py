"""``greenhouse init`` and ``greenhouse gateways add``: the production stack (``greenhouse.deploy``), and what
they print."""

from __future__ import annotations

import argparse
from pathlib import Path

from contract.reasons import pick
from contract.site_file import load_site
from greenhouse.commands import common
from greenhouse.commands.types import an_id, http_url
from greenhouse.deploy import web_tls, words
from greenhouse.deploy.broker_accounts import AccountExists, NotInitialised
from greenhouse.deploy.gateways import add_gateway
from greenhouse.deploy.layout import StackLayout
from greenhouse.deploy.listeners import BrokerListener
from greenhouse.errors import UsageError


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stack = [common.site("the cooperative's site file", required=True), common.lang()]

    init = sub.add_parser(
        "init", help="generate the production stack's secrets, broker accounts, TLS and first admin", parents=stack
    )
    init.add_argument("dir", type=Path, help="the folder of docker-compose.yml")
    init.add_argument("--admin", type=an_id, default="quan-tri", help="first admin's user name (default quan-tri)")
    init.add_argument(
        "--broker-host",
        action="append",
        default=[],
        help="name or address edges reach the broker by (repeatable), e.g. the farm server's LAN address",
    )
    init.add_argument(
        "--grafana-url",
        type=http_url,
        help="Grafana as the phones reach it, for the web app's link (default http://<first --broker-host>:3000)",
    )
    web_tls.add_options(init)
    init.add_argument("--sim", action="store_true", help="also accounts for simulated edges (docker-compose.sim.yml)")
    init.set_defaults(run=run_init)

    gws = sub.add_parser("gateways", help="greenhouse gateways' MQTT accounts")
    gws_sub = gws.add_subparsers(dest="gateways_command", required=True, metavar="SUBCOMMAND")
    add = gws_sub.add_parser(
        "add", help="an MQTT account for one greenhouse's gateway; the password is shown once", parents=stack
    )
    add.add_argument("greenhouse", type=an_id, help="greenhouse id in the site file")
    add.add_argument("--dir", type=Path, required=True, help="the folder given to 'greenhouse init'")
    add.add_argument("--broker", default="<server>", help="the broker's address, for the command shown")
    add.set_defaults(run=run_gateways_add)


def run_init(args: argparse.Namespace) -> int:
    from greenhouse.deploy.init import SecretsExist, init_stack  # TLS: cryptography is slow to import

    if args.dir.exists() and not args.dir.is_dir():
        raise UsageError(f"{args.dir}: not a folder")
    site = load_site(args.site)
    layout = StackLayout(args.dir)
    web = web_tls.settings(args)
    try:
        result = init_stack(layout, site, args.site, args.admin, args.broker_host, args.sim, _grafana_url(args), web)
    except SecretsExist as exc:
        raise UsageError(pick(words.EXISTS, args.lang).format(paths=", ".join(map(str, exc.paths)))) from None
    print(pick(words.WROTE, args.lang).format(root=args.dir))
    for path in result.written:
        print(f"  {path}")
    print(pick(words.ADMIN, args.lang).format(name=result.admin, password=result.admin_password))
    if web.mode is web_tls.WebTls.ACME:
        print(pick(words.PHONES_ACME, args.lang).format(domain=web.domain, provider=web.dns_provider))
    else:
        host = web.certificate_hosts(args.broker_host)[0]
        print(pick(words.PHONES_OWN_CA, args.lang).format(ca=layout.ca_cert, host=host))
    print(pick(words.NEXT, args.lang))
    return 0


def _grafana_url(args: argparse.Namespace) -> str:
    """Where the phones find Grafana: as given, or on the farm server the edges reach (compose publishes 3000)."""
    if args.grafana_url is not None:
        return str(args.grafana_url)
    return f"http://{args.broker_host[0]}:3000" if args.broker_host else ""


def run_gateways_add(args: argparse.Namespace) -> int:
    site = load_site(args.site)
    layout = StackLayout(args.dir)
    try:
        account = add_gateway(layout, site, args.greenhouse)
    except KeyError as exc:
        raise UsageError(f"greenhouse {args.greenhouse}: {exc.args[0]}") from None
    except NotInitialised as exc:
        raise UsageError(pick(words.NOT_INITIALISED, args.lang).format(missing=exc.missing, root=args.dir)) from None
    except AccountExists as exc:
        text = pick(words.ACCOUNT_EXISTS, args.lang)
        raise UsageError(text.format(user=exc.user, passwd=layout.passwd, acl=layout.acl)) from None
    lang = args.lang
    print(
        pick(words.EDGE_ACCOUNT, lang).format(
            greenhouse=account.greenhouse, user=account.user, password=account.password
        )
    )
    print(pick(words.EDGE_RUN, lang).format(ca=layout.ca_cert))
    print(
        f"  greenhouse edge --config {args.site.name} --greenhouse {account.greenhouse}"
        f" --mqtt-url mqtts://{account.user}:{account.password}@{args.broker}:{BrokerListener.EDGES.value}"
        " --mqtt-ca ca.crt"
    )
    print(pick(words.RELOAD, lang))
    return 0
