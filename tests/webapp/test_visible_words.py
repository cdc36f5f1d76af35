"""Every text a user can see, on every screen of the farmer, the technician, the agronomist and the admin, in
both languages, against the running demo in Chromium at phone size: none is an internal id, a formula, a
programmer's placeholder ("null", "undefined", "NaN") or in the other language.

Not a list of known strings: each screen's visible text nodes (and the placeholders and titles a user reads)
are collected and checked, so a text added tomorrow is checked too. What a technician types — the YAML in an
editor — is the technician's own words and is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from contract.devices.profile import shipped_profiles
from contract.naming import Named
from contract.reasons import _TEXT as REASON_TEXTS
from contract.site import SiteConfig
from contract.site_file import load_site
from contract.wording import Lang
from rules.model import load_rules
from tests.webapp.conftest import Demo, require_browser, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

require_browser()

pytestmark = pytest.mark.slow
Shot = Callable[..., None]

# The visible texts of the page: text nodes under elements that take room on the screen, and what inputs show.
VISIBLE_TEXTS = """() => {
    const shown = (el) => {
        for (let e = el; e; e = e.parentElement) {
            const style = getComputedStyle(e);
            if (style.display === "none" || style.visibility === "hidden") return false;
        }
        return el.getClientRects().length > 0;
    };
    // The technician's own words (a file's text, the ids a site file gives) and what is written in another
    // language on purpose, marked as such (the switch to the other language).
    const page = document.documentElement.lang;
    const own = (el) => el.closest("textarea, .yaml, code, pre, [contenteditable]") !== null
        || (el.closest("[lang]")?.lang ?? page) !== page;
    const out = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.nodeValue.trim();
        if (text && shown(n.parentElement) && !own(n.parentElement)) out.push(text);
    }
    for (const el of document.querySelectorAll("[placeholder], [title], [aria-label]")) {
        if (!shown(el) || own(el)) continue;
        for (const a of ["placeholder", "title", "aria-label"]) if (el.getAttribute(a)) out.push(el.getAttribute(a));
    }
    out.push(document.title);
    return out;
}"""

# Letters only Vietnamese writes (with its tone marks): none may show in English outside the site's English names.
VIETNAMESE_LETTERS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ]")
PLACEHOLDERS = re.compile(r"\b(null|undefined|NaN|Infinity)\b|\[object |\{\w+\}|\$\{")
# A formula: a function call over names, or a name compared with a number by a programmer's operator.
FORMULA = re.compile(r"\b[a-z_]+\([a-z0-9_, -]+\)|[\w)]\s*(==|!=|<=|>=|=|<|>)\s*-?\d")
WORD = re.compile(r"[^\W\d_]+")
# Written the same in both languages: units, brands and the abbreviations a reader sees on devices.
SHARED = {"ppm", "lux", "kpa", "vpd", "par", "csv", "gap", "pH", "ph", "ok", "id", "rtu", "tcp", "modbus", "mqtt"}


@dataclass(frozen=True)
class Words:
    site_names: dict[str, list[str]]  # by language: the site's names a reader of it sees, longest first
    ids: re.Pattern[str]
    english: frozenset[str]  # words only the English texts use
    busy: list[str]  # the app's words for something still under way, in both languages ("Đang tải…")


def _site_names(site: SiteConfig, rules: list[Named], lang: Lang, others: list[str]) -> list[str]:
    """The names the site and rule files give, in ``lang`` (an English reader is shown the English ones), with
    the names that are the same in both (users, device models)."""
    named: list[Named] = [site.cooperative, *rules]
    for gh in site.greenhouses:
        named += [gh, *gh.zones, *gh.sensors.values(), *gh.actuators.values()]
    names = {n.label_in(lang) for n in named} | set(others)
    return sorted((n for n in names if n), key=len, reverse=True)


def _ids(site: SiteConfig) -> re.Pattern[str]:
    ids = {site.cooperative.id}
    for gh in site.greenhouses:
        ids |= {gh.id, *(z.id for z in gh.zones), *gh.sensors, *gh.actuators, *(n.id for n in gh.nodes)}
        ids |= {b.id for b in gh.buses}
    # An id that is also a plain word ("fan") cannot be told from the word; one with a dash, a digit or an
    # underscore can, and so can any token shaped like one.
    shaped = sorted((i for i in ids if re.search(r"[-_\d]", i)), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, shaped)) + r"|[a-z]+_[a-z_]+)(?![\w-])")


def _english_only(app_strings: dict[str, dict[str, str]]) -> frozenset[str]:
    def words(texts: list[str]) -> set[str]:
        return {w.lower() for t in texts for w in WORD.findall(re.sub(r"\{\w+\}", " ", t)) if len(w) >= 3}

    en = words(list(app_strings["en"].values()) + [t[1] for t in REASON_TEXTS.values()])
    vi = words(list(app_strings["vi"].values()) + [t[0] for t in REASON_TEXTS.values()])
    return frozenset(en - vi - SHARED)


def problems(texts: list[str], lang: str, words: Words) -> list[str]:
    found = []
    for raw in texts:
        text = raw
        for name in words.site_names[lang]:
            text = text.replace(name, " ")
        why = []
        if PLACEHOLDERS.search(text):
            why.append("placeholder")
        if words.ids.search(text):
            why.append(f"internal id {words.ids.search(text).group(0)!r}")
        if FORMULA.search(text):
            why.append("formula")
        if lang == "en" and VIETNAMESE_LETTERS.search(text):
            why.append("Vietnamese in English")
        if lang == "vi":
            english = sorted({w for w in WORD.findall(text) if w.lower() in words.english})
            if english:
                why.append(f"English in Vietnamese {english}")
        if why:
            found.append(f"{raw!r}: {', '.join(why)}")
    return found


_WORDS: dict[str, Words] = {}


def _words(page: Page, demo: Demo) -> Words:
    """The site's names and ids, and the app's English-only words, read once per demo."""
    if demo.url not in _WORDS:
        site = load_site(demo.data_dir / "site.yaml")
        strings = page.evaluate('async () => (await import("/static/js/strings.js")).STRINGS')
        rules: list[Named] = [r for gh in site.greenhouses if gh.rules_file for r in load_rules(gh.rules_file).rules]
        models = [m for p in shipped_profiles().values() for m in p.models if " " not in m]  # "CWT-Soil-THC-S"
        others = [*demo.passwords, *models]
        names = {lang: _site_names(site, rules, lang, others) for lang in ("vi", "en")}
        busy = sorted({text for texts in strings.values() for text in texts.values() if text.endswith("…")})
        _WORDS[demo.url] = Words(names, _ids(site), _english_only(strings), busy)
    return _WORDS[demo.url]


def _screens(role_user: str) -> list[str]:
    """Each role's own screens; the greenhouse screens every role shares are walked as the farmer."""
    return {
        "nong-dan": ["#/", "#/gh/ca-chua-1", "#/gh/ca-chua-1/charts", "#/gh/ca-chua-1/alerts", "#/gh/rau-la-1"],
        "ky-thuat": ["#/", "#/setup/ca-chua-1", "#/rules/ca-chua-1", "#/devices/ca-chua-1"],
        "ky-su": ["#/history", "#/"],
        "demo-admin": ["#/users"],
    }[role_user]


