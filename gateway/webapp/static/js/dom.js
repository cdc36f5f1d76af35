// Building and updating elements without innerHTML: every text from the server goes in as text, never as markup.

const SVG_NS = "http://www.w3.org/2000/svg";

function apply(el, attrs) {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : value);
  }
}

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  apply(el, attrs);
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  apply(el, attrs);
  el.append(...children.flat().filter(Boolean));
  return el;
}

// An icon from the sprite, served once and cached with the app.
export function icon(name, cls = "icon") {
  return svg("svg", { class: cls, "aria-hidden": "true" }, svg("use", { href: `/static/icons/sprite.svg#${name}` }));
}

// Writes only what changed, so that a live update does not disturb a finger on the screen.
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function setClass(el, cls) {
  if (el.getAttribute("class") !== cls) el.setAttribute("class", cls);
}

// One part per item, made once and then updated in place, in the items' order: a live list without flicker.
const parts = new WeakMap();

export function keyed(parent, items, key, make) {
  const old = parts.get(parent) ?? new Map();
  const next = new Map();
  items.forEach((item, i) => {
    const k = key(item);
    const part = old.get(k) ?? make(item);
    part.update(item);
    next.set(k, part);
    if (parent.children[i] !== part.el) parent.insertBefore(part.el, parent.children[i] ?? null);
  });
  for (const [k, part] of old) if (!next.has(k)) part.el.remove();
  parts.set(parent, next);
}
