// Dict filters: sorting, items, merging (combine), dict2items/items2dict, extract, rekey_on_member.
import { TemplateError } from "./_errors.ts";
import { jsonDumps } from "./_json.ts";
import {
  defined,
  isMapping,
  isPlainDict,
  isTuple,
  mapGet,
  mapKeys,
  pyContains,
  pyEq,
  pyRepr,
  pyStr,
  pyTypeName,
  truthy,
  tuple,
  Undefined,
  unwrap,
} from "./_py.ts";
import { getItem, splitKwargs } from "./_runtime.ts";
import { pyDict } from "./_globals.ts";
import { bind, type FilterContext, flatten, stableSort } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

function sortKey(caseSensitive: boolean): (x: unknown) => unknown {
  return (x) => {
    const u = unwrap(x);
    return !caseSensitive && typeof u === "string" ? u.toLowerCase() : u;
  };
}

const LIST_MERGE = ["replace", "keep", "append", "prepend", "append_rp", "prepend_rp"];

/** Ansible's merge_hash: `y` over `x`, dicts merged when `recursive`, lists as `listMerge` says. */
export function mergeHash(
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  recursive: boolean,
  listMerge: string,
): Record<string, unknown> {
  if (!isMapping(x) || !isMapping(y)) {
    // Ansible's words, with each side as json.dumps writes it (str() when it cannot)
    const shown = (v: unknown) => {
      try {
        return jsonDumps(v);
      } catch {
        return pyStr(v);
      }
    };
    throw new TemplateError(
      `failed to combine variables, expected dicts but got a '${pyTypeName(x)}' and a '${pyTypeName(y)}': ` +
        `\n${shown(x)}\n${shown(y)}`,
    );
  }
  if (mapKeys(x).length === 0 || pyEq(x, y)) return { ...y };
  if (!LIST_MERGE.includes(listMerge)) {
    throw new TemplateError(
      "merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', " +
        "'append_rp' or 'prepend_rp'",
    );
  }
  const out: Record<string, unknown> = { ...x };
  if (!recursive && listMerge === "replace") return Object.assign(out, y);
  for (const k of Object.keys(y)) {
    const yv = y[k];
    if (!(k in out)) {
      out[k] = yv;
      continue;
    }
    const xv = out[k];
    if (isPlainDict(xv) && isPlainDict(yv)) {
      out[k] = recursive ? mergeHash(xv, yv, recursive, listMerge) : yv;
      continue;
    }
    if (Array.isArray(xv) && Array.isArray(yv) && !isTuple(xv) && !isTuple(yv)) {
      switch (listMerge) {
        case "replace":
          out[k] = yv;
          break;
        case "append":
          out[k] = [...xv, ...yv];
          break;
        case "prepend":
          out[k] = [...yv, ...xv];
          break;
        case "append_rp":
          out[k] = [...xv.filter((z) => !pyContains(yv, z)), ...yv];
          break;
        case "prepend_rp":
          out[k] = [...yv, ...xv.filter((z) => !pyContains(yv, z))];
          break;
        case "keep":
          break;
      }
      continue;
    }
    out[k] = yv;
  }
  return out;
}

