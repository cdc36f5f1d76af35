// Forms for the common rules — water (or run a device) when a metric passes a limit, water at times of day, keep
// the air's VPD in band — each writing its rule as YAML into the editor, where it is checked like any other.
// Limits start from the greenhouse's crop (GreenhouseNow.crop_bands, contract/crops.py), as the verdict judges it.

import { h, setText } from "../dom.js";
import { nameOf, t } from "../lang.js";
import { controllable } from "../model.js";
import { checkList, field, sensorLabel } from "./common.js";
import { cronOf, scheduleYaml, thresholdYaml } from "./yaml.js";

const ID = /^[a-z0-9][a-z0-9_-]*$/;

function numberInput(name, value, attrs = {}) {
  return h("input", { name, type: "number", inputmode: "decimal", step: "any", value, ...attrs });
}

function select(name, options) {
  return h("select", { name }, options.map(([value, label]) => h("option", { value, text: label })));
}

// A form: its fields, and on "add" each value read and checked; a wrong one is named under its own field.
function ruleForm(kind, fields, toLines, onAdd) {
  const errors = new Map();
  const rows = Object.entries(fields).map(([key, [label, input, read]]) => {
    const error = h("span", { class: "form-error", "data-for": key });
    errors.set(key, error);
    return { key, el: field(label, input.el ?? input, error), read };
  });
  const add = h("button", { type: "button", text: t("form.add") });
  const el = h(
    "details",
    { class: "rule-form", "data-form": kind },
    h("summary", { text: t(`form.${kind}`) }),
    rows.map((r) => r.el),
    add,
  );
  add.addEventListener("click", () => {
    const values = {};
    for (const { key, read } of rows) {
      const [value, problem] = read();
      setText(errors.get(key), problem ? t(problem) : "");
      values[key] = value;
    }
    if ([...errors.values()].some((e) => e.textContent)) return;
    onAdd(toLines(values));
    el.open = false;
  });
  return el;
}

const text = (input, check) => () => [input.value.trim(), check(input.value.trim())];
// A number; by default at least 0 (a duration, a hysteresis), `positive` above 0, `signed` any (a limit).
const num = (input, { optional = false, positive = false, signed = false } = {}) => () => {
  const raw = input.value.trim();
  if (optional && raw === "") return [null, null];
  const v = Number(raw);
  const bad = raw === "" || !Number.isFinite(v) || (positive ? v <= 0 : !signed && v < 0);
  return [v, bad ? "form.need_number" : null];
};

// The id and name every rule has.
function identity() {
  const id = h("input", { name: "id", value: "", autocapitalize: "off", spellcheck: "false" });
  const name = h("input", { name: "name", value: "" });
  return {
    id: [t("form.id"), id, text(id, (v) => (ID.test(v) ? null : "form.need_id"))],
    name: [t("form.name"), name, text(name, () => null)],
  };
}

// The id, name, actuator and minutes every watering rule has.
function common(gh, actuators, defaults) {
  const actuator = select("actuator", actuators.map((a) => [a.actuator, nameOf(a)]));
  const minutes = numberInput("minutes", defaults.minutes);
  return {
    ...identity(),
    actuator: [t("form.actuator"), actuator, () => [actuator.value, null]],
    minutes: [t("form.minutes"), minutes, num(minutes, { positive: true })],
  };
}

// Which of the crop's bands a limit on this kind of value starts from; the day's for the air (rules run by day).
const CROP_BAND = { soil_vwc_pct: "soil_vwc_pct", air_rh_pct: "air_rh_pct", air_temp_c: "air_temp_c_day" };

function cropLimit(gh, sensorId, op) {
  const kind = gh.sensors.find((s) => s.sensor === sensorId)?.kind;
  const band = gh.crop_bands?.[CROP_BAND[kind]];
  return band ? String(op === "below" ? band.low : band.high) : "";
}

