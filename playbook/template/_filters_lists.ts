// List and set filters: selection, ordering, grouping, slicing, set algebra and combinatorics.
import { TemplateError } from "./_errors.ts";
import {
  defined,
  isInt,
  isMapping,
  isNumber,
  isTuple,
  Kwargs,
  mapGet,
  mapHas,
  mapKeys,
  num,
  pyCmp,
  pyContains,
  pyEq,
  pyIter,
  pyLen,
  pyRepr,
  pyStr,
  pyTypeName,
  truthy,
  tuple,
  Undefined,
  unwrap,
} from "./_py.ts";
import { binop, getItem, splitKwargs } from "./_runtime.ts";
import { bind, type FilterContext, flatten, list, stableSort, str } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

/** Jinja2's make_attrgetter: "a.b.0" walks item/attribute lookups. */
function attrGetter(
  attribute: unknown,
  opts: { lower?: boolean; dflt?: unknown } = {},
): (x: unknown) => unknown {
  const parts = attribute === null || attribute === undefined
    ? []
    : typeof unwrap(attribute) === "number"
    ? [unwrap(attribute) as number]
    : pyStr(attribute).split(".").map((p) => (/^\d+$/.test(p) ? parseInt(p, 10) : p));
  return (x) => {
    let v = x;
    for (const p of parts) {
      v = getItem(v, p);
      if (v instanceof Undefined) {
        if (opts.dflt !== undefined) return opts.dflt;
        break;
      }
    }
    if (opts.lower) {
      const u = unwrap(v);
      if (typeof u === "string") return u.toLowerCase();
    }
    return v;
  };
}

function hashKey(v: unknown): string {
  const u = unwrap(v);
  if (Array.isArray(u) && !isTuple(u)) throw new TypeError("unhashable type: 'list'");
  if (isMapping(u)) throw new TypeError("unhashable type: 'dict'");
  if (typeof u === "boolean") return "n:" + (u ? 1 : 0);
  if (isNumber(u)) return "n:" + num(u);
  return pyTypeName(u) + ":" + pyRepr(u);
}

/** Jinja2's unique: items (or their attribute) must be hashable, else a TypeError. */
function jinjaUnique(items: unknown[], caseSensitive: boolean, attribute: unknown): unknown[] {
  const get = attrGetter(attribute, { lower: !caseSensitive });
  const seen = new Set<string>();
  const out: unknown[] = [];
  for (const it of items) {
    const k = hashKey(get(it));
    if (!seen.has(k)) {
      seen.add(k);
      out.push(it);
    }
  }
  return out;
}

/** Ansible's own unique, for what Jinja2's cannot hash: pairwise equality, case-sensitive. */
function pairwiseUnique(items: unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const it of items) if (!out.some((o) => pyEq(o, it))) out.push(it);
  return out;
}

/** Case-sensitive unique as Ansible's set filters (union, intersect, …) call it. */
function uniqueList(items: unknown[]): unknown[] {
  try {
    return jinjaUnique(items, true, null);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    return pairwiseUnique(items);
  }
}

function minmax(
  items: unknown[],
  caseSensitive: boolean,
  attribute: unknown,
  sign: number,
  what: string,
): unknown {
  if (!items.length) return new Undefined(what, `No aggregated item, sequence was empty.`);
  const get = attrGetter(attribute, { lower: !caseSensitive });
  let best = items[0], bk = get(best);
  for (const it of items.slice(1)) {
    const k = get(it);
    if (pyCmp(k, bk) * sign > 0) {
      best = it;
      bk = k;
    }
  }
  return best;
}

