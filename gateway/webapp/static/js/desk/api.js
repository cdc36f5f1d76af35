// The technician's and the agronomist's calls to the gateway: the site, the rule desk, the field devices, the links.

import { query, request } from "../api.js";
import { currentLang } from "../lang.js";

const gh = (id) => `/api/v1/greenhouses/${encodeURIComponent(id)}`;
const post = (path, body) => request(path, { method: "POST", body });

export const site = () => request("/api/v1/site");
export const links = () => request("/api/v1/links");
export const siteFile = () => request("/api/v1/site/file");
export const checkSiteFile = (yaml) => post("/api/v1/site/file/check", { yaml });
export const saveSiteFile = (yaml, base) => request("/api/v1/site/file", { method: "PUT", body: { yaml, base_sha256: base } });
export const rulesNow = (id) => request(`${gh(id)}/rules`);
export const checkRules = (id, yaml) => post(`${gh(id)}/rules/check`, { yaml });
export const simulateRules = (id, yaml, days) => post(`${gh(id)}/rules/simulate`, { yaml, days });
export const backtestRules = (id, yaml, start, end) => post(`${gh(id)}/rules/backtest`, { yaml, start, end });
export const deployRules = (id, yaml) => post(`${gh(id)}/rules/deploy`, { yaml });
// Each bus and each device on it, with how it answers as the edge last counted.
export const fieldDevices = (id) => request(`${gh(id)}/field-devices`);

// Every reading of the chosen sensors in the range, with its quality flag: a plain link the browser downloads,
// so it says the app's language itself (names in the file are in it).
export const csvUrl = (id, params) => `${gh(id)}/history.csv?${query({ ...params, lang: currentLang() })}`;
