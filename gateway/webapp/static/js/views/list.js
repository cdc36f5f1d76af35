// The cooperative's greenhouses: one card each, with the answer to "is it OK?" and what is running.

import { h, icon, keyed, setClass, setText } from "../dom.js";
import { number } from "../format.js";
import { currentLang, nameOf, serverText, t } from "../lang.js";
import { live } from "../live.js";
import { doingNow, may, sensorOf } from "../model.js";
import { notifyLink } from "./notify.js";

function card(gh) {
  const name = h("div", { class: "name" });
  const state = h("div", { class: "state" });
  const why = h("div", { class: "reason" });
  const temp = h("span", { class: "num" });
  const rh = h("span", { class: "num" });
  const doing = h("div", { class: "doing" });
  const alerts = h("span", { class: "badge" });
  const el = h(
    "a",
    { class: "card", href: `#/gh/${encodeURIComponent(gh.greenhouse)}` },
    h("div", { class: "card-head" }, name, alerts),
    state,
    why,
    h("div", { class: "card-values" }, icon("temp"), temp, icon("drop"), rh),
    doing,
  );
  return {
    el,
    update(gh) {
      const v = gh.verdict;
      setClass(el, `card ${v.level}`);
      setText(name, nameOf(gh));
      setText(state, t(`verdict.${v.level}`));
      // The worst reason only: the card is a glance, the greenhouse's screen says the rest.
      setText(why, v.reasons.length ? serverText(v.reasons[0]) : "");
      const air = sensorOf(gh, "air_temp_c");
      const hum = sensorOf(gh, "air_rh_pct");
      setText(temp, air ? `${number(air.value, air.digits)} ${air.unit}` : "–");
      setText(rh, hum ? `${number(hum.value, hum.digits)} ${hum.unit}` : "–");
      setText(doing, doingNow(gh));
      const n = gh.active_alerts;
      setText(alerts, n ? t(n === 1 ? "list.alert_one" : "list.alerts", { n }) : "");
      alerts.hidden = !gh.active_alerts;
    },
  };
}

// The other pages this user may open: the history for everyone, rules for those who may edit them, the set-up
// and the field devices (ids, addresses, wiring) and the page to set a farmer's phone up with for those who set
// the site up.
function deskLinks(me) {
  const setup = may(me, "setup") ? ["setup", "devices", "onboarding"] : [];
  const users = may(me, "manage_users") ? ["users"] : [];
  const diary = may(me, "export_diary") ? ["diary"] : [];
  const pages = ["history", ...(may(me, "edit_rules") ? ["rules"] : []), ...setup, ...users, ...diary];
  return h("nav", { class: "desk-links" }, pages.map((p) => h("a", { class: "chip-link", href: `#/${p}`, "data-page": p, text: t(`desk.${p}`) })));
}

export function listView(me) {
  const cards = h("div", { class: "cards" });
  const empty = h("p", { class: "empty" });
  const el = h("div", { class: "list" }, deskLinks(me), notifyLink(), cards, empty);
  return {
    el,
    title: t("app.name"),
    update() {
      const all = [...live.greenhouses.values()].sort((a, b) => nameOf(a).localeCompare(nameOf(b), currentLang()));
      keyed(cards, all, (gh) => gh.greenhouse, card);
      setText(empty, all.length ? "" : t(live.connected ? "list.none" : "list.loading"));
    },
  };
}