# Added to the page before its own scripts: which address the app was last told of (its own handler draws the
# screen in the same event), and how many of the page's requests are not yet answered and read. A request counts
# until a task after its answer was read, so that what the app draws from it (in the promise callbacks that follow)
# is on the screen by then, and a request made from those callbacks is counted before the first one stops being.
WATCH_FILLING = """(() => {
    let unread = 0;
    const later = () => setTimeout(() => { unread -= 1; }, 0);
    const send = window.fetch;
    window.__drawn = location.hash;
    window.addEventListener("hashchange", () => { window.__drawn = location.hash; });
    Object.defineProperty(window, "__unread", { get: () => unread });
    window.fetch = (...args) => {
        unread += 1;
        const sent = send.apply(window, args).then((res) => {
            for (const read of ["json", "text", "blob", "arrayBuffer", "formData"]) {
                res[read] = (...more) => {
                    unread += 1;
                    const body = Response.prototype[read].apply(res, more);
                    body.then(later, later);
                    return body;
                };
            }
            return res;
        });
        sent.then(later, later);
        return sent;
    };
})()"""

# The screen the address names is drawn and filled in: nothing asked of the gateway is still unanswered or unread,
# no text on the screen says that something is still under way ("Đang tải…", shown while a desk page's code comes;
# the same words in a part folded shut wait for it to be opened), and no notification line still checks this phone.
FILLED_IN = """(busy) => {
    if (document.readyState !== "complete" || window.__drawn !== location.hash || window.__unread !== 0) return false;
    if (document.querySelector('[data-state="checking"], [data-allowed="checking"]')) return false;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const rendered = { visibilityProperty: true, checkVisibilityCSS: true };
        if (busy.some((b) => n.nodeValue.includes(b)) && n.parentElement.checkVisibility(rendered)) return false;
    }
    return true;
}"""


def _settle(page: Page, words: Words) -> None:
    """Until live values, charts and desk pages have filled in after the first paint."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(FILLED_IN, arg=words.busy)


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("user", ["nong-dan", "ky-thuat", "ky-su", "demo-admin"])
def test_every_visible_text_is_plain_words_in_the_chosen_language(
    phone: BrowserContext, demo: Demo, screenshot: Shot, user: str, lang: str
) -> None:
    page = phone.new_page()
    page.add_init_script(f'localStorage.setItem("gh.lang", "{lang}")')
    page.add_init_script(WATCH_FILLING)
    sign_in(page, demo, user)
    words = _words(page, demo)
    found: list[str] = []
    for screen in _screens(user):
        page.goto(f"{demo.url}/{screen}")
        _settle(page, words)
        found += [f"{screen}: {p}" for p in problems(page.evaluate(VISIBLE_TEXTS), lang, words)]
        if screen == "#/gh/ca-chua-1" and user == "nong-dan":
            page.locator(".device").first.click()  # the sheet a farmer waters from
            _settle(page, words)
            found += [f"{screen} sheet: {p}" for p in problems(page.evaluate(VISIBLE_TEXTS), lang, words)]
            screenshot(page, f"words-{user}-sheet-{lang}")
    screenshot(page, f"words-{user}-{lang}", full_page=True)
    assert not found, "\n".join(found)


def test_the_checks_catch_what_they_are_for(phone: BrowserContext, demo: Demo) -> None:
    """Each check fails on the kind of text it exists for, so a green run means something."""
    page = phone.new_page()
    page.goto(demo.url + "/")
    words = _words(page, demo)
    bad = {
        "vi": ["tank-level = 19.9 < 25", "mean(soil-a1, soil-a2)", "null", "1 alerts", "NaN %", "nút relays {name}"],
        "en": ["Đang tưới khu A", "undefined", "soil_vwc_pct", "Nhà màng cà chua 1"],  # the site's Vietnamese name
    }
    for lang, texts in bad.items():
        assert len(problems(texts, lang, words)) == len(texts), problems(texts, lang, words)
    assert problems(["Mực nước bể 19,9 % — dưới 25 %", "Trời lạnh: 9 °C lúc 3 giờ sáng"], "vi", words) == []
    assert problems(["Tank level 19.9 % — below 25 %", "Tomato house 1"], "en", words) == []
