"""Request bodies are limited per endpoint before they are read: a byte over the limit is refused with 413 and a
reason naming the limit, whether the body says its length or comes in chunks; a body at the limit is answered as
usual; and a 50 MB sign-in streamed at a real gateway process costs it no more memory than a small one."""

from __future__ import annotations

import http.client
import os
import select
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from contract.messages import MAX_RULES_YAML_CHARS
from contract.site_file import load_site
from gateway.accounts.roles import Role
from gateway.api.limits import BODY_LIMITS, DEFAULT_BYTES, SIGN_IN_BYTES
from gateway.api.site_routes import MAX_SITE_YAML_CHARS
from greenhouse.net import free_port, wait_for_port
from greenhouse.runtime_site import write_site
from tests.conftest import EXAMPLE_SITE
from tests.gateway.api.full_api import CALLERS, FullApi, whole_api_fixture  # noqa: F401 (the fixture)
from tests.support.mosquitto import Mosquitto
from tests.support.stack import REPO

KB = 1024
MB = 1024 * KB
LOGIN = "/api/v1/login"


@pytest.fixture(scope="module")
def operations(whole_api: FullApi) -> list[tuple[str, str, bool]]:
    """(method, path, whether it takes a body) of every operation of the served API, greenhouses filled in."""
    paths = whole_api.openapi()["paths"]
    found = [(m.upper(), p, "requestBody" in op) for p, ops in paths.items() for m, op in ops.items()]
    return [(m, p.replace("{greenhouse}", "ca-chua-1"), body) for m, p, body in found]


def limit_of(path: str) -> int:
    templates = {p.replace("{greenhouse}", "ca-chua-1"): limit for p, limit in BODY_LIMITS.items()}
    return templates.get(path, DEFAULT_BYTES)


def chunks(body: bytes, size: int = 4 * KB) -> Iterator[bytes]:
    # A generator: httpx sends it chunked, with no Content-Length for the gateway to judge it by.
    yield from (body[i : i + size] for i in range(0, len(body), size))


def test_every_limit_is_kept_for_a_route_the_api_has(operations: list[tuple[str, str, bool]]) -> None:
    # A renamed route would otherwise fall silently to the small default and refuse its files.
    served = {p for _, p, body in operations if body}
    assert {p.replace("{greenhouse}", "ca-chua-1") for p in BODY_LIMITS} <= served


def test_a_byte_over_an_endpoints_limit_is_refused_unread_and_one_at_it_is_answered(
    whole_api: FullApi, operations: list[tuple[str, str, bool]]
) -> None:
    assert sum(body for _, _, body in operations) >= 9  # sign-in, users, commands, the rule desk, the site file
    for role in CALLERS:
        with httpx.Client(base_url=whole_api.url, headers=whole_api.headers(role), timeout=60) as client:
            for method, path, takes_body in operations:
                limit = limit_of(path)
                over = b"x" * (limit + 1)
                # A body that says its length is judged by it, on every endpoint, before anything else is done.
                sent = [over, chunks(over)] if takes_body else [over]
                for body in sent:
                    response = client.request(method, path, content=body)
                    assert response.status_code == 413, (role, method, path, response.text)
                    assert f"{method} {path}" in response.json()["detail"]
                if takes_body:  # not JSON, so refused, but not for its size
                    at_limit = client.request(method, path, content=b"x" * limit)
                    assert at_limit.status_code != 413, (role, method, path, at_limit.text)


