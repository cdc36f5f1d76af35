// The agronomist's history explorer: a greenhouse's sensors and derived metrics over a chosen range, drawn
// with the app's chart module (one chart per unit, so that air and leaf temperature share their axis), the
// readings as CSV with their quality flags, and the way into Grafana when the cooperative has it.

import * as api from "../api.js";
import { legend, lineChart } from "../chart.js";
import { serverNow } from "../clock.js";
import { h, setText } from "../dom.js";
import { unit as unitWord } from "../format.js";
import { t } from "../lang.js";
import { live } from "../live.js";
import * as desk from "./api.js";
import { checkList, failed, field, greenhousePicker, sensorLabel } from "./common.js";
import { dayValue, daySpan, iso } from "./dates.js";

// The gateway's derived metrics (gateway/api/history.py DERIVED_UNITS).
const METRICS = ["vpd_kpa", "leaf_vpd_kpa", "dew_point_c", "wet_bulb_c", "abs_humidity_g_m3", "dli_mol_m2_d", "gdd_c_day", "eto_mm_h"];
const HOUR_MS = 3_600_000;
const SPANS = { day: 24, week: 7 * 24, season: 120 * 24 }; // hours; a tomato season is about four months
const seriesLabel = (s) => (s.kind ? s.label : t(`metric.${s.name}`));

function rangePicker(onChange) {
  const today = dayValue(serverNow());
  const from = h("input", { id: "hist-from", type: "date", value: today });
  const to = h("input", { id: "hist-to", type: "date", value: today });
  const dates = h("div", { class: "actions", hidden: true }, field(t("rules.from"), from), field(t("rules.to"), to));
  let chosen = "day";
  const tabs = h("div", { class: "range", role: "tablist" });
  for (const key of [...Object.keys(SPANS), "dates"]) {
    const b = h("button", { type: "button", role: "tab", "data-range": key, text: t(`hist.${key}`) });
    b.addEventListener("click", () => {
      chosen = key;
      for (const x of tabs.children) x.setAttribute("aria-selected", String(x === b));
      dates.hidden = key !== "dates";
      onChange();
    });
    b.setAttribute("aria-selected", String(key === chosen));
    tabs.append(b);
  }
  from.addEventListener("change", onChange);
  to.addEventListener("change", onChange);
  return {
    el: h("div", {}, tabs, dates),
    span() {
      const now = serverNow();
      return chosen === "dates" ? daySpan(from.value, to.value, now) : [now - SPANS[chosen] * HOUR_MS, now];
    },
  };
}

function chartsOf(hist) {
  const byUnit = new Map();
  for (const s of hist.series.filter((x) => x.buckets.length)) byUnit.set(s.unit, [...(byUnit.get(s.unit) ?? []), s]);
  if (!byUnit.size) return [h("p", { class: "empty", text: t("charts.no_data") })];
  return [...byUnit].map(([unit, series]) => {
    const chart = lineChart({ series, window: hist.window, band: null });
    return h("section", { class: "chart-card", "data-unit": unit, "data-series": series.map((s) => s.name).join(" ") },
      h("h2", { text: unitWord(unit) }), chart, legend(series.map(seriesLabel)));
  });
}

export function historyView(ghId) {
  const id = ghId ?? [...live.greenhouses.keys()].sort()[0];
  const gh = live.greenhouses.get(id);
  const sensors = checkList(
    gh.sensors.map((s) => ({ value: s.sensor, label: sensorLabel(s) })),
    (item) => item.value === gh.sensors.find((s) => s.kind === "air_temp_c")?.sensor,
  );
  const metrics = checkList(METRICS.map((m) => ({ value: m, label: t(`metric.${m}`) })), (item) => item.value === "vpd_kpa");
  const csv = h("a", { class: "button-link secondary", id: "hist-csv", download: "" , text: t("hist.csv") });
  const grafana = h("a", { class: "button-link secondary", id: "hist-grafana", target: "_blank", rel: "noopener", hidden: true, text: t("hist.grafana") });
  const charts = h("div", { class: "charts", "aria-live": "polite" });
  const note = h("p", { class: "hint" });
  let asked = 0;

  async function draw() {
    const [start, end] = range.span();
    const chosen = { start: iso(start), end: iso(end), sensor: sensors.values() };
    csv.href = desk.csvUrl(id, chosen);
    setText(note, chosen.sensor.length ? t("hist.csv_note") : t("hist.csv_none"));
    csv.hidden = !chosen.sensor.length;
    const picked = { ...chosen, metric: metrics.values() };
    if (!picked.sensor.length && !picked.metric.length) return charts.replaceChildren(h("p", { class: "empty", text: t("hist.pick") }));
    const ask = ++asked;
    charts.replaceChildren(h("p", { class: "empty", text: t("charts.loading") }));
    try {
      const hist = await api.history(id, picked);
      if (ask === asked) charts.replaceChildren(...chartsOf(hist));
    } catch (err) {
      if (ask === asked) charts.replaceChildren(failed(err));
    }
  }

  const range = rangePicker(draw);
  const show = h("button", { type: "button", id: "hist-show", text: t("hist.show"), onclick: draw });
  desk.links().then((links) => {
    if (links.grafana_url) grafana.href = links.grafana_url;
    grafana.hidden = !links.grafana_url;
  }, () => {}); // without the link the page is whole; the rest says when the gateway cannot be reached
  const el = h(
    "div",
    { class: "desk history" },
    greenhousePicker("history", id),
    range.el,
    h("details", { class: "pick" }, h("summary", { text: t("hist.sensors") }), sensors.el),
    h("details", { class: "pick" }, h("summary", { text: t("hist.metrics") }), metrics.el),
    show,
    charts,
    h("div", { class: "actions" }, csv, grafana),
    note,
  );
  draw();
  return { el, update() {} };
}
