// One greenhouse now: is it OK, the big numbers, soil water per zone, what is running and for how long.

import { serverNow } from "../clock.js";
import { h, icon, keyed, setClass, setText } from "../dom.js";
import { ago, clockTime, number } from "../format.js";
import { serverText, t } from "../lang.js";
import { KEY_VALUES, controllable, doingNow, kindLabel, manual, may, msOf, positional, problems, runningText, sensorOf, verdict, zones } from "../model.js";
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
      setText(unit, unitText);
      setText(word, t(`level.${level}`));
      setText(when, age(ts));
      setClass(el, `tile level-${level}`);
    },
  };
}

// The big numbers: the key sensors, with the air's VPD (derived at the gateway) after temperature and humidity.
function tileItems(gh) {
  const items = KEY_VALUES.map((def) => [def, sensorOf(gh, def.kind)])
    .filter(([, s]) => s)
    .map(([def, s]) => ({ key: def.kind, icon: def.icon, label: kindLabel(def.kind), digits: def.digits, ...s }));
  const c = gh.climate;
  const ts = sensorOf(gh, "air_temp_c")?.ts ?? null;
  const vpd = { key: "vpd", icon: "leaf", label: t("v.vpd"), digits: 2, unit: "kPa", value: c.vpd_kpa, level: c.vpd_level, ts };
  items.splice(2, 0, vpd);
  return items;
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
      setText(name, a.name);
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
      setText(name, s.name);
      setText(value, `${number(s.value, 0)} ${s.unit}`);
      setText(when, age(s.ts));
      setClass(el, `soil-value level-${s.level}`);
    },
  };
}

function verdictBox() {
  const title = h("div", { class: "title" });
  const detail = h("div", { class: "detail" });
  const doing = h("div", { class: "doing" });
  const el = h("div", { class: "verdict", role: "status" }, title, detail, doing);
  return {
    el,
    update(gh) {
      const v = verdict(gh);
      setClass(el, `verdict ${v}`);
      setText(title, t(`verdict.${v}`));
      const seen = msOf(gh.last_seen);
      const lines = {
        offline: seen ? t("verdict.offline_since", { at: clockTime(seen) }) : t("verdict.never_heard"),
        attention: [...problems(gh), gh.active_alerts ? t("verdict.alerts", { n: gh.active_alerts }) : ""]
          .filter(Boolean)
          .join(", "),
        ok: t("verdict.ok_detail"),
      };
      setText(detail, lines[v]);
      setText(doing, doingNow(gh));
    },
  };
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
