// The gateway's clock, as seen from the phone. The phone's own clock may be wrong, and in the demo the
// gateway's time runs many times faster than the wall's: countdowns and ages must follow the gateway.
// Each greenhouse update tells us the gateway's time then (a reading's time plus its age); between updates
// we run on at the rate measured between the first and the latest of them.

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
