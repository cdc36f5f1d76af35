// Who is told of alerts. Everyone sees this week's order for each greenhouse (a farmer: their own). Admins and
// technicians also edit the roster — the people, each greenhouse's order (moved up and down) and weekly turns, the
// farm's alert number — and how alerts escalate. Each part is saved whole; the gateway checks it, says what it
// refuses by field in the reader's words, and the running notifier takes it at once.

import { request } from "../api.js";
import { h } from "../dom.js";
import { currentLang, nameOf, t } from "../lang.js";
import { live } from "../live.js";
import { failed, field, loading } from "./common.js";

const CHANNELS = ["push", "sms", "call", "zalo", "email"];
const WAKING = ["sms", "call"]; // what wakes a sleeping farmer: a critical alert's first step always has one
const SEVERITIES = ["critical", "warning", "info"];
const RANKS = 4; // the person on duty, the next, the third, the fourth
const put = (path, body) => request(path, { method: "PUT", body });

const greenhouses = () =>
  [...live.greenhouses.values()].sort((a, b) => nameOf(a).localeCompare(nameOf(b), currentLang()));

// A person's id, made from their name: the file needs one, nobody has to type or read it.
function newId(name, taken) {
  const base =
    name
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .replace(/đ/gi, "d")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "nguoi";
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

// Tick boxes for a list of values, bound to `chosen` (an array changed in place); `fixed`: ticked and locked.
function ticks(values, chosen, label, fixed = []) {
  return h(
    "div",
    { class: "checks" },
    values.map((v) => {
      const box = h("input", { type: "checkbox", value: v, checked: chosen.includes(v) || fixed.includes(v), disabled: fixed.includes(v) });
      box.addEventListener("change", () => {
        const at = chosen.indexOf(v);
        if (box.checked && at < 0) chosen.push(v);
        if (!box.checked && at >= 0) chosen.splice(at, 1);
      });
      return h("label", { class: "check" }, box, h("span", { text: label(v) }));
    }),
  );
}

// An input bound to `obj[key]`; an empty text is no value.
function bound(obj, key, attrs = {}) {
  const input = h("input", { value: obj[key] ?? "", "data-input": key, ...attrs });
  input.addEventListener("input", () => {
    const v = input.value.trim();
    if (attrs.type === "number") obj[key] = v === "" ? null : Number(v);
    else if (v === "") delete obj[key];
    else obj[key] = v;
  });
  return input;
}

function thisWeek(list) {
  return h(
    "div",
    { class: "on-duty" },
    list.map((d) =>
      h(
        "section",
        { class: "item", "data-on-duty": d.greenhouse },
        h("h4", { text: d.name }),
        h("p", { text: d.chain.length ? d.chain.join(" → ") : t("roster.nobody") }),
      ),
    ),
  );
}

// --- the roster ------------------------------------------------------------------------------------------------

function personCard(p, state, redraw) {
  const out = h("p", { class: "error", role: "alert" });
  p.channels ??= [];
  const lang = h("select", { "data-input": "lang" }, ["vi", "en"].map((l) => h("option", { value: l, selected: (p.lang ?? "vi") === l, text: t(`roster.lang_${l}`) })));
  lang.addEventListener("change", () => (p.lang = lang.value));
  const account = h(
    "select",
    { "data-input": "account" },
    h("option", { value: "", text: t("roster.no_account") }),
    state.accounts.map((a) => h("option", { value: a.name, selected: p.account === a.name, text: `${a.name} (${t(`role.${a.role}`)})` })),
  );
  account.addEventListener("change", () => (account.value ? (p.account = account.value) : delete p.account));
  const plain = h("input", { type: "checkbox", checked: Boolean(p.plain_sms), "data-input": "plain_sms" });
  plain.addEventListener("change", () => (p.plain_sms = plain.checked));
  const remove = h("button", { type: "button", class: "secondary", text: t("roster.remove_person") });
  remove.addEventListener("click", () => {
    const on = state.roster.duties.filter((d) => d.people.includes(p.id) || (d.rotation ?? []).includes(p.id));
    if (on.length) return (out.textContent = t("roster.still_on_duty", { name: p.name }));
    state.roster.people.splice(state.roster.people.indexOf(p), 1);
    redraw();
  });
  return h(
    "details",
    { "data-person": p.id },
    h("summary", { text: p.name }),
    field(t("roster.name"), bound(p, "name")),
    field(t("roster.phone"), bound(p, "phone", { type: "tel", inputmode: "tel" })),
    field(t("roster.email"), bound(p, "email", { type: "email" })),
    field(t("roster.channels"), ticks(CHANNELS, p.channels, (c) => t(`roster.channel_${c}`))),
    h("label", { class: "check" }, plain, h("span", { text: t("roster.plain_sms") })),
    field(t("roster.lang"), lang),
    field(t("roster.account"), account),
    h("div", { class: "actions" }, remove),
    out,
  );
}

function addPerson(state, redraw) {
  const fresh = { channels: ["push", "sms"] };
  const out = h("p", { class: "error", role: "alert" });
  const add = h("button", { type: "button", class: "go", text: t("roster.add_button") });
  add.addEventListener("click", () => {
    if (!fresh.name) return (out.textContent = t("roster.needs_name"));
    const ids = new Set(state.roster.people.map((p) => p.id));
    state.roster.people.push({ ...fresh, id: newId(fresh.name, ids) });
    state.opened = "people";
    redraw();
  });
  return h(
    "details",
    { "data-part": "add-person" },
    h("summary", { text: t("roster.add_person") }),
    field(t("roster.name"), bound(fresh, "name", { placeholder: "Chị Lan" })),
    field(t("roster.phone"), bound(fresh, "phone", { type: "tel", inputmode: "tel", placeholder: "0912 345 678" })),
    field(t("roster.channels"), ticks(CHANNELS, fresh.channels, (c) => t(`roster.channel_${c}`))),
    h("p", { class: "hint", text: t("roster.add_hint") }),
    h("div", { class: "actions" }, add),
    out,
  );
}

// One greenhouse's order: who is told first, then next; arrows move a person; ticked people take turns as the first.
function dutyCard(gh, state, redraw) {
  const roster = state.roster;
  let duty = roster.duties.find((d) => d.greenhouse === gh.greenhouse);
  const ensure = () => {
    if (!duty) roster.duties.push((duty = { greenhouse: gh.greenhouse, people: [], rotation: [] }));
    duty.rotation ??= [];
    return duty;
  };
  const nameOfPerson = (id) => roster.people.find((p) => p.id === id)?.name ?? id;
  const move = (i, by) => {
    const list = ensure().people;
    [list[i], list[i + by]] = [list[i + by], list[i]];
    redraw();
  };
  const drop = (i) => {
    const d = ensure();
    const [gone] = d.people.splice(i, 1);
    d.rotation = d.rotation.filter((p) => p !== gone);
    if (!d.people.length) roster.duties.splice(roster.duties.indexOf(d), 1);
    redraw();
  };
  const rows = (duty?.people ?? []).map((id, i, all) => {
    const turn = h("input", { type: "checkbox", checked: (duty.rotation ?? []).includes(id), "aria-label": t("roster.takes_turns") });
    turn.addEventListener("change", () => {
      const d = ensure();
      d.rotation = d.people.filter((p) => (p === id ? turn.checked : d.rotation.includes(p)));
    });
    return h(
      "li",
      { "data-in-order": id },
      h("b", { text: nameOfPerson(id) }),
      h(
        "div",
        { class: "actions" },
        h("label", { class: "check" }, turn, h("span", { text: t("roster.turns_short") })),
        h("button", { type: "button", class: "secondary", "data-move": "up", disabled: i === 0, "aria-label": t("roster.up"), text: "↑", onclick: () => move(i, -1) }),
        h("button", { type: "button", class: "secondary", "data-move": "down", disabled: i === all.length - 1, "aria-label": t("roster.down"), text: "↓", onclick: () => move(i, 1) }),
        h("button", { type: "button", class: "secondary", "aria-label": t("roster.take_off"), text: "✕", onclick: () => drop(i) }),
      ),
    );
  });
  const others = roster.people.filter((p) => !(duty?.people ?? []).includes(p.id));
  const pick = h("select", { "data-input": "add-to-order" }, others.map((p) => h("option", { value: p.id, text: p.name })));
  const add = h("button", { type: "button", class: "secondary", text: t("roster.add_to_order") });
  add.addEventListener("click", () => {
    ensure().people.push(pick.value);
    redraw();
  });
  return h(
    "section",
    { class: "item", "data-duty": gh.greenhouse },
    h("h4", { text: nameOf(gh) }),
    rows.length ? h("ol", { class: "order" }, rows) : h("p", { class: "error", text: t("roster.nobody") }),
    others.length ? h("div", { class: "actions" }, pick, add) : null,
  );
}

function rosterEditor(state, redraw, saved) {
  const out = h("p", { class: "error", role: "alert", "data-out": "roster" });
  const save = h("button", { type: "button", class: "go", "data-save": "roster", text: t("roster.save") });
  save.addEventListener("click", async () => {
    save.disabled = true;
    out.textContent = "";
    try {
      const answer = await put("/api/v1/roster", { roster: state.roster, base_sha256: state.sha256 });
      state.sha256 = answer.sha256;
      saved(answer);
    } catch (err) {
      out.textContent = err.message;
    } finally {
      save.disabled = false;
    }
  });
  const people = h(
    "details",
    { "data-part": "people", open: state.opened === "people" },
    h("summary", { text: t("roster.people", { n: state.roster.people.length }) }),
    state.roster.people.map((p) => personCard(p, state, redraw)),
  );
  return h(
    "div",
    { "data-part": "roster" },
    h("h3", { text: t("roster.who_in_order") }),
    h("p", { class: "hint", text: t("roster.order_hint") }),
    greenhouses().map((gh) => dutyCard(gh, state, redraw)),
    people,
    addPerson(state, redraw),
    field(t("roster.farm_number"), bound(state.roster, "farm_number", { type: "tel", inputmode: "tel" })),
    h("p", { class: "hint", text: t("roster.farm_number_hint") }),
    h("div", { class: "actions" }, save),
    out,
  );
}

// --- how alerts escalate ---------------------------------------------------------------------------------------

function stepRow(severity, steps, i, redraw) {
  const step = steps[i];
  const first = severity === "critical" && i === 0; // always at once, always waking somebody
  if (first) step.after_min = 0;
  if (first && !step.channels.some((c) => WAKING.includes(c))) step.channels.push("sms");
  const minutes = bound(step, "after_min", { type: "number", min: "0", step: "1", inputmode: "numeric", disabled: first });
  const rank = h("select", { "data-input": "rank" }, [...Array(RANKS).keys()].map((r) => h("option", { value: r, selected: step.rank === r, text: t(`roster.rank_${r}`) })));
  rank.addEventListener("change", () => (step.rank = Number(rank.value)));
  const remove = h("button", { type: "button", class: "secondary", text: t("roster.remove_step"), disabled: first || steps.length === 1 });
  remove.addEventListener("click", () => {
    steps.splice(i, 1);
    redraw();
  });
  const locked = first ? step.channels.filter((c) => WAKING.includes(c)).slice(0, 1) : [];
  return h(
    "li",
    { class: "item", "data-step": `${severity}-${i}` },
    h("div", { class: "actions" }, field(t("roster.after_min"), minutes), field(t("roster.whom"), rank)),
    ticks(CHANNELS, step.channels, (c) => t(`roster.channel_${c}`), locked),
    first ? h("p", { class: "hint", text: t("roster.first_critical") }) : h("div", { class: "actions" }, remove),
  );
}

function severityPart(severity, policy, redraw) {
  const esc = policy[severity];
  const add = h("button", { type: "button", class: "secondary", text: t("roster.add_step") });
  add.addEventListener("click", () => {
    const last = esc.steps[esc.steps.length - 1];
    esc.steps.push({ after_min: (last?.after_min ?? 0) + 15, rank: Math.min((last?.rank ?? 0) + 1, RANKS - 1), channels: ["sms"] });
    redraw();
  });
  const back = severity === "critical" ? field(t("roster.back_after_ack"), bound(esc, "back_after_ack_min", { type: "number", min: "1", step: "1", inputmode: "numeric" })) : null;
  return h(
    "details",
    { "data-severity": severity },
    h("summary", { text: t(`roster.severity_${severity}`) }),
    h("ol", { class: "steps" }, esc.steps.map((_, i) => stepRow(severity, esc.steps, i, redraw))),
    h("div", { class: "actions" }, add),
    back,
  );
}

function quietPart(policy) {
  const on = h("input", { type: "checkbox", checked: Boolean(policy.quiet), "data-input": "quiet" });
  const hours = policy.quiet ?? { start: "21:00", end: "06:00" };
  const time = (key) => {
    const input = h("input", { type: "time", value: String(hours[key]).slice(0, 5), "data-input": `quiet-${key}` });
    input.addEventListener("input", () => (hours[key] = input.value));
    return input;
  };
  on.addEventListener("change", () => (policy.quiet = on.checked ? hours : null));
  return h(
    "section",
    { class: "item", "data-part": "quiet" },
    h("label", { class: "check" }, on, h("span", { text: t("roster.quiet_on") })),
    h("div", { class: "actions" }, field(t("roster.quiet_start"), time("start")), field(t("roster.quiet_end"), time("end"))),
    h("p", { class: "hint", "data-says": "critical-always", text: t("roster.quiet_never_critical") }),
  );
}

function policyEditor(state, redraw) {
  const out = h("p", { class: "error", role: "alert", "data-out": "policy" });
  const said = h("div", { role: "status" });
  const save = h("button", { type: "button", class: "go", "data-save": "policy", text: t("roster.save_policy") });
  save.addEventListener("click", async () => {
    save.disabled = true;
    out.textContent = "";
    try {
      const answer = await put("/api/v1/notify-policy", { policy: state.policy, base_sha256: state.policySha });
      state.policySha = answer.sha256;
      said.replaceChildren(h("p", { class: "running", text: answer.said }));
    } catch (err) {
      out.textContent = err.message;
    } finally {
      save.disabled = false;
    }
  });
  return h(
    "div",
    { "data-part": "policy" },
    h("h3", { text: t("roster.escalation") }),
    h("p", { class: "hint", text: t("roster.escalation_hint") }),
    SEVERITIES.map((s) => severityPart(s, state.policy, redraw)),
    quietPart(state.policy),
    h("div", { class: "actions" }, save),
    out,
    said,
  );
}

export function rosterView() {
  const el = h("div", { class: "desk roster" }, loading());
  const state = { roster: null, sha256: "", accounts: [], policy: null, policySha: "", opened: null };
  const notice = h("div", { role: "status", "data-notice": "roster" });
  const week = h("div");

  function draw() {
    const parts = [h("h3", { text: t("roster.this_week") }), week, notice];
    if (state.roster) parts.push(rosterEditor(state, draw, savedRoster));
    if (state.policy) parts.push(policyEditor(state, draw));
    el.replaceChildren(...parts);
  }
  function savedRoster(answer) {
    week.replaceChildren(thisWeek(answer.this_week));
    notice.replaceChildren(
      h("p", { class: "running", text: answer.said }),
      ...answer.problems.map((p) => h("p", { class: "error", "data-problem": "", text: p })),
    );
  }
  async function load() {
    try {
      const page = await request("/api/v1/roster");
      week.replaceChildren(thisWeek(page.this_week));
      if (page.roster) {
        const [accounts, policy] = await Promise.all([request("/api/v1/roster/accounts"), request("/api/v1/notify-policy")]);
        Object.assign(state, { roster: page.roster, sha256: page.sha256, accounts, policy: policy.policy, policySha: policy.sha256 });
        notice.replaceChildren(...page.problems.map((p) => h("p", { class: "error", "data-problem": "", text: p })));
        if (!page.running) notice.append(h("p", { class: "hint", text: t("roster.not_running") }));
      }
      draw();
    } catch (err) {
      el.replaceChildren(failed(err));
    }
  }
  load();
  return { el, update() {} };
}
