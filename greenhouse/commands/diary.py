"""``greenhouse diary``: the record book from the farm server's shell. ``check`` the cooperative's traceability
settings (traceability.yaml: its mistakes by line, then what its labels and lot pages will carry); ``export`` the
VietGAP dossier (PDF, CSV) and the EPCIS document of a period from the gateway's data dir — for an auditor's USB
stick when the app is out of reach."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, timedelta
from pathlib import Path

from contract.config_file import ConfigError
from contract.reasons import Lang, pick
from greenhouse import gateway_files
from greenhouse.commands import common

OK = ("{file}: hợp lệ", "{file}: OK")
PUBLIC = ("  trang lô hàng: {url}/lot/<mã lô>", "  lot pages: {url}/lot/<lot code>")
DIGITAL_LINK = (
    "  mã QR GS1 Digital Link cho {crop}: {url}/01/{gtin}/10/<mã lô>",
    "  GS1 Digital Link for {crop}: {url}/01/{gtin}/10/<lot>",
)
NO_GS1 = (
    "  mã QR: địa chỉ riêng của hợp tác xã (chưa có mã GS1)",
    "  QR codes: the cooperative's own address (no GS1 codes)",
)
CERT = ("  chứng nhận {number}: hiệu lực {start} – {end}", "  certificate {number}: valid {start} – {end}")
CERT_EXPIRED = ("  chứng nhận {number} HẾT HIỆU LỰC từ {end}", "  certificate {number} EXPIRED on {end}")
NO_CERT = ("  chưa khai báo chứng nhận VietGAP", "  no VietGAP certificate declared")
NAMES = ("  tên người trên trang công khai: {shown}", "  people's names on public pages: {shown}")
SHOWN = (("có", "yes"), ("không", "no"))
NO_DIARY = ("{dir} chưa có nhật ký ({file})", "{dir} has no record book yet ({file})")
WROTE = ("Đã ghi {file}", "Wrote {file}")
NO_SITE = ("Không tìm thấy tệp cấu hình: chỉ rõ bằng --site", "No site file found: name it with --site")
NOTHING = ("Chọn ít nhất một: --pdf, --csv, --epcis", "Choose at least one of --pdf, --csv, --epcis")
BACKWARDS = ("--first phải trước --last", "--first must come before --last")


def a_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-01-15") from None


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    diary = sub.add_parser("diary", help="the record book (VietGAP): traceability settings, dossier and EPCIS export")
    diary_sub = diary.add_subparsers(dest="diary_command", required=True, metavar="SUBCOMMAND")
    check = diary_sub.add_parser(
        "check",
        help="validate traceability.yaml: every problem by line, then what labels and lot pages will carry",
        parents=[common.lang()],
    )
    check.add_argument("file", type=Path, help="the traceability.yaml to check")
    check.set_defaults(run=run_diary_check)
    export = diary_sub.add_parser(
        "export",
        help="write the VietGAP dossier (PDF, CSV zip) and the EPCIS 2.0 document of a period",
        parents=[common.lang(), common.site("the gateway's site file (default: $GREENHOUSE_SITE, the stack's)")],
    )
    export.add_argument("--data-dir", type=Path, help="the gateway's data dir (default: as 'greenhouse users')")
    export.add_argument("--first", type=a_day, help="the period's first day (default: a year before --last)")
    export.add_argument("--last", type=a_day, help="the period's last day (default: today)")
    export.add_argument("--pdf", type=Path, help="write the dossier as a PDF here")
    export.add_argument("--csv", type=Path, help="write the dossier's CSV files, zipped, here")
    export.add_argument("--epcis", type=Path, help="write the EPCIS 2.0 JSON-LD document of the period's lots here")
    export.set_defaults(run=run_diary_export)


def run_diary_check(args: argparse.Namespace) -> int:
    from contract.config_file import load_model
    from contract.diary import Traceability
    from contract.validation_words import Mistake
    from gateway.diary.digital_link import check_gtin

    lang: Lang = args.lang
    try:
        settings = load_model(args.file, Traceability)
        if settings.gs1_company_prefix is not None:
            for crop, gtin in settings.gtins.items():
                check_gtin(gtin, settings.gs1_company_prefix, crop)
    except ConfigError as exc:
        return common.config_problems(exc, args.command, lang)
    except Mistake as exc:
        print(f"{args.file}: {exc.words.pick(lang)}", file=sys.stderr)
        return 2
    print(pick(OK, lang).format(file=args.file))
    url = settings.public_url.rstrip("/")
    print(pick(PUBLIC, lang).format(url=url))
    if settings.gs1_company_prefix is not None and settings.gtins:
        for crop, gtin in settings.gtins.items():
            print(pick(DIGITAL_LINK, lang).format(crop=crop, url=url, gtin=gtin))
    else:
        print(pick(NO_GS1, lang))
    cert = settings.certificate
    if cert is None:
        print(pick(NO_CERT, lang))
    else:
        words = CERT_EXPIRED if cert.valid_until < date.today() else CERT
        print(pick(words, lang).format(number=cert.number, start=cert.valid_from, end=cert.valid_until))
    print(pick(NAMES, lang).format(shown=pick(SHOWN[0] if settings.show_names else SHOWN[1], lang)))
    return 0


def run_diary_export(args: argparse.Namespace) -> int:
    from contract.clock import Clock
    from contract.site_file import load_site
    from gateway.diary.dossier import build
    from gateway.diary.settings import TraceabilityFile
    from gateway.diary.store import DIARY_FILE, DiaryStore

    lang: Lang = args.lang
    if not (args.pdf or args.csv or args.epcis):
        print(pick(NOTHING, lang), file=sys.stderr)
        return 2
    data_dir = args.data_dir or gateway_files.data_dir(None, os.environ, Path.cwd()).path
    found_site = gateway_files.site_file(args.site, os.environ, Path.cwd())
    if found_site is None:
        print(pick(NO_SITE, lang), file=sys.stderr)
        return 2
    site = load_site(found_site.path)
    if not (data_dir / DIARY_FILE).exists():
        print(pick(NO_DIARY, lang).format(dir=data_dir, file=DIARY_FILE), file=sys.stderr)
        return 2
    traceability = TraceabilityFile(data_dir)
    settings = traceability.read()
    if traceability.problem is not None:
        return common.config_problems(traceability.problem, args.command, lang)
    last = args.last or Clock().now().astimezone(site.cooperative.tz).date()
    first = args.first or last - timedelta(days=365)
    if first > last:
        print(pick(BACKWARDS, lang), file=sys.stderr)
        return 2
    store = DiaryStore(data_dir / DIARY_FILE)
    try:
        entries, lots = store.entries(last=last), store.lots()
    finally:
        store.close()
    if args.pdf or args.csv:
        dossier = build(entries, lots, site, settings, first, last, lang)
        if args.pdf:
            from gateway.diary.dossier_pdf import dossier_pdf

            _write(args.pdf, dossier_pdf(dossier), lang)
        if args.csv:
            from gateway.diary.dossier_csv import dossier_zip

            _write(args.csv, dossier_zip(dossier), lang)
    if args.epcis:
        import json

        from gateway.diary.exports import epcis_of_period

        document = epcis_of_period(entries, lots, site, settings, first, last, Clock().now())
        _write(args.epcis, json.dumps(document, ensure_ascii=False, indent=1).encode(), lang)
    return 0


def _write(path: Path, content: bytes, lang: Lang) -> None:
    path.write_bytes(content)
    print(pick(WROTE, lang).format(file=path))
