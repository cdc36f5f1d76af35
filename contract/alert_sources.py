"""What raised an alert, named one way for the gateway's alerts list and for an edge texting on its own: a node's,
a rule's inputs', an output's and a local file's alerts each stand apart from the rule's own, and a later record
of the same source repeats, escalates or clears it."""

from __future__ import annotations

from collections.abc import Mapping

from contract.reasons import Reason

# Reasons that end what another raised: a node's, and a rule's inputs'.
_NODE = frozenset({Reason.NODE_UNREACHABLE, Reason.NODE_ANSWERING, Reason.NODE_QUARANTINED})
_INPUT = frozenset({Reason.RULE_INPUT_UNUSABLE, Reason.RULE_INPUT_RESTORED})
# An output that a read-back found wrong, or a curtain motor that stalled: one occurrence per actuator and kind.
_OUTPUT = frozenset({Reason.OUTPUT_DID_NOT_SWITCH, Reason.OUTPUT_SWITCHED_ELSEWHERE, Reason.CURTAIN_STALLED})
# The edge's own files damaged or lost: each its own occurrence, not folded with rule alerts.
_STORE = frozenset({Reason.OUTBOX_DAMAGED, Reason.OUTBOX_LOST, Reason.MEMORY_DAMAGED})


def alert_source(rule: str | None, reason: str, params: Mapping[str, str]) -> str:
    """``node:<id>``, ``input:<rule>``, ``store:<reason>``, ``output:<reason>:<actuator>`` or ``rule:<id>``; a
    reason of a newer agent (a plain string) is a rule's."""
    if reason in _NODE:
        return f"node:{params.get('node', '')}"
    if reason in _INPUT:
        return f"input:{rule}"
    if reason in _STORE:
        return f"store:{reason}"
    if reason in _OUTPUT:
        return f"output:{reason}:{params.get('actuator', '')}"
    return f"rule:{rule}"