function thresholdForm(gh, onAdd) {
  const sensors = checkList(
    gh.sensors.map((s) => ({ value: s.sensor, label: sensorLabel(s) })),
    (item, i) => i === 0,
  );
  const op = select("op", [["below", t("form.below")], ["above", t("form.above")]]);
  const limit = numberInput("limit", cropLimit(gh, sensors.values()[0], "below"));
  // The crop's limit follows the sensor and the side chosen, until the technician types one.
  let typed = false;
  limit.addEventListener("input", () => (typed = true));
  const follow = () => {
    if (!typed) limit.value = cropLimit(gh, sensors.values()[0], op.value);
  };
  op.addEventListener("change", follow);
  sensors.el.addEventListener("change", follow);
  const hysteresis = numberInput("hysteresis", "2");
  const forMinutes = numberInput("for", "5");
  const base = common(gh, gh.actuators.filter(controllable), { minutes: "8" });
  return ruleForm(
    "threshold",
    {
      id: base.id,
      name: base.name,
      sensors: [t("form.sensors"), sensors, () => {
        const v = sensors.values();
        return [v, v.length ? null : "form.need_sensor"];
      }],
      op: [t("form.when"), op, () => [op.value, null]],
      limit: [t("form.limit"), limit, num(limit, { signed: true })],
      hysteresis: [t("form.hysteresis"), hysteresis, num(hysteresis)],
      forMinutes: [t("form.for"), forMinutes, num(forMinutes)],
      actuator: base.actuator,
      minutes: base.minutes,
    },
    thresholdYaml,
    onAdd,
  );
}

// The air's VPD between the crop's limits: vent when too damp, mist when too dry.
function vpdYaml(r) {
  const ids = (xs) => `[${xs.join(", ")}]`;
  return [
    `  - id: ${r.id}`,
    `    name: ${JSON.stringify(r.name)}`,
    "    kind: vpd",
    `    air_temp: {sensors: [${r.air}]}`,
    `    air_rh: {sensors: [${r.rh}]}`,
    `    low_kpa: ${r.low}`,
    `    high_kpa: ${r.high}`,
    r.misters.length ? `    misting: {actuators: ${ids(r.misters)}}` : null,
    r.vents.length ? `    venting: {actuators: ${ids(r.vents)}}` : null,
  ].filter(Boolean);
}

function vpdForm(gh, onAdd) {
  const air = gh.sensors.find((s) => s.kind === "air_temp_c");
  const rh = gh.sensors.find((s) => s.kind === "air_rh_pct");
  if (!air || !rh) return null;
  const band = gh.crop_bands?.vpd_kpa ?? gh.climate.vpd_band;
  const low = numberInput("low", String(band.low));
  const high = numberInput("high", String(band.high));
  const devices = (kinds) =>
    gh.actuators.filter((a) => kinds.includes(a.kind)).map((a) => ({ value: a.actuator, label: nameOf(a), kind: a.kind }));
  // Every mister, and the roof vents rather than the side curtains: damp air leaves at the top.
  const misters = checkList(devices(["mister"]), () => true);
  const vents = checkList(devices(["vent", "side_curtain"]), (item) => item.kind === "vent");
  return ruleForm(
    "vpd",
    {
      ...identity(),
      low: [t("form.vpd_low"), low, num(low, { positive: true })],
      high: [t("form.vpd_high"), high, () => {
        const [v, problem] = num(high, { positive: true })();
        return [v, problem ?? (v > Number(low.value) ? null : "form.need_order")];
      }],
      misters: [t("form.misters"), misters, () => [misters.values(), null]],
      vents: [t("form.vents"), vents, () => {
        const none = !vents.values().length && !misters.values().length;
        return [vents.values(), none ? "form.need_device" : null];
      }],
    },
    (v) => vpdYaml({ ...v, air: air.sensor, rh: rh.sensor }),
    onAdd,
  );
}

function scheduleForm(gh, onAdd) {
  const valves = gh.actuators.filter((a) => a.kind === "valve");
  const times = h("input", { name: "times", value: "06:00, 16:00", inputmode: "numeric" });
  const skip = numberInput("skip", "38");
  const base = common(gh, valves, { minutes: "6" });
  // The zone's own soil sensors judge "already wet": those of the zone the chosen valve waters.
  const soilOf = (valve) => {
    const zone = valves.find((a) => a.actuator === valve)?.zone;
    return gh.sensors.filter((s) => s.kind === "soil_vwc_pct" && s.zone === zone).map((s) => s.sensor);
  };
  const toLines = (v) => {
    const skipSensors = soilOf(v.actuator);
    return { ...v, cron: v.times, skipSensors, skipAbove: skipSensors.length ? v.skipAbove : null };
  };
  return ruleForm(
    "schedule",
    {
      id: base.id,
      name: base.name,
      times: [t("form.times"), times, () => {
        const cron = cronOf(times.value);
        return [cron, cron ? null : "form.need_times"];
      }],
      actuator: base.actuator,
      minutes: base.minutes,
      skipAbove: [t("form.skip_above"), skip, num(skip, { optional: true })],
    },
    (v) => scheduleYaml(toLines(v)),
    onAdd,
  );
}

export function ruleForms(gh, onAdd) {
  return h("div", { class: "rule-forms" }, thresholdForm(gh, onAdd), scheduleForm(gh, onAdd), vpdForm(gh, onAdd));
}
