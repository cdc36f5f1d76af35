// The gateway's API: JSON over fetch with the session cookie, the CSRF token on every change, the user's
// language on every request so that the server's errors come in it.

import { currentLang, t } from "./lang.js";

const LOGIN = "/api/v1/login";
let csrf = "";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status; // 0: the gateway could not be reached
  }
}

async function detail(res) {
  try {
    const body = await res.json();
    if (typeof body.detail === "string") return body.detail;
    // A request the gateway could not read: each problem in the user's words (the screen says which field).
    if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  } catch {
    // not JSON: a proxy's page, say
  }
  return t("error.server", { status: res.status });
}

export async function request(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", "Accept-Language": currentLang() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  // A page opened offline has no token yet: it is asked for once the gateway can be reached.
  if (method !== "GET" && !csrf && path !== LOGIN) await whoAmI();
  if (method !== "GET") headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  if (!res.ok) throw new ApiError(res.status, await detail(res));
  return res.status === 204 ? null : res.json();
}

function remember(me) {
  csrf = me.csrf_token;
  return me;
}

export const signIn = (user, password) =>
  request(LOGIN, { method: "POST", body: { user, password } }).then(remember);
export const whoAmI = () => request("/api/v1/me").then(remember);
export const signOut = () =>
  request("/api/v1/logout", { method: "POST" }).finally(() => {
    csrf = "";
  });

export const greenhouses = () => request("/api/v1/live/greenhouses");
export const sendCommand = (gh, command) =>
  request(`/api/v1/greenhouses/${encodeURIComponent(gh)}/commands`, { method: "POST", body: command });
export const alerts = (gh) => request(`/api/v1/greenhouses/${encodeURIComponent(gh)}/alerts?include_cleared=true`);
export const ackAlert = (gh, id) =>
  request(`/api/v1/greenhouses/${encodeURIComponent(gh)}/alerts/${encodeURIComponent(id)}/ack`, { method: "POST" });

// A query string in which a list gives the key once per item (sensor=a&sensor=b), as the API reads it.
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) for (const v of [value].flat()) q.append(key, v);
  return q;
}

export const history = (gh, params) =>
  request(`/api/v1/greenhouses/${encodeURIComponent(gh)}/history?${query(params)}`);

// Alerts that reach people (issue 15): this phone's notifications, a test alert, each alert's timeline, the farm's
// alert number.
export const pushKey = () => request("/api/v1/notify/push-key");
export const subscribePush = (subscription) =>
  request("/api/v1/notify/subscriptions", { method: "POST", body: subscription });
export const unsubscribePush = (endpoint) =>
  request("/api/v1/notify/subscriptions/remove", { method: "POST", body: { endpoint } });
export const testAlert = () => request("/api/v1/notify/test", { method: "POST" });
export const alertTimeline = (gh, id) =>
  request(`/api/v1/greenhouses/${encodeURIComponent(gh)}/alerts/${encodeURIComponent(id)}/timeline`);
export const farmContact = () => request("/api/v1/notify/contact");
export const FARM_CONTACT_VCF = "/api/v1/notify/contact.vcf";

// The record book (issue 16): its entries, what the controller drafted and what is missing, the products it
// remembers, the pre-harvest interval asked before a harvest is sent, the harvest lots.
const defined = (params) => Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
export const diaryEntries = (params) => request(`/api/v1/diary?${query(defined(params))}`);
export const recordEntry = (entry) => request("/api/v1/diary", { method: "POST", body: entry });
export const harvestCheck = (params) => request(`/api/v1/diary/harvest-check?${query(params)}`);
export const diaryProducts = () => request("/api/v1/diary/products");
export const diaryDrafts = (gh) => request(`/api/v1/diary/drafts?${query({ greenhouse: gh })}`);
export const diaryGaps = () => request("/api/v1/diary/gaps");
export const lots = () => request("/api/v1/lots");
export const publishLot = (code, published) =>
  request(`/api/v1/lots/${encodeURIComponent(code)}/published`, { method: "PUT", body: { published } });

// A file the gateway makes (a label sheet, the dossier): {blob, name (the gateway's, if it gave one)}, or its
// refusal in the user's words.
export async function fileFrom(path) {
  let res;
  try {
    res = await fetch(path, { headers: { "Accept-Language": currentLang() }, credentials: "same-origin", cache: "no-store" });
  } catch {
    throw new ApiError(0, t("error.network"));
  }
  if (!res.ok) throw new ApiError(res.status, await detail(res));
  const named = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get("Content-Disposition") ?? "");
  return { blob: await res.blob(), name: named ? decodeURIComponent(named[1]) : null };
}