def test_the_largest_sign_in_rule_file_and_site_file_are_taken_and_a_byte_more_is_not(whole_api: FullApi) -> None:
    tech = httpx.Client(base_url=whole_api.url, headers=whole_api.headers(Role.TECHNICIAN), timeout=60)
    # The longest name and password, all in Vietnamese letters: three bytes each in UTF-8.
    sign_in = {"user": "ệ" * 64, "password": "ữ" * 256}
    assert len(httpx.Request("POST", whole_api.url, json=sign_in).content) <= SIGN_IN_BYTES
    assert httpx.post(f"{whole_api.url}{LOGIN}", json=sign_in, timeout=30).status_code == 401  # checked, not refused
    rules = "# " + "x" * (MAX_RULES_YAML_CHARS - 2)
    answer = tech.post("/api/v1/greenhouses/ca-chua-1/rules/check", json={"yaml": rules})
    assert answer.status_code == 200 and answer.json()["ok"] is False  # read and checked: it has no rules
    site = "# " + "x" * (MAX_SITE_YAML_CHARS - 2)
    assert tech.post("/api/v1/site/file/check", json={"yaml": site}).status_code == 200
    too_long = {"user": "a", "password": "p" * (SIGN_IN_BYTES + 1)}
    refused = httpx.post(f"{whole_api.url}{LOGIN}", json=too_long, timeout=30)
    assert refused.status_code == 413


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("vi", f"Nội dung gửi lên quá lớn: POST {LOGIN} nhận tối đa 2 KB"),
        ("en", f"The request body is too large: POST {LOGIN} takes at most 2 KB"),
    ],
)
def test_the_refusal_says_in_the_callers_language_where_and_how_much(whole_api: FullApi, lang: str, words: str) -> None:
    response = httpx.post(
        f"{whole_api.url}{LOGIN}", content=b"{" * (200 * MB // 1000), headers={"Accept-Language": lang}, timeout=30
    )
    assert response.status_code == 413
    assert response.json() == {"detail": words}


def _status(pid: int) -> dict[str, int]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: int(v.split()[0]) * KB for k, v in (line.split(":", 1) for line in lines) if k in ("VmRSS", "VmHWM")}


def _stream_sign_in(port: int, total: int) -> tuple[int, bytes, int]:
    """POSTs ``total`` bytes to the sign-in in chunks, as long as no answer has come; returns the status, the
    answer, and how much was sent by the time it came."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    # A small send buffer: what was sent is then close to what the gateway has had to take in.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * KB)
    head = f"POST {LOGIN} HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n"
    head += "Transfer-Encoding: chunked\r\n\r\n"
    sock.sendall(head.encode())
    piece = b"x" * (64 * KB)
    sent = 0
    # Polled, not waited for: the loop stops when the answer is there, whenever that is.
    while sent < total and not select.select([sock], [], [], 0)[0]:
        sock.sendall(b"%x\r\n%b\r\n" % (len(piece), piece))
        sent += len(piece)
    if sent >= total:
        sock.sendall(b"0\r\n\r\n")
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    sock.close()
    return response.status, body, sent


def test_a_50_mb_sign_in_streamed_at_a_gateway_is_cut_off_at_the_limit_and_costs_it_no_memory(
    tmp_path: Path, mosquitto: Mosquitto
) -> None:
    port = free_port()
    site = write_site(load_site(EXAMPLE_SITE), tmp_path / "site" / "site.yaml")
    args = [sys.executable, "-m", "greenhouse", "gateway", "--config", str(site), "--mqtt-url", mosquitto.url]
    args += ["--data-dir", str(tmp_path / "gw"), "--http-port", str(port), "--no-cookie-secure"]
    with (tmp_path / "gateway.log").open("ab") as log:
        gateway = subprocess.Popen(args, env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=log, stderr=log)
    try:
        wait_for_port(port)
        _stream_sign_in(port, 3 * KB)  # the first refusal takes its share of memory for code, like any request
        Path(f"/proc/{gateway.pid}/clear_refs").write_text("5")  # the peak starts again from what it holds now
        before = _status(gateway.pid)["VmRSS"]
        status, body, sent = _stream_sign_in(port, 50 * MB)
        peak = _status(gateway.pid)["VmHWM"]
        assert status == 413, body
        assert b"2 KB" in body
        assert sent < 16 * MB  # refused while the rest was still to come: the limit plus what sockets buffer
        assert peak - before < 8 * MB, f"the gateway grew by {(peak - before) / MB:.1f} MB"
    finally:
        gateway.terminate()
        gateway.wait(timeout=20)
