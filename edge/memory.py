"""What the edge agent remembers across a restart or a power cut: rule timers, running irrigations, and
the safety histories (starts per hour, min off-time), saved after every pass that changed them.

One JSON document in SQLite (atomic, fsynced). A memory that cannot be read — corrupt, or written by an
incompatible version — is set aside with a warning and the agent starts from its fail-safe state, as it
would on first boot: forgetting a timer is safe, misreading one is not.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, ValidationError

from contract.durable import open_queue_db
from edge.control import ControllerMemory
from rules.engine import EngineState

log = logging.getLogger(__name__)

_SCHEMA = "CREATE TABLE IF NOT EXISTS memory (greenhouse TEXT PRIMARY KEY, document TEXT NOT NULL);"


class EdgeMemory(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: Literal[1] = 1
    saved_at: AwareDatetime
    rules: EngineState
    control: ControllerMemory


class MemoryFile:
    def __init__(self, path: Path, greenhouse: str) -> None:
        self._db = open_queue_db(path, _SCHEMA)
        self._greenhouse = greenhouse
        self._last: str | None = None

    def load(self) -> EdgeMemory | None:
        row = self._db.execute("SELECT document FROM memory WHERE greenhouse = ?", (self._greenhouse,)).fetchone()
        if row is None:
            return None
        try:
            return EdgeMemory.model_validate_json(row[0])
        except ValidationError as exc:
            detail = {"greenhouse": self._greenhouse, "detail": str(exc)}
            log.warning("saved memory unreadable; starting fail-safe", extra=detail)
            return None

    def save(self, memory: EdgeMemory) -> None:
        # saved_at changes every pass: compare without it, so an idle agent does not fsync each time.
        document = memory.model_dump_json(exclude={"saved_at"})
        if document == self._last:
            return
        self._db.execute(
            "INSERT INTO memory (greenhouse, document) VALUES (?, ?) "
            "ON CONFLICT (greenhouse) DO UPDATE SET document = excluded.document",
            (self._greenhouse, memory.model_dump_json()),
        )
        self._last = document

    def close(self) -> None:
        self._db.close()
