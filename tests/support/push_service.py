"""A Web Push service on loopback, checking what a real one checks and decrypting what a phone would.

For each POST to a subscription endpoint it issued, it checks the VAPID Authorization header (RFC 8292: an ES256
JWT for the endpoint's origin, expiring within 24 h, with a mailto:/https: contact, signed by the key the
subscription was made with), the TTL, Urgency and Topic headers (RFC 8030 §5) and the size of the body (4096
octets, RFC 8030 §7.2), then decrypts the aes128gcm body (RFC 8188, keys of RFC 8291) with the subscriber's private
key and auth secret. The decryption is written here from the RFCs with ``cryptography``, not with the http_ece that
pywebpush encrypts with, so that the two sides are independent.

It answers as push services do: 201 Created, 400 for a malformed request, 401/403 for a bad or foreign VAPID
signature, 404 for an endpoint it never issued, 413 for a body too large — and 410 or 500 for an endpoint it was
told to answer so.

Its ``Subscriber`` is the phone's side: a P-256 key pair and a 16-byte auth secret, and the JSON the browser's
``PushSubscription.toJSON()`` gives."""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAX_BODY_BYTES = 4096
_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_URGENCIES = ("very-low", "low", "normal", "high")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


@dataclass(frozen=True)
class Subscriber:
    """A phone subscribed with ``application_server_key``: what it keeps, and what it hands the server."""

    endpoint: str
    application_server_key: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    def subscription_json(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(_point(self.private_key.public_key())), "auth": b64url(self.auth_secret)},
        }


@dataclass(frozen=True)
class Received:
    """A push message the service accepted, as the phone would get it."""

    endpoint: str
    ttl_s: int
    urgency: str | None
    topic: str | None
    body_bytes: int
    vapid_claims: dict[str, Any]
    payload: dict[str, Any]


class Refused(Exception):
    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


def decrypt(body: bytes, private_key: ec.EllipticCurvePrivateKey, auth_secret: bytes) -> bytes:
    """An aes128gcm push message body (RFC 8188 §2, RFC 8291 §3.4) in plaintext; it must be one record."""
    if len(body) < 21:
        raise Refused(400, "body shorter than the aes128gcm header")
    salt, rs, id_len = body[:16], int.from_bytes(body[16:20], "big"), body[20]
    sender_point = body[21 : 21 + id_len]
    record = body[21 + id_len :]
    if id_len != 65:
        raise Refused(400, f"keyid of {id_len} bytes, not the sender's 65-byte P-256 key")
    if len(record) > rs:
        raise Refused(400, "more than one record (RFC 8291 §4 allows one)")
    sender = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), sender_point)
    ecdh_secret = private_key.exchange(ec.ECDH(), sender)
    key_info = b"WebPush: info\x00" + _point(private_key.public_key()) + sender_point
    ikm = HKDF(hashes.SHA256(), 32, salt=auth_secret, info=key_info).derive(ecdh_secret)
    cek = HKDF(hashes.SHA256(), 16, salt=salt, info=b"Content-Encoding: aes128gcm\x00").derive(ikm)
    nonce = HKDF(hashes.SHA256(), 12, salt=salt, info=b"Content-Encoding: nonce\x00").derive(ikm)
    try:
        padded = AESGCM(cek).decrypt(nonce, record, None)  # the first record's nonce is NONCE xor 0
    except InvalidTag as exc:
        raise Refused(400, "the body does not decrypt with the subscription's keys") from exc
    unpadded = padded.rstrip(b"\x00")
    if not unpadded.endswith(b"\x02"):
        raise Refused(400, "the last record lacks its 0x02 delimiter")
    return unpadded[:-1]


