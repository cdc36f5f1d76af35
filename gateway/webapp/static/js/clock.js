// The gateway's clock, as seen from the phone. The phone's own clock may be wrong, and in the demo the
// gateway's time runs many times faster than the wall's: countdowns and ages must follow the gateway.
// Each greenhouse update tells us the gateway's time then (a reading's time plus its age); between updates
// we run on at the rate measured between the first and the latest of them.
// Its wall time is the greenhouse's: times are shown in the greenhouse's zone, not the phone's.

const MIN_SPAN_MS = 3000; // shorter spans measure the network's jitter more than the rate
let first = null;
let latest = null;
let rate = 1;

export function observe(serverMs) {
  const wall = Date.now();
  if (latest && serverMs < latest.server - 60_000) first = null; // the gateway's clock went back (a new demo)
  if (!first) first = { wall, server: serverMs };
  latest = { wall, server: serverMs };
  const span = latest.wall - first.wall;
  if (span >= MIN_SPAN_MS) rate = Math.max(0, (latest.server - first.server) / span);
}

function predict(wall) {
  return latest ? latest.server + (wall - latest.wall) * rate : wall;
}

// Kept with the last values, so that a page reopened offline still tells their age in the gateway's time.
export const clockState = () => ({ latest, rate });

export function restoreClock(state) {
  ({ latest, rate } = state);
  first = null;
}

export function serverNow() {
  return predict(Date.now());
}

// The gateway's time when it composed this greenhouse: each sensor's reading time plus its age then.
export function composedAt(gh) {
  let best = null;
  for (const s of gh.sensors) {
    if (s.ts && s.age_s !== null) best = Math.max(best ?? 0, Date.parse(s.ts) + s.age_s * 1000);
  }
  return best;
}

// The greenhouse's time zone (IANA name): every time on the phone is the greenhouse's wall time, wherever the
// phone is set. Until the first picture says which, the phone's own zone (undefined).
let zone;
let wallFormat = null;

const wallFormatIn = (tz) =>
  new Intl.DateTimeFormat("en-GB", {
    timeZone: tz,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
  });

export function setTimeZone(tz) {
  if (!tz || tz === zone) return;
  try {
    wallFormat = wallFormatIn(tz);
    zone = tz;
  } catch {
    // a zone this phone's browser does not know: its own zone is the best it can do
  }
}

export const timeZone = () => zone;

// The greenhouse's wall clock at an instant: {year, month (1–12), day, hour, minute, second}.
export function wallTime(ms) {
  wallFormat ??= wallFormatIn(zone);
  const out = {};
  for (const p of wallFormat.formatToParts(ms)) if (p.type !== "literal") out[p.type] = Number(p.value);
  return out;
}

// How far the greenhouse's clocks are ahead of UTC at an instant, in ms.
function offsetAt(ms) {
  const w = wallTime(ms);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

// The instant the greenhouse's clocks show this wall time. Days and hours past their end roll over (day 32,
// hour 30), as in Date.UTC.
export function atWallTime(year, month, day, hour = 0, minute = 0) {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const guess = asUtc - offsetAt(asUtc);
  return asUtc - offsetAt(guess); // again at the guess: right across a change of offset (summer time)
}
