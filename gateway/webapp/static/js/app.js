// The app: who is signed in, which screen the address names, the bar, the connection banner, the ticker.

import * as api from "./api.js";
import { serverNow } from "./clock.js";
import { queueFor } from "./diary_queue.js";
import { h, setText } from "./dom.js";
import { duration } from "./format.js";
import { keepFor } from "./kept.js";
import { currentLang, nameOf, onLangChange, setLang, t } from "./lang.js";
import { live, onLive, startLive, stopLive } from "./live.js";
import { may } from "./model.js";
import { alertsView } from "./views/alerts.js";
import { chartsView } from "./views/charts.js";
import { diaryView } from "./views/diary.js";
import { listView } from "./views/list.js";
import { loginView } from "./views/login.js";
import { notificationsView } from "./views/notify.js";
import { nowView } from "./views/now.js";
import { onboardingView } from "./views/onboarding.js";

const ME_KEY = "gh.me"; // who was signed in, so that the app opens offline on their last values
const $ = (id) => document.getElementById(id);
let me = null;
let view = null;
let notice = "";

function greenhouseView(id, tab) {
  const gh = live.greenhouses.get(id);
  if (!gh) {
    const el = h("p", { class: "empty", text: t(live.connected ? "gh.unknown" : "list.loading") });
    return { el, waiting: !live.connected, update() {} };
  }
  const badge = h("span", { class: "badge" });
  const tabs = ["now", "charts", "alerts"].map((name) =>
    h(
      "a",
      {
        class: "tab",
        role: "tab",
        href: `#/gh/${encodeURIComponent(id)}${name === "now" ? "" : `/${name}`}`,
        "aria-selected": String(name === tab),
      },
      t(`tab.${name}`),
      name === "alerts" ? badge : null,
    ),
  );
  // The record book: the fourth tab (views/diary.js).
  const diaryTab = { class: "tab", role: "tab", href: `#/gh/${encodeURIComponent(id)}/diary`, "aria-selected": String(tab === "diary") };
  tabs.push(h("a", diaryTab, t("tab.diary")));
  if (tab === "diary") return diaryScreen(id, gh, tabs, badge);
  const inner = { now: () => nowView(id, me), charts: () => chartsView(id, gh), alerts: () => alertsView(id, me) }[tab]();
  return {
    el: h("div", { class: "greenhouse" }, h("nav", { class: "tabs", role: "tablist" }, tabs), inner.el),
    title: nameOf(gh),
    back: true,
    update() {
      const now = live.greenhouses.get(id);
      setText(badge, now.active_alerts ? String(now.active_alerts) : "");
      inner.update(now);
    },
  };
}

// The greenhouse's record book below its tabs, its alert count kept on the alerts tab as on the others.
function diaryScreen(id, gh, tabs, badge) {
  const inner = diaryView(id, gh, me);
  return {
    el: h("div", { class: "greenhouse" }, h("nav", { class: "tabs", role: "tablist" }, tabs), inner.el),
    title: nameOf(gh),
    back: true,
    update() {
      const now = live.greenhouses.get(id);
      setText(badge, now.active_alerts ? String(now.active_alerts) : "");
      inner.update(now);
    },
  };
}

// The technician's and the agronomist's pages, fetched when first opened: a farmer's phone never pays for
// them on 3G. `needs`: what the user must be allowed to do to open one (the API refuses the others anyway).
const DESK = {
  setup: { load: () => import("./desk/setup.js"), make: "setupView", needs: "setup" },
  rules: { load: () => import("./desk/rules.js"), make: "rulesView", needs: "edit_rules" },
  history: { load: () => import("./desk/history.js"), make: "historyView", needs: "read" },
  devices: { load: () => import("./desk/devices.js"), make: "devicesView", needs: "setup" },
  users: { load: () => import("./desk/users.js"), make: "usersView", needs: "manage_users" },
  roster: { load: () => import("./desk/roster.js"), make: "rosterView", needs: "read" },
  diary: { load: () => import("./desk/diary.js"), make: "deskDiaryView", needs: "export_diary" },
};

