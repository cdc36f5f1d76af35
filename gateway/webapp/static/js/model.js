// Reading a GreenhouseNow (gateway/live/models.py) the way the screens need it.

import { serverNow } from "./clock.js";
import { duration } from "./format.js";
import { currentLang, nameOf, t, zoneNameOf } from "./lang.js";

// Switched devices a farmer may run for some minutes; vents, curtains and screens are set to a position for
// some minutes (closed before a storm, open on a hot noon). Either way the rules take over again after.
const SWITCHED = new Set(["valve", "pump", "fan", "mister", "heater"]);
const POSITIONAL = new Set(["vent", "side_curtain", "shade_screen"]);

export const kindLabel = (kind) => t(`kind.${kind}`);
export const sensorOf = (gh, kind) => gh.sensors.find((s) => s.kind === kind) ?? null;
export const msOf = (iso) => (iso ? Date.parse(iso) : null);

export function zones(gh) {
  const byZone = new Map();
  for (const s of gh.sensors.filter((s) => s.zone && s.kind === "soil_vwc_pct")) {
    if (!byZone.has(s.zone)) byZone.set(s.zone, { zone: s.zone, sensors: [], valve: null });
    byZone.get(s.zone).sensors.push(s);
  }
  for (const a of gh.actuators.filter((a) => a.kind === "valve" && byZone.has(a.zone))) byZone.get(a.zone).valve = a;
  return [...byZone.values()];
}

export const positional = (a) => POSITIONAL.has(a.kind);
export const controllable = (a) => SWITCHED.has(a.kind) || positional(a);
// Vents and screens report a position; the rest are on or off.
export const running = (gh) => gh.actuators.filter((a) => (a.position_pct === null ? a.on : a.position_pct > 0));
export const manual = (a) => a.source === "override";

// Mid-sentence Vietnamese writes the zone's common noun in lower case ("Đang tưới khu A"); English keeps the name.
const zoneWord = (name) => (currentLang() === "vi" ? name.charAt(0).toLowerCase() + name.slice(1) : name);

// "Đang tưới khu A — còn 3 phút", "Quạt đang chạy — còn 5 phút": what it is doing and, for a timed run, how
// long is left. A zone's valve says which zone it waters; other devices say their name, except where the
// name is shown above it ("Đang chạy — còn 5 phút").
export function runningText(a, named = true) {
  const family = named ? "run" : "state";
  if (a.position_pct !== null) return t(`${family}.position`, { name: nameOf(a), pct: Math.round(a.position_pct) });
  const until = msOf(a.until);
  const watering = a.kind === "valve" && zoneNameOf(a);
  const doing = watering ? "run.water" : `${family}.${a.kind === "valve" ? "valve" : "on"}`;
  const words = { name: nameOf(a), zone: watering ? zoneWord(zoneNameOf(a)) : "" };
  if (until === null) return t(doing, words);
  return t(`${doing}_left`, { ...words, left: duration(until - serverNow()) });
}

// What the signed-in user may do, as the gateway said at sign-in (`may` of /api/v1/me): the app shows only
// what the API allows, and the API refuses the rest anyway.
export const may = (me, action) => Boolean(me?.may?.includes(action));

// Everything running, in one line; the pump is left out, it runs with the valves.
export function doingNow(gh) {
  const now = running(gh).filter((a) => a.kind !== "pump");
  return now.length ? now.map((a) => runningText(a)).join(" · ") : t("list.nothing_running");
}
