// The YAML the rule forms write, in the layout of the example rule files, and where it goes in the text.

// A double-quoted JSON string is also a YAML one: any name, Vietnamese or with a colon, is read back as typed.
const quoted = (s) => JSON.stringify(s);
const list = (ids) => `[${ids.join(", ")}]`;

const head = (r, kind) => [`  - id: ${r.id}`, `    name: ${quoted(r.name)}`, `    kind: ${kind}`];
const action = (r) => `    action: {actuator: ${r.actuator}, on_for_s: ${Math.round(r.minutes * 60)}}`;

export function thresholdYaml(r) {
  return [
    ...head(r, "threshold"),
    `    metric: {sensors: ${list(r.sensors)}}`,
    `    ${r.op}: ${r.limit}`,
    r.hysteresis ? `    hysteresis: ${r.hysteresis}` : null,
    `    for_s: ${Math.round(r.forMinutes * 60)}`,
    action(r),
  ].filter(Boolean);
}

export function scheduleYaml(r) {
  return [
    ...head(r, "schedule"),
    `    cron: ${quoted(r.cron)}`,
    action(r),
    r.skipAbove === null ? null : `    skip_if: [{metric: {sensors: ${list(r.skipSensors)}}, above: ${r.skipAbove}}]`,
  ].filter(Boolean);
}

// "06:00, 16:00" → "0 6,16 * * *". One crontab line has one list of minutes for all its hours, so the times
// must share their minute; null when they do not, or are not times.
export function cronOf(times) {
  const parts = times.split(/[,;\s]+/).filter(Boolean).map((x) => x.match(/^([01]?\d|2[0-3])[:h.]([0-5]\d)$/));
  if (!parts.length || parts.some((p) => !p)) return null;
  const minutes = new Set(parts.map((p) => Number(p[2])));
  if (minutes.size !== 1) return null;
  const hours = [...new Set(parts.map((p) => Number(p[1])))].sort((a, b) => a - b);
  return `${[...minutes][0]} ${hours.join(",")} * * *`;
}

// The rule goes at the end of the text: the rule files keep `rules:` as their last key, as the examples do.
export function appendRule(text, lines) {
  let out = text.replace(/^rules:\s*\[\]\s*$/m, "rules:").trimEnd();
  if (!out) out = "version: 1";
  if (!/^rules:/m.test(out)) out += "\nrules:";
  return `${out}\n\n${lines.join("\n")}\n`;
}
