// One greenhouse now: is it OK, the big numbers, soil water per zone, what is running and for how long.

import { serverNow } from "../clock.js";
import { h, icon, keyed, setClass, setText } from "../dom.js";
import { ago, clockTime, number, unit as unitWord } from "../format.js";
import { nameOf, serverText, t } from "../lang.js";
import { controllable, doingNow, kindLabel, manual, may, msOf, positional, runningText, zones } from "../model.js";
import { openCommand } from "./command.js";

const age = (ts) => (ts ? t("updated", { ago: ago(serverNow() - msOf(ts)) }) : t("never"));

function tile(item) {
  const num = h("span", { class: "num" });
  const unit = h("span", { class: "unit" });
  const word = h("span", { class: "word" });
  const when = h("span", { class: "age" });
  const el = h("div", { class: "tile" }, icon(item.icon), h("div", { class: "label", text: item.label }));
  el.append(h("div", { class: "value" }, num, unit), word, when);
  return {
    el,
    update({ value, digits, unit: unitText, level, ts }) {
      setText(num, number(value, digits));
      setText(unit, unitWord(unitText));
      setText(word, t(`level.${level}`));
      setText(when, age(ts));
      setClass(el, `tile level-${level}`);
    },
  };
}

// The big numbers, in this order, each with its icon: the sensors the gateway puts on the farmer's tiles (and
// names in the verdict). No VPD nor PAR: kPa and µmol/m²/s mean nothing to a farmer; the verdict says it in words.
const TILE_ICONS = {
  air_temp_c: "temp",
  air_rh_pct: "drop",
  tank_level_pct: "tank",
  illuminance_lux: "sun",
  soil_ec_us_cm: "sprout",
  soil_ph: "sprout",
};
const TILE_ORDER = Object.keys(TILE_ICONS);

function tileItems(gh) {
  return gh.sensors
    .filter((s) => s.tile && TILE_ICONS[s.kind])
    .sort((a, b) => TILE_ORDER.indexOf(a.kind) - TILE_ORDER.indexOf(b.kind))
    .map((s) => ({ key: s.sensor, icon: TILE_ICONS[s.kind], label: kindLabel(s.kind), ...s }));
}

// A device: what it does now and why, until when a manual run lasts, and the button to run or stop it.
function deviceRow(ghId, mayCommand) {
  let current = null;
  const name = h("div", { class: "name" });
  const state = h("div", { class: "state" });
  const why = h("div", { class: "why" });
  const button = h("button", { type: "button", class: "run", onclick: () => openCommand(ghId, current) });
  const el = h("div", { class: "device" }, h("div", { class: "text" }, name, state, why));
  if (mayCommand) el.append(button);
  return {
    el,
    update(a) {
      current = a;
      const on = a.position_pct === null ? a.on : a.position_pct > 0;
      setText(name, nameOf(a));
      setText(state, on ? runningText(a, false) : t(positional(a) ? "state.closed" : "state.off"));
      const until = msOf(a.until);
      const override = manual(a) && until ? t("state.manual_until", { at: clockTime(until) }) : "";
      setText(why, [override, serverText(a)].filter(Boolean).join(" · "));
      setClass(el, `device ${on ? "on" : "off"}${a.reachable ? "" : " unreachable"}`);
      setClass(button, manual(a) ? "run stop" : "run");
      setText(button, t(manual(a) ? "btn.auto" : a.kind === "valve" ? "btn.water" : positional(a) ? "btn.set" : "btn.run"));
      button.hidden = !controllable(a);
    },
  };
}

function zoneCard(ghId, mayCommand) {
  const soil = h("div", { class: "soil" });
  const valve = deviceRow(ghId, mayCommand);
  const el = h("section", { class: "zone" }, h("div", { class: "soil-head" }, icon("sprout"), soil), valve.el);
  return {
    el,
    update(z) {
      keyed(soil, z.sensors, (s) => s.sensor, soilValue);
      if (z.valve) valve.update(z.valve);
      valve.el.hidden = !z.valve;
    },
  };
}

function soilValue() {
  const name = h("span", { class: "name" });
  const value = h("span", { class: "num" });
  const when = h("span", { class: "age" });
  const el = h("div", {}, h("div", { class: "text" }, name, when), value);
  return {
    el,
    update(s) {
      setText(name, nameOf(s));
      setText(value, `${number(s.value, s.digits)} ${unitWord(s.unit)}`);
      setText(when, age(s.ts));
      setClass(el, `soil-value level-${s.level}`);
    },
  };
}

// The gateway's verdict (gateway/live/verdict.py): OK, attention or danger, and the one or two reasons why.
function verdictBox() {
  const title = h("div", { class: "title" });
  const reasons = h("ul", { class: "reasons" });
  const doing = h("div", { class: "doing" });
  const el = h("div", { class: "verdict", role: "status" }, title, reasons, doing);
  return {
    el,
    update(gh) {
      const v = gh.verdict;
      setClass(el, `verdict ${v.level}`);
      setText(title, t(`verdict.${v.level}`));
      const lines = v.reasons.length ? v.reasons.map(serverText) : [t("verdict.ok_detail")];
      keyed(reasons, lines.map((text, i) => ({ i, text })), (line) => line.i, reasonLine);
      setText(doing, doingNow(gh));
    },
  };
}

function reasonLine() {
  const el = h("li");
  return { el, update: (line) => setText(el, line.text) };
}

export function nowView(ghId, me) {
  const mayCommand = may(me, "command");
  const head = verdictBox();
  const tiles = h("div", { class: "tiles" });
  const zonesEl = h("div", { class: "zones" });
  const devices = h("div", { class: "devices" });
  const el = h(
    "div",
    { class: "now" },
    head.el,
    tiles,
    h("h2", { text: t("h.zones") }),
    zonesEl,
    h("h2", { text: t("h.devices") }),
    devices,
  );
  return {
    el,
    update(gh) {
      head.update(gh);
      keyed(tiles, tileItems(gh), (item) => item.key, tile);
      keyed(zonesEl, zones(gh), (z) => z.zone, () => zoneCard(ghId, mayCommand));
      const others = gh.actuators.filter((a) => a.kind !== "valve");
      keyed(devices, others, (a) => a.actuator, () => deviceRow(ghId, mayCommand));
    },
  };
}
