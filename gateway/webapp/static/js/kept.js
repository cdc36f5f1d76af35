// The last answers of the screens that ask the gateway when opened (alerts, charts), kept on the phone for the
// signed-in user: without a network such a screen shows what it last got, and how old that is, not nothing.

import { serverNow } from "./clock.js";

const KEY = "gh.kept";
const MAX_ANSWERS = 12; // the oldest goes first: a few greenhouses' alerts and charts, well under the storage limit
let owner = null;

// Whose answers are kept; null (signed out) forgets them.
export function keepFor(user) {
  owner = user;
  if (!user) localStorage.removeItem(KEY);
}

function stored() {
  try {
    const kept = JSON.parse(localStorage.getItem(KEY) ?? "null");
    if (kept && kept.user === owner) return kept;
  } catch {
    // unreadable: start again
  }
  return { user: owner, answers: {} };
}

function keep(key, value) {
  const kept = stored();
  kept.answers[key] = { at: serverNow(), value };
  const newest = Object.keys(kept.answers).sort((a, b) => kept.answers[b].at - kept.answers[a].at);
  for (const old of newest.slice(MAX_ANSWERS)) delete kept.answers[old];
  try {
    localStorage.setItem(KEY, JSON.stringify(kept));
  } catch {
    // storage full or disabled: the screens still work online
  }
}

// What `ask()` answers, kept under `key`: { value, keptAt: null }. Without a network, the answer kept last
// time as { value, keptAt } (server time), or the error when there is none.
export async function keptOr(key, ask) {
  try {
    const value = await ask();
    if (owner) keep(key, value);
    return { value, keptAt: null };
  } catch (err) {
    const hit = err.status === 0 && owner ? stored().answers[key] : undefined;
    if (!hit) throw err;
    return { value: hit.value, keptAt: hit.at };
  }
}
