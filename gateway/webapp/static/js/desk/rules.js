// The technician's rule desk for one greenhouse: the set it runs, the editor (YAML, or a form for the common
// rules), and the four things to do with the text: check, simulate, replay over the history, deploy.

import { serverNow } from "../clock.js";
import { h } from "../dom.js";
import { dateTime } from "../format.js";
import { serverText, t } from "../lang.js";
import { live } from "../live.js";
import { msOf } from "../model.js";
import * as desk from "./api.js";
import { failed, field, greenhousePicker, loading, selectLine } from "./common.js";
import { dayValue, daySpan, iso } from "./dates.js";
import { ruleForms } from "./rule_forms.js";
import { backtestResult, checkResult, deployResult, namesOf, simulationResult } from "./rule_results.js";
import { appendRule } from "./yaml.js";

function runningBox(now) {
  const r = now.report;
  if (!r) return h("div", { class: "running" }, t("rules.not_heard"));
  const problems = serverText({ text_vi: r.problems_vi, text_en: r.problems_en });
  return h(
    "div",
    { class: "running", "data-outcome": r.outcome },
    h("div", { class: "title", text: t("rules.runs_version", { version: r.active_version ?? "–", source: t(`rules.source.${r.active_source}`) }) }),
    h("div", { text: t("rules.last_answer", { outcome: t(`rules.outcome.${r.outcome}`), at: dateTime(msOf(r.ts)) }) }),
    problems.map((p) => h("div", { class: "error", text: p })),
  );
}

function editor(ghId, now, gh) {
  const area = h("textarea", { id: "rules-yaml", rows: 16, spellcheck: "false", autocapitalize: "off", "aria-label": t("rules.yaml") });
  area.value = now.yaml ?? "version: 1\nrules:\n";
  const out = h("div", { class: "results", "aria-live": "polite" });
  const name = namesOf(gh);
  const pick = (n) => selectLine(area, n);
  const days = h("input", { id: "sim-days", type: "number", min: 1, max: 7, value: 1, inputmode: "numeric" });
  const today = dayValue(serverNow());
  const from = h("input", { id: "bt-from", type: "date", value: today });
  const to = h("input", { id: "bt-to", type: "date", value: today });

  // One request at a time: each button waits, then shows its answer (or why there is none).
  async function run(call, show) {
    for (const b of buttons) b.disabled = true;
    out.replaceChildren(h("p", { class: "empty", text: t("rules.working") }));
    try {
      const answer = await call(area.value);
      out.replaceChildren(show(answer));
    } catch (err) {
      out.replaceChildren(failed(err));
    } finally {
      for (const b of buttons) b.disabled = false;
    }
    out.scrollIntoView({ block: "start" }); // on a phone the answer is below the fold, under the buttons
  }
  // Simulate and backtest refuse a text that fails the check: their answer is the check's, then.
  const orCheck = (answer, show) => (answer.report ? show(answer.report, name) : checkResult(answer.check, area.value, pick));
  const button = (id, label, onclick, cls = "") => h("button", { type: "button", id, class: cls, text: t(label), onclick });
  const buttons = [
    button("rules-check", "rules.check", () =>
      run((y) => desk.checkRules(ghId, y), (a) => checkResult(a, area.value, pick)), "secondary"),
    button("rules-simulate", "rules.simulate", () =>
      run((y) => desk.simulateRules(ghId, y, Number(days.value) || 1), (a) => orCheck(a, simulationResult)), "secondary"),
    button("rules-backtest", "rules.backtest", () => {
      const [start, end] = daySpan(from.value, to.value, serverNow());
      return run((y) => desk.backtestRules(ghId, y, iso(start), iso(end)), (a) => orCheck(a, backtestResult));
    }, "secondary"),
    button("rules-deploy", "rules.deploy", () =>
      run((y) => desk.deployRules(ghId, y), (a) => deployResult(a, area.value, pick))),
  ];
  return h(
    "div",
    { class: "editor" },
    ruleForms(gh, (lines) => {
      area.value = appendRule(area.value, lines);
      area.scrollTop = area.scrollHeight;
    }),
    field(t("rules.yaml"), area),
    h("div", { class: "actions" }, buttons[0], buttons[3]),
    h("div", { class: "actions" }, field(t("rules.days"), days), buttons[1]),
    h("div", { class: "actions" }, field(t("rules.from"), from), field(t("rules.to"), to)),
    h("div", { class: "actions" }, buttons[2]),
    out,
  );
}

export function rulesView(ghId) {
  const id = ghId ?? [...live.greenhouses.keys()].sort()[0];
  const body = h("div", {}, loading());
  const el = h("div", { class: "desk" }, greenhousePicker("rules", id), body);
  desk.rulesNow(id).then(
    (now) => body.replaceChildren(runningBox(now), editor(id, now, live.greenhouses.get(id))),
    (err) => body.replaceChildren(failed(err)),
  );
  return { el, update() {} };
}
