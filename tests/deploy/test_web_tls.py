"""The web app over https in the production stack: the proxy (Traefik) is the only way in for the phones, gets its
certificate by ACME's DNS challenge with settings from .env or serves the one 'greenhouse init' signed with the
stack's CA, and the gateway behind it sees each phone's address.

Traefik is in neither Debian nor PyPI, so it does not run here: its options are checked against the ones its
v3.7.9 reference documents, and its routes files against its file provider's schema (tests/deploy/schema). The
certificate init writes is checked in a real TLS handshake on loopback."""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import uvicorn
import yaml

from greenhouse.cli import build_parser, main
from greenhouse.deploy.layout import StackLayout
from greenhouse.deploy.web_tls import WebTls
from tests.conftest import EXAMPLE_SITE
from tests.deploy.compose import host_path, load, read_env, resolve

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "docker-compose.yml"
SCHEMA_DIR = Path(__file__).parent / "schema"
ROUTES = jsonschema.Draft7Validator(json.loads((SCHEMA_DIR / "traefik-v3-file-provider.json").read_text()))
# The only template function the routes files use: Traefik's file provider renders them with sprig's env.
_ENV_CALL = re.compile(r'\{\{\s*env\s+"([A-Z_][A-Z0-9_]*)"\s*\}\}')
PHONE = "192.168.1.57"


def documented_options() -> list[re.Pattern[str]]:
    lines = (SCHEMA_DIR / "traefik-3.7.9-static-options.txt").read_text().splitlines()
    options = [line for line in lines if line and not line.startswith("#")]
    return [re.compile(re.escape(o).replace("_name_", r"[a-z0-9_-]+").replace(r"\[0\]", r"\[\d+\]")) for o in options]


OPTIONS = documented_options()


def is_documented(flag: str) -> bool:
    key = flag.removeprefix("--").split("=", 1)[0].lower()
    return any(pattern.fullmatch(key) for pattern in OPTIONS)


def stack(root: Path, *extra: str) -> dict[str, Any]:
    """init run for real in ``root``, then docker-compose.yml as compose reads it with that .env."""
    assert main(["init", str(root), "--site", str(EXAMPLE_SITE), "--lang", "en", *extra]) == 0
    return resolve(load(MAIN), read_env(root / ".env"))


def on_host(source: str, root: Path) -> Path:
    return root / source.removeprefix("./") if source.startswith("./stack/") else REPO / source.removeprefix("./")


def flags(proxy: dict[str, Any]) -> dict[str, str]:
    return dict(arg.removeprefix("--").split("=", 1) for arg in proxy["command"])


def routes(proxy: dict[str, Any], root: Path) -> dict[str, Any]:
    """The routes file the proxy loads, rendered with the proxy's environment as Traefik renders it."""
    path = on_host(host_path(flags(proxy)["providers.file.filename"], proxy) or "", root)
    text = _ENV_CALL.sub(lambda m: str(proxy["environment"].get(m.group(1), "")), path.read_text())
    assert "{{" not in text, f"{path.name}: a template function these tests do not render"
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def own_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("own-ca")
    hosts = ["--web-host", "nong-trai.lan", "--web-host", "192.168.1.10"]
    return root, stack(root, "--broker-host", "192.168.1.10", *hosts)


def test_only_the_proxy_is_published_for_the_web_app_and_it_reaches_the_gateway(
    own_ca: tuple[Path, dict[str, Any]],
) -> None:
    root, project = own_ca
    services = project["services"]
    proxy, gateway = services["proxy"], services["gateway"]
    assert {str(p).rsplit(":", 1)[1] for p in proxy["ports"]} == {"443", "80"}
    assert "ports" not in gateway, "the gateway's 8080 must not be published: the phones come through the proxy"
    published = {str(p).rsplit(":", 1)[1] for s in services.values() for p in s.get("ports", [])}
    assert "8080" not in published
    # Port 80 only sends the phone on to https.
    options = flags(proxy)
    assert options["entrypoints.web.address"] == ":80" and options["entrypoints.websecure.address"] == ":443"
    assert options["entrypoints.web.http.redirections.entrypoint.to"] == "websecure"
    assert options["entrypoints.web.http.redirections.entrypoint.scheme"] == "https"
    # The route goes to the gateway by its service name, on the port it listens on, over a network both are on.
    command = build_parser().parse_args(gateway["command"])
    (server,) = routes(proxy, root)["http"]["services"]["gateway"]["loadBalancer"]["servers"]
    assert server["url"] == f"http://gateway:{command.http_port}" and command.http_host == "0.0.0.0"
    assert set(proxy["networks"]) & set(gateway["networks"]) == {"default", "web"}
    # Phones only ever reach it over https: the session cookie stays Secure.
    assert command.cookie_secure is True