/** The lists family of the built-in filter table. */
export function listsFilters(ctx: FilterContext): Record<string, FilterFn> {
  const { filterByName, testByName, withKw, randomFor } = ctx;
  const selectOrReject = (value: unknown, args: unknown[], keep: boolean, byAttr: boolean): unknown[] => {
    const [pos, kw] = splitKwargs(args);
    let get = (x: unknown) => x;
    let rest = pos;
    if (byAttr) {
      get = attrGetter(rest[0]);
      rest = rest.slice(1);
    }
    let pred: (x: unknown) => boolean;
    if (rest.length === 0) pred = (x) => truthy(x);
    else {
      const t = testByName(pyStr(rest[0]));
      const targs = withKw(rest.slice(1), kw);
      pred = (x) => truthy(t(x, ...targs));
    }
    return list(value).filter((x) => pred(get(x)) === keep);
  };
  return {
    batch: (v, ...args) => {
      const o = bind(args, ["linecount", "fill_with"], "batch");
      const n = num(o.linecount);
      const items = list(v);
      const out: unknown[][] = [];
      for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
      if (o.fill_with !== undefined && o.fill_with !== null && out.length) {
        const last = out[out.length - 1];
        while (last.length < n) last.push(o.fill_with);
      }
      return out;
    },
    count: (v) => pyLen(v),
    length: (v) => pyLen(v),
    first: (v) => {
      const items = list(v);
      return items.length ? items[0] : new Undefined("first", "No first item, sequence was empty.");
    },
    last: (v) => {
      const items = list(v);
      return items.length
        ? items[items.length - 1]
        : new Undefined("last", "No last item, sequence was empty.");
    },
    groupby: (v, ...args) => {
      const o = bind(args, ["attribute", "default", "case_sensitive"], "groupby");
      const get = attrGetter(o.attribute, { dflt: o.default });
      const cs = truthy(o.case_sensitive ?? false);
      const key = (x: unknown) => {
        const k = get(x);
        const u = unwrap(k);
        return !cs && typeof u === "string" ? u.toLowerCase() : k;
      };
      const sorted = stableSort(list(v), key, false);
      const groups: unknown[][] = [];
      for (const it of sorted) {
        const k = key(it);
        const last = groups[groups.length - 1];
        if (last && pyEq(last[0], k)) (last[1] as unknown[]).push(it);
        else groups.push(tuple([k, [it]]));
      }
      if (!cs) {
        for (const g of groups) g[0] = get((g[1] as unknown[])[0]);
      }
      return groups;
    },
    join: (v, ...args) => {
      const o = bind(args, ["d", "attribute"], "join");
      const get = attrGetter(o.attribute);
      return list(v).map((x) => str(get(x))).join(str(o.d ?? ""));
    },
    list: (v) => [...list(v)],
    map: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      const items = list(v);
      if (pos.length === 0 && "attribute" in kw) {
        const get = attrGetter(kw.attribute);
        return items.map((x) => {
          const r = get(x);
          return r instanceof Undefined && "default" in kw ? kw.default : r;
        });
      }
      if (!pos.length) throw new TemplateError("map requires a filter argument");
      const f = filterByName(pyStr(pos[0]));
      const fargs = withKw(pos.slice(1), kw);
      return items.map((x) => f(x, ...fargs));
    },
    max: (v, ...args) => {
      const o = bind(args, ["case_sensitive", "attribute"], "max");
      return minmax(list(v), truthy(o.case_sensitive ?? false), o.attribute, 1, "max");
    },
    min: (v, ...args) => {
      const o = bind(args, ["case_sensitive", "attribute"], "min");
      return minmax(list(v), truthy(o.case_sensitive ?? false), o.attribute, -1, "min");
    },
    random: (v, ...args) => {
      const o = bind(args, ["start", "step", "seed"], "random");
      const r = randomFor(o.seed);
      const u = unwrap(defined(v));
      if (isInt(u)) {
        const start = truthy(o.start ?? 0) ? num(o.start) : 0;
        const step = truthy(o.step ?? 0) ? num(o.step) : 1;
        return r.randrange(start, num(u), step);
      }
      if (typeof u === "string" || Array.isArray(u) || isMapping(u)) {
        if (truthy(o.start ?? null) || truthy(o.step ?? null)) {
          throw new TemplateError("start and step can only be used with integer values");
        }
        return r.choice(pyIter(u));
      }
      throw new TemplateError("random can only be used on sequences and integers");
    },
    reject: (v, ...args) => selectOrReject(v, args, false, false),
    rejectattr: (v, ...args) => selectOrReject(v, args, false, true),
    select: (v, ...args) => selectOrReject(v, args, true, false),
    selectattr: (v, ...args) => selectOrReject(v, args, true, true),
    reverse: (v) => {
      const u = unwrap(defined(v));
      if (typeof u === "string") return [...u].reverse().join("");
      return [...pyIter(u)].reverse();
    },
    slice: (v, ...args) => {
      const o = bind(args, ["slices", "fill_with"], "slice");
      const seq = list(v);
      const slices = num(o.slices);
      const length = seq.length;
      const perSlice = Math.floor(length / slices), extra = length % slices;
      let offset = 0;
      const out: unknown[][] = [];
      for (let i = 0; i < slices; i++) {
        const start = offset + i * perSlice;
        if (i < extra) offset++;
        const end = offset + (i + 1) * perSlice;
        const tmp = seq.slice(start, end);
        if (o.fill_with !== undefined && o.fill_with !== null && i >= extra) tmp.push(o.fill_with);
        out.push(tmp);
      }
      return out;
    },
    sort: (v, ...args) => {
      const o = bind(args, ["reverse", "case_sensitive", "attribute"], "sort");
      const lower = !truthy(o.case_sensitive ?? false);
      const attrs = typeof unwrap(o.attribute) === "string" ? pyStr(o.attribute).split(",") : [o.attribute];
      const getters = attrs.map((a) => attrGetter(a, { lower }));
      const key = getters.length === 1 ? getters[0] : (x: unknown) => getters.map((g) => g(x));
      return stableSort([...list(v)], key, truthy(o.reverse ?? false));
    },
    sum: (v, ...args) => {
      const o = bind(args, ["attribute", "start"], "sum");
      const get = attrGetter(o.attribute);
      let acc: unknown = o.start ?? 0;
      for (const x of list(v)) acc = binop("+", acc, get(x)); // Python's +: exact ints, list and string concatenation
      return acc;
    },
    unique: (v, ...args) => {
      const o = bind(args, ["case_sensitive", "attribute"], "unique");
      try {
        return jinjaUnique(list(v), truthy(o.case_sensitive ?? false), o.attribute);
      } catch (e) {
        if (!(e instanceof TypeError)) throw e;
        // Ansible's fallback knows neither parameter: given either, it refuses to stand in
        if (unwrap(o.case_sensitive) === false || truthy(o.attribute ?? null)) {
          throw new TemplateError(
            "Jinja2's unique filter failed and we cannot fall back to Ansible's version as it does not support " +
              `the parameters supplied. ${e.message}`,
          );
        }
        return pairwiseUnique(list(v));
      }
    },
    shuffle: (v, ...args) => {
      const o = bind(args, ["seed"], "shuffle");
      let items: unknown[];
      try {
        items = [...list(v)];
      } catch {
        // Ansible's filter gives back what it cannot make a list of, as it came
        return v;
      }
      randomFor(truthy(o.seed ?? null) ? o.seed : undefined).shuffle(items);
      return items;
    },
    flatten: (v, ...args) => {
      const o = bind(args, ["levels", "skip_nulls"], "flatten");
      return flatten(
        list(v),
        o.levels === undefined || o.levels === null ? null : num(o.levels),
        truthy(o.skip_nulls ?? true),
      );
    },
    subelements: (v, ...args) => {
      const o = bind(args, ["subelements", "skip_missing"], "subelements");
      const u = unwrap(defined(v));
      let elements: unknown[];
      if (isMapping(u)) elements = mapKeys(u).map((k) => mapGet(u, k));
      else if (Array.isArray(u)) elements = u;
      else throw new TemplateError("obj must be a list of dicts or a nested dict");
      const spec = unwrap(o.subelements);
      // Ansible's AnsibleFilterTypeError is a TypeError: it surfaces as a templating type error
      let keys: unknown[];
      if (Array.isArray(spec)) keys = spec;
      else if (typeof spec === "string") keys = spec.split(".");
      else throw new TypeError("subelements must be a list or a string");
      const out: unknown[] = [];
      for (const el of elements) {
        let values: unknown = el;
        let key: unknown;
        for (key of keys) {
          const d = unwrap(values);
          const k = unwrap(key);
          if (isMapping(d)) {
            if (typeof k === "string" && mapHas(d, k)) {
              values = mapGet(d, k);
              continue;
            }
            if (truthy(o.skip_missing ?? false)) {
              values = [];
              break;
            }
            throw new TemplateError(`could not find ${pyRepr(key)} key in iterated item ${pyRepr(values)}`);
          }
          if (
            (Array.isArray(d) || typeof d === "string") && isInt(k) && num(k) < d.length &&
            num(k) >= -d.length
          ) {
            values = Array.isArray(d) ? d.at(num(k)) : [...d].at(num(k));
            continue;
          }
          throw new TypeError(`the key ${pyStr(key)} should point to a dictionary, got '${pyStr(values)}'`);
        }
        if (!Array.isArray(unwrap(values))) {
          throw new TypeError(`the key ${pyRepr(key)} should point to a list, got ${pyRepr(values)}`);
        }
        for (const x of unwrap(values) as unknown[]) out.push(tuple([el, x]));
      }
      return out;
    },
    union: (a, b) => uniqueList([...list(a), ...list(b)]),
    intersect: (a, b) => {
      const bl = list(b);
      return uniqueList(list(a).filter((x) => pyContains(bl, x)));
    },
    difference: (a, b) => {
      const bl = list(b);
      return uniqueList(list(a).filter((x) => !pyContains(bl, x)));
    },
    symmetric_difference: (a, b) => {
      const al = list(a), bl = list(b);
      const isect = uniqueList(al.filter((x) => pyContains(bl, x)));
      return uniqueList([...al, ...bl]).filter((x) => !pyContains(isect, x));
    },
    zip: (...args) => {
      const [pos] = splitKwargs(args);
      const lists = pos.map(list);
      const n = Math.min(...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => tuple(lists.map((l) => l[i])));
    },
    zip_longest: (...args) => {
      const [pos, kw] = splitKwargs(args);
      const lists = pos.map(list);
      const fill = kw.fillvalue ?? null;
      const n = Math.max(0, ...lists.map((l) => l.length));
      return Array.from({ length: n }, (_, i) => tuple(lists.map((l) => (i < l.length ? l[i] : fill))));
    },
    product: (...args) => {
      const [pos, kw] = splitKwargs(args);
      let lists = pos.map(list);
      const repeat = num(kw.repeat ?? 1);
      if (repeat > 1) lists = Array.from({ length: repeat }, () => lists).flat();
      let acc: unknown[][] = [[]];
      for (const l of lists) acc = acc.flatMap((p) => l.map((x) => [...p, x]));
      return acc.map((p) => tuple(p));
    },
    permutations: (v, ...args) => {
      const items = list(v);
      const r = args.length && !(args[0] instanceof Kwargs) ? num(args[0]) : items.length;
      const out: unknown[] = [];
      const rec = (prefix: unknown[], rest: unknown[]) => {
        if (prefix.length === r) return void out.push(tuple(prefix));
        rest.forEach((x, i) => rec([...prefix, x], [...rest.slice(0, i), ...rest.slice(i + 1)]));
      };
      rec([], items);
      return out;
    },
    combinations: (v, r) => {
      const items = list(v), k = num(r);
      const out: unknown[] = [];
      const rec = (start: number, prefix: unknown[]) => {
        if (prefix.length === k) return void out.push(tuple(prefix));
        for (let i = start; i < items.length; i++) rec(i + 1, [...prefix, items[i]]);
      };
      rec(0, []);
      return out;
    },
  };
}
