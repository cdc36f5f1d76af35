// Calendar days on the gateway's clock, for the date fields: the phone's own clock may be wrong (and in the
// demo the gateway's time runs faster than the wall's).

const DAY_MS = 86_400_000;
const pad = (n) => String(n).padStart(2, "0");

// "2026-01-15", as <input type=date> reads and writes it, in the phone's time zone.
export function dayValue(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export const dayStart = (value) => new Date(`${value}T00:00`).getTime();

// From the start of the first day to the end of the last one, but not past now: [start, end] in ms.
export function daySpan(from, to, now) {
  const start = dayStart(from);
  return [start, Math.min(dayStart(to) + DAY_MS, now)];
}

export const iso = (ms) => new Date(ms).toISOString();
