"""How the phones reach the web app over https (docs/deployment.md, "The web app over https"): the proxy obtains a
certificate by ACME with a DNS-01 challenge for the cooperative's domain, or serves the one ``greenhouse init``
signs with the stack's CA. ``greenhouse init``'s options for it are declared here, as ``--mqtt-ca``'s are."""

from __future__ import annotations

import argparse
import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum

from greenhouse.errors import UsageError

# One DNS label (RFC 1123): letters, digits and '-' inside, at most 63 characters.
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
DNS_NAME = rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$"
# A public name has a dot (ACME cannot prove control of a single-label name) and a top-level label with a letter
# (so that no IP address passes for one).
PUBLIC_NAME = rf"^(?=.{{1,253}}$)({_LABEL}\.)+(?=[a-z0-9-]*[a-z]){_LABEL}$"
# lego's provider codes (cloudflare, duckdns, route53, …): what Traefik's dnsChallenge.provider takes.
PROVIDER = r"^[a-z0-9]+$"
DUCKDNS = "duckdns"
DUCKDNS_SUFFIX = ".duckdns.org"
# Where the certificate is for when init is told no name at all: the server itself, as the broker's is.
LOCAL_HOSTS = ("localhost", "127.0.0.1")


class WebTls(StrEnum):
    """Which certificate the proxy serves; the name of its routes file in deploy/traefik/dynamic."""

    ACME = "acme"  # a public certificate for WEB_DOMAIN, by Let's Encrypt's DNS challenge: phones trust it as it is
    OWN_CA = "own-ca"  # init's web certificate, signed by the stack's CA, which each phone installs once


@dataclass(frozen=True)
class WebSettings:
    hosts: tuple[str, ...] = ()  # names and LAN addresses the phones use: the stack CA's web certificate names them
    domain: str = ""  # the cooperative's public name, for a certificate by ACME; empty: the stack CA's
    dns_provider: str = ""  # lego's code of the DNS provider that holds the domain
    email: str = ""  # the ACME account's contact, optional

    @property
    def mode(self) -> WebTls:
        return WebTls.ACME if self.domain else WebTls.OWN_CA

    def certificate_hosts(self, fallback: list[str]) -> list[str]:
        """The web certificate's names: as given, else the broker's (the same server), else the server itself."""
        return list(self.hosts or fallback or LOCAL_HOSTS)


def host(text: str) -> str:
    """A name or an address a phone reaches the server by."""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    name = text.lower().rstrip(".")
    if not re.fullmatch(DNS_NAME, name):
        raise argparse.ArgumentTypeError(f"{text!r} is neither a host name nor an IP address")
    return name


def public_name(text: str) -> str:
    name = text.lower().rstrip(".")
    if not re.fullmatch(PUBLIC_NAME, name):
        raise argparse.ArgumentTypeError(f"{text!r} must be a DNS name with a dot, like nongtrai.example.vn")
    return name


def provider(text: str) -> str:
    if not re.fullmatch(PROVIDER, text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a DNS provider code (lowercase, like cloudflare, duckdns)")
    return text


def email(text: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an e-mail address")
    return text


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--web-host",
        type=host,
        action="append",
        default=[],
        help="name or LAN address phones open the web app by (repeatable), for the stack CA's web certificate "
        "(default: the --broker-host values)",
    )
    parser.add_argument(
        "--web-domain",
        type=public_name,
        help="the cooperative's DNS name for a public certificate by ACME (DNS challenge), e.g. "
        "nongtrai.example.vn or htx-moc-chau.duckdns.org; without it the proxy serves the stack CA's certificate",
    )
    parser.add_argument(
        "--acme-dns",
        type=provider,
        help="the DNS provider holding --web-domain, as lego names it (cloudflare, duckdns, …); "
        "default duckdns for a .duckdns.org name",
    )
    parser.add_argument("--acme-email", type=email, help="contact for the ACME account (optional)")


def settings(args: argparse.Namespace) -> WebSettings:
    domain: str = args.web_domain or ""
    dns_provider: str = args.acme_dns or (DUCKDNS if domain.endswith(DUCKDNS_SUFFIX) else "")
    if domain and not dns_provider:
        raise UsageError(f"--web-domain {domain}: say which DNS provider holds it with --acme-dns (e.g. cloudflare)")
    if dns_provider and not domain:
        raise UsageError(f"--acme-dns {dns_provider}: give the name to certify with --web-domain")
    return WebSettings(tuple(dict.fromkeys(args.web_host)), domain, dns_provider, args.acme_email or "")
