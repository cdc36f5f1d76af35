"""The gateway's HTTP API, documented by its OpenAPI schema at /docs."""

# No `from __future__ import annotations` here: FastAPI must see the dependency types
# defined inside create_app as real objects, not as names it cannot resolve.
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from contract.kinds import SensorKind
from contract.site import SiteConfig
from contract.topics import ID_PATTERN
from contract.wording import Lang
from gateway.accounts.roles import Action
from gateway.accounts.service import Accounts
from gateway.api.access import Principal, may_see, require_cooperative, require_greenhouse
from gateway.api.auth import Auth, request_lang
from gateway.api.diary_routes import diary_router
from gateway.api.field_routes import field_router, site_profiles
from gateway.api.health_routes import health_router
from gateway.api.history import History, HistoryError, HistoryRequest, csv_rows, history
from gateway.api.limits import BodyLimits
from gateway.api.live_routes import live_router
from gateway.api.notify_routes import notify_router
from gateway.api.public_routes import public_router
from gateway.api.refusals import refuse_in_callers_words
from gateway.api.roster_routes import roster_router
from gateway.api.rules_routes import rules_router
from gateway.api.session_routes import session_router
from gateway.api.site_routes import site_router
from gateway.api.user_routes import user_router
from gateway.audit import AuditAnswer, AuditError, AuditQuery, audit
from gateway.diary.book import DiaryBook
from gateway.diary.settings import TraceabilityFile
from gateway.health import Watched
from gateway.ingest.figures import IngestFigures
from gateway.live.registry import GreenhouseHealth, Registry
from gateway.live.service import Live
from gateway.notify.service import NotifyService
from gateway.notify.settings_files import NotifyFiles
from gateway.pool.supervisor import IngestPool
from gateway.service import Gateway
from gateway.site_setup import SiteFile
from gateway.storage.model import Store
from gateway.webapp.routes import webapp_router
from rules.model import rules_file_text

CSV_ROW_LIMIT = 2_000_000
# A request that is well-formed but cannot be answered as asked (Starlette renamed its constant).
UNPROCESSABLE = 422
# An actuator, zone or rule asked about: refused at the parameter, with its pattern, when it cannot be an id.
AnId = Annotated[str | None, Query(pattern=ID_PATTERN)]


@dataclass(frozen=True)
class ApiContext:
    site: SiteConfig
    store: Store
    registry: Registry
    figures: Callable[[], IngestFigures]  # what ingest received, stored and rejected
    now: Callable[[], datetime]
    accounts: Accounts
    # False only where the API is served over plain http (the demo, tests): browsers drop Secure cookies there.
    secure_cookies: bool = True
    # The phone's live endpoints and web app; None for an API that serves history only.
    live: Live | None = None
    grafana_url: str | None = None  # where the agronomists' dashboards are, for the app's link
    site_file: SiteFile | None = None  # the file the site was read from, for the set-up page to edit
    pulses: tuple[Watched, ...] = ()  # the loops whose health /healthz reports
    notify: NotifyService | None = None  # the notifier; None where there is no roster (nobody to tell)
    data_dir: Path | None = None  # the gateway's: the roster and escalation settings the web app edits are kept there
    diary: DiaryBook | None = None  # the record book and its lots; None for an API that serves history only

    @classmethod
    def of(
        cls,
        gateway: Gateway | IngestPool,
        accounts: Accounts,
        secure_cookies: bool = True,
        live: Live | None = None,
        grafana_url: str | None = None,
        site_path: Path | None = None,
        notify: NotifyService | None = None,
        data_dir: Path | None = None,
        diary: DiaryBook | None = None,
    ) -> "ApiContext":
        """What the API serves of a running gateway."""
        g = gateway
        rules_of = rules_file_text if live is None else (lambda gh: live.feed.rules.now(gh).yaml)
        site_file = SiteFile(site_path, g.site, rules_of) if site_path is not None else None
        return cls(
            g.site,
            g.store,
            g.registry,
            g.figures,
            g.clock.now,
            accounts,
            secure_cookies,
            live,
            grafana_url,
            site_file,
            g.pulses() + ((live.feed.pulse,) if live is not None else ()),
            notify,
            data_dir,
            diary,
        )


class IngestReport(IngestFigures):
    """Ingest's figures; among the damaged stores, the accounts file's too."""


