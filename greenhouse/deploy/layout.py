"""Where ``greenhouse init`` puts the stack's generated files, relative to the folder of docker-compose.yml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gateway.accounts.db import accounts_path

# The eclipse-mosquitto image runs the broker as this user: it must be able to read its secrets.
MOSQUITTO_UID = 1883
# The gateway's VAPID key for Web Push, in its data dir (gateway.notify.webpush.VapidKeys reads it).
VAPID_FILE = "vapid.pem"


@dataclass(frozen=True)
class StackLayout:
    root: Path

    @property
    def env(self) -> Path:
        return self.root / ".env"

    @property
    def stack(self) -> Path:
        return self.root / "stack"

    @property
    def mosquitto(self) -> Path:
        """Mounted into the broker at /mosquitto/secrets."""
        return self.stack / "mosquitto"

    @property
    def passwd(self) -> Path:
        return self.mosquitto / "passwd"

    @property
    def acl(self) -> Path:
        return self.mosquitto / "acl"

    @property
    def ca_cert(self) -> Path:
        """Given to every MQTT client (edges, the gateway) to check the broker."""
        return self.mosquitto / "certs" / "ca.crt"

    @property
    def server_cert(self) -> Path:
        return self.mosquitto / "certs" / "server.crt"

    @property
    def server_key(self) -> Path:
        return self.mosquitto / "certs" / "server.key"

    @property
    def ca_key(self) -> Path:
        """Kept out of every container: only needed to sign a new server certificate."""
        return self.stack / "ca" / "ca.key"

    @property
    def gateway_data(self) -> Path:
        """The gateway's data dir (spool, accounts), bind-mounted so that 'greenhouse users' on the host opens it."""
        return self.stack / "gateway-data"

    @property
    def web(self) -> Path:
        """Mounted into the proxy at /certs: the web app's certificate when WEB_TLS=own-ca."""
        return self.stack / "web"

    @property
    def web_cert(self) -> Path:
        return self.web / "web.crt"

    @property
    def web_key(self) -> Path:
        return self.web / "web.key"

    @property
    def vapid(self) -> Path:
        """The gateway's Web Push key: a new one unsubscribes every phone."""
        return self.gateway_data / VAPID_FILE

    def secrets(self) -> list[Path]:
        """Files that hold a secret (or decide who holds one): never overwritten."""
        return [
            self.env,
            self.passwd,
            self.acl,
            self.server_key,
            self.ca_key,
            accounts_path(self.gateway_data),
            self.web_key,
            self.vapid,
        ]
