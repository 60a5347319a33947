// The subelements lookup (`with_subelements`): each dict of a list paired with each member of a list
// inside it, as ansible-core's plugin walks, skips and refuses them.
import { boolean } from "../py/boolean.ts";
import { TemplateError } from "./_errors.ts";
import { isMapping, mapGet, mapHas, mapKeys, pyIter, pyStr, tuple, unwrap } from "./_py.ts";

type Dict = Record<string, unknown>;

const FLAGS = ["skip_missing"];

const termsError = (why = "") =>
  new TemplateError(`subelements lookup expects a list of two or three items, ${why}`);

/** A copy to take a key out of: Ansible pops the walked list from the item it pairs. */
const copyDict = (v: unknown): Dict => {
  const d = unwrap(v) as Dict;
  return Object.fromEntries(mapKeys(d).map((k) => [k, mapGet(d, k)]));
};

/** Whether Ansible's `d.get('skipped', False) is not False` holds: a skipped result, or a marked item. */
const skipped = (d: Dict): boolean => mapHas(d, "skipped") && unwrap(mapGet(d, "skipped")) !== false;

/**
 * The pairs [item, member] for terms [list or dict of dicts, "key.subkey", {skip_missing}]. The walk is
 * Ansible's to the letter: a missing key under skip_missing is passed over and the walk goes on at the
 * same level, and a key named like the last one is taken for the last wherever it stands.
 */
export function subelementsLookup(terms: unknown[]): unknown[] {
  // the first term listified as the plugin does it: text, or anything not iterable, is a one-item list
  let first = unwrap(terms[0]);
  if (!Array.isArray(first) && !isMapping(first)) first = [first];
  if (terms.length < 2 || terms.length > 3) throw termsError();
  const subkey = unwrap(terms[1]);
  if (typeof subkey !== "string") {
    throw termsError("first a dict or a list, second a string pointing to the subkey");
  }
  const keys = subkey.split(".");
  let elements: unknown[];
  if (isMapping(first)) {
    if (skipped(first as Dict)) return [];
    elements = mapKeys(first).map((k) => mapGet(first as Dict, k));
  } else elements = first as unknown[];
  const flags = terms.length === 3 ? unwrap(terms[2]) : {};
  if (!isMapping(flags) && !pyIter(flags).every((k) => FLAGS.includes(unwrap(k) as string))) {
    throw termsError(`the optional third item must be a dict with flags ${FLAGS.join(", ")}`);
  }
  const skipMissing = isMapping(flags) &&
    boolean(unwrap(mapGet(flags, "skip_missing") ?? false), { strict: false });
  const out: unknown[] = [];
  for (const element of elements) {
    if (!isMapping(unwrap(element))) {
      throw new TemplateError(`subelements lookup expects a dictionary, got '${pyStr(element)}'`);
    }
    if (skipped(unwrap(element) as Dict)) continue;
    const item = copyDict(element);
    let level = item;
    let last = false;
    let members: unknown[] = [];
    for (const key of keys) {
      if (key === keys[keys.length - 1]) last = true;
      if (!mapHas(level, key)) {
        if (skipMissing) continue;
        throw new TemplateError(`could not find '${key}' key in iterated item '${pyStr(level)}'`);
      }
      const value = unwrap(level[key]);
      if (!last) {
        if (!isMapping(value)) {
          if (skipMissing) continue;
          throw new TemplateError(`the key ${key} should point to a dictionary, got '${pyStr(level[key])}'`);
        }
        level = level[key] = copyDict(value);
      } else {
        if (!Array.isArray(value)) {
          throw new TemplateError(`the key ${key} should point to a list, got '${pyStr(level[key])}'`);
        }
        members = value;
        delete level[key];
      }
    }
    for (const member of members) out.push(tuple([item, member]));
  }
  return out;
}