function deskView(name, ghId) {
  const page = DESK[name];
  const el = h("div", {}, h("p", { class: "empty", text: t("list.loading") }));
  let inner = null;
  const shell = { el, title: t(`desk.${name}`), back: true, waiting: !live.greenhouses.size, update: () => inner?.update() };
  if (shell.waiting) return shell; // its greenhouse pickers need the live picture: built again once it is here
  page.load().then(
    (module) => {
      inner = module[page.make](ghId);
      el.replaceChildren(inner.el);
    },
    () => el.replaceChildren(h("p", { class: "error", text: t("desk.offline") })),
  );
  return shell;
}

function route() {
  const path = location.hash.slice(1) || "/";
  const found = path.match(/^\/gh\/([^/]+)(?:\/(charts|alerts))?$/);
  const desk = path.match(/^\/(setup|rules|history|devices|users|roster)(?:\/([^/]+))?$/);
  const diary = path.match(/^\/gh\/([^/]+)\/diary$/);
  let next;
  if (!me) next = loginView(signedIn, notice);
  else if (path === "/notifications") next = notificationsView();
  else if (path === "/onboarding") next = onboardingView();
  else if (diary) next = greenhouseView(decodeURIComponent(diary[1]), "diary");
  else if (path === "/diary" && may(me, DESK.diary.needs)) next = deskView("diary");
  else if (found) next = greenhouseView(decodeURIComponent(found[1]), found[2] ?? "now");
  else if (desk && may(me, DESK[desk[1]].needs)) next = deskView(desk[1], desk[2] && decodeURIComponent(desk[2]));
  else next = listView(me);
  view = next;
  $("screen").replaceChildren(next.el);
  document.title = next.title ?? t("app.name");
  setText($("title"), next.title ?? t("app.name"));
  $("back").hidden = !next.back;
  $("signout").hidden = !me || Boolean(next.back); // on the list only: a greenhouse's name needs the room
  refresh();
  next.focus?.();
}

// A greenhouse screen opened before its data came is built again once it is there.
function refresh() {
  if (view?.waiting && live.greenhouses.size) return route();
  view?.update();
  banner();
}

function banner() {
  const el = $("banner");
  const stale = Boolean(me) && !live.connected && live.heardAt !== null;
  document.body.classList.toggle("stale", stale);
  el.hidden = !stale;
  if (stale) setText(el, t("offline.banner", { ago: duration(serverNow() - live.heardAt) }));
}

function start() {
  localStorage.setItem(ME_KEY, JSON.stringify({ name: me.name, role: me.role, may: me.may }));
  keepFor(me.name);
  queueFor(me.name);
  startLive(me.name, () => {
    me = null;
    notice = t("login.expired");
    stopLive();
    route();
  });
}

function signedIn(who) {
  me = who;
  notice = "";
  start();
  location.hash = who.role === "agronomist" ? "#/history" : "#/"; // the explorer is the agronomist's main screen
  route();
}

async function signOut() {
  try {
    await api.signOut();
  } catch {
    // signed out here either way: the session ends on the gateway at its expiry
  }
  me = null;
  localStorage.removeItem(ME_KEY);
  keepFor(null);
  queueFor(null);
  stopLive();
  location.hash = "#/";
  route();
}

function labelBar() {
  const other = currentLang() === "vi" ? "en" : "vi";
  setText($("lang"), t("lang.switch"));
  $("lang").setAttribute("aria-label", t("lang.switch_label"));
  $("lang").setAttribute("lang", currentLang() === "vi" ? "en" : "vi"); // said in the language it switches to
  $("lang").dataset.to = other;
  setText($("signout"), t("signout"));
  $("back").setAttribute("aria-label", t("back"));
}

async function boot() {
  document.documentElement.lang = currentLang();
  labelBar();
  $("lang").addEventListener("click", () => setLang($("lang").dataset.to));
  $("signout").addEventListener("click", signOut);
  $("back").addEventListener("click", () => {
    location.hash = "#/";
  });
  onLangChange(() => {
    labelBar();
    route();
  });
  window.addEventListener("hashchange", route);
  onLive(refresh);
  setInterval(refresh, 1000); // ages and countdowns
  navigator.serviceWorker?.register("/sw.js").catch(() => {});
  try {
    me = await api.whoAmI();
  } catch (err) {
    // Without a network, the last user's last values; a session the gateway ended asks for a new sign-in.
    me = err.status === 0 ? JSON.parse(localStorage.getItem(ME_KEY) ?? "null") : null;
  }
  if (me) start();
  route();
}

boot();
