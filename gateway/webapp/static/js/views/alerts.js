// The alerts of one greenhouse: the ones still on first, each with its severity, when it was raised and
// cleared, and who acknowledged it; a button to acknowledge it; who was told of it and how (its timeline, shut to
// its last line, opened by a tap). Without a network, the list last fetched, saying how old it is (and no
// buttons: an acknowledgement needs the gateway). On top, whether this phone is told of alerts.

import * as api from "../api.js";
import { h, keyed, setClass, setText } from "../dom.js";
import { serverNow } from "../clock.js";
import { clockTime, dateTime, duration } from "../format.js";
import { keptOr } from "../kept.js";
import { serverText, t } from "../lang.js";
import { may, msOf } from "../model.js";
import { notifyLink } from "./notify.js";

// An ongoing alert's timeline is asked again this often (wall time) while its list is open: the escalation goes
// on meanwhile ("Gọi cho Anh Hùng…"). A cleared alert's is asked once. After the alert was acknowledged or
// cleared, more often for a while: the notifier takes the change at its next pass, some seconds later.
const TIMELINE_EVERY_MS = 30_000;
const TIMELINE_SOON_MS = 5_000;
const SOON_FOR_MS = 30_000;
const DAY_MS = 24 * 3600 * 1000;

// "03:12 Đã gửi tin nhắn SMS tới Chị Lan": the day too when it was not in the last day.
const entryTime = (ms) => (serverNow() - ms < DAY_MS ? clockTime(ms) : dateTime(ms));

function timelineEntry() {
  const at = h("time", { class: "at" });
  const said = h("span", { class: "what" });
  const el = h("li", {}, at, " ", said); // the space for a reader of the text; the screen spaces them itself
  return {
    el,
    update(entry) {
      setClass(el, entry.ok ? "ok" : "failed");
      setText(at, entryTime(msOf(entry.at)));
      setText(said, entry.said);
    },
  };
}

function timeline(ghId, alertId) {
  const last = h("span", { class: "last" });
  const more = h("span", { class: "more" });
  const title = h("span", { class: "title", text: t("timeline.title") }); // in place of the last line, when open
  const entries = h("ol", { class: "entries" });
  const el = h("details", { class: "timeline", hidden: true }, h("summary", {}, title, last, more), entries);
  let askedAt = null;
  let soonUntil = 0;
  let asking = false;
  let again = false; // asked to ask while an answer was on its way: that answer may be older than the change

  async function ask() {
    asking = true;
    askedAt = Date.now();
    try {
      const all = (await api.alertTimeline(ghId, alertId)).entries;
      el.hidden = all.length === 0;
      keyed(entries, all, (e) => `${e.at} ${e.said}`, timelineEntry);
      const newest = all.at(-1);
      setText(last, newest ? `${entryTime(msOf(newest.at))} ${newest.said}` : "");
      setClass(last, newest && !newest.ok ? "last failed" : "last");
      setText(more, all.length > 1 ? t("timeline.more", { n: all.length }) : "");
      el.classList.toggle("single", all.length < 2);
    } catch {
      // no network, or nobody is told of alerts here: what was shown stays
    }
    asking = false;
    if (again) {
      again = false;
      ask();
    }
  }

  return {
    el,
    // `now`: the alert was acknowledged or cleared, which the timeline tells too: asked at once, and soon again.
    tick(active, now = false) {
      if (now) soonUntil = Date.now() + SOON_FOR_MS;
      if (asking) {
        again ||= now;
        return;
      }
      const soon = Date.now() < soonUntil;
      const every = soon ? TIMELINE_SOON_MS : TIMELINE_EVERY_MS;
      if (now || askedAt === null || ((active || soon) && Date.now() - askedAt >= every)) ask();
    },
  };
}

function alertRow(ghId, reload, mayAck, id) {
  let current = null;
  const told = timeline(ghId, id);
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
  const el = h("li", {}, h("div", { class: "alert-head" }, severity, text), times, acked, told.el, error, button);
  return {
    el,
    tick: () => told.tick(current.active),
    update(a) {
      const turned = current !== null && (current.acked_by !== a.acked_by || current.cleared_at !== a.cleared_at);
      current = a;
      setClass(el, `alert ${a.severity}${a.active ? " active" : " cleared"}`);
      setText(severity, t(`severity.${a.severity}`));
      setText(text, serverText(a));
      const raised = t("alerts.raised", { at: dateTime(msOf(a.raised_at)) });
      const cleared = a.cleared_at ? t("alerts.cleared", { at: dateTime(msOf(a.cleared_at)) }) : t("alerts.ongoing");
      setText(times, `${raised} · ${cleared}`);
      setText(acked, a.acked_by ? t("alerts.acked", { who: a.acked_by, at: dateTime(msOf(a.acked_at)) }) : "");
      button.hidden = Boolean(a.acked_by) || !mayAck;
      told.tick(a.active, turned);
    },
  };
}

export function alertsView(ghId, me) {
  const list = h("ul", { class: "alerts" });
  const note = h("p", { class: "empty", text: t("alerts.loading") });
  const el = h("div", {}, notifyLink(), note, list);
  const rows = new Set();
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
    keyed(list, all, (a) => a.id, (a) => {
      const row = alertRow(ghId, load, may(me, "ack_alerts"), a.id);
      rows.add(row);
      return row;
    });
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
      for (const row of rows) {
        if (row.el.isConnected) row.tick();
        else rows.delete(row); // dropped from the list
      }
    },
  };
}
