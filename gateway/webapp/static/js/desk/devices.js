// The field devices of one greenhouse, for the technician: each bus in words, each device on it (its profile's
// name, its address, what it reads and drives), how it answers as the edge last counted, and what to check when
// it does not. The edge tells its counts every few minutes: the page asks again every 30 s while it is open.

import { h } from "../dom.js";
import { dateTime, number } from "../format.js";
import { t } from "../lang.js";
import { live } from "../live.js";
import { msOf } from "../model.js";
import * as desk from "./api.js";
import { facts, failed, greenhousePicker, idOf, loading, withIds } from "./common.js";

const REFRESH_MS = 30_000;

// "Cổng USB–RS485 /dev/ttyUSB0, 9600 baud": which port or converter, at which speed. The framing is said only
// when it is not the 8N1 that nearly every device ships with, since a wrong parity looks like bad wiring.
export function busText(bus) {
  if (bus.protocol === "rtu_over_tcp") return t("field.bus.converter", { host: bus.host, port: bus.port, baud: bus.baud });
  if (bus.protocol === "modbus_tcp") return t("field.bus.tcp", { host: bus.host, port: bus.port });
  const framing = `8${bus.parity}${bus.stop_bits}`;
  const text = t("field.bus.serial", { port: bus.port, baud: bus.baud });
  return framing === "8N1" ? text : `${text}, ${framing}`;
}

// "ok", "bad" (something to check) or "unknown" (not reported yet): the colour of the device's card.
const stateOf = (d) => (d.link === null ? "unknown" : d.problems.length ? "bad" : "ok");

function statusText(d) {
  if (d.link === null) return t("field.state.unknown");
  if (d.link.quarantined) return t("field.state.quarantined");
  return t(d.problems.length ? "field.state.bad" : "field.state.ok");
}

// The answer rate, then each count of what went wrong that is not zero: a sound device takes one line.
function counts(d) {
  if (d.link === null) return [[t("field.answers"), t("field.no_counts")]];
  const { answers, requests } = d.link;
  const pct = d.answer_pct === null ? "–" : number(d.answer_pct, 0);
  return [
    [t("field.answers"), t("field.answers_value", { answers, requests, pct })],
    ...["timeouts", "crc_errors", "late_answers"].map((c) => [t(`field.${c}`), d.link[c] ? String(d.link[c]) : ""]),
  ];
}

function deviceCard(d) {
  const names = (items) => items.map((i) => i.name).join(", ");
  const title = d.profile_name ?? withIds(d.in_site ? "field.no_profile" : "field.not_in_site", { node: d.node }, ["node"]);
  return h(
    "section",
    { class: `item field-device ${stateOf(d)}`, "data-node": d.node },
    h("h4", {}, title),
    h("div", { class: "field-state", text: statusText(d) }),
    facts([
      [t("field.address"), withIds("field.address_value", { address: d.address ?? d.topic, node: d.node }, ["node"])],
      [t("field.bus_id"), d.in_site ? "" : [idOf(d.link.bus)]],
      [t("field.reads"), names(d.sensors)],
      [t("field.drives"), names(d.actuators)],
      ...counts(d),
    ]),
    d.problems.length
      ? h(
          "ul",
          { class: "field-hints" },
          // A count's problem is named as its count ("Không trả lời 12 lần: …").
          d.problems.map((p) => h("li", { "data-problem": p, text: t(`field.hint.${p}`, { n: d.link[p] }) })),
        )
      : null,
  );
}

function busPart(b) {
  return h(
    "section",
    { class: "field-bus", "data-bus": b.bus.id },
    h("h3", { text: busText(b.bus) }),
    h("p", { class: "hint" }, withIds("field.bus_of", { id: b.bus.id, n: b.devices.length }, ["id"])),
    b.devices.map(deviceCard),
  );
}

// What the counts are: since the greenhouse's controller started, or, offline, as last told.
function freshness(answer) {
  if (answer.availability === null) return t("field.never_heard");
  if (answer.availability !== "online") return t("field.offline", { at: dateTime(msOf(answer.last_seen)) });
  return t("field.counted_since_start");
}

// Of the devices the edge reported, how many need checking; nothing to sum up before its first report.
function summary(devices) {
  const counted = devices.filter((d) => d.link !== null);
  const bad = counted.filter((d) => d.problems.length);
  if (!counted.length) return null;
  if (!bad.length) return h("div", { class: "running field-summary", text: t("field.all_ok", { n: counted.length }) });
  return h("div", { class: "result bad field-summary", text: t("field.some_bad", { bad: bad.length, n: counted.length }) });
}

function page(answer) {
  const devices = [...answer.buses.flatMap((b) => b.devices), ...answer.unknown];
  return [
    h("p", { class: "hint field-freshness", text: freshness(answer) }),
    summary(devices),
    answer.buses.map(busPart),
    answer.unknown.length
      ? h("section", { class: "field-bus", "data-bus": "" }, h("h3", { text: t("field.unknown") }), answer.unknown.map(deviceCard))
      : null,
  ];
}

export function devicesView(ghId) {
  const id = ghId ?? [...live.greenhouses.keys()].sort()[0];
  const body = h("div", {}, loading());
  const el = h("div", { class: "desk" }, greenhousePicker("devices", id), body);
  let shown = null; // the answer on the screen, as text: a page is built again only when the counts changed
  let askedAt = 0;
  function ask() {
    askedAt = Date.now();
    desk.fieldDevices(id).then(
      (answer) => {
        const text = JSON.stringify(answer);
        if (text !== shown) body.replaceChildren(...page(answer).flat().filter(Boolean));
        shown = text;
      },
      (err) => shown === null && body.replaceChildren(failed(err)), // kept on the screen when a refresh fails
    );
  }
  ask();
  return {
    el,
    update() {
      if (Date.now() - askedAt >= REFRESH_MS) ask();
    },
  };
}