def verify_vapid(authorization: str | None, origin: str, expected_key: str) -> dict[str, Any]:
    """The claims of an RFC 8292 ``vapid t=<JWT>, k=<key>`` header, once every check passed."""
    if not authorization or not authorization.lower().startswith("vapid "):
        raise Refused(401, "no vapid Authorization")
    params = dict(part.strip().split("=", 1) for part in authorization[6:].split(","))
    token, key = params.get("t", ""), params.get("k", "")
    try:
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
    except ValueError as exc:
        raise Refused(401, "k is not a P-256 public key") from exc
    if key != expected_key:
        raise Refused(403, "signed with a key other than the subscription's applicationServerKey")
    parts = token.split(".")
    if len(parts) != 3:
        raise Refused(401, "t is not a JWS")
    header, claims = json.loads(unb64url(parts[0])), json.loads(unb64url(parts[1]))
    signature = unb64url(parts[2])
    if header.get("alg") != "ES256" or len(signature) != 64:
        raise Refused(401, "the JWT is not ES256")
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        public.verify(encode_dss_signature(r, s), f"{parts[0]}.{parts[1]}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise Refused(401, "the JWT's signature does not verify") from exc
    if claims.get("aud") != origin:
        raise Refused(401, f"aud {claims.get('aud')!r} is not the push service's origin {origin!r}")
    now = time.time()
    if not isinstance(claims.get("exp"), int) or not now < claims["exp"] <= now + 24 * 3600:
        raise Refused(401, f"exp {claims.get('exp')!r} not within the next 24 h")
    if not re.match(r"^(mailto:|https:)", str(claims.get("sub", ""))):
        raise Refused(401, "sub is not a mailto: or https: contact")
    return dict(claims)


def check_application_server_key(key: str) -> None:
    """What a browser asks of ``applicationServerKey`` given as a string: base64url without padding (Blink refuses
    anything else at once), of a 65-byte uncompressed P-256 point (its push service refuses anything else)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", key):
        raise ValueError("applicationServerKey is not encoded as base64url without padding")
    raw = unb64url(key)
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("applicationServerKey is not an uncompressed P-256 point")
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)


@dataclass
class _State:
    origin: str = ""
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    answers: dict[str, int] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _check(state: _State, subscriber: Subscriber, headers: Any, body: bytes) -> Received:
    ttl = headers.get("TTL")
    if ttl is None or not ttl.isdigit():
        raise Refused(400, f"TTL {ttl!r} is not a number of seconds")  # RFC 8030 §5.2: TTL is required
    urgency = headers.get("Urgency")
    if urgency is not None and urgency not in _URGENCIES:
        raise Refused(400, f"Urgency {urgency!r}")
    topic = headers.get("Topic")
    if topic is not None and not _TOPIC.match(topic):
        raise Refused(400, f"Topic {topic!r} is not up to 32 base64url characters")
    claims = verify_vapid(headers.get("Authorization"), state.origin, subscriber.application_server_key)
    if headers.get("Content-Encoding") != "aes128gcm":
        raise Refused(400, f"Content-Encoding {headers.get('Content-Encoding')!r}")
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, f"{len(body)} bytes of body")
    plain = decrypt(body, subscriber.private_key, subscriber.auth_secret)
    return Received(subscriber.endpoint, int(ttl), urgency, topic, len(body), claims, json.loads(plain))


def _handler(state: _State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            endpoint = state.origin + self.path
            with state.lock:
                subscriber = state.subscribers.get(endpoint)
                answer = state.answers.get(endpoint)
            try:
                if subscriber is None:
                    raise Refused(404, "no such subscription")
                if answer is not None:
                    raise Refused(answer, "as told")
                received = _check(state, subscriber, self.headers, body)
            except Refused as refused:
                with state.lock:
                    state.refused.append((refused.status, refused.why))
                self._answer(refused.status, refused.why)
                return
            with state.lock:
                state.received.append(received)
            self._answer(201, "", {"Location": f"{state.origin}/message/{secrets.token_urlsafe(8)}"})

        def _answer(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
            raw = text.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

    return Handler


class PushService:
    """Start it (or use it as a context manager), make subscribers, read what arrived."""

    def __init__(self) -> None:
        self._state = _State()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self._state))
        self._state.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="push-service", daemon=True)

    def __enter__(self) -> PushService:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def origin(self) -> str:
        return self._state.origin

    def subscribe(self, application_server_key: str) -> Subscriber:
        """What ``pushManager.subscribe({applicationServerKey})`` does on a phone: a new endpoint bound to that
        key, and the phone's own keys for decrypting."""
        check_application_server_key(application_server_key)
        subscriber = Subscriber(
            endpoint=f"{self.origin}/push/{secrets.token_urlsafe(16)}",
            application_server_key=application_server_key,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
        )
        with self._state.lock:
            self._state.subscribers[subscriber.endpoint] = subscriber
        return subscriber

    def answer(self, endpoint: str, status: int) -> None:
        """From now on, answer every post to ``endpoint`` with ``status`` (410 Gone, 500 …)."""
        with self._state.lock:
            self._state.answers[endpoint] = status

    @property
    def received(self) -> list[Received]:
        with self._state.lock:
            return list(self._state.received)

    @property
    def refused(self) -> list[tuple[int, str]]:
        """(status, why) of every request not accepted."""
        with self._state.lock:
            return list(self._state.refused)
