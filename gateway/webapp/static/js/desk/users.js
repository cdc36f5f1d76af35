// The cooperative's users, for its admin: add one (a farmer limited to some greenhouses if need be), and for each
// user disable or enable again, give a new password, change the greenhouses a farmer sees, let them sign in again
// after failed tries. Greenhouses are named as the site names them; the API refuses whatever the role may not do.

import { request } from "../api.js";
import { h } from "../dom.js";
import { currentLang, nameOf, t } from "../lang.js";
import { live } from "../live.js";
import { checkList, failed, facts, field, loading } from "./common.js";

const ROLES = ["farmer", "technician", "agronomist", "admin"];
const MIN_PASSWORD = 10; // as the gateway insists (accounts/models.py)
const user = (name) => `/api/v1/users/${encodeURIComponent(name)}`;
const post = (path, body) => request(path, { method: "POST", body });

// Every greenhouse of the site, by its name: the admin sees them all.
const greenhouses = () =>
  [...live.greenhouses.values()]
    .sort((a, b) => nameOf(a).localeCompare(nameOf(b), currentLang()))
    .map((gh) => ({ value: gh.greenhouse, label: nameOf(gh) }));
const greenhouseName = (id) => {
  const gh = live.greenhouses.get(id);
  return gh ? nameOf(gh) : id;
};

function seen(u) {
  return u.greenhouses === null ? t("users.every_greenhouse") : u.greenhouses.map(greenhouseName).join(", ");
}

// A new password of at least 10 characters, or what is wrong with it in the reader's words.
function passwordProblem(value) {
  return value.length < MIN_PASSWORD ? t("users.password_short", { n: MIN_PASSWORD }) : null;
}

// A button that runs `act`, then refreshes the page saying `said`; what the gateway refused is shown in `out`.
function acting(label, act, said, out, after, cls = "secondary") {
  const button = h("button", { type: "button", class: cls, text: label });
  button.addEventListener("click", async () => {
    button.disabled = true;
    out.textContent = "";
    try {
      const answer = await act();
      after(typeof said === "function" ? said(answer) : said);
    } catch (err) {
      out.textContent = err.message;
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function passwordPart(u, out, after) {
  const input = h("input", { type: "password", autocomplete: "new-password", "data-input": "new-password" });
  const save = async () => {
    const problem = passwordProblem(input.value);
    if (problem) throw new Error(problem);
    await post(`${user(u.name)}/password`, { password: input.value });
  };
  return h(
    "details",
    { "data-part": "password" },
    h("summary", { text: t("users.reset_password") }),
    field(t("users.new_password"), input),
    h("p", { class: "hint", text: t("users.reset_hint") }),
    h("div", { class: "actions" }, acting(t("users.save"), save, t("users.password_set", { name: u.name }), out, after, "go")),
  );
}

function greenhousesPart(u, out, after) {
  const list = checkList(greenhouses(), (item) => u.greenhouses?.includes(item.value) ?? false);
  const save = () => {
    const chosen = list.values();
    return request(`${user(u.name)}/greenhouses`, { method: "PUT", body: { greenhouses: chosen.length ? chosen : null } });
  };
  return h(
    "details",
    { "data-part": "greenhouses" },
    h("summary", { text: t("users.change_greenhouses") }),
    field(t("users.greenhouses"), list.el),
    h("p", { class: "hint", text: t("users.none_is_every") }),
    h("div", { class: "actions" }, acting(t("users.save"), save, t("users.greenhouses_set", { name: u.name }), out, after, "go")),
  );
}

function userCard(u, me, held, after) {
  const out = h("p", { class: "error", role: "alert" });
  const state = u.disabled ? t("users.disabled") : held ? t("users.held", { n: held.failures }) : t("users.active");
  const buttons = [
    u.name === me.name
      ? null
      : u.disabled
        ? acting(t("users.enable"), () => post(`${user(u.name)}/enable`), t("users.enabled", { name: u.name }), out, after)
        : acting(t("users.disable"), () => post(`${user(u.name)}/disable`), t("users.disabled_now", { name: u.name }), out, after),
    held ? acting(t("users.unlock"), () => post(`${user(u.name)}/unlock`), t("users.unlocked", { name: u.name }), out, after) : null,
  ];
  return h(
    "section",
    { class: `item user${u.disabled ? " disabled" : ""}`, "data-user": u.name },
    h("h4", { text: u.name }),
    facts([
      [t("users.role"), t(`role.${u.role}`)],
      [t("users.greenhouses"), seen(u)],
      [t("users.state"), state],
    ]),
    h("div", { class: "actions" }, buttons),
    passwordPart(u, out, after),
    u.role === "farmer" ? greenhousesPart(u, out, after) : null,
    out,
  );
}

const addedText = (added) => t("users.added", { name: added.name, role: t(`role.${added.role}`), where: seen(added) });

function addForm(after) {
  const name = h("input", { "data-input": "name", autocomplete: "off", autocapitalize: "none", spellcheck: "false" });
  const role = h(
    "select",
    { "data-input": "role" },
    ROLES.map((r) => h("option", { value: r, text: t(`role.${r}`) })),
  );
  const password = h("input", { type: "password", autocomplete: "new-password", "data-input": "password" });
  const list = checkList(greenhouses());
  const limit = h("div", { "data-part": "limit" }, field(t("users.greenhouses"), list.el), h("p", { class: "hint", text: t("users.none_is_every") }));
  const out = h("p", { class: "error", role: "alert" });
  role.addEventListener("change", () => (limit.hidden = role.value !== "farmer")); // only a farmer is limited
  const add = async () => {
    if (!/^[a-z0-9][a-z0-9_-]*$/.test(name.value.trim())) throw new Error(t("users.bad_name"));
    const problem = passwordProblem(password.value);
    if (problem) throw new Error(problem);
    const chosen = role.value === "farmer" ? list.values() : [];
    const body = { name: name.value.trim(), role: role.value, password: password.value, greenhouses: chosen.length ? chosen : null };
    const added = await post("/api/v1/users", body);
    name.value = "";
    password.value = "";
    return added;
  };
  return h(
    "details",
    { "data-part": "add" },
    h("summary", { text: t("users.add") }),
    field(t("users.name"), name),
    h("p", { class: "hint", text: t("users.name_hint") }),
    field(t("users.role"), role),
    field(t("users.password"), password),
    limit,
    h("div", { class: "actions" }, acting(t("users.add_button"), add, addedText, out, after, "go")),
    out,
  );
}

export function usersView() {
  const list = h("div", { class: "users" }, loading());
  const notice = h("div", { role: "status" });
  async function show(said = "") {
    notice.replaceChildren(...(said ? [h("p", { class: "running", text: said })] : []));
    try {
      const [me, users, holds] = await Promise.all([
        request("/api/v1/me"),
        request("/api/v1/users"),
        request("/api/v1/sign-in-limits"),
      ]);
      // Held off now, by a count against the name (an address's count over every name is not the user's).
      const heldOf = (name) => holds.find((hold) => hold.name === name && hold.retry_after_s > 0) ?? null;
      list.replaceChildren(...users.map((u) => userCard(u, me, heldOf(u.name), show)));
    } catch (err) {
      list.replaceChildren(failed(err));
    }
  }
  show();
  const el = h("div", { class: "desk" }, addForm(show), notice, h("h3", { text: t("users.list") }), list);
  return { el, update() {} };
}