/** The dicts family of the built-in filter table. */
export function dictsFilters(_ctx: FilterContext): Record<string, FilterFn> {
  return {
    dictsort: (v, ...args) => {
      const o = bind(args, ["case_sensitive", "by", "reverse"], "dictsort");
      const d = unwrap(defined(v));
      if (!isMapping(d)) throw new TemplateError('You can only sort by either "key" or "value"');
      const pos = pyStr(o.by ?? "key") === "value" ? 1 : 0;
      const items = mapKeys(d).map((k) => tuple([k, mapGet(d, k)]));
      const key = sortKey(truthy(o.case_sensitive ?? false));
      return stableSort(items, (x) => key(x[pos]), truthy(o.reverse ?? false));
    },
    items: (v) => {
      if (v instanceof Undefined) return [];
      const d = unwrap(v);
      if (!isMapping(d)) throw new TemplateError("Can only get item pairs from a mapping.");
      return mapKeys(d).map((k) => tuple([k, mapGet(d, k)]));
    },
    combine: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      const { recursive = false, list_merge = "replace", ...extra } = kw;
      if (Object.keys(extra).length) {
        throw new TemplateError("'recursive' and 'list_merge' are the only valid keyword arguments");
      }
      // as Ansible's flatten(terms, levels=1): None (and 'None', 'null') drop out; what is not a dict
      // fails only when merged
      const dicts = flatten([v, ...pos].map((x) => unwrap(defined(x))), 1, true).map((d) => {
        const u = unwrap(defined(d));
        return (isMapping(u) && !isPlainDict(u)
          ? Object.fromEntries(mapKeys(u).map((k) => [k, mapGet(u, k)]))
          : u) as Record<
            string,
            unknown
          >;
      });
      if (!dicts.length) return {};
      if (dicts.length === 1) return dicts[0];
      let result = dicts[dicts.length - 1];
      for (let i = dicts.length - 2; i >= 0; i--) {
        result = mergeHash(dicts[i], result, truthy(recursive), pyStr(list_merge));
      }
      return result;
    },
    extract: (v, ...args) => {
      const o = bind(args, ["container", "morekeys"], "extract");
      let r = getItem(o.container, v);
      if (o.morekeys !== undefined && o.morekeys !== null) {
        const keys = Array.isArray(unwrap(o.morekeys)) ? (unwrap(o.morekeys) as unknown[]) : [o.morekeys];
        for (const k of keys) r = getItem(r, k);
      }
      return r;
    },
    dict2items: (v, ...args) => {
      const o = bind(args, ["key_name", "value_name"], "dict2items");
      const d = unwrap(defined(v));
      if (!isMapping(d)) {
        throw new TemplateError(`dict2items requires a dictionary, got ${pyTypeName(d)} instead.`);
      }
      const kn = pyStr(o.key_name ?? "key"), vn = pyStr(o.value_name ?? "value");
      return mapKeys(d).map((k) => ({ [kn]: k, [vn]: mapGet(d, k) }));
    },
    items2dict: (v, ...args) => {
      const o = bind(args, ["key_name", "value_name"], "items2dict");
      const kn = pyStr(o.key_name ?? "key"), vn = pyStr(o.value_name ?? "value");
      const u = unwrap(defined(v));
      if (!Array.isArray(u)) {
        throw new TemplateError(`items2dict requires a list, got ${pyTypeName(u)} instead.`);
      }
      const out: Record<string, unknown> = {};
      for (const it of u) {
        const x = unwrap(it);
        if (!isMapping(x)) {
          throw new TemplateError(`items2dict requires a list of dictionaries, got ${pyRepr(u)} instead.`);
        }
        const k = mapGet(x, kn), val = mapGet(x, vn);
        if (k === undefined || val === undefined) {
          throw new TemplateError(
            `items2dict requires each dictionary in the list to contain the keys '${kn}' and '${vn}', got ${
              pyRepr(u)
            } instead.`,
          );
        }
        out[pyStr(k)] = val;
      }
      return out;
    },
    dict: (v) => pyDict([v], {}),
    rekey_on_member: (v, ...args) => {
      const o = bind(args, ["key", "duplicates"], "rekey_on_member", 1);
      const dup = pyStr(o.duplicates ?? "error");
      if (dup !== "error" && dup !== "overwrite") {
        throw new TemplateError(`duplicates parameter to rekey_on_member has unknown value: ${dup}`);
      }
      const u = unwrap(defined(v));
      const items = isMapping(u) ? mapKeys(u).map((k) => mapGet(u, k)) : Array.isArray(u) ? u : null;
      if (!items) throw new TemplateError("Type is not a valid list, set, or dict");
      const out: Record<string, unknown> = {};
      for (const it of items) {
        const d = unwrap(it);
        if (!isMapping(d)) throw new TemplateError("List item is not a valid dict");
        const k = mapGet(d, pyStr(o.key));
        if (k === undefined) throw new TemplateError(`Key ${pyStr(o.key)} was not found`);
        const ks = pyStr(k);
        if (ks in out && dup === "error") {
          throw new TemplateError(`Key ${ks} is not unique, cannot correctly turn into dict`);
        }
        out[ks] = d;
      }
      return out;
    },
  };
}
