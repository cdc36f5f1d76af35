// Signing in: user name and password; the gateway's refusal is shown in the user's language.

import * as api from "../api.js";
import { h } from "../dom.js";
import { t } from "../lang.js";

export function loginView(onSignedIn, notice = "") {
  const user = h("input", { id: "user", name: "username", autocomplete: "username", required: true });
  const password = h("input", {
    id: "password",
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const error = h("p", { class: "error", role: "alert", text: notice });
  const button = h("button", { type: "submit", class: "go", text: t("login.submit") });
  const form = h(
    "form",
    { class: "login" },
    h("label", { for: "user", text: t("login.user") }),
    user,
    h("label", { for: "password", text: t("login.password") }),
    password,
    error,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = "";
    button.textContent = t("login.busy");
    try {
      onSignedIn(await api.signIn(user.value.trim(), password.value));
    } catch (err) {
      error.textContent = err.message;
      password.select();
    } finally {
      button.disabled = false;
      button.textContent = t("login.submit");
    }
  });
  const el = h("div", { class: "login-screen" }, h("p", { class: "hello", text: t("login.hello") }), form);
  return { el, title: t("app.name"), update() {}, focus: () => user.focus() };
}
