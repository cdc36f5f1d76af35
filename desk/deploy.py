"""``greenhouse rules deploy``: publish a checked rule file to greenhouses (retained MQTT) and wait for each
edge's answer. An edge that is offline takes the set when it reconnects; that is said, not treated as failure.

The offer (``offer_for``), which report answers it (``answers``) and the outcome in words (``describe``) serve the
web rule desk too, which publishes through the gateway's live feed instead of a client of its own."""

from __future__ import annotations

import contextlib
import queue
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import paho.mqtt.client as paho

from contract import topics
from contract.messages import RuleSetOffer, RulesOutcome, RulesReport, text_sha256
from contract.mqtt import BrokerUrl, make_client
from contract.reasons import Lang, pick
from contract.site import Greenhouse
from rules.model import RuleSet


@dataclass(frozen=True)
class Deployment:
    greenhouse: str
    report: RulesReport | None  # None: no answer within the wait


def offer_for(site_id: str, greenhouse: str, text: str, ruleset: RuleSet, by: str, now: datetime) -> RuleSetOffer:
    return RuleSetOffer(
        site=site_id,
        greenhouse=greenhouse,
        version=ruleset.version,
        sha256=text_sha256(text),
        rules_yaml=text,
        published_at=now,
        published_by=by,
    )


def answers(offer: RuleSetOffer, report: RulesReport) -> bool:
    """Whether ``report`` is the edge's answer about this very offer's text. Edge clocks may differ from ours:
    times are not compared."""
    return (report.site, report.greenhouse, report.offered_sha256) == (offer.site, offer.greenhouse, offer.sha256)


@contextlib.contextmanager
def _listening(
    url: BrokerUrl, site_id: str, greenhouses: list[Greenhouse], purpose: str
) -> Iterator[tuple[paho.Client, queue.SimpleQueue[RulesReport]]]:
    """A client subscribed to each greenhouse's rules report (retained: the last one comes at once), and the
    reports it receives."""
    reports: queue.SimpleQueue[RulesReport] = queue.SimpleQueue()

    def on_message(_c: paho.Client, _u: object, msg: paho.MQTTMessage) -> None:
        with contextlib.suppress(ValueError):  # not ours to judge: only the edges' reports are waited for
            reports.put(RulesReport.model_validate_json(msg.payload))

    client = make_client(url, client_id=f"rules-{purpose}-{uuid.uuid4().hex[:8]}")
    client.on_message = on_message
    client.connect(url.host, url.port)
    client.loop_start()
    try:
        client.subscribe([(topics.topic(site_id, g.id, topics.Channel.RULES_STATUS), 1) for g in greenhouses])
        yield client, reports
    finally:
        client.loop_stop()
        client.disconnect()


def _gather(
    reports: queue.SimpleQueue[RulesReport],
    greenhouses: list[Greenhouse],
    wait_s: float,
    wanted: Callable[[RulesReport], bool],
) -> dict[str, RulesReport]:
    """The wanted report of each greenhouse, as far as they come within ``wait_s``."""
    ids = {g.id for g in greenhouses}
    found: dict[str, RulesReport] = {}
    deadline = time.monotonic() + wait_s
    while len(found) < len(ids) and time.monotonic() < deadline:
        try:
            report = reports.get(timeout=0.1)
        except queue.Empty:
            continue
        if report.greenhouse in ids and wanted(report):
            found[report.greenhouse] = report
    return found


def running_reports(
    url: BrokerUrl, site_id: str, greenhouses: list[Greenhouse], wait_s: float = 3.0
) -> dict[str, RulesReport]:
    """What each greenhouse last said it runs: its retained report, for those the broker has one of (one never
    sent never comes, hence the wait)."""
    with _listening(url, site_id, greenhouses, "running") as (_client, reports):
        return _gather(reports, greenhouses, wait_s, lambda _report: True)


def deploy(
    url: BrokerUrl,
    site_id: str,
    greenhouses: list[Greenhouse],
    text: str,
    ruleset: RuleSet,
    by: str,
    wait_s: float,
) -> list[Deployment]:
    """Publish the rule file ``text`` (``ruleset``, checked) to each greenhouse and collect the edges' reports
    on this very text."""
    now = datetime.now(UTC)
    offers = {g.id: offer_for(site_id, g.id, text, ruleset, by, now) for g in greenhouses}
    with _listening(url, site_id, greenhouses, "deploy") as (client, reports):
        for g in greenhouses:
            info = client.publish(topics.topic(site_id, g.id, topics.Channel.RULES), offers[g.id].to_json(), 1, True)
            info.wait_for_publish(timeout=wait_s)
        answered = _gather(reports, greenhouses, wait_s, lambda r: answers(offers[r.greenhouse], r))
    return [Deployment(g.id, answered.get(g.id)) for g in greenhouses]


_WORDS = {
    RulesOutcome.ACCEPTED: ("đang chạy phiên bản {v}", "now running version {v}"),
    RulesOutcome.UNCHANGED: ("đã chạy phiên bản {v} từ trước", "already running version {v}"),
    RulesOutcome.REFUSED: (
        "TỪ CHỐI, vẫn chạy phiên bản {v}:",
        "REFUSED, still running version {v}:",
    ),
    None: (
        "chưa trả lời (mất kết nối?): sẽ nhận bản luật khi kết nối lại",
        "no answer yet (offline?): it will take the rules when it reconnects",
    ),
}


def describe(deployments: list[Deployment], lang: Lang) -> tuple[bool, list[str]]:
    """Lines to print, and whether no edge refused."""
    lines: list[str] = []
    for d in deployments:
        report = d.report
        outcome = report.outcome if report else None
        active = report.active_version if report and report.active_version is not None else "-"
        lines.append(f"{d.greenhouse}: {pick(_WORDS[outcome], lang).format(v=active)}")
        if report is not None:
            lines += [f"    {p}" for p in (report.problems_vi if lang == "vi" else report.problems_en)]
    refused = any(d.report is not None and d.report.outcome is RulesOutcome.REFUSED for d in deployments)
    return not refused, lines