def test_the_proxy_uses_only_options_traefik_documents_and_has_a_healthcheck(
    own_ca: tuple[Path, dict[str, Any]],
) -> None:
    proxy = own_ca[1]["services"]["proxy"]
    assert proxy["image"] == "traefik:3.7.9", "the options list in tests/deploy/schema is v3.7.9's: update both"
    undocumented = [arg for arg in proxy["command"] if not is_documented(arg)]
    assert undocumented == []
    assert not is_documented("--entrypoints.web.adress=:80"), "the check accepts anything?"
    assert not is_documented("--certificatesresolvers.acme.acme.dnschallenge.providr=x")
    # 'traefik healthcheck --ping' asks /ping on Traefik's own entry point, which --ping turns on.
    assert proxy["healthcheck"]["test"] == ["CMD", "traefik", "healthcheck", "--ping"]
    assert flags(proxy)["ping"] == "true"
    assert {"interval", "retries"} <= set(proxy["healthcheck"])


def test_the_acme_certificate_comes_by_the_dns_challenge_with_the_provider_and_token_from_env(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    assert main(["init", str(root), "--site", str(EXAMPLE_SITE), "--web-domain", "htx-moc-chau.duckdns.org"]) == 0
    env = read_env(root / ".env")
    assert (env["WEB_TLS"], env["ACME_DNS_PROVIDER"]) == ("acme", "duckdns")
    env["DUCKDNS_TOKEN"] = "token-pasted-by-the-technician"
    proxy = resolve(load(MAIN), env)["services"]["proxy"]
    options = flags(proxy)
    assert options["certificatesresolvers.acme.acme.dnschallenge.provider"] == "duckdns"
    assert proxy["environment"]["DUCKDNS_TOKEN"] == "token-pasted-by-the-technician"  # lego reads it there
    # The route asks the resolver the command defines for a certificate of the cooperative's name.
    router = routes(proxy, root)["http"]["routers"]["web-app"]
    assert router["rule"] == "Host(`htx-moc-chau.duckdns.org`)"
    assert router["tls"]["certResolver"] == "acme" and router["entryPoints"] == ["websecure"]
    assert "certificatesresolvers.acme.acme.httpchallenge.entrypoint" not in options  # nothing from outside
    # The account and certificates persist in a named volume, not asked of Let's Encrypt at every restart.
    storage = Path(options["certificatesresolvers.acme.acme.storage"])
    assert f"proxy-acme:{storage.parent}" in proxy["volumes"]
    assert "proxy-acme" in load(MAIN)["volumes"]
    # Cloudflare, with the cooperative's own domain: its token under lego's name.
    other = tmp_path / "cloudflare"
    args = ["--web-domain", "nongtrai.htx.vn", "--acme-dns", "cloudflare", "--acme-email", "kt@htx.vn"]
    assert main(["init", str(other), "--site", str(EXAMPLE_SITE), *args]) == 0
    env = read_env(other / ".env") | {"CF_DNS_API_TOKEN": "cf-token"}
    proxy = resolve(load(MAIN), env)["services"]["proxy"]
    assert flags(proxy)["certificatesresolvers.acme.acme.dnschallenge.provider"] == "cloudflare"
    assert flags(proxy)["certificatesresolvers.acme.acme.email"] == "kt@htx.vn"
    assert proxy["environment"]["CF_DNS_API_TOKEN"] == "cf-token"


def test_init_names_what_an_acme_set_up_lacks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["init", str(tmp_path / "s"), "--site", str(EXAMPLE_SITE), "--lang", "en"]
    assert main([*base, "--web-domain", "nongtrai.htx.vn"]) == 2
    assert "--acme-dns" in capsys.readouterr().err
    assert main([*base, "--acme-dns", "cloudflare"]) == 2
    assert "--web-domain" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*base, "--web-domain", "192.168.1.10", "--acme-dns", "cloudflare"])
    assert "must be a DNS name with a dot" in capsys.readouterr().err
    assert not (tmp_path / "s" / ".env").exists()


