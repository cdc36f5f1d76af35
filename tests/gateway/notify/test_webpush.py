"""The Web Push channel against a push service on loopback that checks what a real one checks (VAPID, TTL, urgency,
topic, size) and decrypts each message with the test phone's own keys (RFC 8291)."""

from __future__ import annotations

import stat
import string
from pathlib import Path

import pytest
from pydantic import ValidationError

from contract.messages import Severity
from contract.reasons import Reason, render
from contract.site import Greenhouse
from contract.site_file import load_site
from contract.wording import Words
from gateway.notify.webpush import (
    MAX_PLAINTEXT_BYTES,
    MAX_TTL_S,
    PushOutcome,
    PushPayload,
    PushSubscription,
    Urgency,
    VapidKeys,
    send,
    topic_for,
    urgency_for,
)
from greenhouse.net import free_port
from rules.model import load_rules
from tests.conftest import EXAMPLE_SITE
from tests.support.push_service import MAX_BODY_BYTES, PushService, check_application_server_key

CONTACT = "mailto:kythuat@htx-bac-ha.vn"
URL = "https://nongtrai.htx-bac-ha.vn/#/incidents/"
ACK = "/api/v1/notify/ack/token-of-"
FROST_TTL_S = 6 * 3600  # a frost alarm at 0:40 lives until the morning


@pytest.fixture(scope="module")
def keys() -> VapidKeys:
    return VapidKeys.generate()


def _frost(incident_id: str, text: str = "Nguy cơ sương muối: 1,5 °C, dưới 2 °C") -> PushPayload:
    return PushPayload.alert(incident_id, "Nhà kính cà chua 1", text, URL + incident_id, "vi", ACK + incident_id)


def _subscription(service: PushService, keys: VapidKeys) -> PushSubscription:
    return PushSubscription.model_validate(service.subscribe(keys.application_server_key).subscription_json())


def test_a_notification_arrives_decrypted_with_its_ttl_urgency_and_topic(
    push_service: PushService, keys: VapidKeys
) -> None:
    sub = _subscription(push_service, keys)
    payload = _frost("inc-17")

    result = send(sub, payload, keys, ttl_s=FROST_TTL_S, urgency=urgency_for(Severity.CRITICAL), contact=CONTACT)

    assert (result.outcome, result.status) == (PushOutcome.ACCEPTED, 201)
    assert push_service.refused == []
    [got] = push_service.received
    assert got.endpoint == sub.endpoint
    assert got.payload == {
        "incident_id": "inc-17",
        "title": "Nhà kính cà chua 1",
        "body": "Nguy cơ sương muối: 1,5 °C, dưới 2 °C",
        "url": URL + "inc-17",
        "actions": [{"action": "ack", "title": "Đã biết"}],
        "ack_url": ACK + "inc-17",
    }
    assert (got.ttl_s, got.urgency, got.topic) == (FROST_TTL_S, "high", topic_for("inc-17"))
    assert got.vapid_claims["sub"] == CONTACT
    assert got.vapid_claims["aud"] == push_service.origin


def test_an_english_reader_gets_the_english_button(push_service: PushService, keys: VapidKeys) -> None:
    payload = PushPayload.alert("inc-3", "Tomato house 1", "Frost risk: 1.5 °C, below 2 °C", URL + "inc-3", "en")

    send(_subscription(push_service, keys), payload, keys, ttl_s=600, urgency=Urgency.HIGH, contact=CONTACT)

    [got] = push_service.received
    assert got.payload["actions"] == [{"action": "ack", "title": "Got it"}]


def test_messages_of_one_incident_share_a_topic_and_another_incident_has_its_own(
    push_service: PushService, keys: VapidKeys
) -> None:
    sub = _subscription(push_service, keys)
    first = _frost("inc-17")
    worse = _frost("inc-17", "Sương muối: 0,5 °C, dưới 2 °C — đang chống rét")
    other = _frost("inc-18")

    for payload in (first, worse, other):
        result = send(sub, payload, keys, ttl_s=FROST_TTL_S, urgency=Urgency.HIGH, contact=CONTACT)
        assert result.outcome is PushOutcome.ACCEPTED

    topics = [got.topic for got in push_service.received]
    assert topics[0] == topics[1] != topics[2]
    for topic in topics:  # RFC 8030 §5.4: at most 32 characters of the URL-safe base64 alphabet
        assert topic is not None and len(topic) <= 32
        assert set(topic) <= set(string.ascii_letters + string.digits + "-_")