def create_app(ctx: ApiContext) -> FastAPI:
    auth = Auth(ctx.accounts, ctx.secure_cookies)
    app = FastAPI(
        title="Greenhouse gateway",
        version="1",
        description="Current status and history of a cooperative's greenhouses. Sign in with POST /api/v1/login;"
        " requests that change something carry the X-CSRF-Token that the sign-in and /api/v1/me give.",
        dependencies=[Depends(auth.csrf_guard)],
    )
    app.add_middleware(BodyLimits)  # before anything reads a body: see api/limits.py
    app.add_exception_handler(RequestValidationError, refuse_in_callers_words)
    app.include_router(health_router(ctx.pulses))
    app.include_router(session_router(auth))
    app.include_router(user_router(ctx.site, auth))
    app.include_router(site_router(ctx.site, ctx.grafana_url, auth, ctx.site_file))
    files = NotifyFiles(ctx.data_dir) if ctx.data_dir is not None else None
    app.include_router(roster_router(ctx.site, files, ctx.notify, ctx.accounts, ctx.now, auth))
    app.include_router(field_router(ctx.site, ctx.registry, ctx.now, auth, site_profiles(ctx.site_file)))
    if ctx.live is not None:
        app.include_router(live_router(ctx.site, ctx.live, auth, ctx.notify.taken_in_app if ctx.notify else None))
        app.include_router(notify_router(ctx.site, ctx.live, ctx.notify, auth))
        app.include_router(rules_router(ctx.site, ctx.store, ctx.live, ctx.now, auth))
        app.include_router(webapp_router())
    if ctx.diary is not None and ctx.data_dir is not None:
        traceability = TraceabilityFile(ctx.data_dir)
        app.include_router(diary_router(ctx.site, ctx.diary, ctx.store, traceability, auth))
        app.include_router(public_router(ctx.site, ctx.diary, traceability))

    Reader = Annotated[Principal, Depends(auth.allowed(Action.READ))]
    IngestReader = Annotated[Principal, Depends(auth.allowed(Action.READ_INGEST))]

    def history_request(
        start: datetime | None = None,
        end: datetime | None = None,
        bucket_s: Annotated[int | None, Query(ge=10, le=31 * 86400)] = None,
        sensor: Annotated[list[str] | None, Query()] = None,
        kind: SensorKind | None = None,
        zone: str | None = None,
        metric: Annotated[list[str] | None, Query()] = None,
    ) -> HistoryRequest:
        for name, value in (("start", start), ("end", end)):
            if value is not None and value.tzinfo is None:
                raise HTTPException(UNPROCESSABLE, f"{name}: give a UTC offset, e.g. 2026-01-15T06:00:00+07:00")
        return HistoryRequest(
            start=start, end=end, bucket_s=bucket_s, sensor=sensor or [], kind=kind, zone=zone, metric=metric or []
        )

    Req = Annotated[HistoryRequest, Depends(history_request)]

    @app.get("/api/v1/status", response_model=list[GreenhouseHealth], summary="Every greenhouse, now")
    def current_status(who: Reader) -> list[GreenhouseHealth]:
        return [h for h in ctx.registry.health(ctx.now()) if may_see(ctx.site, who, h.greenhouse)]

    @app.get(
        "/api/v1/greenhouses/{greenhouse}/history",
        response_model=History,
        summary="Downsampled history (mean/min/max per bucket) of sensors and derived metrics",
    )
    def get_history(greenhouse: str, req: Req, who: Reader, request: Request) -> History:
        gh = require_greenhouse(ctx.site, who, greenhouse)
        try:
            return history(ctx.store, gh, req, ctx.now(), request_lang(request))
        except HistoryError as exc:
            raise HTTPException(UNPROCESSABLE, str(exc)) from None

    @app.get(
        "/api/v1/greenhouses/{greenhouse}/history.csv",
        response_class=StreamingResponse,
        summary="Every reading in the range with its quality flag, as CSV",
    )
    def get_csv(
        greenhouse: str, req: Req, who: Reader, request: Request, lang: Lang | None = None
    ) -> StreamingResponse:
        # lang: a download link carries the app's language; the browser's Accept-Language is the phone's
        gh = require_greenhouse(ctx.site, who, greenhouse)
        try:
            tz, names_in = ctx.site.cooperative.tz, lang or request_lang(request)
            lines = csv_rows(ctx.store, gh, req, ctx.now(), CSV_ROW_LIMIT, tz=tz, lang=names_in)
            first = next(lines)  # validates the request before the 200 is sent
        except HistoryError as exc:
            raise HTTPException(UNPROCESSABLE, str(exc)) from None

        def body() -> object:
            yield first
            yield from lines

        filename = f"{gh.id}-readings.csv"
        return StreamingResponse(
            body(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @app.get(
        "/api/v1/greenhouses/{greenhouse}/audit",
        response_model=AuditAnswer,
        summary="Why an actuator, a zone's valve or a rule did what it did around a time",
    )
    def get_audit(
        greenhouse: str,
        at: datetime,
        who: Reader,
        actuator: AnId = None,
        zone: AnId = None,
        rule: AnId = None,
        before_min: Annotated[float, Query(gt=0, le=7 * 24 * 60)] = 60,
        after_min: Annotated[float, Query(ge=0, le=24 * 60)] = 5,
    ) -> AuditAnswer:
        gh = require_greenhouse(ctx.site, who, greenhouse)
        if at.tzinfo is None:
            raise HTTPException(UNPROCESSABLE, "at: give a UTC offset, e.g. 2026-01-15T05:40:00+07:00")
        q = AuditQuery(at=at, actuator=actuator, zone=zone, rule=rule, before_min=before_min, after_min=after_min)
        try:
            return audit(ctx.store, gh, q)
        except AuditError as exc:
            raise HTTPException(UNPROCESSABLE, str(exc)) from None

    @app.get("/api/v1/ingest", response_model=IngestReport, summary="What was received, stored and rejected")
    def ingest_report(who: IngestReader) -> IngestReport:
        require_cooperative(ctx.site, who)
        figures = ctx.figures()
        accounts = ctx.accounts.db.recovery
        return IngestReport(
            **figures.model_dump(exclude={"damaged_stores"}),
            damaged_stores=figures.damaged_stores + ([accounts] if accounts is not None else []),
        )

    return app
