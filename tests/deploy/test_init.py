"""'greenhouse init' and 'greenhouse gateways add' run for real: random secrets only, written once,
never overwritten; the first admin signs in with the password printed once; bad input is named."""

from __future__ import annotations

import base64
import re
import shlex
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from contract.clock import Clock
from gateway.accounts.service import Accounts
from gateway.notify import setup as notify_setup
from gateway.notify.webpush import VapidKeys
from greenhouse.cli import build_parser, main
from greenhouse.deploy.env_file import StackEnv
from greenhouse.deploy.layout import StackLayout
from greenhouse.deploy.listeners import BrokerListener
from greenhouse.deploy.mosquitto_passwd import verify
from tests.conftest import EXAMPLE_SITE
from tests.deploy.compose import read_env

REPO = Path(__file__).resolve().parents[2]


def init(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main(["init", str(root), "--site", str(EXAMPLE_SITE), "--lang", "en", *extra])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_init_on_an_empty_folder_writes_random_secrets_and_no_default(tmp_path: Path, capsys) -> None:
    code, _, _ = init(tmp_path / "a", capsys, "--broker-host", "192.168.1.10", "--broker-host", "farm.local")
    assert code == 0
    env = read_env(tmp_path / "a" / ".env")
    secrets = {k: v for k, v in env.items() if k.endswith("PASSWORD")}
    assert len(secrets) == 6 and len(set(secrets.values())) == 6
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", v) for v in secrets.values())
    StackEnv.model_validate(env)  # every variable compose needs, in its form
    # A second stack shares none of them; none is in the repo's files.
    assert init(tmp_path / "b", capsys)[0] == 0
    assert not set(secrets.values()) & set(read_env(tmp_path / "b" / ".env").values())
    shipped = "".join(
        p.read_text() for p in [REPO / "docker-compose.yml", REPO / "docker-compose.sim.yml", REPO / ".env.example"]
    )
    assert not any(v in shipped for v in secrets.values())
    assert env["SITE_DIR"] == str(EXAMPLE_SITE.parent) and env["SITE_FILE"] == EXAMPLE_SITE.name
    # The web app links to Grafana on the farm server the edges reach, unless told otherwise.
    assert env["GRAFANA_URL"] == "http://192.168.1.10:3000"
    assert read_env(tmp_path / "b" / ".env")["GRAFANA_URL"] == ""
    assert init(tmp_path / "c", capsys, "--grafana-url", "https://grafana.htx.vn/")[0] == 0
    assert read_env(tmp_path / "c" / ".env")["GRAFANA_URL"] == "https://grafana.htx.vn"


def test_secret_files_are_private_and_the_certificate_names_the_broker(tmp_path: Path, capsys) -> None:
    assert init(tmp_path, capsys, "--broker-host", "192.168.1.10", "--broker-host", "farm.local")[0] == 0
    layout = StackLayout(tmp_path)
    for path in (layout.env, layout.passwd, layout.acl, layout.server_key, layout.ca_key):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    cert = x509.load_pem_x509_certificate(layout.server_cert.read_bytes())
    ca = x509.load_pem_x509_certificate(layout.ca_cert.read_bytes())
    cert.verify_directly_issued_by(ca)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {"farm.local", "mosquitto", "localhost"} <= set(san.get_values_for_type(x509.DNSName))
    assert {str(a) for a in san.get_values_for_type(x509.IPAddress)} == {"192.168.1.10", "127.0.0.1"}


def test_init_writes_a_web_certificate_for_the_names_and_addresses_phones_use(tmp_path: Path, capsys) -> None:
    hosts = ["--web-host", "nong-trai.lan", "--web-host", "192.168.1.10", "--web-host", "10.8.0.1"]
    code, out, _ = init(tmp_path, capsys, "--broker-host", "farm.local", *hosts)
    assert code == 0
    layout = StackLayout(tmp_path)
    assert stat.S_IMODE(layout.web_key.stat().st_mode) == 0o600
    cert = x509.load_pem_x509_certificate(layout.web_cert.read_bytes())
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(layout.ca_cert.read_bytes()))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["nong-trai.lan"]
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.168.1.10", "10.8.0.1"]
    usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    # Its key is the certificate's (what the proxy loads as a pair).
    key = serialization.load_pem_private_key(layout.web_key.read_bytes(), password=None)
    assert key.public_key() == cert.public_key()
    assert f"install {layout.ca_cert} as a CA certificate" in out and "https://nong-trai.lan" in out
    # Without --web-host: the names the edges reach the same server by.
    assert init(tmp_path / "b", capsys, "--broker-host", "192.168.1.10")[0] == 0
    cert = x509.load_pem_x509_certificate(StackLayout(tmp_path / "b").web_cert.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(a) for a in san.get_values_for_type(x509.IPAddress)] == ["192.168.1.10"]
    assert san.get_values_for_type(x509.DNSName) == []


def test_init_writes_the_gateways_vapid_key_where_the_notifier_reads_it(tmp_path: Path, capsys) -> None:
    assert init(tmp_path, capsys)[0] == 0
    layout = StackLayout(tmp_path)
    assert layout.vapid == layout.gateway_data / notify_setup.VAPID_FILE
    assert stat.S_IMODE(layout.vapid.stat().st_mode) == 0o600
    public = VapidKeys.load(layout.vapid).application_server_key
    point = base64.urlsafe_b64decode(public + "=" * (-len(public) % 4))
    assert len(point) == 65 and point[0] == 4  # an uncompressed P-256 point, what pushManager.subscribe takes
    # Each stack its own.
    assert init(tmp_path / "b", capsys)[0] == 0
    assert VapidKeys.load(StackLayout(tmp_path / "b").vapid).application_server_key != public