def test_the_ttl_is_capped_at_what_push_services_keep(push_service: PushService, keys: VapidKeys) -> None:
    sub = _subscription(push_service, keys)

    send(sub, _frost("inc-1"), keys, ttl_s=90 * 24 * 3600, urgency=Urgency.HIGH, contact=CONTACT)

    [got] = push_service.received
    assert got.ttl_s == MAX_TTL_S == 28 * 24 * 3600


@pytest.mark.parametrize(("status", "outcome"), [(410, PushOutcome.GONE), (404, PushOutcome.GONE)])
def test_a_subscription_the_push_service_no_longer_knows_is_gone(
    push_service: PushService, keys: VapidKeys, status: int, outcome: PushOutcome
) -> None:
    sub = _subscription(push_service, keys)
    push_service.answer(sub.endpoint, status)

    result = send(sub, _frost("inc-2"), keys, ttl_s=600, urgency=Urgency.HIGH, contact=CONTACT)

    assert (result.outcome, result.status) == (outcome, status)
    assert push_service.received == []


def test_a_push_service_error_is_a_failure_with_its_status(push_service: PushService, keys: VapidKeys) -> None:
    sub = _subscription(push_service, keys)
    push_service.answer(sub.endpoint, 500)

    result = send(sub, _frost("inc-2"), keys, ttl_s=600, urgency=Urgency.HIGH, contact=CONTACT)

    assert (result.outcome, result.status) == (PushOutcome.FAILED, 500)


def test_a_subscription_made_for_another_server_key_is_refused_and_fails(
    push_service: PushService, keys: VapidKeys
) -> None:
    sub = _subscription(push_service, VapidKeys.generate())

    result = send(sub, _frost("inc-4"), keys, ttl_s=600, urgency=Urgency.HIGH, contact=CONTACT)

    assert (result.outcome, result.status) == (PushOutcome.FAILED, 403)  # RFC 8292 §4.2
    assert push_service.received == []


def test_an_unreachable_push_service_is_a_failure_without_a_status(keys: VapidKeys) -> None:
    with PushService() as service:
        info = service.subscribe(keys.application_server_key).subscription_json()
    # Nothing listens at a port never handed out before.
    info["endpoint"] = f"http://127.0.0.1:{free_port()}/push/x"

    result = send(
        PushSubscription.model_validate(info), _frost("inc-5"), keys, ttl_s=60, urgency=Urgency.HIGH, contact=CONTACT
    )

    assert result.outcome is PushOutcome.FAILED
    assert result.status is None
    assert "ConnectionError" in result.reason


@pytest.mark.parametrize("contact", ["kythuat@htx-bac-ha.vn", "mailto:kythuat", "https://htx-bac-ha.vn/lien-he"])
def test_a_contact_push_services_would_not_take_is_refused_before_sending(
    push_service: PushService, keys: VapidKeys, contact: str
) -> None:
    sub = _subscription(push_service, keys)

    with pytest.raises(ValueError, match="VAPID contact"):
        send(sub, _frost("inc-7"), keys, ttl_s=60, urgency=Urgency.HIGH, contact=contact)
    assert push_service.received == push_service.refused == []


