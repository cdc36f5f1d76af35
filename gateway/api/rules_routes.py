"""The technician's rule desk: the rule set a greenhouse runs, and a rule file written on the page checked
(each problem at its rule and field), simulated against the greenhouse physics, backtested on the stored
history, and deployed to the edge with its answer. Nothing is deployed that does not pass the check."""

# No `from __future__ import annotations`: FastAPI reads these signatures at run time.
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, model_validator

from contract.messages import MAX_RULES_YAML_CHARS, RulesReport
from contract.site import Greenhouse, SiteConfig
from desk.backtest import BacktestReport
from desk.check import CheckAnswer, check_text, version_problem
from desk.deploy import describe
from desk.simulate import Band, SimulationReport, simulate
from gateway.accounts.roles import Action
from gateway.api.access import Principal, require_greenhouse
from gateway.api.auth import Auth, request_lang
from gateway.live.rules import RulesNow
from gateway.live.service import Live
from gateway.storage.model import MAX_MS, MIN_MS, Store, StoreError, from_ms, to_ms
from gateway.storage.recorded import backtest_stored
from rules.model import RuleSet

# A page waits for these: a week of simulation is a few seconds of CPU, a month of backtest about as much.
MAX_SIMULATED_DAYS = 7
MAX_BACKTEST = timedelta(days=31)
DEPLOY_WAIT_S = 10.0
UNPROCESSABLE = 422


def _storable(ts: datetime) -> datetime:
    # The history store holds nothing outside these; near year 1 or 9999 a simulated week runs off the calendar.
    if not MIN_MS <= to_ms(ts) <= MAX_MS:
        first, last = from_ms(MIN_MS).date(), from_ms(MAX_MS).date()
        raise ValueError(f"must be from {first} to {last}, the times the history store can hold")
    return ts


Moment = Annotated[AwareDatetime, AfterValidator(_storable)]


class RulesText(BaseModel):
    yaml: str = Field(max_length=MAX_RULES_YAML_CHARS)


class SimulateRequest(RulesText):
    days: float = Field(default=3, gt=0, le=MAX_SIMULATED_DAYS)
    start: Moment | None = None  # midnight today at the site if not given
    # None: the greenhouse's crop bands, by day and by night.
    temp_band_c: tuple[float, float] | None = None
    vpd_band_kpa: tuple[float, float] | None = None
    seed: int = 7  # the weather's


class BacktestRequest(RulesText):
    start: Moment
    end: Moment

    @model_validator(mode="after")
    def _a_range(self) -> "BacktestRequest":
        if not self.start < self.end <= self.start + MAX_BACKTEST:
            raise ValueError(f"end must be after start, and at most {MAX_BACKTEST.days} days after it")
        return self


class SimulateAnswer(BaseModel):
    check: CheckAnswer
    report: SimulationReport | None  # None when the check failed


class BacktestAnswer(BaseModel):
    check: CheckAnswer
    report: BacktestReport | None


class DeployAnswer(BaseModel):
    check: CheckAnswer
    published: bool  # False when the check failed: nothing was sent
    report: RulesReport | None  # the edge's answer about this very text; None: not (yet) answered
    text_vi: list[str]
    text_en: list[str]


def rules_router(site: SiteConfig, store: Store, live: Live, now: Callable[[], datetime], auth: Auth) -> APIRouter:
    router = APIRouter(prefix="/api/v1/greenhouses/{greenhouse}/rules")
    Reader = Annotated[Principal, Depends(auth.allowed(Action.READ))]
    Editor = Annotated[Principal, Depends(auth.allowed(Action.EDIT_RULES))]

    def checked(
        greenhouse: str, who: Principal, text: str, request: Request
    ) -> tuple[Greenhouse, RuleSet | None, CheckAnswer]:
        """Every problem of the text at once, sorted by line, in the caller's language."""
        gh = require_greenhouse(site, who, greenhouse)
        ruleset, answer = check_text(text, [gh], request_lang(request))
        return gh, ruleset, answer

    def checked_to_deploy(
        greenhouse: str, who: Principal, text: str, request: Request
    ) -> tuple[Greenhouse, RuleSet | None, CheckAnswer]:
        """As ``checked``, and a changed set must also carry a higher version than the one running (a simulation
        or a backtest of it need not)."""
        gh, ruleset, answer = checked(greenhouse, who, text, request)
        running = live.feed.rules.now(gh)
        if ruleset is None or running.report is None:
            return gh, ruleset, answer
        stale = version_problem(ruleset, text, running.report, running.yaml, request_lang(request))
        if stale is None:
            return gh, ruleset, answer
        problems = sorted([stale, *answer.problems], key=lambda p: p.line or 0)
        return gh, None, answer.model_copy(update={"ok": False, "problems": problems})

    @router.get("", response_model=RulesNow, summary="The rule set the greenhouse runs, and its text")
    def current(greenhouse: str, who: Reader) -> RulesNow:
        return live.feed.rules.now(require_greenhouse(site, who, greenhouse))

    @router.post("/check", response_model=CheckAnswer, summary="Every problem by rule, line and field, with hints")
    def check(greenhouse: str, body: RulesText, who: Editor, request: Request) -> CheckAnswer:
        return checked_to_deploy(greenhouse, who, body.yaml, request)[2]

    @router.post("/simulate", response_model=SimulateAnswer, summary="The rules for days against the physics")
    def simulate_rules(greenhouse: str, body: SimulateRequest, who: Editor, request: Request) -> SimulateAnswer:
        gh, ruleset, answer = checked(greenhouse, who, body.yaml, request)
        if ruleset is None:
            return SimulateAnswer(check=answer, report=None)
        tz = site.cooperative.tz
        start = body.start or now().astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
        temp = Band(*body.temp_band_c) if body.temp_band_c else None
        vpd = Band(*body.vpd_band_kpa) if body.vpd_band_kpa else None
        report = simulate(site, gh.id, ruleset, start, body.days, temp, vpd, body.seed)
        return SimulateAnswer(check=answer, report=report)

    @router.post("/backtest", response_model=BacktestAnswer, summary="The rules replayed over stored history")
    def backtest_rules(greenhouse: str, body: BacktestRequest, who: Editor, request: Request) -> BacktestAnswer:
        gh, ruleset, answer = checked(greenhouse, who, body.yaml, request)
        if ruleset is None:
            return BacktestAnswer(check=answer, report=None)
        try:
            report = backtest_stored(store, site, gh.id, ruleset, body.start, body.end)
        except StoreError as exc:  # InfluxDB down: the page says so, the gateway goes on
            raise HTTPException(503, f"history store unavailable: {exc}") from None
        return BacktestAnswer(check=answer, report=report)

    @router.post("/deploy", response_model=DeployAnswer, summary="Publish the rules and wait for the edge's answer")
    def deploy_rules(greenhouse: str, body: RulesText, who: Editor, request: Request) -> DeployAnswer:
        gh, ruleset, answer = checked_to_deploy(greenhouse, who, body.yaml, request)
        if ruleset is None:
            return DeployAnswer(check=answer, published=False, report=None, text_vi=[], text_en=[])
        try:
            done = live.deploy(gh, body.yaml, ruleset, who.name, DEPLOY_WAIT_S)
        except ConnectionError as exc:  # the gateway's live feed has lost the broker
            raise HTTPException(503, f"broker unreachable: {exc}") from None
        return DeployAnswer(
            check=answer,
            published=True,
            report=done.report,
            text_vi=describe([done], "vi")[1],
            text_en=describe([done], "en")[1],
        )

    return router
