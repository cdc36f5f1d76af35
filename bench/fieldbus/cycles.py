"""Poll cycles of the bench's bus through the edge's FieldIO, each next to the wire time of the frames it made.

The wire time is taken from the simulated line's counters for the same cycle: the bytes of every request and
answer at 10 bits each, plus one silence of 3.5 characters after every frame (Modbus over serial line V1.02
§2.5.1.1). The line also notes when it took each request off the wire and when it sent each answer, which
splits a cycle into the wire, the devices' turnaround, and the master's time between an answer and its next
request (the edge's share).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Mapping
from enum import StrEnum
from itertools import pairwise

from pydantic import BaseModel

from edge.fieldbus import FieldIO, NodeHealth
from firmware_sim.rtu.line import LineStats, Reply, RtuDevice, RtuLine
from firmware_sim.rtu.standalone import LineThread

# How often the cycle's end is looked for: well under a millisecond would only compete for the 2 CPUs.
_WATCH_S = 0.001


class _Mark(StrEnum):
    REQUEST = "request"  # a request taken off the wire (its last byte and the silence after it are past)
    ANSWER = "answer"  # an answer's last byte sent


class TimedLine(RtuLine):
    """An RtuLine that notes, on its own loop, when it handled each request and sent each answer."""

    def __init__(self, devices: Mapping[int, RtuDevice], baud: int) -> None:
        super().__init__(devices, baud=baud)
        self.marks: list[tuple[_Mark, float, int]] = []

    def handle(self, frame: bytes) -> Reply | None:
        self.marks.append((_Mark.REQUEST, time.monotonic(), len(frame)))
        return super().handle(frame)

    def sent(self, reply: Reply) -> None:
        self.marks.append((_Mark.ANSWER, time.monotonic(), 0))
        super().sent(reply)


class Cycle(BaseModel):
    """One poll of every node: poll() until poll_done()."""

    wall_s: float
    # The same cycle's frames on a real wire: bytes × 10 / baud, plus 3.5 characters after each frame.
    wire_s: float
    requests: int  # frames the line received
    answers: int  # frames it sent back
    edge_requests: int  # requests the edge's health counters say it sent (the same, or a frame was lost)
    timeouts: int  # requests of this cycle that got no answer, by the edge's count
    # From each answer's last byte to the next request's first byte, less the 3.5-character silence the wire
    # time already holds: the master's (edge's) own time, per exchange.
    master_extra_s: list[float]
    turnaround_s: float  # the simulated devices' time to start answering, this cycle
    reads_answered: int
    reads: int
    dead_probed: bool = False  # a request went to the dead node (its probe, or its first reads)
    dead_quarantined: bool = False  # the dead node was quarantined when the cycle ended

    @property
    def ratio(self) -> float:
        return self.wall_s / self.wire_s

    @property
    def rest_s(self) -> float:
        """Neither wire, turnaround nor the master's time between exchanges: the simulator's pacing overshooting
        its sleeps, and the cycle's start (poll() to the first request) and end (the last answer to poll_done())."""
        return self.wall_s - self.wire_s - self.turnaround_s - sum(self.master_extra_s)


class Bench:
    """A line and the edge's FieldIO on it, measured one cycle at a time."""

    def __init__(self, line: TimedLine, thread: LineThread, io: FieldIO) -> None:
        self.line = line
        self.thread = thread
        self.io = io

    def _health(self) -> dict[str, NodeHealth]:
        return {h.node_id: h for h in self.io.health()}

    def _take_marks(self) -> list[tuple[_Mark, float, int]]:
        def take() -> list[tuple[_Mark, float, int]]:
            marks = list(self.line.marks)
            self.line.marks.clear()
            return marks

        return self.thread.call(take)

    def cycle(self, dead_node: str | None = None) -> Cycle:
        self._take_marks()
        before_stats, before = self.thread.stats(), self._health()
        began = time.perf_counter()
        self.io.poll()
        while not self.io.poll_done():
            time.sleep(_WATCH_S)
        wall = time.perf_counter() - began
        after_stats, after = self.thread.stats(), self._health()
        reads = self.io.take_reads()
        marks = self._take_marks()
        requests = after_stats.frames_received - before_stats.frames_received
        answers = after_stats.answers_sent - before_stats.answers_sent
        return Cycle(
            wall_s=wall,
            wire_s=self._wire_s(before_stats, after_stats),
            requests=requests,
            answers=answers,
            edge_requests=sum(after[n].requests - before[n].requests for n in after),
            timeouts=sum(after[n].timeouts - before[n].timeouts for n in after),
            master_extra_s=self._master_extra(marks),
            turnaround_s=answers * self.line.turnaround_s,
            reads_answered=sum(r.values is not None for r in reads),
            reads=len(reads),
            dead_probed=dead_node is not None and after[dead_node].requests > before[dead_node].requests,
            dead_quarantined=dead_node is not None and after[dead_node].quarantined,
        )

    def _wire_s(self, before: LineStats, after: LineStats) -> float:
        frames = after.frames_received - before.frames_received + after.answers_sent - before.answers_sent
        return after.wire_s - before.wire_s + frames * self.line.silence_s

    def _master_extra(self, marks: list[tuple[_Mark, float, int]]) -> list[float]:
        extra = []
        for (kind, sent_at, _), (next_kind, handled_at, size) in pairwise(marks):
            if kind is _Mark.ANSWER and next_kind is _Mark.REQUEST:
                # The line handles a request once its bytes and the silence after them have passed.
                first_byte_at = handled_at - self.line.wire_s(size) - self.line.silence_s
                extra.append(first_byte_at - sent_at - self.line.silence_s)
        return extra


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
