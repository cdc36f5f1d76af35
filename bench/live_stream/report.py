"""What a run measured (JSON with ``--json``), the figures drawn from it, and the table printed at the end."""

from __future__ import annotations

from pydantic import BaseModel

from bench.live_stream.measure import Bytes, Stream
from gateway.api.live_routes import PING_S

HOUR_S = 3600.0
DAY_S = 24 * HOUR_S
PING_BYTES = len(b": ping\n\n")
# What each event costs beyond its bytes, estimated, not measured: its packet's IPv4 and TCP headers with
# timestamps (52 B) and TLS 1.3 record (22 B), and the phone's ACK (52 B). The same in every row.
PACKET_OVERHEAD_B = 52 + 22 + 52


class Run(BaseModel):
    speed: float
    greenhouses: int
    wall_s: float
    stream: Stream


class Way(BaseModel):
    """One way of sending the stream: per simulated hour once connected, at connection, and a day of it."""

    per_hour: float
    connect: int
    per_day: float  # the app open all day: one connection, 24 hours of changes, a ping at most every PING_S


class Figures(BaseModel):
    sent: Way  # patches, gzip: what the gateway sends now
    unzipped: Way  # patches, uncompressed
    whole: Way  # whole pictures at every change, uncompressed: the stream before (the baseline)
    whole_gzip: Way  # whole pictures, gzip
    events_per_hour: float


def _way(run: Run, field: str, ping: int) -> Way:
    steady: int = getattr(run.stream.steady, field)
    connect: int = getattr(run.stream.connect, field)
    per_hour = steady * HOUR_S / run.stream.steady_simulated_s
    return Way(per_hour=per_hour, connect=connect, per_day=per_hour * 24 + connect + ping * DAY_S / PING_S)


def figures(run: Run) -> Figures:
    s = run.stream
    return Figures(
        sent=_way(run, "wire", s.ping_wire),
        unzipped=_way(run, "unzipped", PING_BYTES),
        whole=_way(run, "whole", PING_BYTES),
        whole_gzip=_way(run, "whole_gzip", s.ping_wire),
        events_per_hour=s.steady.events * HOUR_S / s.steady_simulated_s,
    )


def _kb(n: float) -> str:
    return f"{n / 1000:,.1f} KB"


def table(run: Run, f: Figures) -> str:
    s: Bytes = run.stream.steady
    rows = [
        ("whole pictures, uncompressed (before)", f.whole),
        ("whole pictures, gzip", f.whole_gzip),
        ("patches, uncompressed", f.unzipped),
        ("patches, gzip (sent now)", f.sent),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [
        f"Live stream of the demo: {run.greenhouses} greenhouses, {run.stream.steady_simulated_s / 60:.0f} simulated"
        f" minutes at ×{run.speed:g} ({run.wall_s:.0f} s), {s.events} events ({f.events_per_hour:.0f} an hour)",
        "",
        f"{'':{width}}  {'an hour':>11}  {'at connect':>11}  {'a day open':>10}  {'vs before':>9}",
    ]
    for name, way in rows:
        lines.append(
            f"{name:{width}}  {_kb(way.per_hour):>11}  {_kb(way.connect):>11}  {way.per_day / 1e6:>7.2f} MB"
            f"  {f.whole.per_day / way.per_day:>8.1f}×"
        )
    lines += [
        "",
        f"A day open: 24 hours of changes, one connection (each reconnection costs the 'at connect' column again),"
        f" and a ping at most every {PING_S:g} s of quiet ({run.stream.ping_wire} B sent each).",
        f"Not in the rows, the same in each: TCP/IP and TLS headers, about {PACKET_OVERHEAD_B} B an event both ways"
        f" (estimated), {f.events_per_hour * 24 * PACKET_OVERHEAD_B / 1e6:.2f} MB a day.",
    ]
    return "\n".join(lines)
