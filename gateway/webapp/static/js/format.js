// Numbers, durations and times in the user's language; times on the greenhouse's wall clock (clock.js).

import { wallTime } from "./clock.js";
import { currentLang, t } from "./lang.js";

const locale = () => (currentLang() === "vi" ? "vi-VN" : "en-GB");

// Units are written as symbols in both languages, except where Vietnamese writes the time in its own word.
const UNIT_VI = { "L/min": "L/phút", "mm/h": "mm/giờ" };
export const unit = (symbol) => (currentLang() === "vi" ? UNIT_VI[symbol] ?? symbol : symbol);

export function number(value, digits = 1) {
  if (value === null || value === undefined) return "–";
  return value.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// "45 giây", "3 phút", "1 giờ 20 phút", "2 ngày": as precise as a farmer needs, no more.
export function duration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return t("dur.s", { n: s });
  const min = Math.round(s / 60);
  if (min < 60) return t("dur.min", { n: min });
  const hours = Math.floor(min / 60);
  if (hours < 48) return min % 60 ? t("dur.h_min", { h: hours, min: min % 60 }) : t("dur.h", { n: hours });
  return t("dur.days", { n: Math.round(hours / 24) });
}

export const ago = (ms) => (ms < 30_000 ? t("ago.now") : t("ago", { d: duration(ms) }));

const pad = (n) => String(n).padStart(2, "0");

// "05:45": 24 hours in both languages.
export function clockTime(ms) {
  const w = wallTime(ms);
  return `${pad(w.hour)}:${pad(w.minute)}`;
}

// "15/01" in both languages: Vietnam writes day before month, and so does the English a cooperative reads.
export function dayLabel(ms) {
  const w = wallTime(ms);
  return `${pad(w.day)}/${pad(w.month)}`;
}

export const dateTime = (ms) => `${clockTime(ms)} ${dayLabel(ms)}`;
