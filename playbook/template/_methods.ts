// Python methods of str, list and dict as templates call them (`x.split(',')`, `d.items()`).
import {
  defined,
  isMapping,
  isPlainDict,
  LazyMapping,
  mapGet,
  mapHas,
  mapKeys,
  pyCmp,
  pyEq,
  pyIter,
  pySplitlines,
  pyStr,
  pyTypeName,
  strLen,
  tuple,
  unwrap,
} from "./_py.ts";
import { strFormat } from "./_format.ts";
import { PyCallable } from "./_callable.ts";

type Method = (self: any, args: unknown[], kwargs: Record<string, unknown>) => unknown;

function str(v: unknown, what = "argument"): string {
  v = unwrap(defined(v));
  if (typeof v !== "string") throw new TypeError(`${what} must be str, not ${pyTypeName(v)}`);
  return v;
}

const WS = " \t\n\r\x0b\x0c";

function stripChars(s: string, chars: unknown, left: boolean, right: boolean): string {
  const set = chars === undefined || chars === null ? WS : str(chars);
  let a = 0, b = s.length;
  if (left) { while (a < b && set.includes(s[a])) a++; }
  if (right) { while (b > a && set.includes(s[b - 1])) b--; }
  return s.slice(a, b);
}

function pySplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let i = 0;
    while (i < s.length) {
      while (i < s.length && /\s/.test(s[i])) i++;
      if (i >= s.length) break;
      if (maxsplit >= 0 && out.length === maxsplit) {
        out.push(s.slice(i));
        return out;
      }
      let j = i;
      while (j < s.length && !/\s/.test(s[j])) j++;
      out.push(s.slice(i, j));
      i = j;
    }
    return out;
  }
  const d = str(sep);
  if (d === "") throw new Error("ValueError: empty separator");
  const parts = s.split(d);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(d)];
}

function pyRsplit(s: string, sep: unknown, maxsplit: number): string[] {
  if (maxsplit < 0) return pySplit(s, sep, -1);
  if (sep === undefined || sep === null) {
    const words = pySplit(s, null, -1);
    if (words.length <= maxsplit + 1) return words;
    // rebuild the head from the original text
    const tail = words.slice(words.length - maxsplit);
    let head = s.replace(/\s+$/, "");
    for (let k = tail.length - 1; k >= 0; k--) {
      head = head.slice(0, head.lastIndexOf(tail[k])).replace(/\s+$/, "");
    }
    return [head, ...tail];
  }
  const d = str(sep);
  const parts = s.split(d);
  if (parts.length <= maxsplit + 1) return parts;
  return [parts.slice(0, parts.length - maxsplit).join(d), ...parts.slice(parts.length - maxsplit)];
}

function intArg(v: unknown, dflt: number): number {
  v = unwrap(v);
  if (v === undefined || v === null) return dflt;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new TypeError(`'${pyTypeName(v)}' object cannot be interpreted as an integer`);
  }
  return v;
}

function normIdx(i: unknown, n: number, dflt: number): number {
  if (i === undefined || i === null) return dflt;
  let x = Number(unwrap(i));
  if (x < 0) x += n;
  return Math.min(Math.max(x, 0), n);
}

function capitalize(s: string): string {
  return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
}