def test_own_ca_mode_serves_the_certificate_init_wrote(own_ca: tuple[Path, dict[str, Any]]) -> None:
    root, project = own_ca
    proxy = project["services"]["proxy"]
    assert read_env(root / ".env")["WEB_TLS"] == "own-ca"
    assert flags(proxy)["providers.file.filename"].endswith("/own-ca.yml")
    config = routes(proxy, root)
    certificate = config["tls"]["stores"]["default"]["defaultCertificate"]
    layout = StackLayout(root)
    assert on_host(host_path(certificate["certFile"], proxy) or "", root) == layout.web_cert
    assert on_host(host_path(certificate["keyFile"], proxy) or "", root) == layout.web_key
    router = config["http"]["routers"]["web-app"]
    assert router["tls"] == {} and router["entryPoints"] == ["websecure"]


@pytest.mark.parametrize("mode", list(WebTls))
def test_each_modes_routes_are_valid_traefik_configuration(mode: WebTls) -> None:
    text = (REPO / "deploy" / "traefik" / "dynamic" / f"{mode.value}.yml").read_text()
    config = yaml.safe_load(_ENV_CALL.sub("nongtrai.htx.vn", text))
    assert [e.message for e in ROUTES.iter_errors(config)] == []
    assert list(ROUTES.iter_errors({"http": {"routers": {"r": {"rul": "x"}}}})), "the schema checks nothing?"


def test_the_gateway_takes_the_phones_address_from_the_proxy_alone(
    own_ca: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """uvicorn, set up as gateway/main.py sets it up, with the environment compose gives the gateway: sign-in
    limits see the failing phone's address, and the app knows it was reached over https."""
    services = own_ca[1]["services"]
    proxy_address = services["proxy"]["networks"]["web"]["ipv4_address"]
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", services["gateway"]["environment"]["FORWARDED_ALLOW_IPS"])
    seen: list[tuple[str, str]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append((scope["client"][0], scope["scheme"]))

    config = uvicorn.Config(app, host="0.0.0.0", port=8080, log_level="warning", access_log=False)
    config.load()

    def request(peer: str) -> tuple[str, str]:
        headers = [(b"host", b"nong-trai.lan"), (b"x-forwarded-for", PHONE.encode()), (b"x-forwarded-proto", b"https")]
        scope = {"type": "http", "scheme": "http", "client": (peer, 40000), "headers": headers, "path": "/"}
        asyncio.run(config.loaded_app(scope, None, None))
        return seen.pop()

    assert request(proxy_address) == (PHONE, "https")
    # Another container on the stack's network cannot pass itself off as a phone.
    assert request("172.31.240.9") == ("172.31.240.9", "http")


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"xin chao"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def lan(tmp_path: Path) -> StackLayout:
    """A stack whose server the phones reach as nong-trai.lan or by its address: loopback here, the only address
    these tests may talk to, standing for the farm LAN's."""
    stack(tmp_path, "--web-host", "nong-trai.lan", "--web-host", "127.0.0.1")
    return StackLayout(tmp_path)


@pytest.fixture
def https_server(lan: StackLayout) -> Iterator[int]:
    """A server presenting init's web certificate, as the proxy does in own-CA mode."""
    layout = lan
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(layout.web_cert, layout.web_key)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_client_trusting_only_the_stack_ca_accepts_the_web_certificate_by_address_and_by_name(
    lan: StackLayout, https_server: int
) -> None:
    ca = ssl.create_default_context(cafile=lan.ca_cert)
    url = f"https://127.0.0.1:{https_server}/"
    with httpx.Client(verify=ca) as phone:
        answer = phone.get(url)  # https://<the server's address>
        assert answer.status_code == 200 and answer.text == "xin chao"
        # By name: what a phone sends in SNI and checks the certificate against when it opens https://nong-trai.lan.
        answer = phone.get(url, extensions={"sni_hostname": "nong-trai.lan"})
        assert answer.status_code == 200 and answer.text == "xin chao"
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            phone.get(url, extensions={"sni_hostname": "other.example.vn"})
    # A phone that has not installed the stack's CA refuses it: the system's CAs know nothing of it.
    stranger = httpx.Client(verify=ssl.create_default_context())
    with stranger, pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        stranger.get(url, extensions={"sni_hostname": "nong-trai.lan"})
