// What the rule desk answers, as a technician reads it on a phone: the check's problems at their rule, line
// and field; a simulation's summary; a backtest's "would have" next to "did"; the edge's answer to a deploy.

import { h } from "../dom.js";
import { dateTime, number } from "../format.js";
import { nameOf, serverText, t, zoneNameOf } from "../lang.js";
import { msOf } from "../model.js";
import { problemsResult } from "./common.js";

// Ids to the names a farmer gave them, from the live picture of the greenhouse.
export function namesOf(gh) {
  const names = new Map(gh.actuators.map((a) => [a.actuator, nameOf(a)]));
  for (const x of [...gh.actuators, ...gh.sensors]) if (x.zone && x.zone_name) names.set(x.zone, zoneNameOf(x));
  return (id) => names.get(id) ?? id;
}

const ruleWhere = (p) => [
  p.rule_index === null ? t("rules.whole_file") : t("rules.rule_n", { id: p.rule_id ?? `#${p.rule_index + 1}` }),
  p.rule_name,
];

// The check's answer; every problem under the rule it belongs to, tapping it puts the caret on its line.
export function checkResult(check, yaml, onPick) {
  if (check.ok) {
    const kinds = Object.entries(check.kinds).map(([k, n]) => `${n} ${k}`).join(", ");
    return h("div", { class: "result ok", "data-result": "check" }, t("rules.check_ok", { version: check.version, kinds }));
  }
  return problemsResult("check", check.problems, yaml, onPick, ruleWhere);
}

const hours = (x) => t("rules.hours", { n: number(x, 1) });

function bandLine(label, band, unit, below, inside, above) {
  const range = `${number(band[0], 1)}–${number(band[1], 1)} ${unit}`;
  return h(
    "li",
    {},
    h("b", { text: `${label} ${range}: ` }),
    t("rules.band_hours", { below: hours(below), inside: hours(inside), above: hours(above) }),
  );
}

// What one device did and cost: hours on and starts (and energy where the site gives its power), or how often
// and how far a vent or curtain moved; and how often safety held it back.
function useLine(u, name) {
  const did = u.moves || u.travel_pct
    ? t("rules.use_moved", { moves: u.moves, travel: number(u.travel_pct, 0), hours: hours(u.on_h) })
    : t("rules.use_switched", { starts: u.starts, hours: hours(u.on_h), longest: hours(u.longest_on_h) });
  const energy = u.energy_kwh === null ? [] : [t("rules.use_energy", { kwh: number(u.energy_kwh, 0) })];
  const held = u.safety_stops || u.safety_refusals ? [t("rules.use_safety", { stops: u.safety_stops, refusals: u.safety_refusals })] : [];
  return h("li", { "data-actuator": u.actuator }, h("b", { text: `${name(u.actuator)}: ` }), [did, ...energy, ...held].join(" · "));
}

export function simulationResult(r, name) {
  return h(
    "div",
    { class: "result", "data-result": "simulate" },
    h("h3", { text: t("rules.sim_title", { days: number(r.days, 0) }) }),
    h("h4", { text: t("rules.water") }),
    h(
      "ul",
      { class: "water" },
      r.zones.map((z) =>
        h("li", { "data-zone": z.zone }, h("b", { text: `${name(z.zone)}: ` }), t("rules.zone_water", {
          litres: number(z.water_l, 0), starts: z.valve_starts, hours: hours(z.valve_on_h),
        })),
      ),
    ),
    h(
      "ul",
      { class: "bands" },
      bandLine(t("rules.temp_day"), r.temp_band_c, "°C", r.temp_day.below, r.temp_day.inside, r.temp_day.above),
      bandLine(t("rules.temp_night"), r.temp_band_night_c, "°C", r.temp_night.below, r.temp_night.inside, r.temp_night.above),
      bandLine(t("v.vpd"), r.vpd_band_kpa, "kPa", r.hours_vpd_below, r.hours_vpd_in, r.hours_vpd_above),
      h("li", { text: t("rules.temp_range", { min: number(r.min_air_temp_c, 1), max: number(r.max_air_temp_c, 1) }) }),
      h("li", { text: t("rules.counts", { alerts: r.alerts, safety: r.safety_events, decisions: r.decisions }) }),
    ),
    r.actuators.length ? h("h4", { text: t("rules.devices_use") }) : null,
    h("ul", { class: "use" }, r.actuators.map((u) => useLine(u, name))),
  );
}

function runText(run, name) {
  const end = run.end ? ` → ${dateTime(msOf(run.end))}` : "";
  return `${name(run.actuator)} ${dateTime(msOf(run.start))}${end}${run.rule ? ` (${run.rule})` : ""}`;
}

export function backtestResult(r, name) {
  return h(
    "div",
    { class: "result", "data-result": "backtest" },
    h("h3", { text: t("rules.bt_title", { from: dateTime(msOf(r.start)), to: dateTime(msOf(r.end)), polls: r.polls }) }),
    h(
      "table",
      { class: "compare" },
      h("tr", {}, ["", t("rules.would"), t("rules.did")].map((x) => h("th", { text: x }))),
      r.actuators.map((a) =>
        h(
          "tr",
          { "data-actuator": a.actuator },
          h("td", { text: name(a.actuator) }),
          h("td", { text: t("rules.runs", { n: a.would_starts, hours: hours(a.would_on_h) }) }),
          h("td", { text: t("rules.runs", { n: a.did_starts, hours: hours(a.did_on_h) }) }),
        ),
      ),
    ),
    r.differences.length ? h("h4", { text: t("rules.differences") }) : h("p", { text: t("rules.no_differences") }),
    h(
      "ul",
      { class: "differences" },
      r.differences.map((d) =>
        h("li", { text: d.would ? t("rules.only_would", { run: runText(d.would, name) }) : t("rules.only_did", { run: runText(d.did, name) }) }),
      ),
    ),
    r.more_differences ? h("p", { text: t("rules.more", { n: r.more_differences }) }) : null,
  );
}

// The edge's own answer: accepted (now running), unchanged (already running it), refused with its problems,
// or none within the wait (the greenhouse may be offline; it takes the set when it is back).
export function deployResult(answer, yaml, onPick) {
  if (!answer.published) return checkResult(answer.check, yaml, onPick);
  const outcome = answer.report?.outcome ?? "no_answer";
  const problems = answer.report ? serverText({ text_vi: answer.report.problems_vi, text_en: answer.report.problems_en }) : [];
  return h(
    "div",
    { class: `result ${outcome === "refused" ? "bad" : "ok"}`, "data-result": "deploy", "data-outcome": outcome },
    h("h3", { text: t(`rules.outcome.${outcome}`) }),
    serverText(answer).map((line) => h("p", { text: line })),
    problems.length ? h("ul", { class: "problems" }, problems.map((p) => h("li", { text: p }))) : null,
  );
}
