// History charts of one greenhouse for 24 hours, 7 days or the season, from the history API; without a
// network, the charts last drawn for that range, saying how old they are.

import * as api from "../api.js";
import { legend, lineChart } from "../chart.js";
import { serverNow } from "../clock.js";
import { h } from "../dom.js";
import { duration, unit as unitWord } from "../format.js";
import { keptOr } from "../kept.js";
import { t } from "../lang.js";
import { kindLabel } from "../model.js";

// Bucket sizes for 144 to 240 points a chart.
const RANGES = {
  day: { span_h: 24, bucket_s: 600 },
  week: { span_h: 7 * 24, bucket_s: 3600 },
  season: { span_h: 120 * 24, bucket_s: 12 * 3600 }, // a tomato season: about four months
};
const CHARTS = [
  { kind: "air_temp_c" },
  { kind: "air_rh_pct" },
  { metric: "vpd_kpa", note: "charts.note.vpd" },
  { kind: "soil_vwc_pct" },
  { kind: "par_umol_m2_s", note: "charts.note.par" },
  // Only for a greenhouse with such a sensor: few have a lux meter or a soil EC/pH probe.
  { kind: "illuminance_lux", optional: true },
  { kind: "soil_ec_us_cm", optional: true },
  { kind: "soil_ph", optional: true },
];

function chartCard(def, series, hist, gh) {
  const sensor = def.kind ? gh.sensors.find((s) => s.kind === def.kind) : null;
  const band = def.metric ? gh.climate.vpd_band : sensor?.band;
  const unit = unitWord(series[0]?.unit ?? "");
  const drawn = series.filter((s) => s.buckets.length);
  const body = drawn.length
    ? lineChart({ series: drawn, window: hist.window, band })
    : h("p", { class: "empty", text: t("charts.no_data") });
  const names = drawn.length > 1 ? legend(drawn.map((s) => s.label)) : null;
  return h(
    "section",
    { class: "chart-card", "data-chart": def.kind ?? def.metric },
    h("h2", { text: `${def.kind ? kindLabel(def.kind) : t("v.vpd")} (${unit})` }),
    // What a farmer has no word for is said in one line: what it is and when to worry.
    def.note ? h("p", { class: "hint", text: t(def.note) }) : null,
    body,
    names,
  );
}

export function chartsView(ghId, gh) {
  const picker = h("div", { class: "range", role: "tablist" });
  const box = h("div", { class: "charts", "aria-live": "polite" });
  const el = h("div", {}, picker, box);
  let chosen = "day";
  let asked = 0;

  async function load() {
    const range = RANGES[chosen];
    const ask = ++asked;
    for (const b of picker.children) b.setAttribute("aria-selected", String(b.dataset.range === chosen));
    box.replaceChildren(h("p", { class: "empty", text: t("charts.loading") }));
    const end = serverNow();
    const charts = CHARTS.filter((c) => !c.optional || gh.sensors.some((s) => s.kind === c.kind));
    const sensors = gh.sensors.filter((s) => charts.some((c) => c.kind === s.kind)).map((s) => s.sensor);
    const params = {
      start: new Date(end - range.span_h * 3600_000).toISOString(),
      end: new Date(end).toISOString(),
      bucket_s: range.bucket_s,
      sensor: sensors,
      metric: "vpd_kpa",
    };
    let hist;
    let keptAt;
    try {
      ({ value: hist, keptAt } = await keptOr(`charts:${ghId}:${chosen}`, () => api.history(ghId, params)));
    } catch (err) {
      if (ask === asked) box.replaceChildren(h("p", { class: "error", text: err.status ? err.message : t("charts.offline") }));
      return;
    }
    if (ask !== asked) return; // another range was chosen meanwhile
    const cards = charts.map((def) => {
      const series = hist.series.filter((s) => (def.metric ? s.name === def.metric : s.kind === def.kind));
      return chartCard(def, series, hist, gh);
    });
    const kept = keptAt === null ? null : t("charts.kept", { ago: duration(serverNow() - keptAt) });
    const age = kept === null ? [] : [h("p", { class: "kept", text: kept })];
    box.replaceChildren(...age, ...cards); // not a null for "no age": replaceChildren() would write it as "null"
  }

  for (const key of Object.keys(RANGES)) {
    picker.append(
      h("button", {
        type: "button",
        role: "tab",
        "data-range": key,
        text: t(`charts.${key}`),
        onclick: () => {
          chosen = key;
          load();
        },
      }),
    );
  }
  load();
  return { el, update() {} };
}
