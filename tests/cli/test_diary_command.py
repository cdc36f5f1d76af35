"""``greenhouse diary`` from a fresh shell on the farm server: the traceability settings checked (mistakes by line,
a wrong GTIN named with its right check digit), and the dossier and the EPCIS document of a period exported from
the gateway's data dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from contract.diary import NewEntry
from contract.site_file import load_site
from gateway.diary.book import DiaryBook
from gateway.diary.store import DIARY_FILE, DiaryStore
from tests.conftest import EXAMPLE_SITE
from tests.support.stack import REPO


def _diary(*args: str, cwd: Path, lang: str = "en") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GREENHOUSE_")}
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "greenhouse", "diary", *args, "--lang", lang]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


def test_check_says_what_labels_will_carry_and_where_a_file_is_wrong(tmp_path: Path) -> None:
    good = tmp_path / "traceability.yaml"
    good.write_text(
        "public_url: https://htx-moc-chau.example.vn\ngs1_company_prefix: '9506000'\n"
        "gtins:\n  Cà chua: '09506000134352'\n",
        "utf-8",
    )
    done = _diary("check", str(good), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "GS1 Digital Link for Cà chua: https://htx-moc-chau.example.vn/01/09506000134352/10/<lot>" in done.stdout
    assert "no VietGAP certificate declared" in done.stdout

    wrong_digit = tmp_path / "wrong-digit.yaml"
    wrong_digit.write_text(good.read_text("utf-8").replace("134352", "134353"), "utf-8")
    refused = _diary("check", str(wrong_digit), cwd=tmp_path, lang="vi")
    assert refused.returncode == 2
    assert "sai số kiểm tra: chữ số cuối phải là 2" in refused.stderr

    broken = tmp_path / "broken.yaml"
    broken.write_text("public_url: https://x.example.vn\nkeep_names: yes\n", "utf-8")
    refused = _diary("check", str(broken), cwd=tmp_path)
    assert refused.returncode == 2
    assert f"{broken}:2" in refused.stderr and "keep_names" in refused.stderr


def test_export_writes_the_dossier_and_the_epcis_document_of_a_period(tmp_path: Path) -> None:
    data = tmp_path / "gateway-data"
    data.mkdir()
    book = DiaryBook(load_site(EXAMPLE_SITE), DiaryStore(data / DIARY_FILE), lambda: datetime(2026, 1, 20, tzinfo=UTC))
    harvest = {"kind": "harvest", "crop": "Cà chua", "quantity_kg": 42}
    entry = {"id": "harvest-0001", "day": "2026-01-12", "greenhouse": "ca-chua-1", "zone": "khu-a", "detail": harvest}
    book.record(NewEntry.model_validate(entry), "ky-thuat")
    book.close()
    out = tmp_path / "out"
    out.mkdir()
    done = _diary(
        "export", "--data-dir", str(data), "--site", str(EXAMPLE_SITE), "--first", "2026-01-01", "--last",
        "2026-01-31", "--pdf", str(out / "d.pdf"), "--csv", str(out / "d.zip"), "--epcis", str(out / "e.jsonld"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (out / "d.pdf").read_bytes().startswith(b"%PDF")
    assert any("harvest" in n for n in zipfile.ZipFile(out / "d.zip").namelist())
    events = json.loads((out / "e.jsonld").read_text("utf-8"))["epcisBody"]["eventList"]
    assert [e["quantityList"][0]["quantity"] for e in events] == [42]

    nothing = _diary("export", "--data-dir", str(data), "--site", str(EXAMPLE_SITE), cwd=tmp_path)
    assert nothing.returncode == 2 and "--pdf, --csv, --epcis" in nothing.stderr
    backwards = _diary(
        "export", "--data-dir", str(data), "--site", str(EXAMPLE_SITE), "--first", "2026-02-01", "--last",
        "2026-01-01", "--pdf", str(out / "x.pdf"), cwd=tmp_path,
    )  # fmt: skip
    assert backwards.returncode == 2 and "--first must come before --last" in backwards.stderr
