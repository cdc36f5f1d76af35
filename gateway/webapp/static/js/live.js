// What each greenhouse looks like now: fetched once, then kept up to date by the gateway's event stream, which
// sends each greenhouse whole at the start, then only what changed in it (js/patch.js), gzipped: about 130 bytes
// an update instead of 8 KB, on a prepaid 3G plan (docs/webapp.md, "Data on 3G").
// The latest picture is kept on the phone, so that without a network the app still shows it, with its age.

import * as api from "./api.js";
import { clockState, composedAt, observe, restoreClock, serverNow, setTimeZone } from "./clock.js";
import { applyPatch } from "./patch.js";

const CACHE_KEY = "gh.last";
const SAVE_EVERY_MS = 10_000; // the phone's flash is slow and wears: not at every update
const RETRY_MS = 5000;
// Updates come at every poll of a greenhouse (30 s on the example site); a stream silent for this long is
// taken as dead (a 3G link that stopped without closing), and opened again.
const WATCHDOG_MS = 90_000;

export const live = {
  greenhouses: new Map(), // id → GreenhouseNow
  connected: false,
  heardAt: null, // the gateway's time (ms) when we last heard from it
};

const listeners = new Set();
let user = null;
let source = null;
let watchdog = null;
let retry = null;
let lastEvent = 0; // the number of the stream's last event: a gap means something was missed
let savedAt = 0;
let onSignedOut = () => {};

export function onLive(fn) {
  listeners.add(fn);
}

function changed() {
  for (const fn of listeners) fn();
}

function take(gh) {
  setTimeZone(gh.timezone); // every time on the phone in the greenhouse's zone (format.js)
  const at = composedAt(gh);
  if (at !== null) observe(at);
  live.greenhouses.set(gh.greenhouse, gh);
  live.heardAt = serverNow();
}

function setConnected(connected) {
  if (live.connected === connected) return;
  live.connected = connected;
  changed();
}

function save() {
  if (Date.now() - savedAt < SAVE_EVERY_MS) return;
  savedAt = Date.now();
  const snapshot = { user, heardAt: live.heardAt, clock: clockState(), greenhouses: [...live.greenhouses.values()] };
  try {
    localStorage.setItem(CACHE_KEY, JSON.stringify(snapshot));
  } catch {
    // storage full or disabled: the app still works online
  }
}

function restore() {
  try {
    const snapshot = JSON.parse(localStorage.getItem(CACHE_KEY) ?? "null");
    if (!snapshot || snapshot.user !== user) return;
    restoreClock(snapshot.clock);
    for (const gh of snapshot.greenhouses) {
      setTimeZone(gh.timezone);
      live.greenhouses.set(gh.greenhouse, gh);
    }
    live.heardAt = snapshot.heardAt;
  } catch {
    localStorage.removeItem(CACHE_KEY);
  }
}

function stopStream() {
  source?.close();
  source = null;
  clearTimeout(watchdog);
  clearTimeout(retry);
}

function later() {
  clearTimeout(retry);
  retry = setTimeout(connect, RETRY_MS);
}

async function connect() {
  stopStream();
  try {
    for (const gh of await api.greenhouses()) take(gh);
  } catch (err) {
    setConnected(false);
    if (err.status === 401) onSignedOut();
    else later();
    return;
  }
  save();
  setConnected(true);
  changed();
  // EventSource reconnects by itself after a network error; it gives up only on an HTTP error (a session
  // that ended), and then the list above is asked again, which tells a lost session from a broken network.
  source = new EventSource("/api/v1/live/stream");
  watchdog = setTimeout(connect, WATCHDOG_MS);
  const heard = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(connect, WATCHDOG_MS);
    live.connected = navigator.onLine;
    save();
    changed();
  };
  // Each connection, the browser's own reconnections included, starts with every greenhouse whole.
  source.addEventListener("greenhouse", (event) => {
    lastEvent = Number(event.lastEventId);
    take(JSON.parse(event.data));
    heard();
  });
  source.addEventListener("patch", (event) => {
    const { greenhouse, patch } = JSON.parse(event.data);
    const base = live.greenhouses.get(greenhouse);
    const number = Number(event.lastEventId);
    // A patch fits only the picture it was made against: after a gap, start over from whole pictures.
    if (!base || number !== lastEvent + 1) return connect();
    lastEvent = number;
    take(applyPatch(base, patch));
    heard();
  });
  source.addEventListener("error", () => {
    setConnected(false);
    if (source?.readyState === EventSource.CLOSED) later();
  });
}

export function startLive(signedInUser, signedOut) {
  user = signedInUser;
  onSignedOut = signedOut;
  restore();
  changed();
  connect();
}

export function stopLive() {
  stopStream();
  user = null;
  live.greenhouses.clear();
  live.connected = false;
  live.heardAt = null;
  localStorage.removeItem(CACHE_KEY);
}

// Phones say when they lose the network before any socket notices: show the stale marker at once.
window.addEventListener("offline", () => setConnected(false));
window.addEventListener("online", () => {
  if (user) connect();
});
