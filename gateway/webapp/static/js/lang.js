// The language of the screen: Vietnamese unless the user switched to English on this phone.

import { STRINGS } from "./strings.js";

const KEY = "gh.lang";
let lang = localStorage.getItem(KEY) === "en" ? "en" : "vi";
const listeners = new Set();

export const currentLang = () => lang;

export function setLang(next) {
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next;
  for (const fn of listeners) fn(next);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

export function t(key, params = {}) {
  const text = STRINGS[lang][key];
  if (text === undefined) throw new Error(`no string ${key}`);
  return text.replace(/\{(\w+)\}/g, (_, name) => String(params[name] ?? ""));
}

// The server's own words come in both languages, as text_vi and text_en.
export const serverText = (obj) => obj[`text_${lang}`];

// Names from the site file: the cooperative's own, or its English one (name_en) for an English reader where given.
export const nameOf = (obj) => (lang === "en" && obj.name_en) || obj.name;
export const zoneNameOf = (obj) => (lang === "en" && obj.zone_name_en) || obj.zone_name;
