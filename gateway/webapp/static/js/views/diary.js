// The record book of one greenhouse (nhật ký sản xuất, VietGAP), the farmer's fourth tab: a big button for what
// she does most (spray, fertilise, harvest, note a pest) and the rest under "Khác"; each opens a short form with
// the zone, today and what the book remembers already filled in, and one "Lưu". A harvest is checked against the
// sprays' intervals before it is sent. Below: the days the controller drafted, waiting for a tap; what the book
// still lacks; what was recorded lately. Everything saved goes through the phone's queue (diary_queue.js), so that
// a spray recorded without a signal is kept and sent later.
// The technician's page (desk/diary.js) uses the same form to correct an entry and the same lines to list them.

import * as api from "../api.js";
import { serverNow, wallTime } from "../clock.js";
import { Refused, Waiting, dismiss, newEntryId, onQueueChange, queued, record } from "../diary_queue.js";
import { h, setText } from "../dom.js";
import { keptOr } from "../kept.js";
import { currentLang, nameOf, t, zoneNameOf } from "../lang.js";
import { may } from "../model.js";
import { STRINGS } from "../strings.js";

const MAIN_KINDS = ["protection", "fertiliser", "harvest", "observation"];
const OTHER_KINDS = [
  "planting",
  "input_purchase",
  "irrigation",
  "fertigation",
  "packing",
  "sale",
  "cleaning",
  "disposal",
  "water_test",
  "training",
  "internal_audit",
];
const ZONE_KINDS = new Set(["planting", "fertiliser", "protection", "irrigation", "harvest"]); // contract/diary.py
const ZONE_MAY = new Set(["observation", "fertigation"]); // in one zone, or the whole greenhouse; the rest: the house
const UNITS = ["kg", "g", "l", "ml", "package", "m2", "seed", "plant"];
const CATEGORIES = ["protection", "fertiliser", "seed", "other"];
const RECENT_DAYS = 60;
const MAX_PHOTO_CHARS = 200_000; // contract/diary.py: a photo the gateway takes
const PHOTO_SIDE_PX = 1024;

// Each kind's form: its detail's fields in the order a farmer fills them in. `type`: text, note (lines), number,
// count (whole), quantity (a number and a unit), day, passed (yes or no), category, lot, photo.
const f = (key, type = "text", more = {}) => ({ key, type, ...more });
const optional = { optional: true };
const FORMS = {
  protection: [
    f("product"),
    f("active_ingredient"),
    f("dose", "quantity", { unit: "ml" }),
    f("water_l", "number"),
    f("target_pest"),
    f("phi_days", "count"),
    f("sprayed_by"),
  ],
  fertiliser: [f("product"), f("dose", "quantity", { unit: "kg" }), f("method")],
  harvest: [f("crop"), f("quantity_kg", "number")],
  observation: [f("pest", "text", optional), f("disease", "text", optional), f("note", "note", optional), f("photo", "photo", optional)],
  planting: [
    f("crop"),
    f("variety"),
    f("seed_source"),
    f("seed_lot", "text", optional),
    f("area_m2", "number"),
    f("quantity", "quantity", { unit: "plant", optional: true }),
  ],
  input_purchase: [
    f("category", "category"),
    f("product"),
    f("supplier"),
    f("quantity", "quantity", { unit: "package" }),
    f("expiry", "day", optional),
    f("invoice_no", "text", optional),
  ],
  irrigation: [f("water_l", "number"), f("runs", "count"), f("open_min", "number")],
  fertigation: [f("product"), f("dose", "quantity", { unit: "kg" }), f("water_l", "number"), f("runs", "count")],
  frost_night: [f("min_air_temp_c", "number"), f("hours_below", "number"), f("watch_temp_c", "number")],
  climate_day: [
    f("min_air_temp_c", "number"),
    f("max_air_temp_c", "number"),
    f("mean_vpd_kpa", "number", optional),
    f("dli_mol_m2_d", "number", optional),
  ],
  packing: [f("lot", "lot"), f("packed_kg", "number"), f("packages", "count"), f("packaging")],
  sale: [f("lot", "lot"), f("quantity_kg", "number"), f("buyer")],
  water_test: [f("laboratory"), f("passed", "passed"), f("note", "note", optional)],
  training: [f("topic"), f("trainer"), f("attendees", "count")],
  internal_audit: [f("auditor"), f("findings", "note")],
  disposal: [f("what"), f("quantity", "quantity", { unit: "kg" }), f("method")],
  cleaning: [f("what"), f("method")],
};
// What a form starts with, before anything remembered.
const STARTS = { irrigation: { runs: 1 }, fertigation: { runs: 1 }, water_test: { passed: true } };

