"""The Web Push channel: a notification to the installed phone app, through the push service of the phone's browser
(RFC 8030), encrypted for that phone (RFC 8291) and signed with the server's VAPID key (RFC 8292), by pywebpush.

A phone subscribes with the server's public key (``VapidKeys.application_server_key``) and hands over its
``PushSubscription``; ``send`` posts one notification to it and says whether the push service took it, whether the
subscription is gone for good (drop it), or why it failed (the chain moves on to its next step).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pywebpush import WebPushException, webpush

from contract.messages import Severity
from contract.wording import Lang, pick

log = logging.getLogger(__name__)

# RFC 8030 sets no upper bound on TTL, but push services cap it: FCM (Chrome on Android, the farmers' phones) at
# 4 weeks, Mozilla's autopush at 60 days; a phone off for longer finds the alert in the app's list.
MAX_TTL_S = 28 * 24 * 3600
# RFC 8291 §4: a push service need accept no more than 4096 octets of body; less the aes128gcm header with the
# sender's key (86), the padding delimiter (1) and the AEAD tag (16), that leaves 3993 octets of plaintext.
MAX_PLAINTEXT_BYTES = 4096 - 86 - 1 - 16
# How long one post to the push service may take before the chain treats it as failed.
TIMEOUT_S = 15.0
# The label of the notification's button that acknowledges the alert.
ACK_LABEL = ("Đã biết", "Got it")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Urgency(StrEnum):
    """RFC 8030 §5.3: when the phone may be woken for the message."""

    VERY_LOW = "very-low"
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"  # even on a low battery, on mobile data


# A critical alert wakes the phone whatever its battery; information may wait until it is charging or on Wi-Fi.
_URGENCY = {Severity.CRITICAL: Urgency.HIGH, Severity.WARNING: Urgency.NORMAL, Severity.INFO: Urgency.LOW}


def urgency_for(severity: Severity) -> Urgency:
    return _URGENCY[severity]


def topic_for(incident_id: str) -> str:
    """The RFC 8030 §5.4 topic of an incident's messages (at most 32 characters of base64url): a newer message for
    one incident replaces an older one the push service still holds, so a phone that was off gets the latest only.
    A hash, since the topic is visible to the push service and an id might not fit."""
    return _b64url(hashlib.sha256(f"incident:{incident_id}".encode()).digest()[:24])


def _p256dh(value: str) -> str:
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64url(value))  # raises on a point off the curve
    return value


def _auth(value: str) -> str:
    if len(_unb64url(value)) != 16:
        raise ValueError("the auth secret of a push subscription is 16 bytes")
    return value


def _endpoint(value: str) -> str:
    """Push services are reached over https; plain http only on this machine (a local push service, the tests')."""
    url = urlsplit(value)
    if url.scheme == "https" and url.hostname:
        return value
    if url.scheme == "http" and url.hostname and (url.hostname == "localhost" or _loopback(url.hostname)):
        return value
    raise ValueError("a push endpoint is an https URL")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SubscriptionKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    p256dh: Annotated[str, AfterValidator(_p256dh)]  # the phone's P-256 public key, base64url
    auth: Annotated[str, AfterValidator(_auth)]  # its 16-byte auth secret, base64url


class PushSubscription(BaseModel):
    """A phone's subscription, as the browser's ``PushSubscription.toJSON()`` gives it."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    endpoint: Annotated[str, Field(max_length=2048), AfterValidator(_endpoint)]
    expiration_time: int | None = Field(default=None, alias="expirationTime")
    keys: SubscriptionKeys

    def subscription_info(self) -> dict[str, object]:
        """The JSON the browser gave, as pywebpush and the store take it."""
        return self.model_dump(by_alias=True)


class NotificationAction(BaseModel):
    """One button of the notification, in the shape of the Notification API's ``actions``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    action: Literal["ack"] = "ack"
    title: Annotated[str, Field(min_length=1, max_length=40)]


class PushPayload(BaseModel):
    """What the service worker shows: the alert in the reader's language, the page to open, the button that
    acknowledges. Serialised as UTF-8 JSON; a payload that would not fit in one push message is refused here, when
    it is made, rather than by the push service at 3 a.m."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident_id: Annotated[str, Field(min_length=1, max_length=64)]
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=1000)]
    url: Annotated[str, Field(min_length=1, max_length=512)]
    actions: tuple[NotificationAction, ...]
    # Where the "Đã biết" button posts, with no session needed: the path carries a token for this person and
    # incident (a phone whose sign-in lapsed still acknowledges from the lock screen).
    ack_url: Annotated[str, Field(max_length=512)] | None = None

    @classmethod
    def alert(
        cls, incident_id: str, title: str, body: str, url: str, lang: Lang, ack_url: str | None = None
    ) -> PushPayload:
        return cls(
            incident_id=incident_id,
            title=title,
            body=body,
            url=url,
            actions=(NotificationAction(title=pick(ACK_LABEL, lang)),),
            ack_url=ack_url,
        )

    @classmethod
    def note(cls, incident_id: str, title: str, body: str, url: str) -> PushPayload:
        """Told, with nothing to do: somebody took it, it cleared, a test. Same incident, same tag on the phone:
        it replaces the alert's notification."""
        return cls(incident_id=incident_id, title=title, body=body, url=url, actions=())

    def encoded(self) -> bytes:
        return self.model_dump_json().encode()

    @model_validator(mode="after")
    def _fits(self) -> PushPayload:
        size = len(self.encoded())
        if size > MAX_PLAINTEXT_BYTES:
            raise ValueError(f"the notification takes {size} bytes, more than the {MAX_PLAINTEXT_BYTES} a push holds")
        return self


class VapidKeys:
    """The server's VAPID key pair (P-256): the private key signs every push; the public key is what the phone
    subscribes with. Replacing it orphans every subscription, so a saved key is never overwritten."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("a VAPID key is a P-256 key")
        self._private_key = private_key

    @classmethod
    def generate(cls) -> VapidKeys:
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def load(cls, path: Path) -> VapidKeys:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} holds no EC private key")
        return cls(key)

    def save(self, path: Path) -> None:
        """Write the private key as PEM, readable by its owner only; an existing file is left as it is
        (FileExistsError)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(self.private_pem())
            f.flush()
            os.fsync(f.fileno())

    def private_pem(self) -> bytes:
        return self._private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    @property
    def application_server_key(self) -> str:
        """The public key as ``pushManager.subscribe({applicationServerKey})`` takes it: the uncompressed point,
        base64url without padding."""
        point = self._private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return _b64url(point)

    def signer(self) -> Vapid02:
        return Vapid02(private_key=self._private_key)


class PushOutcome(StrEnum):
    ACCEPTED = "accepted"  # the push service took it (201): it reaches the phone when the phone is reachable
    GONE = "gone"  # 404/410: the phone unsubscribed or the subscription expired; drop it
    FAILED = "failed"  # anything else; worth another try later, but the chain moves on now


class PushResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: PushOutcome
    status: int | None = None  # the push service's HTTP status; None when it was not reached
    reason: str = ""  # for a technician: the push service's answer, or why it was not reached


# RFC 8292 §2.1: the contact is a mailto: or https: URI, for the push service's operator to reach ours; as py_vapid
# accepts it: an address at a domain, or a site's bare origin.
_CONTACT = re.compile(r"^(mailto:[^@\s]+@[\w%-]+(\.[\w%-]+)+|https://[\w-]+(\.[\w-]+)+)$")


def send(
    sub: PushSubscription,
    payload: PushPayload,
    keys: VapidKeys,
    *,
    ttl_s: int,
    urgency: Urgency,
    contact: str,
) -> PushResult:
    """Post one notification; the topic is the incident's (``topic_for``). ``ttl_s``: how long the push service
    keeps it for a phone that is off — as long as the alert lives, capped at ``MAX_TTL_S``."""
    if not _CONTACT.match(contact):
        raise ValueError(f"the VAPID contact {contact!r} is not a mailto: or https: URI")
    origin = urlsplit(sub.endpoint)
    where = f"{origin.scheme}://{origin.netloc}"  # the endpoint's path identifies the phone: kept out of logs
    headers: dict[str, str | int | float] = {"Urgency": urgency.value, "Topic": topic_for(payload.incident_id)}
    try:
        response = webpush(
            sub.subscription_info(),
            data=payload.encoded().decode(),
            vapid_private_key=keys.signer(),
            # pywebpush fills in aud (the endpoint's origin) and exp (12 h ahead, within RFC 8292's 24 h).
            vapid_claims={"sub": contact},
            ttl=max(0, min(ttl_s, MAX_TTL_S)),
            headers=headers,
            timeout=TIMEOUT_S,
        )
    except WebPushException as exc:
        answered = exc.response if isinstance(exc.response, requests.Response) else None
        status = answered.status_code if answered is not None else None
        outcome = PushOutcome.GONE if status in (404, 410) else PushOutcome.FAILED
        answer = answered.text[:200] if answered is not None else str(exc.message)
        log.info(
            "push not accepted",
            extra={"push_service": where, "incident": payload.incident_id, "status": status, "answer": answer},
        )
        return PushResult(outcome=outcome, status=status, reason=answer)
    except requests.RequestException as exc:
        log.info("push service not reached", extra={"push_service": where, "error": str(exc)})
        return PushResult(outcome=PushOutcome.FAILED, reason=f"{type(exc).__name__}: {exc}")
    log.debug("push accepted", extra={"push_service": where, "incident": payload.incident_id})
    status = response.status_code if isinstance(response, requests.Response) else None
    return PushResult(outcome=PushOutcome.ACCEPTED, status=status)
