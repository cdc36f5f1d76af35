// A line chart drawn as inline SVG: the mean of each bucket as a line, its min–max as a shaded band, the
// value's healthy band behind. A few hundred points at most, so a cheap phone draws it at once.

import { atWallTime, wallTime } from "./clock.js";
import { h, svg } from "./dom.js";
import { clockTime, dayLabel, number } from "./format.js";

const W = 340;
const H = 150;
const PAD = { left: 36, right: 6, top: 8, bottom: 20 };
const COLOURS = ["#1b6fb5", "#c2410c", "#15803d", "#7e22ce"];
const DAY_MS = 86_400_000;
// "18:00" or "15/01" is about 28 px in the 10 px ticks: seven of them fit the 300 px of a 360 px phone's chart.
const MAX_TIME_TICKS = 7;
const LABEL_CHAR_W = 6; // a digit of the 10 px ticks, wide enough for the phone's sans-serif
const LABEL_GAP = 4;
const MINUTE_STEPS = [5, 10, 15, 30, 60, 120, 180, 240, 360, 720]; // each divides a day: midnight is always a tick
const DAY_STEPS = [1, 2, 7, 14];
const MONTH_STEPS = [1, 2, 3, 6]; // six months a tick are enough for the 400 days the history API gives at most
const VALUE_LINES = 4; // about as many grid lines across the values

function scale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return (v) => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0);
}

// 1, 2 or 5 times a power of ten, at least `raw`: steps a reader counts in.
function roundStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9));
}

const decimalsOf = (step) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

// What the values of every line can physically be: {min, max}, null where a line has no limit that side.
function limitsOf(series) {
  const mins = series.map((s) => s.range?.min ?? null);
  const maxs = series.map((s) => s.range?.max ?? null);
  return {
    min: mins.includes(null) ? null : Math.min(...mins),
    max: maxs.includes(null) ? null : Math.max(...maxs),
  };
}

// The value axis: the data and the healthy band with a little room, in round steps; the room never runs past
// what the value can physically be (no humidity above 100 %, no light below 0), the data themselves always shown.
function valueAxis(values, band, limits) {
  const dataLo = Math.min(...values);
  const dataHi = Math.max(...values);
  const spanLo = band ? Math.min(dataLo, band.low) : dataLo;
  const spanHi = band ? Math.max(dataHi, band.high) : dataHi;
  const room = (spanHi - spanLo) * 0.08 || 1;
  const step = roundStep((spanHi - spanLo + 2 * room) / VALUE_LINES);
  let lo = Math.floor((spanLo - room) / step) * step;
  let hi = Math.ceil((spanHi + room) / step) * step;
  if (limits.min !== null) lo = Math.max(lo, Math.min(limits.min, dataLo));
  if (limits.max !== null) hi = Math.min(hi, Math.max(limits.max, dataHi));
  const digits = decimalsOf(step);
  const ticks = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) {
    ticks.push(Number((k * step).toFixed(digits)));
  }
  return { lo, hi, ticks, digits };
}