// --- words ---------------------------------------------------------------------------------------------------

const pad = (n) => String(n).padStart(2, "0");
const locale = () => (currentLang() === "vi" ? "vi-VN" : "en-GB");

export const kindName = (kind) => t(`diary.kind.${kind}`);

// "2026-01-15": the greenhouse's date at that instant, as the API reads and writes days.
export function dayOf(ms) {
  const w = wallTime(ms);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

export const today = () => dayOf(serverNow());

export function daysAfter(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(Date.UTC(y, m - 1, d + n)).toISOString().slice(0, 10);
}

// As the reader writes a day: 15/01/2026, 15 Jan 2026.
export function dayWords(day) {
  const [y, m, d] = day.split("-").map(Number);
  if (currentLang() === "vi") return `${pad(d)}/${pad(m)}/${y}`;
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
}

// "1.240" in Vietnamese, "1,240" in English; at most two decimals.
const amount = (v) => v.toLocaleString(locale(), { maximumFractionDigits: 2 });
const quantity = (q) => (q ? `${amount(q.value)} ${t(`diary.unit.${q.unit}`)}` : null);

// The zones of a greenhouse by their names, in the site's order, from its live picture (never their ids).
export function zonesOf(gh) {
  const found = new Map();
  for (const x of [...(gh?.sensors ?? []), ...(gh?.actuators ?? [])]) if (x.zone && !found.has(x.zone)) found.set(x.zone, zoneNameOf(x));
  return [...found].map(([id, name]) => ({ id, name }));
}

const zoneName = (gh, id) => zonesOf(gh).find((z) => z.id === id)?.name ?? "";

// What an entry says, in one line: "Regent 800WG · 25 ml · 400 lít nước · sâu tơ · cách ly 7 ngày".
const SUMMARY = {
  protection: (d) => [d.product, quantity(d.dose), t("diary.s.water", { l: amount(d.water_l) }), d.target_pest, t("diary.s.phi", { n: d.phi_days })],
  fertiliser: (d) => [d.product, quantity(d.dose), d.method],
  harvest: (d) => [d.crop, `${amount(d.quantity_kg)} kg`, d.lot ? t("diary.s.lot", { lot: d.lot }) : null],
  observation: (d) => [d.pest, d.disease, d.note],
  planting: (d) => [d.crop, d.variety, `${amount(d.area_m2)} m²`, quantity(d.quantity)],
  input_purchase: (d) => [d.product, quantity(d.quantity), d.supplier],
  irrigation: (d) => [t("diary.s.water", { l: amount(d.water_l) }), t("diary.s.runs", { n: d.runs })],
  fertigation: (d) => [d.product, quantity(d.dose), t("diary.s.water", { l: amount(d.water_l) })],
  frost_night: (d) => [t("diary.s.frost", { c: amount(d.min_air_temp_c), h: amount(d.hours_below) })],
  climate_day: (d) => [t("diary.s.climate", { low: amount(d.min_air_temp_c), high: amount(d.max_air_temp_c) })],
  packing: (d) => [t("diary.s.lot", { lot: d.lot }), t("diary.s.packages", { n: d.packages, what: d.packaging }), `${amount(d.packed_kg)} kg`],
  sale: (d) => [t("diary.s.lot", { lot: d.lot }), `${amount(d.quantity_kg)} kg`, d.buyer],
  water_test: (d) => [d.laboratory, t(d.passed ? "diary.s.passed" : "diary.s.failed"), d.note],
  training: (d) => [d.topic, d.trainer, t("diary.s.attendees", { n: d.attendees })],
  internal_audit: (d) => [d.auditor, d.findings],
  disposal: (d) => [d.what, quantity(d.quantity), d.method],
  cleaning: (d) => [d.what, d.method],
};

export const summary = (detail) => (SUMMARY[detail.kind]?.(detail) ?? []).filter(Boolean).join(" · ");

// The Vietnamese name of the greenhouse's crop: a harvest's product, as its lot's page and label read it (the
// public page says it in English to an English reader).
const cropName = (gh) => STRINGS.vi[`crop.${gh?.crop}`] ?? "";

// A field's label: the kind's own where it has one ("Tên thuốc" for a spray's product), else the field's.
function label(kind, key) {
  const own = `diary.f.${kind}.${key}`;
  return t(own in STRINGS.vi ? own : `diary.f.${key}`);
}

// --- what the phone remembers for the next form: the zone last used in each greenhouse, who sprayed ----------

const lastKey = (me) => `gh.diary.last:${me?.name ?? ""}`;

function remembered(me) {
  try {
    return JSON.parse(localStorage.getItem(lastKey(me)) ?? "null") ?? { zones: {} };
  } catch {
    return { zones: {} };
  }
}

function remember(me, gh, entry) {
  const last = remembered(me);
  if (entry.zone) last.zones[gh] = entry.zone;
  if (entry.detail.sprayed_by) last.sprayed_by = entry.detail.sprayed_by;
  try {
    localStorage.setItem(lastKey(me), JSON.stringify(last));
  } catch {
    // storage full: the next form starts from the first zone
  }
}

// --- one entry, in a list -------------------------------------------------------------------------------------

// `item`: {entry, corrected_by, state (the queue's), said (a refusal)}; `gh`: the live picture of its greenhouse
// (for names; null for the farm's own entries); `house`: the greenhouse named too (a list of several);
// `actions`: buttons to put under it.
export function entryLine(item, gh, { house = false, actions = [] } = {}) {
  const e = item.entry;
  const tags = [
    e.source === "sensor" ? h("span", { class: "tag sensor", text: t("diary.from_sensor") }) : null,
    item.state === Waiting ? h("span", { class: "tag waiting", text: t("diary.waiting") }) : null,
    item.corrected_by ? h("span", { class: "tag corrected", text: t("diary.corrected") }) : null,
  ].filter(Boolean);
  const place = e.zone ? zoneName(gh, e.zone) : house ? "" : t(e.greenhouse ? "diary.whole_house" : "diary.whole_farm");
  const where = [house ? (gh ? nameOf(gh) : t("diary.whole_farm")) : null, place].filter(Boolean).join(" · ");
  const classes = ["entry", item.corrected_by ? "struck" : "", item.state ?? ""].filter(Boolean).join(" ");
  return h(
    "li",
    { class: classes, "data-entry": e.id, "data-kind": e.detail.kind },
    h("div", { class: "entry-head" }, h("b", { text: kindName(e.detail.kind) }), h("span", { class: "where", text: where }), h("span", { class: "day", text: dayWords(e.day) })),
    h("div", { class: "what", text: summary(e.detail) }),
    e.detail.photo ? h("img", { class: "photo-thumb", src: e.detail.photo, alt: t("diary.f.photo") }) : null,
    e.corrects ? h("div", { class: "why", text: t("diary.correction", { why: e.why ?? "" }) }) : null,
    house && e.recorded_by ? h("div", { class: "by", text: t("diary.by", { who: e.recorded_by }) }) : null,
    tags.length ? h("div", { class: "tags" }, tags) : null,
    item.state === Refused ? h("p", { class: "error", role: "alert", text: t("diary.refused", { said: item.said }) }) : null,
    actions.length ? h("div", { class: "actions" }, actions) : null,
  );
}

// --- the form ---------------------------------------------------------------------------------------------------

// A number as the reader types it: "1,5" or "1.240" in Vietnamese, "1.5" or "1,240" in English; a decimal typed
// the other language's way ("1.5" on a Vietnamese phone) is still read as one. "" when there is none.
function parseNumber(text) {
  let s = text.trim().replace(/\s/g, "");
  if (!s) return "";
  const [decimal, group] = currentLang() === "vi" ? [",", "."] : [".", ","];
  const grouped = new RegExp(`^\\d{1,3}(\\${group}\\d{3})+$`);
  if (s.includes(decimal)) s = s.split(group).join("").replace(decimal, ".");
  else if (grouped.test(s)) s = s.split(group).join("");
  else s = s.replace(group, ".");
  const n = Number(s);
  return Number.isFinite(n) ? n : NaN;
}

const shownNumber = (v) => (v === undefined || v === null ? "" : currentLang() === "vi" ? String(v).replace(".", ",") : String(v));

// A photo from the phone's camera, made small enough for the book (and a 3G upload): a JPEG data URL.
async function shrunk(file) {
  const url = await new Promise((ok, fail) => {
    const reader = new FileReader();
    reader.onload = () => ok(reader.result);
    reader.onerror = () => fail(reader.error);
    reader.readAsDataURL(file);
  });
  const img = new Image();
  img.src = url;
  await img.decode();
  const canvas = document.createElement("canvas");
  for (let side = PHOTO_SIDE_PX; ; side = Math.round(side * 0.75)) {
    const scale = Math.min(1, side / Math.max(img.naturalWidth, img.naturalHeight));
    canvas.width = Math.round(img.naturalWidth * scale);
    canvas.height = Math.round(img.naturalHeight * scale);
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    const out = canvas.toDataURL("image/jpeg", 0.7);
    if (out.length <= MAX_PHOTO_CHARS) return out;
  }
}

// One field: its element, and read() → {value} (undefined: left empty) or {error}.
function input(kind, spec, start, ctx) {
  const v = start[spec.key];
  const needed = () => (spec.optional ? {} : { error: t("diary.needed") });
  const box = (attrs) => h("input", { "data-field": spec.key, ...attrs });
  let el;
  let read;
  if (spec.type === "quantity") {
    const num = box({ type: "text", inputmode: "decimal", value: shownNumber(v?.value) });
    const unit = h("select", { "data-field": `${spec.key}-unit`, "aria-label": t("diary.f.unit") }, UNITS.map((u) => h("option", { value: u, selected: u === (v?.unit ?? spec.unit), text: t(`diary.unit.${u}`) })));
    el = h("div", { class: "with-unit" }, num, unit);
    read = () => {
      const n = parseNumber(num.value);
      if (n === "") return needed();
      return Number.isNaN(n) || n < 0 ? { error: t("diary.bad_number") } : { value: { value: n, unit: unit.value } };
    };
  } else if (spec.type === "number" || spec.type === "count") {
    el = box({ type: "text", inputmode: spec.type === "count" ? "numeric" : "decimal", value: shownNumber(v) });
    read = () => {
      const n = parseNumber(el.value);
      if (n === "") return needed();
      if (Number.isNaN(n) || (spec.type === "count" && !Number.isInteger(n))) return { error: t("diary.bad_number") };
      return { value: n };
    };
  } else if (spec.type === "category") {
    el = h("select", { "data-field": spec.key }, CATEGORIES.map((c) => h("option", { value: c, selected: c === v, text: t(`diary.category.${c}`) })));
    read = () => ({ value: el.value });
  } else if (spec.type === "passed") {
    el = h("select", { "data-field": spec.key }, [true, false].map((p) => h("option", { value: String(p), selected: p === v, text: t(p ? "diary.s.passed" : "diary.s.failed") })));
    read = () => ({ value: el.value === "true" });
  } else if (spec.type === "day") {
    el = box({ type: "date", value: v ?? "" });
    read = () => (el.value ? { value: el.value } : needed());
  } else if (spec.type === "note") {
    el = h("textarea", { "data-field": spec.key, rows: 3 });
    el.value = v ?? "";
    read = () => (el.value.trim() ? { value: el.value.trim() } : needed());
  } else if (spec.type === "lot" && ctx.lots.length) {
    el = h("select", { "data-field": spec.key }, ctx.lots.map((lot) => h("option", { value: lot.code, selected: lot.code === v, text: `${lot.code} · ${lot.crop} · ${dayWords(lot.harvested_on)}` })));
    read = () => ({ value: el.value });
  } else if (spec.type === "photo") {
    return photoInput(spec, v);
  } else {
    el = box({ type: "text", value: v ?? "", autocomplete: "off", ...(spec.type === "lot" ? { autocapitalize: "characters" } : {}) });
    read = () => (el.value.trim() ? { value: spec.type === "lot" ? el.value.trim().toUpperCase() : el.value.trim() } : needed());
  }
  return { spec, el, read, label: label(kind, spec.key) };
}

function photoInput(spec, start) {
  let value = start;
  const preview = h("img", { class: "photo", alt: "", hidden: !value, src: value });
  const pick = h("input", { type: "file", accept: "image/*", "data-field": spec.key }); // the camera, or a photo taken before
  const note = h("p", { class: "hint" });
  pick.addEventListener("change", async () => {
    if (!pick.files?.length) return;
    setText(note, t("diary.photo_busy"));
    try {
      value = await shrunk(pick.files[0]);
      preview.src = value;
      preview.hidden = false;
      setText(note, "");
    } catch {
      setText(note, t("diary.photo_bad"));
    }
  });
  return { spec, el: h("div", { class: "photo-field" }, pick, preview, note), read: () => (value ? { value } : {}), label: label("observation", spec.key) };
}

// The spray's (or fertiliser's) product picked from the ones the book remembers: its ingredient, dose, water,
// pest and interval fill the form; none picked, the name is typed.
function productPicker(kind, products, fields) {
  const category = kind === "protection" ? "protection" : "fertiliser";
  const known = products.filter((p) => p.category === category);
  const name = fields.find((x) => x.spec.key === "product");
  if (!known.length) return null;
  const select = h(
    "select",
    { "data-field": "pick-product" },
    h("option", { value: "", text: t("diary.pick_none") }),
    known.map((p) => h("option", { value: p.name, text: p.name })),
  );
  const set = (key, value) => {
    const field = fields.find((x) => x.spec.key === key);
    if (!field || value === null || value === undefined) return;
    if (field.spec.type === "quantity") {
      field.el.querySelector("input").value = shownNumber(value.value);
      field.el.querySelector("select").value = value.unit;
    } else {
      field.el.value = field.spec.type === "text" ? value : shownNumber(value);
    }
  };
  const show = () => {
    const p = known.find((x) => x.name === select.value);
    name.row.hidden = Boolean(p);
    name.el.value = p ? p.name : "";
    if (!p) return;
    set("active_ingredient", p.active_ingredient);
    set("dose", p.last_dose);
    set("water_l", p.last_water_l);
    set("target_pest", p.last_target);
    set("phi_days", p.phi_days);
  };
  select.addEventListener("change", show);
  return { el: select, label: t(`diary.pick.${category}`), after: show };
}

// The interval guard asked before a harvest is sent: allowed, or the gateway's sentence and the first day it is.
function harvestCheck(ghId, zoneSelect, dayInput, saveButton) {
  const el = h("div", { class: "harvest-check", role: "status", "data-allowed": "checking" });
  let asked = 0;
  async function check() {
    const ask = ++asked;
    el.dataset.allowed = "checking";
    saveButton.disabled = true;
    el.replaceChildren(h("p", { text: t("diary.harvest.checking") }));
    let answer;
    try {
      answer = await api.harvestCheck({ greenhouse: ghId, zone: zoneSelect.value, day: dayInput.value });
    } catch (err) {
      if (ask !== asked) return;
      // Without a network the gateway checks it when the harvest reaches it, and says so if it refuses.
      el.dataset.allowed = "unknown";
      el.replaceChildren(h("p", { text: err.status === 0 ? t("diary.harvest.offline") : err.message }));
      saveButton.disabled = err.status !== 0;
      return;
    }
    if (ask !== asked) return;
    el.dataset.allowed = String(answer.allowed);
    saveButton.disabled = !answer.allowed;
    if (answer.allowed) {
      el.replaceChildren(h("p", { text: t("diary.harvest.allowed") }));
      return;
    }
    const move = h("button", {
      type: "button",
      class: "secondary move-day",
      text: t("diary.harvest.move", { day: dayWords(answer.allowed_from) }),
      onclick: () => {
        dayInput.value = answer.allowed_from;
        check();
      },
    });
    el.replaceChildren(h("p", { class: "said", text: answer.said }), move);
  }
  zoneSelect.addEventListener("change", check);
  dayInput.addEventListener("change", check);
  return { el, check };
}

// The form of one kind. `start`: an entry to begin from (a draft to fix: kept under its id; an entry to correct);
// `correcting`: the entry this one corrects (a reason is then asked). `done(result)` once saved or kept on the
// phone: {entry, waiting}.
export function entryForm({ kind, gh, me, start = null, correcting = null, products = [], lots = [], done, cancel }) {
  const ghId = start?.greenhouse ?? gh?.greenhouse ?? null; // a correction keeps its entry's place
  const last = remembered(me);
  const zones = zonesOf(gh);
  const begin = { ...STARTS[kind], ...(kind === "protection" ? { sprayed_by: last.sprayed_by ?? "" } : {}), ...(kind === "harvest" ? { crop: cropName(gh) } : {}), ...start?.detail };
  const out = h("p", { class: "error", role: "alert" });
  const save = h("button", { type: "submit", class: "big save", text: t("diary.save") });

  const day = h("input", { type: "date", "data-field": "day", value: start?.day ?? today(), required: true });
  const zoned = ZONE_KINDS.has(kind);
  const lastZone = zones.some((z) => z.id === last.zones[ghId]) ? last.zones[ghId] : zones[0]?.id;
  const firstZone = start ? start.zone : zoned ? lastZone : "";
  // A draft being fixed keeps the day and the zone the controller measured: only its numbers change.
  const measured = Boolean(start) && !correcting;
  day.disabled = measured;
  const zone = h(
    "select",
    { "data-field": "zone", disabled: measured },
    zoned ? null : h("option", { value: "", text: t("diary.whole_house") }),
    zones.map((z) => h("option", { value: z.id, selected: z.id === firstZone, text: z.name })),
  );
  const fields = FORMS[kind].map((spec) => input(kind, spec, begin, { lots }));
  const row = (labelText, el, extra = null) => h("label", { class: "field" }, h("span", { text: labelText }), el, extra);
  for (const x of fields) {
    x.problem = h("span", { class: "form-error" });
    x.row = x.spec.type === "photo" ? h("div", { class: "field" }, h("span", { text: x.label }), x.el) : row(x.label, x.el, x.problem);
  }
  const picker = ["protection", "fertiliser"].includes(kind) && !start ? productPicker(kind, products, fields) : null;
  const check = kind === "harvest" ? harvestCheck(ghId, zone, day, save) : null;
  const why = correcting ? h("textarea", { "data-field": "why", rows: 2, required: true }) : null;
  const whyProblem = h("span", { class: "form-error" });

  async function submit(event) {
    event.preventDefault();
    setText(out, "");
    const detail = { ...start?.detail, kind };
    let bad = false;
    for (const x of fields) {
      const got = x.read();
      setText(x.problem, got.error ?? "");
      bad ||= Boolean(got.error);
      if (got.value === undefined) delete detail[x.spec.key];
      else detail[x.spec.key] = got.value;
    }
    if (why && !why.value.trim()) {
      setText(whyProblem, t("diary.needed"));
      bad = true;
    }
    if (bad || !day.value) return setText(out, t("diary.fix_fields"));
    // The book keeps everything for good: a note with nothing in it is not written there.
    if (kind === "observation" && !["pest", "disease", "note", "photo"].some((k) => detail[k])) return setText(out, t("diary.empty_note"));
    const entry = {
      id: start && !correcting ? start.id : newEntryId(),
      day: day.value,
      greenhouse: ghId,
      zone: zone.value || null,
      detail,
      source: "typed",
      ...(correcting ? { corrects: correcting.id, why: why.value.trim() } : {}),
    };
    save.disabled = true;
    setText(save, t("diary.saving"));
    try {
      const answer = await record(entry);
      remember(me, ghId, entry);
      done(answer.saved ? { entry: answer.saved.entry, waiting: false } : { entry, waiting: true });
    } catch (err) {
      setText(out, err.message);
      save.disabled = false;
      setText(save, t("diary.save"));
    }
  }

  const el = h(
    "form",
    { class: "entry-form", "data-kind": kind, novalidate: true, onsubmit: submit },
    h("h2", { text: correcting ? t("diary.correcting", { what: kindName(kind) }) : kindName(kind) }),
    correcting ? h("p", { class: "hint", text: summary(correcting.detail) }) : null,
    zones.length && (zoned || ZONE_MAY.has(kind)) ? row(t("diary.f.zone"), zone) : null,
    row(t("diary.f.day"), day),
    picker ? row(picker.label, picker.el) : null,
    fields.map((x) => x.row),
    why ? row(t("diary.f.why"), why, whyProblem) : null,
    check?.el,
    out,
    save,
    h("button", { type: "button", class: "secondary big", text: t("diary.cancel"), onclick: cancel }),
  );
  picker?.after();
  check?.check();
  return el;
}

// --- the page ---------------------------------------------------------------------------------------------------

function kindButtons(open) {
  const big = MAIN_KINDS.map((kind) => h("button", { type: "button", class: `big kind-${kind}`, "data-kind": kind, text: t(`diary.do.${kind}`), onclick: () => open(kind) }));
  const more = OTHER_KINDS.map((kind) => h("button", { type: "button", class: "secondary", "data-kind": kind, text: kindName(kind), onclick: () => open(kind) }));
  return h("div", { class: "kinds" }, h("div", { class: "main-kinds" }, big), h("details", { class: "more-kinds" }, h("summary", { text: t("diary.more") }), h("div", { class: "other-kinds" }, more)));
}

// A draft: the day and what the controller measured, in the farmer's words ("14/01 · Khu A: tưới 1.240 lít"),
// "Đúng" to record it as it is, "Sửa" to change its numbers first.
function draftLine(draft, confirm, fix) {
  return h(
    "li",
    { class: "draft", "data-draft": draft.entry.id },
    h("div", { class: "what", text: draft.said }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "confirm", text: t("diary.confirm"), onclick: (ev) => confirm(draft, ev.target) }),
      h("button", { type: "button", class: "secondary fix", text: t("diary.fix"), onclick: () => fix(draft) }),
    ),
  );
}

