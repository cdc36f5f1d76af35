// A line chart drawn as inline SVG: the mean of each bucket as a line, its min–max as a shaded band, the
// value's healthy band behind. A few hundred points at most, so a cheap phone draws it at once.

import { h, svg } from "./dom.js";
import { number } from "./format.js";

const W = 340;
const H = 150;
const PAD = { left: 36, right: 6, top: 8, bottom: 20 };
const COLOURS = ["#1b6fb5", "#c2410c", "#15803d", "#7e22ce"];

function scale(domain, range) {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return (v) => r0 + ((v - d0) / (d1 - d0 || 1)) * (r1 - r0);
}

function ticks(lo, hi, count) {
  const step = (hi - lo) / (count - 1);
  return Array.from({ length: count }, (_, i) => lo + i * step);
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

// series: [{label, buckets}], window: {start, end, bucket_s} as the history API gives them.
export function lineChart({ series, window, band, digits, timeLabel }) {
  const bucketMs = window.bucket_s * 1000;
  const all = series.flatMap((s) => s.buckets);
  const values = all.flatMap((b) => [b.min, b.max]).concat(band ? [band.low, band.high] : []);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  const margin = (hi - lo) * 0.08 || 1;
  lo -= margin;
  hi += margin;
  const t0 = Date.parse(window.start);
  const t1 = Date.parse(window.end);
  const x = scale([t0, t1], [PAD.left, W - PAD.right]);
  const y = scale([lo, hi], [H - PAD.bottom, PAD.top]);
  const parts = [];
  if (band) {
    const top = y(Math.min(band.high, hi));
    const bottom = y(Math.max(band.low, lo));
    parts.push(svg("rect", { class: "band", x: PAD.left, y: top, width: W - PAD.left - PAD.right, height: bottom - top }));
  }
  for (const v of ticks(lo, hi, 3)) {
    parts.push(svg("line", { class: "grid", x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    parts.push(svg("text", { class: "tick", x: PAD.left - 4, y: y(v) + 3, "text-anchor": "end" }, number(v, digits)));
  }
  for (const at of ticks(t0, t1, 4)) {
    const anchor = at === t0 ? "start" : at === t1 ? "end" : "middle";
    parts.push(svg("text", { class: "tick", x: x(at), y: H - 6, "text-anchor": anchor }, timeLabel(at)));
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
