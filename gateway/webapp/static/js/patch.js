// A greenhouse's picture with a patch from the event stream applied, as gateway/live/patch.py makes them:
// a value that is not an object replaces what was there (null included); an object patches an object key by
// key, "@drop" naming the keys it lost; {"@key": "sensor", "soil-a1": {…}} patches a list item by item.
// The picture given is left as it was: the screens may still hold it.

const KEY = "@key";
const DROP = "@drop";
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

export function applyPatch(target, patch) {
  if (!isObject(patch)) return patch;
  if (Array.isArray(target) && KEY in patch) {
    const field = patch[KEY];
    return target.map((item) => {
      const name = isObject(item) ? item[field] : undefined;
      return typeof name === "string" && Object.hasOwn(patch, name) ? applyPatch(item, patch[name]) : item;
    });
  }
  const out = isObject(target) ? { ...target } : {};
  for (const [key, change] of Object.entries(patch)) {
    if (key === DROP) for (const gone of change) delete out[gone];
    else out[key] = applyPatch(out[key], change);
  }
  return out;
}