def test_vapid_keys_round_trip_through_a_private_file(tmp_path: Path, push_service: PushService) -> None:
    keys = VapidKeys.generate()
    path = tmp_path / "secrets" / "vapid.pem"

    keys.save(path)
    loaded = VapidKeys.load(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert loaded.application_server_key == keys.application_server_key
    check_application_server_key(loaded.application_server_key)  # base64url, 65-byte uncompressed P-256 point
    # A phone subscribed with the saved key receives what the loaded key signs.
    sub = _subscription(push_service, keys)
    result = send(sub, _frost("inc-6"), loaded, ttl_s=60, urgency=Urgency.HIGH, contact=CONTACT)
    assert result.outcome is PushOutcome.ACCEPTED
    # Saving again would orphan every phone's subscription: the file is left as it was.
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        VapidKeys.generate().save(path)
    assert path.read_bytes() == before


def test_the_browser_subscription_json_is_taken_as_it_comes(push_service: PushService, keys: VapidKeys) -> None:
    info = push_service.subscribe(keys.application_server_key).subscription_json()

    sub = PushSubscription.model_validate(info)

    assert sub.subscription_info() == info
    with pytest.raises(ValidationError):  # push services are reached over https
        PushSubscription.model_validate({**info, "endpoint": "http://push.example.com/x"})
    with pytest.raises(ValidationError):
        PushSubscription.model_validate({**info, "keys": {**info["keys"], "auth": "c2hvcnQ"}})


def _longest_words(house: Greenhouse, key: str, candidates: list[str]) -> str:
    """The candidate value of ``key`` that the reader is shown at greatest length."""
    return max(candidates, key=lambda raw: len(Words({key: raw, "kind": "air_temp_c"}, "vi", house)(key) or ""))


def _longest_alert(house: Greenhouse, rule_names: list[str]) -> str:
    """The longest Vietnamese text any reason renders to in ``house``, each parameter at its longest."""
    sensors = list(house.sensors)
    actuators = list(house.actuators)
    values: dict[str, list[str]] = {
        "sensor": sensors,
        "actuator": actuators,
        "actuators": [",".join(actuators)],
        "zone": [z.id for z in house.zones] or [""],
        "node": [n.id for n in house.nodes],
        "metric": [",".join(sensors)],
        "unusable": [",".join(f"{s}:{why}" for s in sensors) for why in ("no_reading", "out_of_range", "too_old")],
        "rule": rule_names,
    }
    longest = {key: _longest_words(house, key, candidates) for key, candidates in values.items()}
    numbers = {key: "-12.345" for key in ("value", "threshold", "limit")}
    texts = []
    for reason in Reason:
        params = {"kind": "air_temp_c", "aggregate": "mean", "by": "Nguyễn Thị Phương Thảo", **numbers, **longest}
        for name in string.Formatter().parse(render(reason, {}, "vi")):  # the keys this text has
            if name[1] and name[1] not in params:
                params[name[1]] = "12:34" if name[1] in ("at", "since", "until", "started") else "-1234.5"
        texts.append(render(reason, params, "vi", house))
    return max(texts, key=lambda text: len(text.encode()))


def test_the_longest_vietnamese_alert_fits_in_one_push_message(push_service: PushService, keys: VapidKeys) -> None:
    site = load_site(EXAMPLE_SITE)
    rule_names = [
        rule.name
        for path in sorted((EXAMPLE_SITE.parent / "rules").glob("*.yaml"))
        for rule in load_rules(path).rules
        if rule.name
    ]
    house, text = max(
        ((house, _longest_alert(house, rule_names)) for house in site.greenhouses), key=lambda p: len(p[1].encode())
    )
    payload = PushPayload.alert("0" * 64, house.label_in("vi"), text, URL + "0" * 64, "vi")

    result = send(_subscription(push_service, keys), payload, keys, ttl_s=60, urgency=Urgency.HIGH, contact=CONTACT)

    assert result.outcome is PushOutcome.ACCEPTED, push_service.refused
    [got] = push_service.received
    assert got.payload["body"] == text
    assert got.body_bytes <= MAX_BODY_BYTES
    assert len(payload.encoded()) <= MAX_PLAINTEXT_BYTES


def test_a_payload_that_would_not_fit_is_refused_when_it_is_made() -> None:
    with pytest.raises(ValidationError, match="more than the 3993 a push holds"):
        PushPayload.alert("inc-9", "Nhà " * 50, "ệ" * 1000, URL + "ệ" * 400, "vi")
