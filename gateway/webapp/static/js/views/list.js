// The cooperative's greenhouses: one card each, with the answer to "is it OK?" and what is running.

import { h, icon, keyed, setClass, setText } from "../dom.js";
import { number } from "../format.js";
import { t } from "../lang.js";
import { live } from "../live.js";
import { doingNow, may, sensorOf, verdict } from "../model.js";

function card(gh) {
  const name = h("div", { class: "name" });
  const state = h("div", { class: "state" });
  const temp = h("span", { class: "num" });
  const rh = h("span", { class: "num" });
  const doing = h("div", { class: "doing" });
  const alerts = h("span", { class: "badge" });
  const el = h(
    "a",
    { class: "card", href: `#/gh/${encodeURIComponent(gh.greenhouse)}` },
    h("div", { class: "card-head" }, name, alerts),
    state,
    h("div", { class: "card-values" }, icon("temp"), temp, icon("drop"), rh),
    doing,
  );
  return {
    el,
    update(gh) {
      const v = verdict(gh);
      setClass(el, `card ${v}`);
      setText(name, gh.name);
      setText(state, t(`verdict.${v}`));
      const air = sensorOf(gh, "air_temp_c");
      const hum = sensorOf(gh, "air_rh_pct");
      setText(temp, air ? `${number(air.value, 1)} ${air.unit}` : "–");
      setText(rh, hum ? `${number(hum.value, 0)} ${hum.unit}` : "–");
      setText(doing, doingNow(gh));
      setText(alerts, gh.active_alerts ? t("list.alerts", { n: gh.active_alerts }) : "");
      alerts.hidden = !gh.active_alerts;
    },
  };
}

// The other pages this user may open: the history for everyone, rules for those who may edit them, the set-up
// and the field devices (ids, addresses, wiring) for those who set the site up.
function deskLinks(me) {
  const setup = may(me, "setup") ? ["setup", "devices"] : [];
  const pages = ["history", ...(may(me, "edit_rules") ? ["rules"] : []), ...setup];
  return h("nav", { class: "desk-links" }, pages.map((p) => h("a", { class: "chip-link", href: `#/${p}`, "data-page": p, text: t(`desk.${p}`) })));
}

export function listView(me) {
  const cards = h("div", { class: "cards" });
  const empty = h("p", { class: "empty" });
  const el = h("div", { class: "list" }, deskLinks(me), cards, empty);
  return {
    el,
    title: t("app.name"),
    update() {
      const all = [...live.greenhouses.values()].sort((a, b) => a.name.localeCompare(b.name, "vi"));
      keyed(cards, all, (gh) => gh.greenhouse, card);
      setText(empty, all.length ? "" : t(live.connected ? "list.none" : "list.loading"));
    },
  };
}
