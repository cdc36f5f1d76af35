"""The demo cooperative's traceability settings: its lot pages at the demo's own address, so that the QR code on
a label printed from the demo opens the lot's page in a phone's browser on the same machine or network; a made-up
VietGAP certificate, so that the page shows where one goes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from contract.diary import Certificate, Traceability
from gateway.diary.settings import FILE


def write_demo_traceability(data_dir: Path, app_url: str) -> None:
    """``traceability.yaml`` in ``data_dir`` for an app at ``app_url``: rewritten each run, as the port may change."""
    settings = Traceability(
        public_url=app_url,
        certificate=Certificate(
            number="VietGAP-TT-00-00-0000 (ví dụ)",
            issued_by="Tổ chức chứng nhận (ví dụ)",
            valid_from=date(2025, 6, 1),
            valid_until=date(2028, 5, 31),
        ),
    )
    text = yaml.safe_dump(settings.model_dump(mode="json", exclude_defaults=True), allow_unicode=True, sort_keys=False)
    (data_dir / FILE).write_text(text, "utf-8")
