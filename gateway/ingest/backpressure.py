"""When the receiver may take more: while the spool holds no more than a few seconds of the writer's work.

Taking messages faster than the history store takes them only moves the queue from the broker (and the edges'
outboxes, which hold a day's backlog by design) into the spool, and under load the receiver's work takes the CPU
the writer needs: the more is offered, the less is stored. So each lane is taken while the readings waiting in
the spool are fewer than the writer stores in that lane's hold time, at the rate it has been storing them.
While the store is down the spool is the buffer, as before: everything is taken, so that the edges' outboxes
and the broker's queue empty into the gateway's disk.
"""

from __future__ import annotations

from gateway.ingest.receiver import Lane
from gateway.ingest.spool import Spool
from gateway.ingest.writer import Writer

# Seconds of writer work the spool may hold before a lane waits. The backlog waits first, so that there is room
# left for live data, which waits only in overload. Short: a second is four of the writer's passes, enough to keep
# it busy, and every validated message kept longer is one more for Python's collector to walk (docs/benchmarks.md).
HOLD_S = {Lane.BACKLOG: 0.75, Lane.LIVE: 1.0}
# However slow the writer has seemed (a few small writes say little), this many readings may always wait.
_FLOOR_READINGS = 5_000


class Backpressure:
    def __init__(self, spool: Spool, writer: Writer) -> None:
        self._spool = spool
        self._writer = writer

    def limit(self, lane: Lane) -> int:
        """The readings the spool may hold for ``lane`` to be taken now."""
        return max(_FLOOR_READINGS, int(self._writer.readings_per_s * HOLD_S[lane]))

    def __call__(self, lane: Lane) -> bool:
        return self._writer.store_down or self._spool.queued_readings() < self.limit(lane)
