// The site as the technician set it up: each greenhouse's zones, sensors and actuators with their safety
// limits, one card per device so that it reads on a phone without a table to scroll sideways; below, the
// site file itself to edit.

import { h } from "../dom.js";
import { duration, number, unit as unitWord } from "../format.js";
import { nameOf, t } from "../lang.js";
import { live } from "../live.js";
import { kindLabel } from "../model.js";
import * as desk from "./api.js";
import { facts, failed, idOf, loading, withIds } from "./common.js";
import { siteFileEditor } from "./site_edit.js";

const minutes = (s) => duration(s * 1000);

function interlockTexts(safety, names, unitOf) {
  const value = (id, v) => `${number(v, 0)} ${unitOf(id)}`.trim();
  const bound = (i) =>
    i.min !== null && i.max !== null
      ? t("setup.between", { sensor: names(i.sensor), min: number(i.min, 0), max: value(i.sensor, i.max) })
      : t(i.min !== null ? "setup.at_least" : "setup.at_most", { sensor: names(i.sensor), n: value(i.sensor, i.min ?? i.max) });
  return [
    ...safety.sensor_interlocks.map(bound),
    ...safety.actuator_interlocks.map((i) => t("setup.needs_on", { names: i.any_on.map(names).join(" / ") })),
  ];
}

function failSafeText(fs) {
  if (fs.position_pct !== null) return t("setup.fail_position", { pct: number(fs.position_pct, 0) });
  return t(fs.on ? "setup.fail_on" : "setup.fail_off");
}

// "valve-a · nút relays (địa chỉ 1)": the ids the rules and the site file use, and where the device sits.
const idRow = (id, node) => [idOf(id), " · ", ...withIds("setup.node_of", { node: node.id, address: node.address }, ["node"])];

function actuatorCard(a, node, names, unitOf) {
  const s = a.safety;
  const locks = interlockTexts(s, names, unitOf);
  return h(
    "section",
    { class: "item", "data-actuator": a.id },
    h("h4", { text: `${nameOf(a) || a.id} · ${t(`akind.${a.kind}`)}` }),
    facts([
      [t("setup.id"), idRow(a.id, node)],
      [t("setup.max_on"), minutes(s.max_on_s)],
      [t("setup.min_off"), minutes(s.min_off_s)],
      [t("setup.starts"), t("setup.starts_value", { n: s.max_starts_per_hour })],
      [t("setup.interlocks"), locks.length ? locks.join("; ") : t("setup.none")],
      [t("setup.fail_safe"), failSafeText(s.fail_safe)],
      [t("setup.flow"), a.flow_l_min ? `${number(a.flow_l_min, 0)} L/${t("cmd.minutes")}` : ""],
    ]),
  );
}

function sensorCard(s, node, unitOf) {
  const unit = unitOf(s.id);
  return h(
    "section",
    { class: "item", "data-sensor": s.id },
    h("h4", { text: `${nameOf(s) || s.id} · ${kindLabel(s.kind)}` }),
    facts([
      [t("setup.id"), idRow(s.id, node)],
      [t("setup.unit"), unit],
      [t("setup.range"), `${number(s.range.min, 0)} … ${number(s.range.max, 0)} ${unit}`],
      [t("setup.max_age"), minutes(s.max_age_s)],
    ]),
  );
}

function zoneCard(z, names) {
  return h(
    "section",
    { class: "item", "data-zone": z.id },
    h("h4", { text: nameOf(z) || z.id }),
    facts([
      [t("setup.area"), `${number(z.area_m2, 0)} m²`],
      [t("setup.valve"), names(z.valve)],
      [t("setup.pump"), z.pump ? names(z.pump) : ""],
      [t("setup.soil"), z.soil_sensors.map(names).join(", ")],
    ]),
  );
}

// Zones, devices, sensors: each folds away, so that a phone scrolls to the part it needs.
const part = (name, open, items) =>
  h("details", { class: "part", open, "data-part": name }, h("summary", { text: `${t(`setup.${name}`)} (${items.length})` }), items);

function greenhouseCard(gh, open) {
  const nodes = gh.nodes;
  const byId = new Map(nodes.flatMap((n) => [...n.sensors, ...n.actuators]).map((d) => [d.id, nameOf(d) || d.id]));
  const names = (id) => byId.get(id) ?? id;
  const liveSensors = live.greenhouses.get(gh.id)?.sensors ?? [];
  const unitOf = (id) => unitWord(liveSensors.find((s) => s.sensor === id)?.unit ?? "");
  return h(
    "details",
    { class: "site-gh", open, "data-greenhouse": gh.id },
    h("summary", { text: `${nameOf(gh) || gh.id} · ${number(gh.area_m2, 0)} m²` }),
    part("zones", true, gh.zones.map((z) => zoneCard(z, names))),
    part("actuators", true, nodes.flatMap((n) => n.actuators.map((a) => actuatorCard(a, n, names, unitOf)))),
    part("sensors", false, nodes.flatMap((n) => n.sensors.map((s) => sensorCard(s, n, unitOf)))),
  );
}

export function setupView() {
  const el = h("div", { class: "desk" }, loading());
  desk.site().then(
    (site) => el.replaceChildren(
      h("p", { class: "hello", text: nameOf(site.cooperative) }),
      ...site.greenhouses.map((gh, i) => greenhouseCard(gh, i === 0)),
      siteFileEditor(),
    ),
    (err) => el.replaceChildren(failed(err)),
  );
  return { el, update() {} };
}
