"""What the edge agent remembers across a restart or a power cut: rule timers, running irrigations, and
the safety histories (starts per hour, min off-time), saved after every pass that changed them.

One JSON document in SQLite (atomic, fsynced). A memory that cannot be read — a damaged file (kept aside by
``contract.durable``), a corrupt document, or one written by an incompatible version — is set aside with a
warning and the agent starts from its fail-safe state, as it would on first boot: forgetting a timer is safe,
misreading one is not. Timers read back from a damaged file may be older ones, so they are not used either.
Only the outbox's numbering is taken from whatever can be read: numbering on above it is always safe.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from contract.durable import StoreRecovery, open_queue_db
from contract.schema_versions import StoreSchema
from edge.control import ControllerMemory
from edge.curtain import CurtainMemory
from rules.engine import EngineState

log = logging.getLogger(__name__)

# The file's layout; the document inside it has a version of its own (EdgeMemory.v). A change of layout is a
# migration added at the end (contract.schema_versions), never an edit of version 1.
SCHEMA = StoreSchema(
    version_1="CREATE TABLE IF NOT EXISTS memory (greenhouse TEXT PRIMARY KEY, document TEXT NOT NULL);"
)


class EdgeMemory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    saved_at: AwareDatetime
    rules: EngineState
    control: ControllerMemory
    # The last number each outbox counter gave: an outbox lost or replaced must not number from 1 again.
    counters: dict[str, int] = Field(default_factory=dict)
    # Command ids carried out, until each command expires: a replay after a restart is still a replay.
    carried_out: dict[str, AwareDatetime] = Field(default_factory=dict)
    # Where each motorised curtain was by its run time (re-homed first after a restart all the same).
    curtains: dict[str, CurtainMemory] = Field(default_factory=dict)


class _Numbering(BaseModel):
    """What is read of a saved memory even when the rest cannot be."""

    counters: dict[str, int] = Field(default_factory=dict)


class MemoryFile:
    def __init__(self, path: Path, greenhouse: str) -> None:
        opened = open_queue_db(path, SCHEMA)
        self._db = opened.db
        self._greenhouse = greenhouse
        self._last: str | None = None
        self.recovery: StoreRecovery | None = opened.recovery
        if self.recovery is not None:
            # Fail-safe now, and after a restart before the next save too: only the numbering is kept.
            self._write(_Numbering(counters=self.counters()).model_dump_json())

    def _document(self) -> str | None:
        row = self._db.execute("SELECT document FROM memory WHERE greenhouse = ?", (self._greenhouse,)).fetchone()
        return None if row is None else str(row[0])

    def counters(self) -> dict[str, int]:
        """The outbox numbering remembered, read from any document that holds it; empty if none does."""
        document = self._document()
        try:
            return {} if document is None else _Numbering.model_validate_json(document).counters
        except ValidationError:
            return {}

    def load(self) -> EdgeMemory | None:
        document = self._document()
        if document is None:
            return None
        try:
            return EdgeMemory.model_validate_json(document)
        except ValidationError as exc:
            detail = {"greenhouse": self._greenhouse, "detail": str(exc)}
            log.warning("saved memory unreadable; starting fail-safe", extra=detail)
            return None

    def save(self, memory: EdgeMemory) -> None:
        # saved_at changes every pass: compare without it, so an idle agent does not fsync each time.
        document = memory.model_dump_json(exclude={"saved_at"})
        if document == self._last:
            return
        self._write(memory.model_dump_json())
        self._last = document

    def _write(self, document: str) -> None:
        self._db.execute(
            "INSERT INTO memory (greenhouse, document) VALUES (?, ?) "
            "ON CONFLICT (greenhouse) DO UPDATE SET document = excluded.document",
            (self._greenhouse, document),
        )

    def close(self) -> None:
        self._db.close()
