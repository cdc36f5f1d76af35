// Pieces every desk page uses: waiting, failing, choosing a greenhouse, ticking boxes, a labelled field.

import { h } from "../dom.js";
import { t } from "../lang.js";
import { live } from "../live.js";
import { kindLabel } from "../model.js";

export const loading = () => h("p", { class: "empty", text: t("list.loading") });
export const failed = (err) => h("p", { class: "error", text: err.status ? err.message : t("desk.offline") });

// A field with its label above it, and a place for what is wrong with it just below.
export function field(label, input, extra = null) {
  // A group of tick boxes has its own labels: a label around it would tick the first box at any tap.
  const tag = input.matches("input, select, textarea") ? "label" : "div";
  return h(tag, { class: "field" }, h("span", { text: label }), input, extra);
}

// The greenhouses the user may see (from the live picture); choosing one opens its page at `#/{page}/{id}`.
export function greenhousePicker(page, chosen) {
  const all = [...live.greenhouses.values()].sort((a, b) => a.name.localeCompare(b.name, "vi"));
  const select = h(
    "select",
    { id: `${page}-greenhouse`, onchange: () => (location.hash = `#/${page}/${encodeURIComponent(select.value)}`) },
    all.map((gh) => h("option", { value: gh.greenhouse, selected: gh.greenhouse === chosen, text: gh.name })),
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
  const name = s.zone_name ? `${s.name} (${s.zone_name})` : s.name;
  return s.name === kindLabel(s.kind) ? name : `${name} · ${kindLabel(s.kind)}`;
}

// Selects line n of a text box, so that the technician lands on the line a problem names.
export function selectLine(area, n) {
  const lines = area.value.split("\n");
  const start = lines.slice(0, n - 1).reduce((sum, l) => sum + l.length + 1, 0);
  area.focus();
  area.setSelectionRange(start, start + (lines[n - 1]?.length ?? 0));
}
