"""Reading the live stream as a phone does (gzip accepted), counting its bytes three ways as they arrive: on the
wire, unzipped, and as whole pictures every time would have been (the stream before issue 13: ``event:
greenhouse`` with the whole GreenhouseNow, uncompressed, at every change), that last also gzipped the same way.

The simulated time an hour is counted against is the gateway's own: a picture's time (each reading's time plus
its age), the latest of every greenhouse."""

from __future__ import annotations

import json
import time
import zlib
from datetime import datetime

import httpx
from pydantic import BaseModel

from gateway.api.sse_gzip import Encoding, EventCompressor
from gateway.live.patch import Json, JsonObject, apply


class Bytes(BaseModel):
    """One stretch of the stream, counted each way."""

    wire: int = 0  # as sent: patches, gzip
    unzipped: int = 0  # patches, uncompressed
    whole: int = 0  # whole pictures at every change, uncompressed: the baseline
    whole_gzip: int = 0  # whole pictures at every change, gzip
    events: int = 0


class Stream(BaseModel):
    connect: Bytes  # up to every greenhouse's first whole picture: once each time the app opens the stream
    steady: Bytes  # after it
    steady_simulated_s: float
    ping_wire: int  # one ping as sent, in the middle of the stream: pings come in real time, not in the demo's


def _whole(picture: JsonObject) -> str:
    data = json.dumps(picture, ensure_ascii=False, separators=(",", ":"))
    return f"event: greenhouse\ndata: {data}\n\n"


def _composed_at(pictures: dict[str, JsonObject]) -> float | None:
    """The gateway's time when it made these pictures, as the phone reads it (js/clock.js)."""
    times = [
        datetime.fromisoformat(str(s["ts"])).timestamp() + float(s["age_s"])  # type: ignore[arg-type]
        for p in pictures.values()
        for s in p["sensors"]  # type: ignore[union-attr]
        if isinstance(s, dict) and s.get("ts") and s.get("age_s") is not None
    ]
    return max(times) if times else None


def _events(text: str) -> list[tuple[str, JsonObject]]:
    found = []
    for block in text.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n") if line and not line.startswith(":"))
        if fields:
            found.append((fields["event"], json.loads(fields["data"])))
    return found


class _Reader:
    """Takes the body as it comes; whatever arrives belongs to the connection until every greenhouse is whole."""

    def __init__(self, greenhouses: int) -> None:
        self.greenhouses = greenhouses
        self.pictures: dict[str, JsonObject] = {}
        self.connect, self.steady = Bytes(), Bytes()
        self.steady_from: float | None = None
        self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = ""
        self._bytes = b""
        self.baseline_gzip = EventCompressor(Encoding.GZIP)

    def take(self, chunk: bytes) -> None:
        counts = self.steady if len(self.pictures) >= self.greenhouses else self.connect
        counts.wire += len(chunk)
        self._bytes += self._decoder.decompress(chunk)
        text, _, rest = self._bytes.rpartition(b"\n\n")
        self._bytes = rest
        if not text:
            return
        piece = text.decode() + "\n\n"
        counts.unzipped += len(piece.encode())
        wholes = []
        for name, data in _events(piece):
            if name == "greenhouse":
                picture = data
            else:
                patched: Json = apply(self.pictures[str(data["greenhouse"])], data["patch"])
                assert isinstance(patched, dict)
                picture = patched
            self.pictures[str(picture["greenhouse"])] = picture
            wholes.append(_whole(picture))
            counts.events += 1
        baseline = "".join(wholes)
        counts.whole += len(baseline.encode())
        counts.whole_gzip += len(self.baseline_gzip(baseline)) if baseline else 0
        if counts is self.connect and len(self.pictures) >= self.greenhouses:
            self.steady_from = _composed_at(self.pictures)


def read_stream(url: str, user: str, password: str, greenhouses: int, wall_s: float) -> Stream:
    """The stream of ``user`` for ``wall_s`` seconds of the wall's time."""
    reader = _Reader(greenhouses)
    with httpx.Client(base_url=url, timeout=60) as api:
        signed = api.post("/api/v1/login", json={"user": user, "password": password})
        signed.raise_for_status()
        deadline = time.monotonic() + wall_s
        with api.stream("GET", "/api/v1/live/stream", headers={"Accept-Encoding": "gzip"}) as stream:
            stream.raise_for_status()
            if stream.headers.get("content-encoding") != "gzip":
                raise RuntimeError("the live stream was not sent gzipped")
            for chunk in stream.iter_raw():
                reader.take(chunk)
                if time.monotonic() >= deadline:
                    break
    end = _composed_at(reader.pictures)
    if reader.steady_from is None or end is None:
        raise RuntimeError("the stream never sent every greenhouse, or no greenhouse had a reading")
    return Stream(
        connect=reader.connect,
        steady=reader.steady,
        steady_simulated_s=end - reader.steady_from,
        ping_wire=len(reader.baseline_gzip(": ping\n\n")),
    )
