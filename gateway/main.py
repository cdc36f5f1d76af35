"""`greenhouse gateway`: the store, the service and the HTTP API, until a signal stops them."""

from __future__ import annotations

import argparse
import functools
import logging
import threading
from pathlib import Path

import uvicorn

from contract.clock import Clock
from contract.site import SiteConfig
from gateway.accounts.service import Accounts
from gateway.api.app import ApiContext, create_app
from gateway.diary.book import DiaryBook
from gateway.diary.store import DIARY_FILE, DiaryStore
from gateway.live.service import Live
from gateway.notify.setup import build_notifier
from gateway.pool.supervisor import IngestPool
from gateway.pool.worker import InfluxTarget
from gateway.service import Gateway, GatewaySettings
from gateway.storage.influx import InfluxV1Store
from gateway.storage.model import Store
from gateway.storage.sqlite import SqliteStore
from gateway.stranded import StrandedDrain, stranded

log = logging.getLogger(__name__)


def open_store(influx_url: str | None, database: str, token: str | None, data_dir: Path, site_id: str) -> Store:
    """InfluxDB when a URL is given; otherwise the embedded SQLite history next to the spool."""
    if influx_url:
        return InfluxV1Store(influx_url, database, token=token)
    return SqliteStore(data_dir / f"history-{site_id}.sqlite3")


class ApiServer:
    def __init__(self, ctx: ApiContext, host: str, port: int) -> None:
        config = uvicorn.Config(create_app(ctx), host=host, port=port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="gateway-api", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def serve(args: argparse.Namespace, site: SiteConfig, stop: threading.Event, clock: Clock) -> int:
    args.data_dir.mkdir(parents=True, exist_ok=True)
    # Opened first, so that it can tell a first start from a lost file by the gateway's other files.
    # Sessions and sign-in limits run on wall time, not on the demo's scaled clock.
    accounts = Accounts(args.data_dir, Clock().now)
    open_history = functools.partial(
        open_store, args.influx_url, args.influx_db, args.influx_token, args.data_dir, site.cooperative.id
    )
    store = open_history()
    settings = GatewaySettings(
        broker=args.mqtt_url,
        data_dir=args.data_dir,
        instance=args.instance,
        share_group=None if args.no_share else args.share_group,
        mqtt5=not args.no_share,
    )
    gateway: Gateway | IngestPool
    if args.ingest_processes > 1:
        influx = InfluxTarget(args.influx_url, args.influx_db, args.influx_token)
        gateway = IngestPool(site, store, settings, influx, args.ingest_processes, clock)
    else:
        gateway = Gateway(site, store, settings, clock)
    leftovers = stranded(args.data_dir, site.cooperative.id, args.instance, gateway.spool_paths())
    drain = StrandedDrain(leftovers, site, open_history, gateway.registry, clock)
    if not accounts.users.all():
        log.warning(
            "no user can sign in yet: add the first admin with"
            f" 'greenhouse users add NAME --role admin --cooperative {site.cooperative.id} --data-dir {args.data_dir}'"
        )
    api = live = notifier = diary = None
    if args.http_port:
        live = Live(site, store, args.mqtt_url, clock, args.instance)
        notifier = build_notifier(site, live, clock, args.data_dir, args.smsd_dir)
        diary = DiaryBook(site, DiaryStore(args.data_dir / DIARY_FILE), clock.now)
        ctx = ApiContext.of(
            gateway, accounts, args.cookie_secure, live, args.grafana_url, args.config, notifier, args.data_dir, diary
        )
        api = ApiServer(ctx, args.http_host, args.http_port)
    gateway.start()
    drain.start()
    if api is not None and live is not None:
        live.start()
        api.start()
        log.info("history API listening", extra={"url": f"http://{args.http_host}:{args.http_port}/docs"})
        if notifier is not None:
            notifier.start()
    stop.wait()
    if notifier is not None:
        notifier.stop()
    if api is not None and live is not None:
        api.stop()
        live.stop()
    drain.stop()
    gateway.stop()
    if diary is not None:
        diary.close()
    accounts.close()
    return 0
