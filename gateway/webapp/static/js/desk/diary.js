// The record book at the desk (technicians, admins, agronomists): the entries of a period in every greenhouse, with
// their corrections — "Sửa" on each for those who may correct, the form prefilled and a reason asked; the original
// stays, struck through —, the harvest lots with the switch that shows one on its public page and its labels, and
// the period's VietGAP dossier (PDF, and CSV tables in a ZIP) and EPCIS document to download.

import * as api from "../api.js";
import { h, setText } from "../dom.js";
import { currentLang, nameOf, t } from "../lang.js";
import { live } from "../live.js";
import { may } from "../model.js";
import { dayWords, daysAfter, entryForm, entryLine, today, zonesOf } from "../views/diary.js";
import { failed, field, loading } from "./common.js";

const PERIOD_DAYS = 90; // a season, about
const SHEET_COPIES = 24; // an A4 sheet of stickers
const MAX_COPIES = 240; // ten sheets (gateway/api/diary_routes.py)

const greenhouses = () => [...live.greenhouses.values()].sort((a, b) => nameOf(a).localeCompare(nameOf(b), currentLang()));
const byNewest = (a, b) => b.entry.day.localeCompare(a.entry.day) || b.entry.recorded_at.localeCompare(a.entry.recorded_at);

// A file the gateway makes, saved on the phone or computer under the gateway's name for it (else `name`); its
// refusal (a label within a spray's interval) in words beside the button instead of a file of JSON. `path()`: its
// address as the page's choices are now.
function fileLink(text, path, name, out) {
  const a = h("a", { class: "button-link", href: path(), download: name, text });
  a.addEventListener("click", async (event) => {
    event.preventDefault();
    a.href = path();
    a.setAttribute("aria-busy", "true");
    setText(out, "");
    try {
      const file = await api.fileFrom(a.href);
      const url = URL.createObjectURL(file.blob);
      const save = h("a", { href: url, download: file.name ?? name, hidden: true });
      document.body.append(save);
      save.click();
      save.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setText(out, err.status === 0 ? t("desk.offline") : err.message);
    }
    a.removeAttribute("aria-busy");
  });
  return a;
}

function lotCard(lot, me, copies) {
  const gh = live.greenhouses.get(lot.greenhouse);
  const zone = zonesOf(gh).find((z) => z.id === lot.zone)?.name;
  const out = h("p", { class: "error", role: "alert" });
  const label = (layout) => {
    const params = () => api.query(layout === "sheet" ? { layout, copies: copies() } : { layout });
    const link = fileLink(t(`ddesk.label_${layout}`), () => `/api/v1/lots/${encodeURIComponent(lot.code)}/label.pdf?${params()}`, `${lot.code}-${layout}.pdf`, out);
    link.dataset.label = layout;
    return link;
  };
  const page = h("a", { class: "chip-link public-page", href: `/lot/${encodeURIComponent(lot.code)}`, target: "_blank", rel: "noopener", text: t("ddesk.public_page"), hidden: !lot.published });
  let toggle = null;
  if (may(me, "publish_lots")) {
    toggle = h("input", { type: "checkbox", checked: lot.published, "data-publish": lot.code });
    toggle.addEventListener("change", async () => {
      toggle.disabled = true;
      setText(out, "");
      try {
        lot = await api.publishLot(lot.code, toggle.checked);
      } catch (err) {
        setText(out, err.message);
      }
      toggle.checked = lot.published;
      page.hidden = !lot.published;
      toggle.disabled = false;
    });
  }
  const where = [gh ? nameOf(gh) : null, zone].filter(Boolean).join(" · ");
  return h(
    "section",
    { class: "item lot", "data-lot": lot.code },
    h("h4", { text: `${lot.code} · ${lot.crop}` }),
    h("p", { text: t("ddesk.lot_line", { where, day: dayWords(lot.harvested_on), kg: lot.quantity_kg.toLocaleString(currentLang() === "vi" ? "vi-VN" : "en-GB") }) }),
    toggle ? h("label", { class: "check" }, toggle, h("span", { text: t("ddesk.publish") })) : h("p", { class: "hint", text: t(lot.published ? "ddesk.published" : "ddesk.not_published") }),
    h("div", { class: "actions" }, may(me, "record_diary") ? [label("sheet"), label("thermal")] : null, page),
    out,
  );
}

function exportsPart(first, last) {
  const out = h("p", { class: "error", role: "alert" });
  const period = api.query({ first, last });
  const links = [
    ["ddesk.dossier_pdf", `/api/v1/diary/dossier.pdf?${period}`, `nhat-ky_${first}_${last}.pdf`, "dossier-pdf"],
    ["ddesk.dossier_zip", `/api/v1/diary/dossier.zip?${period}`, `nhat-ky_${first}_${last}.zip`, "dossier-zip"],
    ["ddesk.epcis", `/api/v1/diary/epcis.jsonld?${period}`, `epcis_${first}_${last}.jsonld`, "epcis"],
  ].map(([key, path, name, id]) => {
    const link = fileLink(t(key), () => path, name, out);
    link.dataset.export = id;
    return link;
  });
  return h(
    "section",
    { "data-part": "exports" },
    h("h3", { text: t("ddesk.exports") }),
    h("p", { class: "hint", text: t("ddesk.exports_hint", { first: dayWords(first), last: dayWords(last) }) }),
    h("div", { class: "actions" }, links),
    out,
  );
}

