// Turning this phone's notifications on, in one step: why, the button, and what to do when the browser blocks
// them or cannot have them here — never a button that does nothing. "Gửi thử cho tôi" sends the user a test
// alert by every way they are told and shows the gateway's answer. The step is a page of its own
// (#/notifications), the first step of the onboarding page, and a line on the greenhouse list and the alerts.

import * as api from "../api.js";
import { h, setClass, setText } from "../dom.js";
import { t } from "../lang.js";
import { State, pushState, turnOff, turnOn, watchPush } from "../push.js";

// A phone's own failure (its push service unreachable, its worker missing) has no words of ours in it.
const problem = (err) => (err instanceof api.ApiError ? err.message : t("notify.failed"));

function testAlert() {
  const said = h("p", { class: "test-said", role: "status" });
  const results = h("ul", { class: "results" });
  const button = h("button", {
    type: "button",
    class: "big secondary test-alert",
    text: t("notify.test"),
    onclick: async () => {
      button.disabled = true;
      setText(button, t("notify.testing"));
      results.replaceChildren();
      setClass(said, "test-said");
      try {
        const answer = await api.testAlert();
        setText(said, answer.said);
        results.replaceChildren(...answer.results.map((r) => h("li", { class: r.ok ? "ok" : "failed", text: r.said })));
      } catch (err) {
        setClass(said, "test-said error");
        setText(said, err.message);
      }
      button.disabled = false;
      setText(button, t("notify.test"));
    },
  });
  return h("div", { class: "test" }, h("p", { class: "hint", text: t("notify.test_hint") }), button, said, results);
}

// The step itself: its state asked when made and again when it may have changed (see push.watchPush).
export function notifyStep({ guideLink = true, heading = true } = {}) {
  const state = h("p", { class: "state" });
  const how = h("div", { class: "how" });
  const said = h("p", { class: "said", role: "status" });
  const on = h("button", { type: "button", class: "big turn-on", text: t("notify.turn_on") });
  const off = h("button", { type: "button", class: "secondary turn-off", text: t("notify.turn_off") });
  const recheck = h("button", { type: "button", class: "secondary recheck", text: t("notify.recheck") });
  const el = h(
    "section",
    { class: "notify-step", "data-state": "checking" },
    heading ? h("h2", { text: t("notify.title") }) : null,
    h("p", { class: "why", text: t("notify.why") }),
    state,
    how,
    on,
    recheck,
    said,
    off,
    testAlert(),
    guideLink ? h("a", { class: "chip-link guide-link", href: "#/onboarding", text: t("notify.guide") }) : null,
  );

  function show(next, words = "", isError = false) {
    el.dataset.state = next;
    setText(state, t(`notify.state.${next}`));
    // How to allow them again, in the words of the phone's own menus: the page cannot ask a second time.
    how.replaceChildren(
      ...(next === State.BLOCKED ? ["notify.unblock_browser", "notify.unblock_app"] : []).map((k) => h("p", { text: t(k) })),
    );
    on.hidden = next !== State.OFF;
    off.hidden = next !== State.ON;
    recheck.hidden = next !== State.BLOCKED;
    setClass(said, isError ? "said error" : "said");
    setText(said, words);
  }

  async function check() {
    if (!el.isConnected && el.dataset.state !== "checking") return; // a screen no longer shown
    try {
      show(await pushState());
    } catch (err) {
      show("unknown", err.status === 0 ? t("notify.offline") : problem(err), true);
    }
  }

  async function act(button, busy, action) {
    button.disabled = true;
    setText(button, t(busy));
    try {
      const { state: next, said: words, dismissed } = await action();
      show(next, dismissed ? t("notify.dismissed") : words);
    } catch (err) {
      setClass(said, "said error");
      setText(said, problem(err));
    }
    button.disabled = false;
    setText(button, t(button === on ? "notify.turn_on" : "notify.turn_off"));
  }

  on.addEventListener("click", () => act(on, "notify.turning_on", turnOn));
  off.addEventListener("click", () => act(off, "notify.turning_off", turnOff));
  recheck.addEventListener("click", check);
  show("checking");
  watchPush(check);
  check();
  return el;
}

// One line that says whether this phone is told, and leads to the step.
export function notifyLink() {
  const el = h("a", { class: "notify-link", href: "#/notifications", "data-state": "checking" }, t("notify.link.checking"));
  pushState().then(
    (state) => {
      el.dataset.state = state;
      setText(el, t(`notify.link.${state}`));
    },
    () => {}, // offline: the line still leads to the step, which says so
  );
  return el;
}

export function notificationsView() {
  return { el: h("div", { class: "notify-page" }, notifyStep()), title: t("notify.page"), back: true, update() {} };
}
