"""One thread per bus: the only one that talks on it, one request at a time, writes ahead of reads.

A bus is shared by every device on it, so one slow or dead device must not hold up the others: each request
waits at most the bus's timeout, and is tried once more only if its answer came broken (a device that sent
nothing at all would only cost the bus another timeout); a node that fails twice in a row is quarantined —
its reads are skipped for a while (5 s, doubling after each failed probe up to 300 s), then one probe read, and
it is read as usual again as soon as it answers. Writes to a quarantined node still go out (a valve must close),
once, without a retry.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from contract.devices.encoding import Table
from contract.site import ModbusBus, Node
from edge.fieldbus.models import FieldWrite, NodeHealth, NodeRead, PositionWrite, Quarantine, WriteResult
from edge.fieldbus.points import Block, Use, node_points, plan, readback
from edge.fieldbus.transport import BusOpenError, Exchange, LineEvent, Link, Outcome, Request

log = logging.getLogger(__name__)

# A request and its one retry, each waiting the bus's timeout and the line's settling: close() waits this long
# (per bus timeout) for a request in progress before giving up on the thread.
_STOP_WAIT_TIMEOUTS = 8


class _NodeState:
    """What the poller keeps about one node: how to read it, its counters, its quarantine."""

    def __init__(self, node: Node, bus_id: str) -> None:
        assert node.address is not None  # a node on a Modbus bus has one (contract.site: Node._addresses_unique)
        self.node = node
        self.address: int = node.address
        self.blocks: list[Block] = plan(node_points(node))
        self.health = NodeHealth(node_id=node.id, bus_id=bus_id, address=node.address)
        self.counts: dict[str, int] = {}
        self.failures = 0  # requests in a row that got no answer
        self.backoff_s = 0.0  # 0: not quarantined
        self.until = 0.0  # monotonic time the quarantine ends

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


@dataclass(frozen=True)
class _Write:
    node: Node
    target: FieldWrite


@dataclass(frozen=True)
class _Check:
    """How a write is verified: read ``request`` back and expect ``expected``."""

    request: Request
    expected: int


class _BusDown(Exception):
    def __init__(self, error: BusOpenError) -> None:
        self.error = error


class BusPoller:
    """Owns one bus's Link and its thread; everything public is safe to call from any thread."""

    def __init__(
        self, bus: ModbusBus, nodes: list[Node], quarantine: Quarantine, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bus = bus
        self.quarantine = quarantine
        self._clock = clock
        self._link = Link(bus)
        self._states = {n.id: _NodeState(n, bus.id) for n in nodes}
        self._by_address = {n.address: self._states[n.id] for n in nodes}
        self._cond = threading.Condition()
        self._writes: deque[_Write] = deque()
        self._reads: deque[str] = deque()
        self._reading: str | None = None
        self._read_results: list[NodeRead] = []
        self._write_results: list[WriteResult] = []
        self._stopping = False
        self.open_error: BusOpenError | None = None
        self._thread = threading.Thread(target=self._run, name=f"fieldbus-{bus.id}", daemon=True)

    # -- called from other threads ---------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Finish the writes already queued (outputs left as asked), drop the reads, close the bus."""
        with self._cond:
            self._stopping = True
            self._reads.clear()
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout=_STOP_WAIT_TIMEOUTS * self.bus.timeout_s * max(1, len(self._writes) + 1))

    def queue_reads(self, node_ids: Iterable[str] | None = None) -> None:
        """One read of every node (or of those named), after those already queued; a node still waiting for its
        read keeps its place."""
        with self._cond:
            waiting = set(self._reads)
            wanted = self._states if node_ids is None else [n for n in node_ids if n in self._states]
            self._reads.extend(n for n in wanted if n not in waiting)
            self._cond.notify_all()

    def queue_write(self, node: Node, target: FieldWrite) -> None:
        """Ahead of every queued read. A write to the same output still waiting is replaced: only the last counts."""
        with self._cond:
            for i, queued in enumerate(self._writes):
                if queued.node.id == node.id and queued.target.key == target.key:
                    self._writes[i] = _Write(node, target)
                    break
            else:
                self._writes.append(_Write(node, target))
            self._cond.notify_all()

    def reads_done(self) -> bool:
        with self._cond:
            return not self._reads and self._reading is None

    def take_reads(self) -> list[NodeRead]:
        with self._cond:
            out, self._read_results = self._read_results, []
            return out

    def take_writes(self) -> list[WriteResult]:
        with self._cond:
            out, self._write_results = self._write_results, []
            return out

    def health(self) -> list[NodeHealth]:
        now = self._clock()
        with self._cond:
            return [
                s.health.model_copy(
                    update={
                        **s.counts,
                        "quarantined": s.backoff_s > 0,
                        "quarantined_for_s": max(0.0, s.until - now) if s.backoff_s > 0 else 0.0,
                    }
                )
                for s in self._states.values()
            ]

    # -- the bus's thread ------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._stopping and not self._writes and not self._reads:
                        self._cond.wait()
                    if self._writes:
                        job: _Write | str = self._writes.popleft()
                    elif self._reads and not self._stopping:
                        job = self._reads.popleft()
                        self._reading = job
                    else:
                        return
                self._do(job)
        finally:
            self._link.close()

    def _writes_first(self) -> None:
        """The writes queued meanwhile, before a node's next read request."""
        while True:
            with self._cond:
                if not self._writes:
                    return
                job = self._writes.popleft()
            self._do(job)

    def _do(self, job: _Write | str) -> None:
        try:
            if isinstance(job, _Write):
                result: NodeRead | WriteResult = self._write(job)
            else:
                result = self._read(self._states[job])
            self._bus_up()
        except _BusDown as down:
            self._bus_down(down.error, job)
            return
        except Exception as exc:  # a bug must not stop the bus: every other node would go silent
            log.exception("field bus job failed", extra={"bus": self.bus.id})
            result = self._failed(job, f"internal error: {exc!r}")
        with self._cond:
            if isinstance(result, NodeRead):
                self._read_results.append(result)
                self._reading = None
            else:
                self._write_results.append(result)
                if not result.ok:
                    self._write_results += self._drop_writes_to(result.node_id, result.detail)

    def _drop_writes_to(self, node_id: str, detail: str) -> list[WriteResult]:
        """The other writes queued to a node that just did not answer one: failed at once, not each after its own
        timeout, which would hold up the whole bus (a dead relay board with sixteen outputs: half a minute). The
        edge writes them again at its next poll. Called with the lock held."""
        dropped = [w for w in self._writes if w.node.id == node_id]
        for write in dropped:
            self._writes.remove(write)
        return [
            WriteResult(key=w.target.key, node_id=node_id, ok=False, detail=f"not sent: {detail}") for w in dropped
        ]

    def _failed(self, job: _Write | str, detail: str) -> NodeRead | WriteResult:
        if isinstance(job, _Write):
            return WriteResult(key=job.target.key, node_id=job.node.id, ok=False, detail=detail)
        return NodeRead(node_id=job, values=None, detail=detail)

    def _bus_down(self, error: BusOpenError, job: _Write | str) -> None:
        """The bus cannot be opened: this job and every one queued fail with the reason, to be tried again at
        the next poll or write (the nodes are not to blame, so no quarantine)."""
        if self.open_error is None or str(self.open_error) != str(error):
            log.warning("field bus cannot be opened", extra={"bus": self.bus.id, "problem": error.problem.value})
        self.open_error = error
        with self._cond:
            jobs: list[_Write | str] = [job, *self._writes, *self._reads]
            self._writes.clear()
            self._reads.clear()
            for j in jobs:
                result = self._failed(j, str(error))
                if isinstance(result, NodeRead):
                    self._read_results.append(result)
                else:
                    self._write_results.append(result)
            if not isinstance(job, _Write):
                self._reading = None

    def _bus_up(self) -> None:
        if self.open_error is not None:
            log.info("field bus open again", extra={"bus": self.bus.id})
            self.open_error = None

    # -- requests --------------------------------------------------------------------------------------------
    def _ask(self, state: _NodeState, request: Request, retry: bool) -> Exchange:
        """Send ``request`` to the node, once more if it got no usable answer and ``retry``."""
        exchange = Exchange(Outcome.TIMEOUT)
        for attempt in range(2 if retry else 1):
            exchange = self._link.exchange(request)
            if exchange.outcome is Outcome.NOT_OPEN:
                assert exchange.open_error is not None
                raise _BusDown(exchange.open_error)
            events = self._link.take_events()
            with self._cond:
                state.count("requests")
                if attempt:
                    state.count("retries")
                if exchange.outcome.answered:
                    state.count("answers")
                if exchange.outcome is Outcome.EXCEPTION:
                    state.count("exceptions")
                if exchange.outcome is Outcome.TIMEOUT:
                    state.count("timeouts")
                for address, event in events:
                    # A late answer is its sender's; one from a device not on this bus's list goes to the asked one.
                    counted = self._by_address.get(address, state)
                    counted.count("crc_errors" if event is LineEvent.CRC_ERROR else "late_answers")
            if exchange.outcome.answered or exchange.silent:
                return exchange  # a retry is for an answer that came broken, not for a device that is not there
        return exchange

    def _judge(self, state: _NodeState, answered: bool, writing: bool = False) -> None:
        """Quarantine a node that failed twice in a row, lengthen it after a failed probe, lift it on an answer."""
        now = self._clock()
        with self._cond:
            if answered:
                if state.backoff_s:
                    log.info("field node answers again", extra={"node": state.node.id, "bus": self.bus.id})
                state.failures, state.backoff_s, state.until = 0, 0.0, 0.0
                return
            if writing and state.backoff_s:
                return  # only a probe read lengthens a quarantine
            state.failures += 1
            if state.backoff_s:
                state.backoff_s = min(2 * state.backoff_s, self.quarantine.max_s)
            elif state.failures >= self.quarantine.failures:
                state.backoff_s = min(self.quarantine.first_s, self.quarantine.max_s)
                log.warning(
                    "field node quarantined",
                    extra={"node": state.node.id, "bus": self.bus.id, "address": state.node.address},
                )
            else:
                return
            state.until = now + state.backoff_s

    def _where(self, state: _NodeState) -> str:
        return f"{self._link.where} unit {state.node.address}"

    # -- a node's read ---------------------------------------------------------------------------------------
    def _read(self, state: _NodeState) -> NodeRead:
        node = state.node
        probe = False
        if state.backoff_s:
            left = state.until - self._clock()
            if left > 0:
                return NodeRead(
                    node_id=node.id,
                    values=None,
                    detail=f"{self._where(state)}: not answering, left alone for {left:.1f} s more (quarantined)",
                )
            probe = True  # one try: a node still dead costs the bus one timeout
        if not state.blocks:
            return NodeRead(node_id=node.id, values={}, detail="nothing to read: no sensors, no outputs read back")
        values: dict[str, float | None] = {s.id: None for s in node.sensors}
        outputs: dict[str, bool | float] = {}
        problems: list[str] = []
        answered = False
        for i, block in enumerate(state.blocks):
            if i:
                self._writes_first()
            exchange = self._ask(state, Request.read(state.address, block.table, block.address, block.count), not probe)
            if exchange.outcome.answered:
                answered, probe = True, False
            if exchange.outcome is not Outcome.ANSWERED:
                problems.append(exchange.detail)
                if not answered:
                    break  # silent from the start: the node's other requests would only wait the same timeouts
                continue
            for point, value in block.values(list(exchange.values)).items():
                if point.use is Use.SENSOR:
                    values[point.key] = None if value is None else float(value)
                elif value is not None:
                    outputs[point.key] = value
        self._judge(state, answered)
        detail = "; ".join(problems)
        if not answered:
            return NodeRead(node_id=node.id, values=None, detail=detail)
        return NodeRead(node_id=node.id, values=values, outputs=outputs, detail=detail)

    # -- a write ---------------------------------------------------------------------------------------------
    def _write(self, job: _Write) -> WriteResult:
        state = self._states[job.node.id]
        address, target = state.address, job.target
        request, check = self._write_request(address, target)
        retry = state.backoff_s == 0
        exchange = self._ask(state, request, retry)
        self._judge(state, exchange.outcome.answered, writing=True)
        result = WriteResult(key=target.key, node_id=state.node.id, ok=exchange.outcome is Outcome.ANSWERED)
        if not result.ok:
            return result.model_copy(update={"detail": exchange.detail})
        if check is None:
            return result.model_copy(update={"detail": "the device cannot be read back"})
        back = self._ask(state, check.request, retry)
        if back.outcome is not Outcome.ANSWERED:
            return result.model_copy(update={"detail": f"written; reading it back failed: {back.detail}"})
        seen = back.values[0]
        if seen == check.expected:
            return result.model_copy(update={"verified": True})
        table = "coil" if check.request.reads_bits else "holding register"
        return result.model_copy(
            update={
                "verified": False,
                "detail": f"{self._where(state)}: wrote {request.value} to {table} {request.address}; it reads back"
                f" {seen}, not {check.expected}: the device ignored the write",
            }
        )

    @staticmethod
    def _write_request(address: int, target: FieldWrite) -> tuple[Request, _Check | None]:
        if isinstance(target, PositionWrite):
            value = round(target.position_pct)
            request = Request.write(address, Table.HOLDING_REGISTER, target.register, value)
            return request, _Check(Request.read(address, Table.HOLDING_REGISTER, target.register, 1), value)
        switch = target.switch
        if target.on and target.timed_on is not None and target.run_s is not None:
            request = Request.timed(address, target.timed_on, target.run_s)
        else:
            value = switch.on_value if target.on else switch.off_value
            request = Request.write(address, switch.table, switch.address, value)
        if switch.reads_on is None or switch.reads_off is None:
            return request, None
        back = readback(switch)
        expected = switch.reads_on if target.on else switch.reads_off
        return request, _Check(Request.read(address, back.table, back.address, 1), expected)
