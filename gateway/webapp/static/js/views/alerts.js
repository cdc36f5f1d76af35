// The alerts of one greenhouse: the ones still on first, each with its severity, when it was raised and
// cleared, and who acknowledged it; a button to acknowledge it. Without a network, the list last fetched,
// saying how old it is (and no buttons: an acknowledgement needs the gateway).

import * as api from "../api.js";
import { h, keyed, setClass, setText } from "../dom.js";
import { serverNow } from "../clock.js";
import { dateTime, duration } from "../format.js";
import { keptOr } from "../kept.js";
import { serverText, t } from "../lang.js";
import { may, msOf } from "../model.js";

function alertRow(ghId, reload, mayAck) {
  let current = null;
  const severity = h("span", { class: "severity" });
  const text = h("div", { class: "text" });
  const times = h("div", { class: "times" });
  const acked = h("div", { class: "acked" });
  const error = h("div", { class: "error", role: "alert" });
  const button = h("button", {
    type: "button",
    class: "ack",
    text: t("alerts.ack"),
    onclick: async () => {
      button.disabled = true;
      try {
        await api.ackAlert(ghId, current.id);
        setText(error, "");
        reload();
      } catch (err) {
        setText(error, err.message);
        button.disabled = false;
      }
    },
  });
  const el = h("li", {}, h("div", { class: "alert-head" }, severity, text), times, acked, error, button);
  return {
    el,
    update(a) {
      current = a;
      setClass(el, `alert ${a.severity}${a.active ? " active" : " cleared"}`);
      setText(severity, t(`severity.${a.severity}`));
      setText(text, serverText(a));
      const raised = t("alerts.raised", { at: dateTime(msOf(a.raised_at)) });
      const cleared = a.cleared_at ? t("alerts.cleared", { at: dateTime(msOf(a.cleared_at)) }) : t("alerts.ongoing");
      setText(times, `${raised} · ${cleared}`);
      setText(acked, a.acked_by ? t("alerts.acked", { who: a.acked_by, at: dateTime(msOf(a.acked_at)) }) : "");
      button.hidden = Boolean(a.acked_by) || !mayAck;
    },
  };
}

export function alertsView(ghId, me) {
  const list = h("ul", { class: "alerts" });
  const note = h("p", { class: "empty", text: t("alerts.loading") });
  const el = h("div", {}, note, list);
  let seenActive = null;

  async function load() {
    let all;
    let keptAt;
    try {
      ({ value: all, keptAt } = await keptOr(`alerts:${ghId}`, () => api.alerts(ghId)));
    } catch (err) {
      setText(note, err.status ? err.message : t("alerts.offline"));
      return;
    }
    all.sort((a, b) => b.active - a.active || msOf(b.raised_at) - msOf(a.raised_at));
    keyed(list, all, (a) => a.id, () => alertRow(ghId, load, may(me, "ack_alerts")));
    list.classList.toggle("kept", keptAt !== null);
    const age = keptAt === null ? "" : t("alerts.kept", { ago: duration(serverNow() - keptAt) });
    setText(note, [age, all.length ? "" : t("alerts.none")].filter(Boolean).join(" · "));
  }

  load();
  return {
    el,
    // A new alert, or one cleared, changes the greenhouse's count: then the list is asked again.
    update(gh) {
      if (seenActive !== null && seenActive !== gh.active_alerts) load();
      seenActive = gh.active_alerts;
    },
  };
}
