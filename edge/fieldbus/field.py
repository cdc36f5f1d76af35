"""A greenhouse's field devices as the edge agent sees them: ``FieldIO`` queues reads and writes to the pollers
(one thread per bus) and hands back what they finished.

    io = FieldIO(greenhouse); io.start()
    io.poll()                    # one read of every node, on every bus at once
    ... io.poll_done() ...       # every read of that poll answered, failed or skipped
    for read in io.take_reads(): ...
    io.write(node, SwitchWrite(key="valve-a", switch=..., on=True))   # ChannelWrite for a node on an MQTT bus
    for result in io.take_writes(): ...
    io.close()
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from contract.site import Greenhouse, MqttBus, Node
from edge.fieldbus.models import AnyWrite, ChannelWrite, NodeHealth, NodeRead, Quarantine, WriteResult
from edge.fieldbus.mqtt_bus import MqttPoller
from edge.fieldbus.poller import BusPoller
from edge.fieldbus.transport import BusOpenError


class FieldIO:
    """``clock``: monotonic seconds, for quarantines, staleness and how long a command waits for its state."""

    def __init__(
        self,
        greenhouse: Greenhouse,
        quarantine: Quarantine | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.greenhouse = greenhouse
        policy = quarantine or Quarantine()
        self._pollers: list[BusPoller | MqttPoller] = []
        self._poller_of: dict[str, BusPoller | MqttPoller] = {}
        for bus in greenhouse.buses:
            nodes = [n for n in greenhouse.nodes if greenhouse.bus_of(n).id == bus.id]
            if not nodes:
                continue  # a bus nobody is on is never opened
            poller = MqttPoller(bus, nodes, clock) if isinstance(bus, MqttBus) else BusPoller(bus, nodes, policy, clock)
            self._pollers.append(poller)
            self._poller_of.update({n.id: poller for n in nodes})

    def start(self) -> None:
        for poller in self._pollers:
            poller.start()

    def close(self) -> None:
        """Writes already queued still go out; reads are dropped; the buses are closed."""
        for poller in self._pollers:
            poller.stop()

    def __enter__(self) -> FieldIO:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def poll(self) -> None:
        """Queue one read of every node: its sensors, and the read-back of its outputs where they have one."""
        for poller in self._pollers:
            poller.queue_reads()

    def read(self, node: Node) -> None:
        """Queue one read of one node between polls (a curtain's limit switch while it closes)."""
        self._poller_of[node.id].queue_reads([node.id])

    def poll_done(self) -> bool:
        """Every read queued by the last poll() has finished: answered, failed or skipped."""
        return all(poller.reads_done() for poller in self._pollers)

    def take_reads(self) -> list[NodeRead]:
        """The reads finished since the last call."""
        return [read for poller in self._pollers for read in poller.take_reads()]

    def write(self, node: Node, target: AnyWrite) -> None:
        """Queue a write, ahead of the node's bus's reads (on an MQTT bus: published at once)."""
        poller = self._poller_of[node.id]
        if isinstance(poller, MqttPoller) != isinstance(target, ChannelWrite):
            raise ValueError(f"node {node.id!r}: a {type(target).__name__} is not for its bus {poller.bus.id!r}")
        if isinstance(poller, MqttPoller):
            assert isinstance(target, ChannelWrite)
            poller.queue_write(node, target)
        else:
            assert not isinstance(target, ChannelWrite)
            poller.queue_write(node, target)

    def take_writes(self) -> list[WriteResult]:
        """The writes finished since the last call."""
        return [result for poller in self._pollers for result in poller.take_writes()]

    def health(self) -> list[NodeHealth]:
        return [h for poller in self._pollers for h in poller.health()]

    def bus_problems(self) -> list[BusOpenError]:
        """Why buses cannot be opened right now (text in Vietnamese or English), one per bus that cannot."""
        return [p.open_error for p in self._pollers if p.open_error is not None]
