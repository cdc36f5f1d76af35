"""``greenhouse grafana push`` and ``greenhouse grafana export``: the agronomists' dashboards
(``greenhouse.grafana``)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from contract.reasons import Lang, pick
from greenhouse.commands import common
from greenhouse.commands.types import http_url
from greenhouse.errors import UsageError

LANGS: tuple[Lang, ...] = ("vi", "en")
DONE = {True: ("đã tạo", "created"), False: ("đã cập nhật", "updated")}


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    grafana = sub.add_parser("grafana", help="the agronomists' Grafana dashboards")
    g_sub = grafana.add_subparsers(dest="grafana_command", required=True, metavar="SUBCOMMAND")
    push = g_sub.add_parser(
        "push",
        help="create or update the datasource and dashboards in an existing Grafana",
        parents=[common.lang("language of the messages (default vi)")],
    )
    push.add_argument("--url", type=http_url, required=True, help="Grafana's address, e.g. http://farm-server:3000")
    push.add_argument(
        "--token", default=os.environ.get("GRAFANA_TOKEN"), help="a service account token (default: $GRAFANA_TOKEN)"
    )
    push.add_argument(
        "--influx-url", type=http_url, default="http://influxdb:8086", help="InfluxDB as Grafana reaches it"
    )
    push.add_argument("--influx-db", default="greenhouse", help="InfluxDB database (default greenhouse)")
    push.add_argument("--influx-user", default="grafana", help="InfluxDB user with read access (default grafana)")
    push.add_argument(
        "--influx-password",
        default=os.environ.get("INFLUXDB_GRAFANA_PASSWORD"),
        help="its password (default: $INFLUXDB_GRAFANA_PASSWORD, as in the stack's .env)",
    )
    push.set_defaults(run=run_push)
    export = g_sub.add_parser("export", help="write the provisioning files and dashboard JSON (deploy/grafana)")
    export.add_argument("dir", type=Path)
    export.set_defaults(run=run_export)


def run_push(args: argparse.Namespace) -> int:
    from grafana_client import GrafanaApi
    from grafana_client.client import GrafanaClientError
    from niquests.exceptions import RequestException

    from greenhouse.grafana.datasource import InfluxSource
    from greenhouse.grafana.push import push

    if not args.token:
        raise UsageError("--token: a Grafana service account token is needed (or set $GRAFANA_TOKEN)")
    if not args.influx_password:
        raise UsageError("--influx-password: the InfluxDB password Grafana reads with (or $INFLUXDB_GRAFANA_PASSWORD)")
    source = InfluxSource(
        url=args.influx_url, database=args.influx_db, user=args.influx_user, password=args.influx_password
    )
    api = GrafanaApi.from_url(args.url, credential=args.token)
    try:
        for done in push(api, source, LANGS):
            print(f"{done.what} {done.uid}: {pick(DONE[done.created], args.lang)}")
    except GrafanaClientError as exc:
        raise UsageError(f"Grafana at {args.url} refused: {exc.status_code} {exc.message}") from None
    except RequestException as exc:
        raise UsageError(f"cannot reach Grafana at {args.url}: {exc}") from None
    return 0


def run_export(args: argparse.Namespace) -> int:
    from greenhouse.grafana.export import export

    for path in export(args.dir, LANGS):
        print(path)
    return 0
