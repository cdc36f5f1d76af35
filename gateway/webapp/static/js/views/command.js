// Running a device by hand: how long, then a confirmation, then the greenhouse's answer in plain words.
// Every run has an end: the edge stops it by itself, even if the phone is gone by then.

import * as api from "../api.js";
import { serverNow } from "../clock.js";
import { h } from "../dom.js";
import { clockTime } from "../format.js";
import { serverText, t } from "../lang.js";

const PRESETS_MIN = [5, 10, 15, 30];
const MAX_MIN = 120;
const dialog = () => document.getElementById("dialog");

function step(...children) {
  dialog().replaceChildren(h("div", { class: "sheet" }, ...children));
}

const cancel = () => h("button", { type: "button", class: "secondary", text: t("cmd.cancel"), onclick: close });

function close() {
  dialog().close();
}

function chooseMinutes(gh, a, minutes = 10) {
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
  const next = () => {
    const m = Math.round(Number(input.value));
    if (m >= 1 && m <= MAX_MIN) confirm(gh, a, m);
    else input.setCustomValidity(t("cmd.minutes_range", { max: MAX_MIN }));
    input.reportValidity();
  };
  step(
    h("h2", { text: t(a.kind === "valve" ? "cmd.water_title" : "cmd.run_title", { name: a.name }) }),
    h("label", { for: "cmd-minutes", text: t("cmd.how_long") }),
    h("div", { class: "presets" }, presets),
    h("div", { class: "minutes" }, input, h("span", { text: t("cmd.minutes") })),
    h("div", { class: "actions" }, cancel(), h("button", { type: "button", text: t("cmd.next"), onclick: next })),
  );
  input.addEventListener("input", () => input.setCustomValidity(""));
}

function confirm(gh, a, minutes) {
  const ends = clockTime(serverNow() + minutes * 60_000);
  const command = { actuator: a.actuator, action: "on", duration_s: minutes * 60 };
  step(
    h("h2", { text: t("cmd.confirm_title") }),
    h("p", { class: "question", text: t("cmd.confirm_on", { name: a.name, min: minutes, ends }) }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", text: t("cmd.back"), onclick: () => chooseMinutes(gh, a, minutes) }),
      h("button", { type: "button", class: "go", text: t("cmd.confirm"), onclick: () => send(gh, command) }),
    ),
  );
}

function confirmAuto(gh, a) {
  step(
    h("h2", { text: t("cmd.confirm_title") }),
    h("p", { class: "question", text: t("cmd.confirm_auto", { name: a.name }) }),
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

async function send(gh, command) {
  step(h("p", { class: "question", role: "status", text: t("cmd.sending") }));
  let outcome;
  let lines;
  try {
    const answer = await api.sendCommand(gh, command);
    outcome = answer.outcome;
    lines = [serverText(answer)];
    if (answer.effective_duration_s) {
      lines.push(t("cmd.ends_at", { at: clockTime(serverNow() + answer.effective_duration_s * 1000) }));
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