// Ticks of the time axis on the greenhouse's clock: round hours (midnight written as its date) for a window of a
// few days at most, days or months beyond. Never both ends: a day's window would read "14:05 … 14:05".
function timeTicks(t0, t1) {
  const span = t1 - t0;
  const first = wallTime(t0);
  const ticks = [];
  const stepMin = MINUTE_STEPS.find((n) => span / (n * 60_000) <= MAX_TIME_TICKS);
  if (stepMin) {
    for (let minute = 0; ; minute += stepMin) {
      const at = atWallTime(first.year, first.month, first.day, 0, minute);
      if (at >= t1) break;
      if (at < t0) continue;
      const w = wallTime(at);
      ticks.push({ at, label: w.hour === 0 && w.minute === 0 ? dayLabel(at) : clockTime(at) });
    }
  } else {
    const stepDay = DAY_STEPS.find((n) => span / (n * DAY_MS) <= MAX_TIME_TICKS);
    const stepMonth = MONTH_STEPS.find((n) => span / (n * 30 * DAY_MS) <= MAX_TIME_TICKS);
    for (let day = 0; ; day++) {
      const date = new Date(Date.UTC(first.year, first.month - 1, first.day + day)); // the greenhouse's calendar
      const at = atWallTime(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
      if (at >= t1) break;
      const kept = stepDay
        ? Math.round(date.getTime() / DAY_MS) % stepDay === 0
        : date.getUTCDate() === 1 && date.getUTCMonth() % stepMonth === 0;
      if (at >= t0 && kept) ticks.push({ at, label: dayLabel(at) });
    }
  }
  return ticks.length ? ticks : [{ at: t0, label: clockTime(t0) }]; // a window of a few minutes
}

// Runs of buckets without a gap: a line is not drawn across hours with no data.
function runs(buckets, bucketMs) {
  const out = [];
  let last = null;
  for (const b of buckets) {
    const at = Date.parse(b.start);
    if (last === null || at - last > 1.5 * bucketMs) out.push([]);
    out.at(-1).push({ at: at + bucketMs / 2, ...b });
    last = at;
  }
  return out;
}

const path = (points) => points.map(([x, y], i) => `${i ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)}`).join("");

// series: [{label, buckets, range}], window: {start, end, bucket_s} as the history API gives them; band: the
// healthy band drawn behind, or null.
export function lineChart({ series, window, band }) {
  const bucketMs = window.bucket_s * 1000;
  const values = series.flatMap((s) => s.buckets.flatMap((b) => [b.min, b.max]));
  const axis = valueAxis(values, band, limitsOf(series));
  const t0 = Date.parse(window.start);
  const t1 = Date.parse(window.end);
  const x = scale([t0, t1], [PAD.left, W - PAD.right]);
  const y = scale([axis.lo, axis.hi], [H - PAD.bottom, PAD.top]);
  const parts = [];
  if (band) {
    const top = y(Math.min(band.high, axis.hi));
    const bottom = y(Math.max(band.low, axis.lo));
    if (bottom > top) {
      const width = W - PAD.left - PAD.right;
      parts.push(svg("rect", { class: "band", x: PAD.left, y: top, width, height: bottom - top }));
    }
  }
  for (const v of axis.ticks) {
    parts.push(svg("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    const attrs = { class: "tick value", x: PAD.left - 4, y: y(v) + 3, "text-anchor": "end", "data-value": v };
    parts.push(svg("text", attrs, number(v, axis.digits)));
  }
  let free = 0; // where the last label ended: a label that would run into it is left out, its grid line kept
  for (const { at, label } of timeTicks(t0, t1)) {
    const atX = x(at);
    parts.push(svg("line", { class: "grid", x1: atX, x2: atX, y1: PAD.top, y2: H - PAD.bottom }));
    const width = label.length * LABEL_CHAR_W;
    const left = Math.min(atX - width / 2, W - PAD.right - width); // the last one kept inside the chart
    if (left < free) continue;
    free = left + width + LABEL_GAP;
    const attrs = { class: "tick time", x: left, y: H - 6, "text-anchor": "start", "data-at": at };
    parts.push(svg("text", attrs, label));
  }
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    for (const run of runs(s.buckets, bucketMs)) {
      if (series.length === 1) {
        const upper = run.map((b) => [x(b.at), y(b.max)]);
        const lower = run.map((b) => [x(b.at), y(b.min)]).reverse();
        parts.push(svg("path", { class: "spread", d: `${path(upper.concat(lower))}Z`, fill: colour }));
      }
      if (run.length === 1) parts.push(svg("circle", { cx: x(run[0].at), cy: y(run[0].mean), r: 2.5, fill: colour }));
      else parts.push(svg("path", { class: "mean", d: path(run.map((b) => [x(b.at), y(b.mean)])), stroke: colour }));
    }
  });
  return svg("svg", { class: "chart", viewBox: `0 0 ${W} ${H}`, role: "img" }, parts);
}

// The names of the lines, each in its line's colour.
export function legend(labels) {
  return h(
    "ul",
    { class: "legend" },
    labels.map((label, i) => {
      const li = h("li", { text: label });
      li.style.setProperty("--c", COLOURS[i % COLOURS.length]);
      return li;
    }),
  );
}
