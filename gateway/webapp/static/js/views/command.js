// Running a device by hand: how long (and, for a vent, curtain or screen, how far open), then a confirmation,
// then the greenhouse's answer in plain words. Every run has an end: the edge ends it by itself, even if the
// phone is gone by then.

import * as api from "../api.js";
import { serverNow } from "../clock.js";
import { h } from "../dom.js";
import { clockTime } from "../format.js";
import { nameOf, serverText, t } from "../lang.js";
import { positional } from "../model.js";

const PRESETS_MIN = [5, 10, 15, 30];
const POSITIONS_PCT = [0, 25, 50, 75, 100];
const MAX_MIN = 120;
const dialog = () => document.getElementById("dialog");

function step(...children) {
  dialog().replaceChildren(h("div", { class: "sheet" }, ...children));
}

const cancel = () => h("button", { type: "button", class: "secondary", text: t("cmd.cancel"), onclick: close });

function close() {
  dialog().close();
}

// One of the positions, as buttons that stay pressed: a curtain is closed, open part way, or fully open.
function positionPicker(pct) {
  let chosen = pct;
  const label = (p) => (p === 0 ? t("cmd.pos_closed") : p === 100 ? t("cmd.pos_open") : `${p}%`);
  const buttons = POSITIONS_PCT.map((p) =>
    h("button", {
      type: "button",
      class: "preset",
      "data-pct": p,
      "aria-pressed": String(p === chosen),
      text: label(p),
      onclick: () => {
        chosen = p;
        for (const b of buttons) b.setAttribute("aria-pressed", String(Number(b.dataset.pct) === chosen));
      },
    }),
  );
  return { el: h("div", { class: "presets", role: "group", "aria-label": t("cmd.how_far") }, buttons), value: () => chosen };
}

function chooseMinutes(gh, a, minutes = 10, pct = 0) {
  const input = h("input", {
    type: "number",
    id: "cmd-minutes",
    inputmode: "numeric",
    min: 1,
    max: MAX_MIN,
    value: minutes,
  });
  const presets = PRESETS_MIN.map((m) =>
    h("button", {
      type: "button",
      class: "preset",
      text: t("dur.min", { n: m }),
      onclick: () => {
        input.value = m;
      },
    }),
  );
  const position = positional(a) ? positionPicker(pct) : null;
  const next = () => {
    const m = Math.round(Number(input.value));
    if (m >= 1 && m <= MAX_MIN) confirm(gh, a, m, position ? position.value() : null);
    else input.setCustomValidity(t("cmd.minutes_range", { max: MAX_MIN }));
    input.reportValidity();
  };
  const title = a.kind === "valve" ? "cmd.water_title" : position ? "cmd.set_title" : "cmd.run_title";
  step(
    h("h2", { text: t(title, { name: nameOf(a) }) }),
    position ? [h("p", { class: "label", text: t("cmd.how_far") }), position.el] : null,
    h("label", { for: "cmd-minutes", text: t("cmd.how_long") }),
    h("div", { class: "presets" }, presets),
    h("div", { class: "minutes" }, input, h("span", { text: t("cmd.minutes") })),
    h("div", { class: "actions" }, cancel(), h("button", { type: "button", text: t("cmd.next"), onclick: next })),
  );
  input.addEventListener("input", () => input.setCustomValidity(""));
}

// `pct`: the position for a vent, curtain or screen; null for a switched device.
function confirm(gh, a, minutes, pct) {
  const ends = clockTime(serverNow() + minutes * 60_000);
  const command = { actuator: a.actuator, action: "on", duration_s: minutes * 60 };
  if (pct !== null) command.position_pct = pct;
  const question = pct === null ? "cmd.confirm_on" : pct === 0 ? "cmd.confirm_closed" : "cmd.confirm_position";
  step(
    h("h2", { text: t("cmd.confirm_title") }),
    h("p", { class: "question", text: t(question, { name: nameOf(a), min: minutes, ends, pct }) }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", text: t("cmd.back"), onclick: () => chooseMinutes(gh, a, minutes, pct ?? 0) }),
      h("button", { type: "button", class: "go", text: t("cmd.confirm"), onclick: () => send(gh, command, pct !== null) }),
    ),
  );
}

function confirmAuto(gh, a) {
  step(
    h("h2", { text: t("cmd.confirm_title") }),
    h("p", { class: "question", text: t("cmd.confirm_auto", { name: nameOf(a) }) }),
    h(
      "div",
      { class: "actions" },
      cancel(),
      h("button", {
        type: "button",
        class: "go",
        text: t("cmd.confirm"),
        onclick: () => send(gh, { actuator: a.actuator, action: "auto" }),
      }),
    ),
  );
}

async function send(gh, command, held = false) {
  step(h("p", { class: "question", role: "status", text: t("cmd.sending") }));
  let outcome;
  let lines;
  try {
    const answer = await api.sendCommand(gh, command);
    outcome = answer.outcome;
    lines = [serverText(answer)];
    if (answer.effective_duration_s) {
      const at = clockTime(serverNow() + answer.effective_duration_s * 1000);
      lines.push(t(held ? "cmd.auto_at" : "cmd.ends_at", { at }));
    }
  } catch (err) {
    outcome = "error";
    lines = [err.message];
  }
  step(
    h(
      "div",
      { class: `answer ${outcome}`, role: "status", "data-outcome": outcome },
      h("h2", { text: t(`cmd.outcome.${outcome}`) }),
      lines.map((text) => h("p", { text })),
    ),
    h("div", { class: "actions" }, h("button", { type: "button", text: t("cmd.close"), onclick: close })),
  );
}

// A device under manual control is handed back to the rules; anything else is offered a timed run.
export function openCommand(gh, a) {
  if (a.source === "override") confirmAuto(gh, a);
  else chooseMinutes(gh, a);
  dialog().showModal();
}
