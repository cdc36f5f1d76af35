// This phone's notifications: whether it can have them here, whether they are on, turning them on and off.
// The phone subscribes with the gateway's public key and hands the subscription to the gateway; what the gateway
// sends is shown by the service worker (sw.js).

import * as api from "./api.js";

// Closed set of what the notifications step can say; each has its words in strings.js (notify.state.*).
export const State = Object.freeze({
  NO_HTTPS: "no_https", // the page is not on a secure origin: browsers give push only to those
  NO_PUSH: "no_push", // this browser has no Push API
  NO_SERVER: "no_server", // the gateway has no key: it cannot send phone notifications
  BLOCKED: "blocked", // the user (or the phone) refused them: only the phone's settings can undo it
  OFF: "off",
  ON: "on",
});

// navigator.serviceWorker.ready never settles for a page whose worker failed to register: wait this long at most.
const WORKER_WAIT_MS = 10_000;

let serverKey; // undefined until asked (once a page), null when the gateway has none
let current = null; // the subscription made or found on this page
let told = false; // whether the gateway was handed it on this page
let watcher = null;

export class PushError extends Error {}

const b64url = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

function bytesOf(text) {
  const raw = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function worker() {
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new PushError("no worker")), WORKER_WAIT_MS));
  return Promise.race([navigator.serviceWorker.ready, timeout]);
}

// The subscription of this phone, if it was made with the gateway's current key; one made with an older key (the
// gateway's keys made again) reaches nobody, and is dropped.
async function mine() {
  const sub = current ?? (await (await worker()).pushManager.getSubscription());
  if (!sub) return null;
  const key = sub.options?.applicationServerKey;
  if (key && b64url(key) !== serverKey) {
    await sub.unsubscribe().catch(() => {});
    current = null;
    return null;
  }
  current = sub;
  return sub;
}

function possibleHere() {
  if (!window.isSecureContext) return State.NO_HTTPS;
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return State.NO_PUSH;
  return null;
}

// Where this phone stands. Throws an ApiError when the gateway cannot be asked for its key.
export async function pushState() {
  const impossible = possibleHere();
  if (impossible) return impossible;
  if (serverKey === undefined) serverKey = (await api.pushKey()).public_key ?? null;
  if (!serverKey) return State.NO_SERVER;
  if (Notification.permission === "denied") return State.BLOCKED;
  if (Notification.permission !== "granted") return State.OFF;
  const sub = await mine();
  if (!sub) return State.OFF;
  if (!told) {
    // Handed over again once a page: a gateway that lost it (restored from a backup, say) has it again.
    await api.subscribePush(sub.toJSON()).then(
      () => (told = true),
      () => {}, // tried again on the next page; the phone's state is the same either way
    );
  }
  return State.ON;
}

// Asks the user (the browser's own question), subscribes, hands the subscription to the gateway. Answers the
// new state and the gateway's words; throws an ApiError (the gateway's words) or a PushError (the phone's).
export async function turnOn() {
  const permission = await Notification.requestPermission();
  if (permission === "denied") return { state: State.BLOCKED, said: "" };
  if (permission !== "granted") return { state: State.OFF, said: "", dismissed: true };
  const sub = (await mine()) ?? (await subscribe());
  const answer = await api.subscribePush(sub.toJSON());
  told = true;
  return { state: State.ON, said: answer.said };
}

async function subscribe() {
  try {
    const registration = await worker();
    current = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: bytesOf(serverKey) });
    return current;
  } catch (err) {
    throw new PushError(err.message);
  }
}

// The gateway forgets this phone first: were the phone's side to go first and the gateway's fail, the gateway would
// keep sending to a subscription nobody reads until its push service says it is gone.
export async function turnOff() {
  const sub = await mine();
  let said = "";
  if (sub) {
    said = (await api.unsubscribePush(sub.endpoint)).said;
    await sub.unsubscribe().catch(() => {});
  }
  current = null;
  told = false;
  return { state: State.OFF, said };
}

// `fn` is called when the answer may have changed behind the page's back: the user changed the permission in the
// phone's settings, or came back to the app from them. One screen at a time shows the step: the last one set wins.
export function watchPush(fn) {
  watcher = fn;
}

const changed = () => watcher?.();
document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && changed());
navigator.permissions
  ?.query({ name: "notifications" })
  .then((status) => status.addEventListener("change", changed))
  .catch(() => {});
