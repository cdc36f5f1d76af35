// The record book's entries on their way to the gateway. A farmer records a spray in a greenhouse with no signal:
// the entry is kept on the phone (for the signed-in user) and sent when the network returns — at the `online`
// event, when the app starts, and every little while — one at a time, in the order they were written. Each entry
// carries the id the phone gave it, so a resend after a lost answer is stored once (the gateway answers
// `new: false`). An entry the gateway refuses (a harvest within a spray's interval, a greenhouse not hers) leaves
// the queue and stays beside it with the gateway's words, until the farmer has read them.

import * as api from "./api.js";

const KEY = "gh.diary.queue"; // + ":" + the user: a farmer's waiting entries are hers, even on a shared phone
const RETRY_MS = 20_000;
// What a resend cannot change: the entry itself is wrong, or not hers to write. Anything else (no network, the
// gateway restarting, a session ended) is tried again.
const REFUSED = new Set([403, 404, 409, 422]);
export const Waiting = "waiting";
export const Refused = "refused";

let owner = null;
let chain = Promise.resolve();
let next = null; // the pass queued after the one running: asked for again meanwhile, it is the same pass
// An entry `record` waits for → how its sending ended (null: not yet), whichever pass sent it.
const results = new Map();
const listeners = new Set();

// A new entry's id, made on the phone before it ever leaves (crypto.randomUUID needs HTTPS; a farm's own network
// may serve the app over plain HTTP).
export const newEntryId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

function load() {
  if (!owner) return [];
  try {
    const items = JSON.parse(localStorage.getItem(`${KEY}:${owner}`) ?? "[]");
    return Array.isArray(items) ? items : [];
  } catch {
    return [];
  }
}

function store(items) {
  if (!owner) return;
  if (items.length) localStorage.setItem(`${KEY}:${owner}`, JSON.stringify(items));
  else localStorage.removeItem(`${KEY}:${owner}`);
  for (const fn of listeners) fn();
}

// Changes one item (by its entry's id) in what is stored now: another tab may have changed the rest.
function change(id, how) {
  store(load().flatMap((item) => (item.entry.id === id ? how(item) : [item])));
}

export function onQueueChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Whose queue it is; null (signed out) stops sending, and keeps what waits for her next sign-in.
export function queueFor(user) {
  owner = user;
  if (user) flush();
}

// Every item of the signed-in user, oldest first: {entry, state: Waiting | Refused, said (the refusal)}.
export const queued = () => load();

// A refusal read: taken off the phone.
export function dismiss(id) {
  change(id, () => []);
}

async function sendOne(item) {
  try {
    return { answer: await api.recordEntry(item.entry) };
  } catch (err) {
    if (REFUSED.has(err.status)) return { refusal: err };
    return null; // not sent: tried again later
  }
}

// Sends every waiting item in order; stops at the first that cannot be sent now, so that none overtakes another.
async function sendAll() {
  for (let item = waitingFirst(); item; item = waitingFirst()) {
    const result = await sendOne(item);
    if (result === null) return;
    if (results.has(item.entry.id)) results.set(item.entry.id, result);
    if (result.answer) change(item.entry.id, () => []);
    else change(item.entry.id, (it) => [{ ...it, state: Refused, said: result.refusal.message }]);
  }
}

const waitingFirst = () => load().find((item) => item.state === Waiting);

// One pass at a time on this phone (across its tabs too, where the browser can say so): an entry is never sent
// twice at once.
function pass() {
  return navigator.locks ? navigator.locks.request(KEY, sendAll) : sendAll();
}

export function flush() {
  if (!owner) return Promise.resolve();
  if (!next) {
    next = chain.then(() => {
      next = null;
      return pass();
    });
    chain = next.catch(() => {}); // a failed pass (storage full, say) does not stop the ones after it
  }
  return next;
}

// Records an entry: kept on the phone first, then sent with whatever waits before it. The answer is
// {saved: answer of the gateway} once it is stored there, {waiting: true} when it could not be sent yet; a
// refusal throws the gateway's ApiError (the form says it, and the entry is not kept).
export async function record(entry) {
  store([...load().filter((item) => item.entry.id !== entry.id), { entry, state: Waiting }]);
  results.set(entry.id, null);
  await flush();
  const result = results.get(entry.id);
  results.delete(entry.id);
  if (!result) return { waiting: true };
  if (result.answer) return { saved: result.answer };
  dismiss(entry.id);
  throw result.refusal;
}

window.addEventListener("online", () => flush());
setInterval(() => {
  if (waitingFirst()) flush();
}, RETRY_MS);
