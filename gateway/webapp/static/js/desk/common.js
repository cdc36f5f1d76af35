// Pieces every desk page uses: waiting, failing, choosing a greenhouse, ticking boxes, a labelled field, facts.

import { h } from "../dom.js";
import { currentLang, nameOf, t, zoneNameOf } from "../lang.js";
import { live } from "../live.js";
import { kindLabel } from "../model.js";

export const loading = () => h("p", { class: "empty", text: t("list.loading") });
export const failed = (err) => h("p", { class: "error", text: err.status ? err.message : t("desk.offline") });

// Label and value pairs, one under the other on a phone; a pair without a value is left out.
// A value is a text, or a list of texts and elements (ids shown as the site file writes them).
export function facts(pairs) {
  const dd = (v) => (Array.isArray(v) ? h("dd", {}, ...v) : h("dd", { text: v }));
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, v]) => v !== null && v !== "" && v.length !== 0).flatMap(([k, v]) => [h("dt", { text: k }), dd(v)]),
  );
}

// An id as the technician writes it in the site file: set apart, so it reads as a name to type, not a word.
export const idOf = (id) => h("code", { class: "id", text: id });

// A sentence from the strings with some of its parameters shown as ids: ["Đường dây ", <code>role</code>, …].
export function withIds(key, params, idKeys) {
  const marked = { ...params };
  for (const k of idKeys) marked[k] = `\u0001${k}\u0001`;
  return t(key, marked)
    .split("\u0001")
    .map((part, i) => (i % 2 ? idOf(params[part]) : part))
    .filter((part) => part !== "");
}

// A field with its label above it, and a place for what is wrong with it just below.
export function field(label, input, extra = null) {
  // A group of tick boxes has its own labels: a label around it would tick the first box at any tap.
  const tag = input.matches("input, select, textarea") ? "label" : "div";
  return h(tag, { class: "field" }, h("span", { text: label }), input, extra);
}

// The greenhouses the user may see (from the live picture); choosing one opens its page at `#/{page}/{id}`.
export function greenhousePicker(page, chosen) {
  const all = [...live.greenhouses.values()].sort((a, b) => nameOf(a).localeCompare(nameOf(b), currentLang()));
  const select = h(
    "select",
    { id: `${page}-greenhouse`, onchange: () => (location.hash = `#/${page}/${encodeURIComponent(select.value)}`) },
    all.map((gh) => h("option", { value: gh.greenhouse, selected: gh.greenhouse === chosen, text: nameOf(gh) })),
  );
  return field(t("desk.greenhouse"), select);
}

// Tick boxes, one per item; `values()` gives the ticked ones' values in the items' order.
export function checkList(items, checked = () => false) {
  const boxes = items.map((item, i) => h("input", { type: "checkbox", value: item.value, checked: checked(item, i) }));
  const el = h(
    "div",
    { class: "checks" },
    items.map((item, i) => h("label", { class: "check" }, boxes[i], h("span", { text: item.label }))),
  );
  return { el, values: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

// "Ẩm đất A1 (Khu A) · Độ ẩm đất": the sensor's name, its zone, and what it measures when the name does not say.
export function sensorLabel(s) {
  const name = s.zone_name ? `${nameOf(s)} (${zoneNameOf(s)})` : nameOf(s);
  return nameOf(s) === kindLabel(s.kind) ? name : `${name} · ${kindLabel(s.kind)}`;
}

// Selects line n of a text box, so that the technician lands on the line a problem names.
export function selectLine(area, n) {
  const lines = area.value.split("\n");
  const start = lines.slice(0, n - 1).reduce((sum, l) => sum + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[n - 1]?.length ?? 0));
}

// One problem of a checked text (a rule file, the site file): where it is (`where`: what precedes its line),
// the line quoted, the field and what is wrong, the hint in the user's language; a tap selects the line.
function problemItem(p, where, lines, onPick) {
  const quote = p.line ? lines[p.line - 1]?.trim() : null;
  const hint = currentLang() === "vi" ? p.hint_vi : p.hint_en;
  return h(
    "li",
    { class: "problem", "data-rule": p.rule_id ?? p.rule ?? "", "data-field": p.field, onclick: () => p.line && onPick(p.line) },
    h("div", { class: "where", text: [...where, p.line ? t("rules.line", { n: p.line }) : null].filter(Boolean).join(" · ") }),
    quote ? h("code", { class: "quote", text: quote }) : null,
    h("div", { class: "what" }, h("b", { class: "field-name", text: p.field }), ` ${p.message}`),
    hint ? h("div", { class: "hint", text: hint }) : null,
  );
}

// A check's problems as a result box named `name`; `whereOf(p)` says where each one is.
export function problemsResult(name, problems, yaml, onPick, whereOf) {
  const lines = yaml.split("\n");
  return h(
    "div",
    { class: "result bad", "data-result": name },
    h("h3", { text: t("rules.problems", { n: problems.length }) }),
    h("ul", { class: "problems" }, problems.map((p) => problemItem(p, whereOf(p), lines, onPick))),
  );
}