def test_the_first_admin_signs_in_with_the_password_printed_once(tmp_path: Path, capsys) -> None:
    code, out, _ = init(tmp_path, capsys, "--admin", "quan-tri")
    assert code == 0
    (password,) = re.findall(r"First admin: quan-tri  password: (\S+)", out)
    assert out.count(password) == 1
    assert password not in "".join(p.read_text(errors="ignore") for p in tmp_path.rglob("*") if p.is_file())
    accounts = Accounts(StackLayout(tmp_path).gateway_data, Clock().now)
    try:
        user, _token = accounts.sign_in("quan-tri", password, "127.0.0.1")
        assert user.role == "admin" and user.cooperative == "htx-moc-chau"
    finally:
        accounts.close()


def test_init_refuses_to_overwrite_existing_secrets(tmp_path: Path, capsys) -> None:
    assert init(tmp_path, capsys)[0] == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    code, _, err = init(tmp_path, capsys)
    assert code == 2 and "secrets exist already, not overwritten" in err and ".env" in err
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
    # Even one secret left behind is enough to refuse.
    other = tmp_path / "other"
    StackLayout(other).passwd.parent.mkdir(parents=True)
    StackLayout(other).passwd.write_text("")
    code, _, err = init(other, capsys)
    assert code == 2 and "passwd" in err and not (other / ".env").exists()
    # The phones' key and the web certificate's key too: a new VAPID key would unsubscribe every phone.
    for left in ("vapid", "web_key"):
        again = tmp_path / left
        path = getattr(StackLayout(again), left)
        path.parent.mkdir(parents=True)
        path.write_text("kept")
        code, _, err = init(again, capsys)
        assert code == 2 and path.name in err and path.read_text() == "kept" and not (again / ".env").exists()


def test_init_names_a_bad_site_file(tmp_path: Path, capsys) -> None:
    bad = tmp_path / "site.yaml"
    bad.write_text("version: 1\ncooperative: {id: Not An Id}\n")
    assert main(["init", str(tmp_path / "s"), "--site", str(bad)]) == 2
    assert str(bad) in capsys.readouterr().err
    assert not (tmp_path / "s" / ".env").exists()


def test_init_names_a_bad_grafana_address(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stop:
        init(tmp_path, capsys, "--grafana-url", "grafana.local:3000")
    assert stop.value.code == 2
    assert "--grafana-url: 'grafana.local:3000' must look like http://host:port" in capsys.readouterr().err
    assert not (tmp_path / ".env").exists()


def test_gateways_add_writes_an_account_for_that_greenhouse_only(tmp_path: Path, capsys) -> None:
    assert init(tmp_path, capsys)[0] == 0
    args = ["gateways", "add", "ca-chua-1", "--site", str(EXAMPLE_SITE), "--dir", str(tmp_path), "--lang", "en"]
    assert main(args) == 0
    out = capsys.readouterr().out
    (user, password) = re.findall(r"gateway: (\S+)  password: (\S+)", out)[0]
    assert user == "edge-htx-moc-chau-ca-chua-1" and out.count(password) == 2  # the line, and the command to run
    layout = StackLayout(tmp_path)
    (entry,) = [line for line in layout.passwd.read_text().splitlines() if line.startswith(user + ":")]
    assert verify(entry, password)
    section = layout.acl.read_text().split(f"user {user}\n")[1].split("\n\n")[0]
    assert all("/ca-chua-1/" in line for line in section.splitlines())
    # The command shown connects where the broker binds a greenhouse's login to its client id.
    (command,) = [line for line in out.splitlines() if "greenhouse edge" in line]
    url = build_parser().parse_args(shlex.split(command)[1:]).mqtt_url
    assert url.port == BrokerListener.EDGES and url.username == user and url.password == password
    # Twice: refused, and nothing changes.
    before = layout.passwd.read_text(), layout.acl.read_text()
    assert main(args) == 2
    assert "exists already" in capsys.readouterr().err
    assert (layout.passwd.read_text(), layout.acl.read_text()) == before


def test_gateways_add_names_what_is_wrong(tmp_path: Path, capsys) -> None:
    base = ["gateways", "add", "--site", str(EXAMPLE_SITE), "--lang", "en"]
    assert main([*base, "ca-chua-1", "--dir", str(tmp_path)]) == 2
    assert "does not exist: run 'greenhouse init" in capsys.readouterr().err
    assert init(tmp_path, capsys)[0] == 0
    assert main([*base, "nha-khac", "--dir", str(tmp_path)]) == 2
    assert "no greenhouse 'nha-khac'" in capsys.readouterr().err


def test_mqtt_ca_is_refused_without_tls_or_file(tmp_path: Path, capsys) -> None:
    site = str(EXAMPLE_SITE)
    assert main(["edge", "--config", site, "--greenhouse", "ca-chua-1", "--mqtt-ca", str(tmp_path / "ca.crt")]) == 2
    assert "is not mqtts://" in capsys.readouterr().err
    url = "mqtts://u:p@localhost:8883"
    assert main(["gateway", "--config", site, "--mqtt-url", url, "--mqtt-ca", str(tmp_path / "ca.crt")]) == 2
    assert "no such file" in capsys.readouterr().err