export function deskDiaryView() {
  const el = h("div", { class: "desk diary-desk" }, loading());
  const period = { first: daysAfter(today(), -PERIOD_DAYS), last: today(), greenhouse: "" };
  const body = h("div");
  const said = h("div", { role: "status" });
  let me = null;
  let products = [];
  let lots = [];

  function picker() {
    const first = h("input", { type: "date", value: period.first, "data-input": "first" });
    const last = h("input", { type: "date", value: period.last, "data-input": "last" });
    const house = h(
      "select",
      { "data-input": "greenhouse" },
      h("option", { value: "", text: t("ddesk.all_houses") }),
      greenhouses().map((gh) => h("option", { value: gh.greenhouse, selected: gh.greenhouse === period.greenhouse, text: nameOf(gh) })),
    );
    const show = h("button", { type: "button", class: "go", text: t("ddesk.show") });
    show.addEventListener("click", () => {
      Object.assign(period, { first: first.value || period.first, last: last.value || period.last, greenhouse: house.value });
      load();
    });
    return h(
      "section",
      { "data-part": "period" },
      h("div", { class: "actions" }, field(t("ddesk.first"), first), field(t("ddesk.last"), last)),
      field(t("desk.greenhouse"), house),
      h("div", { class: "actions" }, show),
    );
  }

  function entriesPart(items) {
    const mayCorrect = may(me, "correct_diary");
    const line = (item) => {
      const gh = live.greenhouses.get(item.entry.greenhouse) ?? null;
      const fix = h("button", { type: "button", class: "secondary", "data-correct": item.entry.id, text: t("diary.fix") });
      const li = entryLine(item, gh, { house: true, actions: mayCorrect && !item.corrected_by ? [fix] : [] });
      fix.addEventListener("click", () => {
        const form = entryForm({
          kind: item.entry.detail.kind,
          gh,
          me,
          start: item.entry,
          correcting: item.entry,
          products,
          lots: lots.filter((lot) => lot.greenhouse === item.entry.greenhouse),
          done: () => {
            said.replaceChildren(h("p", { class: "running", text: t("ddesk.corrected") }));
            load();
          },
          cancel: () => form.replaceWith(li),
        });
        li.replaceWith(form);
      });
      return li;
    };
    return h(
      "section",
      { "data-part": "entries" },
      h("h3", { text: t("ddesk.entries", { n: items.length }) }),
      items.length ? h("ul", { class: "entries" }, items.sort(byNewest).map(line)) : h("p", { class: "empty", text: t("diary.none") }),
    );
  }

  function lotsPart() {
    const copies = h("input", { type: "number", min: "1", max: String(MAX_COPIES), step: "1", inputmode: "numeric", value: String(SHEET_COPIES), "data-input": "copies" });
    const count = () => Math.min(MAX_COPIES, Math.max(1, Math.round(Number(copies.value) || SHEET_COPIES)));
    const shown = lots
      .filter((lot) => (!period.greenhouse || lot.greenhouse === period.greenhouse) && lot.harvested_on >= period.first && lot.harvested_on <= period.last)
      .sort((a, b) => b.harvested_on.localeCompare(a.harvested_on) || b.code.localeCompare(a.code));
    return h(
      "section",
      { "data-part": "lots" },
      h("h3", { text: t("ddesk.lots", { n: shown.length }) }),
      shown.length && may(me, "record_diary") ? field(t("ddesk.copies"), copies) : null,
      shown.length ? shown.map((lot) => lotCard(lot, me, count)) : h("p", { class: "empty", text: t("ddesk.no_lots") }),
    );
  }

  async function gapsPart() {
    try {
      const gaps = await api.diaryGaps();
      if (!gaps.length) return null;
      return h("section", { "data-part": "gaps" }, h("h3", { text: t("diary.gaps") }), h("ul", { class: "gaps" }, gaps.map((g) => h("li", { text: g.said }))));
    } catch {
      return null; // what is missing is told again at the next look
    }
  }

  async function load() {
    body.replaceChildren(loading());
    try {
      me ??= await api.whoAmI();
      const query = { first: period.first, last: period.last, greenhouse: period.greenhouse || undefined };
      let entries;
      [entries, lots, products] = await Promise.all([api.diaryEntries(query), api.lots(), api.diaryProducts()]);
      // What the period gives to download first, what is missing, then the lots and every entry.
      const exports = may(me, "export_diary") ? exportsPart(period.first, period.last) : null;
      const parts = [exports, await gapsPart(), lotsPart(), entriesPart(entries)];
      body.replaceChildren(...parts.filter(Boolean));
    } catch (err) {
      body.replaceChildren(failed(err));
    }
  }

  el.replaceChildren(picker(), said, body);
  load();
  return { el, update() {} };
}
