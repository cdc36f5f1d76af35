"""The cooperative's traceability settings (traceability.yaml in the gateway's data folder: its public address, GS1
codes, VietGAP certificate, whether farmers' names are shown), read again whenever the file changes. A file with
mistakes keeps the last good settings in force and says what is wrong, line by line."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from contract.config_file import ConfigError, load_model
from contract.diary import Traceability

log = logging.getLogger(__name__)

FILE = "traceability.yaml"


class TraceabilityFile:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE
        self._stamp: tuple[int, int] | None = None
        self._current = Traceability()
        self.problem: ConfigError | None = None
        self._lock = threading.Lock()

    def read(self) -> Traceability:
        with self._lock:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                self._stamp, self._current, self.problem = None, Traceability(), None
                return self._current
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._current, self.problem = load_model(self.path, Traceability), None
                except ConfigError as e:
                    self.problem = e
                    log.error("traceability settings not taken", extra={"file": str(self.path), "error": str(e)})
            return self._current
