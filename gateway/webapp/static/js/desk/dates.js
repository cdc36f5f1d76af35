// Calendar days on the gateway's clock and the greenhouse's calendar, for the date fields: the phone's own clock
// may be wrong (and in the demo the gateway's time runs faster than the wall's), and its zone may not be the
// greenhouse's.

import { atWallTime, wallTime } from "../clock.js";

const pad = (n) => String(n).padStart(2, "0");

// "2026-01-15", as <input type=date> reads and writes it: the greenhouse's date at that instant.
export function dayValue(ms) {
  const w = wallTime(ms);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}`;
}

// The greenhouse's midnight starting that day, `after` days later.
function midnight(value, after = 0) {
  const [year, month, day] = value.split("-").map(Number);
  return atWallTime(year, month, day + after);
}

// From the start of the first day to the end of the last one, but not past now: [start, end] in ms.
export function daySpan(from, to, now) {
  return [midnight(from), Math.min(midnight(to, 1), now)];
}

export const iso = (ms) => new Date(ms).toISOString();
