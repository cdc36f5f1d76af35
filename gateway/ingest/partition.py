"""Which greenhouses an ingest process takes when several share a site: each greenhouse whole, to one process.

A greenhouse's messages must all reach the same process: its derived metrics build up over the day (light
integral, degree days), its repeated batches are told apart by the batches seen before, and its health is what
its last messages said. An MQTT shared subscription splits a stream per message, so instead each process
subscribes to its own greenhouses' topics, chosen by a hash of the greenhouse's id: adding a greenhouse moves no
other one.
"""

from __future__ import annotations

import zlib

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contract.site import SiteConfig


class Partition(BaseModel):
    """Process ``index`` (from 0) of ``count``."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=0)
    count: int = Field(ge=1, le=64)

    @model_validator(mode="after")
    def _index_within(self) -> Partition:
        if self.index >= self.count:
            raise ValueError(f"partition {self.index + 1} of {self.count} does not exist")
        return self

    def owns(self, greenhouse_id: str) -> bool:
        # CRC-32, not hash(): Python salts str hashes per process, and every process must agree.
        return zlib.crc32(greenhouse_id.encode()) % self.count == self.index

    def greenhouses(self, site: SiteConfig) -> list[str]:
        return [g.id for g in site.greenhouses if self.owns(g.id)]

    @property
    def name(self) -> str:
        """``p1of2``: in client ids, file names and share groups, so that another layout starts afresh."""
        return f"p{self.index + 1}of{self.count}"

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"
