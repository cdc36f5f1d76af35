"""The public page of a lot, as a consumer's phone opens it from a QR code (the camera's scanner, Zalo's): one
small HTML page, no script, no image, no font to fetch — a few kilobytes that arrive on a weak 3G link — in
Vietnamese first, English a tap away."""

from __future__ import annotations

from html import escape

from contract.diary import EntryKind
from contract.wording import Lang, day_in, number, pick
from gateway.diary.lot_story import LotStory

W = {
    "title": ("Truy xuất nguồn gốc", "Traceability"),
    "lot": ("Mã lô", "Lot"),
    "product_code": ("Mã truy vết sản phẩm", "Product trace code"),
    "place_code": ("Mã truy vết địa điểm", "Place trace code"),
    "grown_by": ("Đơn vị sản xuất", "Grown by"),
    "greenhouse": ("Nhà màng", "Greenhouse"),
    "crop": ("Sản phẩm", "Product"),
    "variety": ("Giống", "Variety"),
    "seed_source": ("Nguồn giống", "Seed from"),
    "weight": ("Khối lượng lô", "Lot weight"),
    "stages": ("Các công đoạn", "Stages"),
    "sprays": ("Thuốc bảo vệ thực vật đã dùng", "Plant protection products used"),
    "no_sprays": ("Không dùng thuốc bảo vệ thực vật trong vụ này.", "No plant protection product used this season."),
    "kept": ("Đã đủ thời gian cách ly", "Pre-harvest interval kept"),
    "not_kept": ("CHƯA đủ thời gian cách ly", "Pre-harvest interval NOT kept"),
    "phi": ("cách ly {days} ngày", "{days}-day interval"),
    "sprayed": ("phun ngày {day}", "sprayed {day}"),
    "by": ("người phun: {name}", "sprayed by {name}"),
    "fertilisers": ("Phân bón đã dùng", "Fertilisers used"),
    "no_fertilisers": ("Không ghi phân bón trong vụ này.", "No fertiliser recorded this season."),
    "conditions": ("Điều kiện trồng (đo tự động)", "Growing conditions (measured)"),
    "temp_range": ("Nhiệt độ không khí: {low} – {high} °C", "Air temperature: {low} – {high} °C"),
    "vpd": ("Độ thiếu hụt hơi nước trung bình: {vpd} kPa", "Mean vapour pressure deficit: {vpd} kPa"),
    "dli": ("Ánh sáng trung bình mỗi ngày: {dli} mol/m²", "Mean daily light: {dli} mol/m²"),
    "frost": ("{n} đêm rét được sưởi ấm bảo vệ", "{n} frost nights, protected"),
    "water": ("Nước tưới: {litres} lít", "Irrigation water: {litres} litres"),
    "days_measured": ("{n} ngày có số đo, từ {first} đến {last}", "{n} days measured, {first} to {last}"),
    "no_conditions": ("Chưa có số đo cho vụ này.", "No measurements for this season."),
    "certificate": ("Chứng nhận VietGAP", "VietGAP certificate"),
    "cert_line": (
        "Số {number}, do {issuer} cấp, hiệu lực {start} – {end}",
        "No. {number}, by {issuer}, valid {start} – {end}",
    ),
    "cert_expired": ("(hết hiệu lực vào ngày thu hoạch)", "(not valid on the harvest day)"),
    "no_certificate": ("Chưa khai báo chứng nhận.", "No certificate declared."),
    "other_lang": ("English", "Tiếng Việt"),
    "not_found": ("Không tìm thấy lô hàng này", "This lot was not found"),
    "not_found_why": (
        "Mã có thể sai, hoặc lô chưa được công bố. Hãy hỏi người bán.",
        "The code may be wrong, or the lot is not published. Ask the seller.",
    ),
}
_STAGE = {
    EntryKind.PLANTING: ("Gieo trồng", "Planted"),
    EntryKind.HARVEST: ("Thu hoạch", "Harvested"),
    EntryKind.PACKING: ("Sơ chế, đóng gói", "Packed"),
    EntryKind.SALE: ("Xuất bán", "Shipped"),
}
_METHOD_EN = {"fertigation": "with the irrigation water"}
_METHOD_VI = {"fertigation": "qua hệ thống tưới"}

_CSS = (
    "body{font-family:sans-serif;margin:0;color:#1b1b1b;background:#f6f7f2;line-height:1.45}"
    "header{background:#2e6b30;color:#fff;padding:14px 16px}header h1{margin:0;font-size:1.35em}"
    "header p{margin:4px 0 0}main{padding:0 16px 24px;max-width:640px;margin:auto}"
    "section{background:#fff;border-radius:10px;padding:12px 14px;margin:12px 0;box-shadow:0 1px 2px #0002}"
    "h2{font-size:1.05em;margin:0 0 8px;color:#2e6b30}dl{margin:0}dt{color:#555;font-size:.9em}"
    "dd{margin:0 0 8px;font-weight:600}ul{margin:0;padding-left:1.1em}li{margin:4px 0}"
    ".ok{color:#1f6b1f;font-weight:600}.bad{color:#b00020;font-weight:700}.lang{float:right;color:#fff}"
    "small{color:#555}"
)


def _w(key: str, lang: Lang, **params: object) -> str:
    return escape(pick(W[key], lang).format(**params))


def _page(title: str, body: str, lang: Lang, other_href: str) -> str:
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>"
        f'<header><a class="lang" href="{escape(other_href)}">{_w("other_lang", lang)}</a>'
        f"{body}</body></html>"
    )


