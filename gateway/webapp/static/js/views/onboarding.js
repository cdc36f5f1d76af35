// The page a technician goes through with a farmer, on the farmer's phone, so that no alert is missed at night:
// allow notifications, save the farm's alert number as a contact, let its repeated calls ring through Do Not
// Disturb. Three short steps, big buttons, the phone's own menu words.

import * as api from "../api.js";
import { h, setText } from "../dom.js";
import { t } from "../lang.js";
import { notifyStep } from "./notify.js";

// "+84912345678" as a Vietnamese reader writes it: "0912 345 678".
function shownNumber(number) {
  const local = number.startsWith("+84") ? `0${number.slice(3)}` : number;
  return /^0\d{9}$/.test(local) ? `${local.slice(0, 4)} ${local.slice(4, 7)} ${local.slice(7)}` : local;
}

function step(n, title, ...body) {
  return h(
    "li",
    { class: "onboarding-step" },
    h("div", { class: "step-head" }, h("span", { class: "step-number", "aria-hidden": "true", text: String(n) }), h("h2", { text: title })),
    ...body,
  );
}

function contactStep() {
  const number = h("p", { class: "farm-number" });
  const name = h("p", { class: "farm-name" });
  const save = h("a", { class: "button-link big save-contact", href: api.FARM_CONTACT_VCF, download: "", text: t("onb.save") });
  const after = h("p", { class: "hint", text: t("onb.save_after") });
  const note = h("p", { class: "said" });
  save.hidden = after.hidden = true;
  api.farmContact().then(
    (contact) => {
      if (!contact.farm_number) {
        setText(note, t("onb.no_number"));
        return;
      }
      setText(number, shownNumber(contact.farm_number));
      setText(name, contact.name);
      save.hidden = after.hidden = false;
    },
    (err) => {
      note.classList.add("error");
      setText(note, err.status === 0 ? t("onb.offline") : err.message);
    },
  );
  return step(2, t("onb.contact"), h("p", { text: t("onb.contact_why") }), name, number, save, after, note);
}

function quietStep() {
  const path = (key) => h("p", { class: "menu-path", text: t(key) });
  return step(
    3,
    t("onb.dnd"),
    h("p", { text: t("onb.dnd_why") }),
    path("onb.dnd_path"),
    h("p", { text: t("onb.dnd_star") }),
    path("onb.dnd_star_path"),
    h("p", { class: "hint", text: t("onb.dnd_vary") }),
  );
}

export function onboardingView() {
  const el = h(
    "div",
    { class: "onboarding" },
    h("p", { class: "intro", text: t("onb.intro") }),
    h("ol", { class: "onboarding-steps" }, step(1, t("onb.notify"), notifyStep({ guideLink: false, heading: false })), contactStep(), quietStep()),
    h("a", { class: "button-link big done", href: "#/", text: t("onb.done") }),
  );
  return { el, title: t("onb.title"), back: true, update() {} };
}
