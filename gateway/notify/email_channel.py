"""The email channel, for technicians and agronomists: one UTF-8 plain-text message per send through the
cooperative's SMTP server (smtplib), its subject in the reader's language with the severity and the greenhouse.

Each message has a Message-ID made from its send's key (so a send the notifier makes again after a restart carries
the same id, and a mail client shows it once) and names its incident's thread in ``In-Reply-To``/``References``
(RFC 5322 §3.6.4), so that a mail client shows one incident — raised, taken, cleared — as one conversation.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import smtplib
import ssl
from email.header import Header
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from contract.messages import Severity
from contract.wording import pick
from gateway.notify.notifier import Delivery, Outgoing
from gateway.notify.planner import SendKind

log = logging.getLogger(__name__)

# The words a subject starts with: how grave an alert is, or what became of it.
SEVERITY_WORD: dict[Severity, tuple[str, str]] = {
    Severity.CRITICAL: ("Nguy cấp", "Critical"),
    Severity.WARNING: ("Cảnh báo", "Warning"),
    Severity.INFO: ("Thông tin", "Info"),
}
_KIND_WORD: dict[SendKind, tuple[str, str]] = {
    SendKind.TAKEN: ("Đã nhận", "Taken"),
    SendKind.CLEARED: ("Đã hết", "Cleared"),
}
_SEE_IT = ("Xem trong ứng dụng: {url}", "See it in the app: {url}")
# A subject stays one readable line in a phone's mail list; the whole alert is in the body.
_SUBJECT_MAX = 150


class SmtpSecurity(StrEnum):
    NONE = "none"  # plain SMTP: towards a relay on the farm's LAN; signing in so only on this machine
    STARTTLS = "starttls"  # port 587: plain, then upgraded to TLS before signing in
    TLS = "tls"  # port 465: TLS from the first byte


class SmtpSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: SmtpSecurity = SmtpSecurity.STARTTLS
    user: str | None = None
    password: SecretStr | None = None
    from_address: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    from_name: str = Field(min_length=1, max_length=100)
    # Short: a mail server that does not answer moves the chain on to its next step rather than holding it.
    timeout_s: float = Field(default=20.0, gt=0, le=120)

    @model_validator(mode="after")
    def _signing_in(self) -> SmtpSettings:
        if (self.user is None) != (self.password is None):
            raise ValueError("an SMTP user and its password go together")
        if self.user is not None and self.security is SmtpSecurity.NONE and not _loopback(self.host):
            raise ValueError("a password goes over plain SMTP only to this machine: use starttls or tls")
        secret = self.password.get_secret_value() if self.password is not None else ""
        if not f"{self.user or ''}{secret}".isascii():  # smtplib signs in with ASCII only; it would fail at 3 a.m.
            raise ValueError("the SMTP user and password must be plain ASCII letters, digits and signs")
        return self


def _loopback(host: str) -> bool:
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class EmailChannel:
    """A ``Sender``: ``__call__`` sends one message and says whether the server took it, never raising."""

    def __init__(self, settings: SmtpSettings, app_url: str | None) -> None:
        self.settings = settings
        self.app_url = app_url.rstrip("/") if app_url else None
        self._domain = settings.from_address.rsplit("@", 1)[1]

    def __call__(self, outgoing: Outgoing) -> Delivery:
        to = outgoing.person.email
        if to is None:
            return Delivery(ok=False, detail="no email address")
        try:
            message = self.message(outgoing, to)
        except ValueError as exc:  # an address the email library cannot write
            return Delivery(ok=False, detail=f"email address {to!r} not usable: {exc}")
        return self._send(message, to)

    # --- what is sent -------------------------------------------------------------------------
    def subject(self, outgoing: Outgoing) -> str:
        kind = outgoing.send.kind
        word = SEVERITY_WORD[outgoing.incident.severity] if kind is SendKind.ALERT else _KIND_WORD[kind]
        return _cut(_one_line(f"[{pick(word, outgoing.person.lang)}] {outgoing.title}: {outgoing.body}"), _SUBJECT_MAX)

    def body(self, outgoing: Outgoing) -> str:
        lines = [outgoing.text]
        if self.app_url is not None:
            link = f"{self.app_url}/#/gh/{outgoing.incident.greenhouse}/alerts"
            lines += ["", pick(_SEE_IT, outgoing.person.lang).format(url=link)]
        return "\n".join(lines) + "\n"

    def message(self, outgoing: Outgoing, to: str) -> MIMEText:
        # Headers through email.header, whose encoded words keep every space: the newer email.policy folder drops
        # the space at a fold between two encoded words ("0.5 °C" arrived as "0.5°C" in a long English subject).
        message = MIMEText(self.body(outgoing), "plain", "utf-8")
        message["From"] = formataddr((self.settings.from_name, self.settings.from_address), charset="utf-8")
        message["To"] = formataddr((outgoing.person.name, to), charset="utf-8")
        message["Subject"] = Header(self.subject(outgoing), "utf-8")  # type: ignore[assignment]  # typeshed: str only
        message["Date"] = format_datetime(outgoing.at)
        message["Message-ID"] = self._id("send", outgoing.send.key)
        thread = self._id("incident", outgoing.incident.id)
        message["In-Reply-To"] = thread
        message["References"] = thread
        # RFC 3834: written by a machine, so that out-of-office replies are not sent back to it.
        message["Auto-Submitted"] = "auto-generated"
        if outgoing.incident.severity is Severity.CRITICAL and outgoing.send.kind is SendKind.ALERT:
            message["Importance"] = "high"
        return message

    def _id(self, what: str, key: str) -> str:
        """A Message-ID of ours: a hash, since a key holds ids and characters a Message-ID may not."""
        return f"<{what}.{hashlib.sha256(key.encode()).hexdigest()[:32]}@{self._domain}>"

    # --- how it is sent -----------------------------------------------------------------------
    def _send(self, message: MIMEText, to: str) -> Delivery:
        s = self.settings
        try:
            with self._connect() as smtp:
                if s.security is SmtpSecurity.STARTTLS:
                    smtp.starttls(context=ssl.create_default_context())
                if s.user is not None and s.password is not None:
                    smtp.login(s.user, s.password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, answer = exc.recipients.get(to, next(iter(exc.recipients.values()), (0, b"")))
            return self._failed(f"recipient {to} refused: {code} {_text(answer)}")
        except smtplib.SMTPAuthenticationError as exc:
            return self._failed(f"sign-in refused: {exc.smtp_code} {_text(exc.smtp_error)}")
        except smtplib.SMTPNotSupportedError as exc:
            return self._failed(f"the mail server does not offer it: {exc}")
        except smtplib.SMTPResponseException as exc:
            return self._failed(f"mail server answered {exc.smtp_code} {_text(exc.smtp_error)}")
        except (smtplib.SMTPException, OSError) as exc:  # refused, timed out, TLS failed, cut off
            return self._failed(f"mail server {s.host}:{s.port} not reached: {type(exc).__name__}: {exc}")
        log.debug("email sent", extra={"to": to, "message_id": message["Message-ID"]})
        return Delivery(ok=True)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.security is SmtpSecurity.TLS:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout_s, context=ssl.create_default_context())
        return smtplib.SMTP(s.host, s.port, timeout=s.timeout_s)

    def _failed(self, detail: str) -> Delivery:
        log.info("email not sent", extra={"server": self.settings.host, "detail": detail})
        return Delivery(ok=False, detail=detail)


def _text(answer: bytes | str) -> str:
    return answer.decode(errors="replace") if isinstance(answer, bytes) else answer