def lot_page(story: LotStory, crop_words: str, lang: Lang, other_href: str) -> str:
    """The page of a published lot; ``crop_words`` is the product as the reader reads it."""
    lot = story.lot
    coop = story.cooperative_en if lang == "en" and story.cooperative_en else story.cooperative
    house = story.greenhouse_en if lang == "en" and story.greenhouse_en else story.greenhouse
    head = f"<h1>{escape(crop_words)}</h1><p>{_w('lot', lang)} {escape(lot.code)} · {escape(coop)}</p></header><main>"
    facts = [
        ("product_code", lot.code),
        ("place_code", story.place_code),
        ("grown_by", coop),
        ("greenhouse", f"{house} · {story.zone}"),
        ("crop", crop_words),
        *([("variety", story.variety)] if story.variety else []),
        *([("seed_source", story.seed_source)] if story.seed_source else []),
        ("weight", f"{number(lot.quantity_kg, 1, lang)} kg"),
    ]
    dl = "".join(f"<dt>{_w(k, lang)}</dt><dd>{escape(v)}</dd>" for k, v in facts)
    sections = [
        f"<section><dl>{dl}</dl></section>",
        _stages(story, lang),
        _sprays(story, lang),
        _fertilisers(story, lang),
        _conditions(story, lang),
        _certificate(story, lang),
    ]
    return _page(f"{crop_words} · {lot.code}", head + "".join(sections) + "</main>", lang, other_href)


def not_found_page(lang: Lang, other_href: str) -> str:
    body = (
        f"<h1>{_w('not_found', lang)}</h1></header><main><section><p>{_w('not_found_why', lang)}</p></section></main>"
    )
    return _page(pick(W["not_found"], lang), body, lang, other_href)


def _stages(story: LotStory, lang: Lang) -> str:
    items = "".join(
        f"<li>{escape(pick(_STAGE[s.kind], lang))}: <b>{day_in(s.day, lang)}</b></li>" for s in story.stages
    )
    return f"<section><h2>{_w('stages', lang)}</h2><ul>{items}</ul></section>"


def _sprays(story: LotStory, lang: Lang) -> str:
    if not story.sprays:
        return f"<section><h2>{_w('sprays', lang)}</h2><p>{_w('no_sprays', lang)}</p></section>"
    items = []
    for s in story.sprays:
        verdict = (
            f'<span class="ok">✓ {_w("kept", lang)}</span>'
            if s.kept
            else f'<span class="bad">✗ {_w("not_kept", lang)}</span>'
        )
        by = f", {_w('by', lang, name=s.sprayed_by)}" if s.sprayed_by else ""
        items.append(
            f"<li><b>{escape(s.product)}</b> ({escape(s.active_ingredient)}) — {escape(s.target_pest)}<br>"
            f"<small>{_w('sprayed', lang, day=day_in(s.applied_on, lang))}, {_w('phi', lang, days=s.phi_days)}"
            f"{by}</small><br>{verdict}</li>"
        )
    return f"<section><h2>{_w('sprays', lang)}</h2><ul>{''.join(items)}</ul></section>"


def _fertilisers(story: LotStory, lang: Lang) -> str:
    if not story.fertilisers:
        return f"<section><h2>{_w('fertilisers', lang)}</h2><p>{_w('no_fertilisers', lang)}</p></section>"
    methods = _METHOD_VI if lang == "vi" else _METHOD_EN
    items = "".join(
        f"<li><b>{escape(f.product)}</b> — {escape(methods.get(f.method, f.method))}, {day_in(f.applied_on, lang)}</li>"
        for f in story.fertilisers
    )
    return f"<section><h2>{_w('fertilisers', lang)}</h2><ul>{items}</ul></section>"


def _conditions(story: LotStory, lang: Lang) -> str:
    c = story.conditions
    if c is None:
        return f"<section><h2>{_w('conditions', lang)}</h2><p>{_w('no_conditions', lang)}</p></section>"
    lines = []
    if c.min_air_temp_c is not None and c.max_air_temp_c is not None:
        lines.append(
            _w("temp_range", lang, low=number(c.min_air_temp_c, 1, lang), high=number(c.max_air_temp_c, 1, lang))
        )
    if c.mean_vpd_kpa is not None:
        lines.append(_w("vpd", lang, vpd=number(c.mean_vpd_kpa, 2, lang)))
    if c.mean_dli_mol_m2_d is not None:
        lines.append(_w("dli", lang, dli=number(c.mean_dli_mol_m2_d, 1, lang)))
    if c.frost_nights:
        lines.append(_w("frost", lang, n=c.frost_nights))
    if c.water_l:
        lines.append(_w("water", lang, litres=number(c.water_l, 0, lang)))
    span = _w("days_measured", lang, n=c.days_measured, first=day_in(c.first_day, lang), last=day_in(c.last_day, lang))
    items = "".join(f"<li>{line}</li>" for line in lines)
    return f"<section><h2>{_w('conditions', lang)}</h2><ul>{items}</ul><small>{span}</small></section>"


def _certificate(story: LotStory, lang: Lang) -> str:
    cert = story.certificate
    if cert is None:
        return f"<section><h2>{_w('certificate', lang)}</h2><p>{_w('no_certificate', lang)}</p></section>"
    line = _w(
        "cert_line",
        lang,
        number=cert.number,
        issuer=cert.issued_by,
        start=day_in(cert.valid_from, lang),
        end=day_in(cert.valid_until, lang),
    )
    expired = "" if story.certificate_valid else f' <span class="bad">{_w("cert_expired", lang)}</span>'
    return f"<section><h2>{_w('certificate', lang)}</h2><p>{line}{expired}</p></section>"