const byNewest = (a, b) => b.entry.day.localeCompare(a.entry.day) || (b.entry.recorded_at ?? "").localeCompare(a.entry.recorded_at ?? "");

export function diaryView(ghId, gh, me) {
  let picture = gh;
  const mayRecord = may(me, "record_diary");
  const said = h("div", { class: "diary-said", role: "status" });
  const top = h("div", { class: "diary-top" });
  const draftList = h("ul", { class: "drafts" });
  const drafts = h("section", { class: "diary-drafts", hidden: true }, h("h2", { text: t("diary.drafts") }), h("p", { class: "hint", text: t("diary.drafts_hint") }), draftList);
  const gapList = h("ul", { class: "gaps" });
  const gaps = h("section", { class: "diary-gaps", hidden: true }, h("h2", { text: t("diary.gaps") }), gapList);
  const list = h("ul", { class: "entries" });
  const note = h("p", { class: "empty" });
  const desk = may(me, "export_diary") ? h("a", { class: "chip-link desk-diary", href: "#/diary", text: t("diary.desk_link") }) : null;
  const el = h("div", { class: "diary" }, said, top, drafts, gaps, h("h2", { text: t("diary.recent") }), note, list, desk);
  // `said`: what the list's line says instead of entries (loading, offline with nothing kept).
  const state = { entries: [], keptAt: null, said: t("list.loading"), drafts: [], products: [], lots: null };

  function showButtons() {
    top.replaceChildren(mayRecord ? kindButtons(openForm) : h("p", { class: "hint", text: t("diary.read_only") }));
  }

  async function openForm(kind, start = null) {
    if (["packing", "sale"].includes(kind) && state.lots === null) {
      try {
        state.lots = (await keptOr("lots", api.lots)).value.filter((lot) => lot.greenhouse === ghId).reverse();
      } catch {
        state.lots = [];
      }
    }
    setText(said, "");
    const form = entryForm({ kind, gh: picture, me, start, products: state.products, lots: state.lots ?? [], done: saved, cancel: showButtons });
    top.replaceChildren(form);
    window.scrollTo({ top: 0 }); // the form is where the buttons were, at the top
  }

  function saved({ entry, waiting }) {
    showButtons();
    const lot = entry.detail.kind === "harvest" ? entry.detail.lot : null;
    const words = t(waiting ? "diary.kept" : "diary.saved", { what: kindName(entry.detail.kind) });
    const box = h("div", { class: waiting ? "kept" : "running" }, h("p", { text: words }));
    if (lot) box.append(h("p", { class: "lot-code" }, t("diary.lot"), " ", h("b", { text: lot })), h("p", { class: "hint", text: t("diary.lot_hint") }));
    said.replaceChildren(box);
    window.scrollTo({ top: 0 });
    drawList();
    loadAll();
  }

  function drawList() {
    const mine = queued().filter((item) => item.entry.greenhouse === ghId);
    const waiting = new Set(mine.map((item) => item.entry.id));
    const refusedActions = (item) => [h("button", { type: "button", class: "secondary", text: t("diary.understood"), onclick: () => dismiss(item.entry.id) })];
    const lines = [
      ...mine.reverse().map((item) => entryLine(item, picture, { actions: item.state === Refused ? refusedActions(item) : [] })),
      ...state.entries.filter((item) => !waiting.has(item.entry.id)).sort(byNewest).map((item) => entryLine(item, picture)),
    ];
    list.replaceChildren(...lines);
    const kept = state.keptAt === null ? "" : t("diary.kept_list");
    setText(note, state.said ?? (kept || (lines.length ? "" : t("diary.none"))));
    note.hidden = !note.textContent;
    const stored = new Set(state.entries.map((item) => item.entry.id));
    const shown = state.drafts.filter((d) => !waiting.has(d.entry.id) && !stored.has(d.entry.id));
    draftList.replaceChildren(...shown.map((d) => draftLine(d, confirmDraft, (draft) => openForm(draft.entry.detail.kind, draft.entry))));
    drafts.hidden = !shown.length || !mayRecord;
  }

  async function confirmDraft(draft, button) {
    button.disabled = true;
    try {
      saved(await record(draft.entry).then((a) => ({ entry: a.saved?.entry ?? draft.entry, waiting: !a.saved })));
    } catch (err) {
      button.disabled = false;
      said.replaceChildren(h("p", { class: "error", text: err.message }));
    }
  }

  async function loadEntries() {
    const first = daysAfter(today(), -RECENT_DAYS);
    try {
      const { value, keptAt } = await keptOr(`diary:${ghId}`, () => api.diaryEntries({ greenhouse: ghId, first }));
      Object.assign(state, { entries: value, keptAt, said: null });
    } catch (err) {
      Object.assign(state, { keptAt: null, said: err.status ? err.message : t("diary.offline") });
    }
  }

  async function loadDrafts() {
    try {
      state.drafts = (await keptOr(`drafts:${ghId}`, () => api.diaryDrafts(ghId))).value;
    } catch {
      state.drafts = []; // none known: nothing to confirm
    }
  }

  async function loadGaps() {
    try {
      const all = (await keptOr("gaps", api.diaryGaps)).value;
      const here = all.filter((g) => g.greenhouse === ghId || g.greenhouse === null);
      gapList.replaceChildren(...here.map((g) => h("li", { text: g.said })));
      gaps.hidden = !here.length;
    } catch {
      gaps.hidden = true; // the gaps are told again when the gateway answers
    }
  }

  async function loadProducts() {
    try {
      state.products = (await keptOr("products", api.diaryProducts)).value;
    } catch {
      state.products = []; // typed by hand this time
    }
  }

  // One asking at a time; asked again meanwhile (an entry just sent), it asks once more when it is done.
  let loading = false;
  let again = false;
  async function loadAll() {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    el.setAttribute("aria-busy", "true");
    await Promise.all([loadEntries(), loadDrafts(), loadGaps(), loadProducts()]);
    loading = false;
    drawList();
    el.setAttribute("aria-busy", String(again));
    if (again) {
      again = false;
      loadAll();
    }
  }

  // The queue sent or refused something: shown at once, and the book asked again for what the gateway has now.
  const stop = onQueueChange(() => {
    if (!el.isConnected) return stop();
    drawList();
    loadAll();
  });
  showButtons();
  drawList();
  loadAll();
  return {
    el,
    update(now) {
      picture = now;
    },
  };
}
