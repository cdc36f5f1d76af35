"""Where a running `greenhouse demo` serves its app, read from what it printed: the demo moves to another port
when the one asked for is taken (another test's server may have got it first), so a test never assumes."""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

_APP = re.compile(r"(?:Ứng dụng điện thoại|phone web app): (http://\S+)/ ")
_SIGN_IN = re.compile(r"demo-admin, (?:password|mật khẩu) (\S+) ")


@dataclass(frozen=True)
class DemoApp:
    url: str
    admin_password: str


def printed_app(out: Path, proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout_s: float = 60) -> DemoApp:
    """The app's URL and the demo admin's password once the demo has printed both; fails with its output."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        text = out.read_text()
        url, password = _APP.search(text), _SIGN_IN.search(text)
        if url and password:
            return DemoApp(url.group(1), password.group(1))
        time.sleep(0.2)
    raise AssertionError(f"the demo printed no app address and sign-in:\n{out.read_text()[-2000:]}")