/** Python's str.title(): words are runs of letters. */
export function pyTitle(s: string): string {
  return s.replace(/[A-Za-z\u00C0-\uFFFF]+/g, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
}

const STR: Record<string, Method> = {
  split: (s, [sep, max], kw) => pySplit(s, sep ?? kw.sep, intArg(max ?? kw.maxsplit, -1)),
  rsplit: (s, [sep, max], kw) => pyRsplit(s, sep ?? kw.sep, intArg(max ?? kw.maxsplit, -1)),
  splitlines: (s, [keep], kw) => pySplitlines(s, !!(keep ?? kw.keepends)),
  strip: (s, [c]) => stripChars(s, c, true, true),
  lstrip: (s, [c]) => stripChars(s, c, true, false),
  rstrip: (s, [c]) => stripChars(s, c, false, true),
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  capitalize: (s) => capitalize(s),
  title: (s) => pyTitle(s),
  swapcase: (s) => [...s].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(""),
  casefold: (s) => s.toLowerCase(),
  startswith: (s, [p, start, end]) => {
    const sub = s.slice(normIdx(start, s.length, 0), normIdx(end, s.length, s.length));
    const ps = Array.isArray(unwrap(p)) ? (unwrap(p) as unknown[]) : [p];
    return ps.some((x) => sub.startsWith(str(x)));
  },
  endswith: (s, [p, start, end]) => {
    const sub = s.slice(normIdx(start, s.length, 0), normIdx(end, s.length, s.length));
    const ps = Array.isArray(unwrap(p)) ? (unwrap(p) as unknown[]) : [p];
    return ps.some((x) => sub.endsWith(str(x)));
  },
  replace: (s, [a, b, count]) => {
    const from = str(a), to = str(b);
    let n = intArg(count, -1);
    if (from === "") {
      // Python inserts the replacement before every character and at the end
      const chars = [...s];
      const k = n < 0 ? chars.length + 1 : Math.min(n, chars.length + 1);
      return chars.map((c, i) => (i < k ? to + c : c)).join("") + (k > chars.length ? to : "");
    }
    if (n < 0) return s.split(from).join(to);
    let out = "", rest = s;
    while (n-- > 0) {
      const i = rest.indexOf(from);
      if (i < 0) break;
      out += rest.slice(0, i) + to;
      rest = rest.slice(i + from.length);
      if (from === "") {
        out += rest.slice(0, 1);
        rest = rest.slice(1);
      }
    }
    return out + rest;
  },
  find: (s, [sub, start, end]) => {
    const a = normIdx(start, s.length, 0), b = normIdx(end, s.length, s.length);
    const i = s.slice(0, b).indexOf(str(sub), a);
    return i;
  },
  rfind: (s, [sub, start, end]) => {
    const a = normIdx(start, s.length, 0), b = normIdx(end, s.length, s.length);
    const i = s.slice(a, b).lastIndexOf(str(sub));
    return i < 0 ? -1 : i + a;
  },
  index: (s, [sub, start, end]) => {
    const i = STR.find(s, [sub, start, end], {}) as number;
    if (i < 0) throw new Error("ValueError: substring not found");
    return i;
  },
  rindex: (s, [sub, start, end]) => {
    const i = STR.rfind(s, [sub, start, end], {}) as number;
    if (i < 0) throw new Error("ValueError: substring not found");
    return i;
  },
  count: (s, [sub]) => {
    const x = str(sub);
    if (x === "") return strLen(s) + 1;
    // Non-overlapping matches, counted without splitting s into its pieces.
    let n = 0;
    for (let i = s.indexOf(x); i !== -1; i = s.indexOf(x, i + x.length)) n++;
    return n;
  },
  join: (s, [items]) => pyIter(items).map((x) => str(x, "sequence item")).join(s),
  format: (s, args, kw) => strFormat(s, args, kw),
  isdigit: (s) => /^[0-9]+$/.test(s),
  isnumeric: (s) => /^[0-9]+$/.test(s),
  isdecimal: (s) => /^[0-9]+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
  isalnum: (s) => /^[\p{L}0-9]+$/u.test(s),
  isspace: (s) => /^\s+$/.test(s),
  islower: (s) => /[a-z]/.test(s) && s === s.toLowerCase(),
  isupper: (s) => /[A-Z]/.test(s) && s === s.toUpperCase(),
  istitle: (s) => /[A-Za-z]/.test(s) && pyTitle(s) === s,
  isidentifier: (s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s),
  center: (s, [w, f]) => {
    const width = intArg(w, 0), fill = f === undefined ? " " : str(f);
    const n = width - strLen(s);
    if (n <= 0) return s;
    const left = Math.floor(n / 2) + (n & width & 1);
    return fill.repeat(left) + s + fill.repeat(n - left);
  },
  // Widths count code points, as Python's do (padEnd/padStart count UTF-16 units).
  ljust: (s, [w, f]) => s + (f === undefined ? " " : str(f)).repeat(Math.max(0, intArg(w, 0) - strLen(s))),
  rjust: (s, [w, f]) => (f === undefined ? " " : str(f)).repeat(Math.max(0, intArg(w, 0) - strLen(s))) + s,
  zfill: (s, [w]) => {
    const width = intArg(w, 0);
    const sign = /^[+-]/.test(s) ? s[0] : "";
    return sign + s.slice(sign.length).padStart(width - sign.length, "0");
  },
  partition: (s, [sep]) => {
    const d = str(sep), i = s.indexOf(d);
    return tuple(i < 0 ? [s, "", ""] : [s.slice(0, i), d, s.slice(i + d.length)]);
  },
  rpartition: (s, [sep]) => {
    const d = str(sep), i = s.lastIndexOf(d);
    return tuple(i < 0 ? ["", "", s] : [s.slice(0, i), d, s.slice(i + d.length)]);
  },
  removeprefix: (s, [p]) => (s.startsWith(str(p)) ? s.slice(str(p).length) : s),
  removesuffix: (s, [p]) => (str(p) && s.endsWith(str(p)) ? s.slice(0, s.length - str(p).length) : s),
  expandtabs: (s, [n]) => s.replace(/\t/g, " ".repeat(intArg(n, 8))),
  encode: (s) => s,
  decode: (s) => s,
};

const LIST: Record<string, Method> = {
  append: (l, [x]) => (l.push(x), null),
  extend: (l, [x]) => (l.push(...pyIter(x)), null),
  insert: (l, [i, x]) => (l.splice(normIdx(i, l.length, 0), 0, x), null),
  pop: (l, [i]) => {
    if (!l.length) throw new Error("IndexError: pop from empty list");
    const idx = i === undefined
      ? l.length - 1
      : Number(unwrap(i)) < 0
      ? l.length + Number(unwrap(i))
      : Number(unwrap(i));
    if (idx < 0 || idx >= l.length) throw new Error("IndexError: pop index out of range");
    return l.splice(idx, 1)[0];
  },
  remove: (l, [x]) => {
    const i = l.findIndex((y: unknown) => pyEq(y, x));
    if (i < 0) throw new Error("ValueError: list.remove(x): x not in list");
    l.splice(i, 1);
    return null;
  },
  index: (l, [x]) => {
    const i = l.findIndex((y: unknown) => pyEq(y, x));
    if (i < 0) throw new Error(`ValueError: ${pyStr(x)} is not in list`);
    return i;
  },
  count: (l, [x]) => l.filter((y: unknown) => pyEq(y, x)).length,
  reverse: (l) => (l.reverse(), null),
  sort: (l, _a, kw) => {
    l.sort(pyCmp);
    if (kw.reverse) l.reverse();
    return null;
  },
  copy: (l) => [...l],
  clear: (l) => (l.splice(0), null),
};

const TUPLE_METHODS = new Set(["index", "count"]);

const DICT: Record<string, Method> = {
  keys: (d) => mapKeys(d),
  values: (d) => mapKeys(d).map((k) => mapGet(d, k)),
  items: (d) => mapKeys(d).map((k) => tuple([k, mapGet(d, k)])),
  get: (d, [k, dflt]) => {
    const key = typeof unwrap(k) === "string" ? unwrap(k) as string : pyStr(k);
    return mapHas(d, key) ? mapGet(d, key) : dflt === undefined ? null : dflt;
  },
  update: (d, [other], kw) => {
    if (d instanceof LazyMapping) throw new TypeError("this mapping is read-only");
    const o = unwrap(other);
    if (isMapping(o)) { for (const k of mapKeys(o)) d[k] = mapGet(o, k); }
    else if (Array.isArray(o)) { for (const kv of o) d[pyStr((kv as unknown[])[0])] = (kv as unknown[])[1]; }
    Object.assign(d, kw);
    return null;
  },
  pop: (d, [k, dflt]) => {
    const key = pyStr(k);
    if (mapHas(d, key)) {
      const v = d[key];
      delete d[key];
      return v;
    }
    if (dflt === undefined) throw new Error(`KeyError: ${pyStr(k)}`);
    return dflt;
  },
  setdefault: (d, [k, dflt]) => {
    const key = pyStr(k);
    if (!mapHas(d, key)) d[key] = dflt ?? null;
    return d[key];
  },
  copy: (d) => (isPlainDict(d) ? { ...d } : Object.fromEntries(mapKeys(d).map((k) => [k, mapGet(d, k)]))),
  clear: (d) => {
    for (const k of Object.keys(d)) delete d[k];
    return null;
  },
};

/** A bound method of a Python value, or undefined when it has no such method. */
export function getMethod(obj: unknown, name: string): PyCallable | undefined {
  let table: Record<string, Method> | undefined;
  const v = unwrap(obj);
  if (typeof v === "string") table = STR;
  else if (Array.isArray(v)) table = LIST;
  else if (isMapping(v)) table = DICT;
  if (!table || !Object.prototype.hasOwnProperty.call(table, name)) return undefined;
  if (Array.isArray(v) && Object.isFrozen(v) && !TUPLE_METHODS.has(name)) return undefined;
  const m = table[name];
  return new PyCallable(name, (args, kwargs) => m(v, args, kwargs));
}
