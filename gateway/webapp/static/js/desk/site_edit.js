// The site file itself, for what the set-up cards only show: the text to edit, a check that names each problem
// at its line (a tap selects it), and a save that says the file runs from the next start, not before.

import { h } from "../dom.js";
import { serverText, t } from "../lang.js";
import * as desk from "./api.js";
import { failed, field, loading, problemsResult, selectLine } from "./common.js";

function status(file) {
  if (!file.writable) return h("p", { class: "error", "data-status": "readonly", text: t("site.readonly") });
  const state = file.running ? "running" : "pending";
  return h("p", { class: file.running ? "empty" : "error", "data-status": state, text: t(`site.${state}`) });
}

const siteWhere = (p) => [p.rule ? t("site.rule_of", { rule: p.rule, greenhouse: p.greenhouse }) : t("rules.whole_file")];

function checkResult(check, yaml, onPick) {
  if (check.ok) return h("div", { class: "result ok", "data-result": "site-check", text: t("site.ok") });
  return problemsResult("site-check", check.problems, yaml, onPick, siteWhere);
}

function editor(file) {
  let base = file.sha256;
  const area = h("textarea", { id: "site-yaml", rows: 18, spellcheck: "false", autocapitalize: "off", "aria-label": t("site.yaml") });
  area.value = file.yaml;
  const state = h("div", {}, status(file));
  const out = h("div", { class: "results", "aria-live": "polite" });
  const pick = (n) => selectLine(area, n);

  async function run(call, show) {
    for (const b of buttons) b.disabled = true;
    out.replaceChildren(h("p", { class: "empty", text: t("rules.working") }));
    try {
      out.replaceChildren(show(await call(area.value)));
    } catch (err) {
      out.replaceChildren(failed(err));
    } finally {
      for (const b of buttons) b.disabled = false;
    }
    out.scrollIntoView({ block: "start" }); // on a phone the answer is below the fold, under the buttons
  }
  async function save(yaml) {
    const answer = await desk.saveSiteFile(yaml, base);
    if (answer.saved) {
      const now = await desk.siteFile(); // the file as saved: the next save starts from it
      base = now.sha256;
      state.replaceChildren(status(now));
    }
    return answer;
  }
  const saved = (a) =>
    a.saved ? h("div", { class: "result ok", "data-result": "site-save", text: serverText(a) }) : checkResult(a.check, area.value, pick);
  const buttons = [
    h("button", { type: "button", id: "site-check", class: "secondary", text: t("rules.check"),
      onclick: () => run((y) => desk.checkSiteFile(y), (a) => checkResult(a, area.value, pick)) }),
    h("button", { type: "button", id: "site-save", text: t("site.save"), disabled: !file.writable, onclick: () => run(save, saved) }),
  ];
  return h("div", { class: "editor" }, state, field(t("site.yaml"), area), h("div", { class: "actions" }, buttons), out);
}

// Folded, and fetched only when opened: the cards above are what most visits need.
export function siteFileEditor() {
  const body = h("div", {}, loading());
  let fetched = false;
  const el = h(
    "details",
    { class: "part", "data-part": "site-file", ontoggle: () => {
      if (!el.open || fetched) return;
      fetched = true;
      desk.siteFile().then((file) => body.replaceChildren(editor(file)), (err) => body.replaceChildren(failed(err)));
    } },
    h("summary", { text: t("site.edit") }),
    body,
  );
  return el;
}
