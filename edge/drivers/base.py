"""The interface between the edge agent and field nodes, whatever protocol they speak."""

from __future__ import annotations

from typing import Protocol

from contract.site import Actuator, Node


class NodeUnreachable(Exception):
    """The node did not answer (timeout, connection refused, Modbus exception)."""

    def __init__(self, node_id: str, detail: str) -> None:
        self.node_id = node_id
        self.detail = detail
        super().__init__(f"node {node_id!r} unreachable: {detail}")


class FieldDriver(Protocol):
    def read_node(self, node: Node) -> dict[str, float | None]:
        """Raw (uncalibrated) value of each of the node's sensors by sensor id; None where
        the node answered but the sensor reports no value. Raises NodeUnreachable."""
        ...

    def write_actuator(self, node: Node, actuator: Actuator, on: bool, position_pct: float | None) -> None:
        """Drive one actuator (a coil, or a holding register for positional ones). Raises NodeUnreachable."""
        ...

    def close(self) -> None: ...
