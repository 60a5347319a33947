// Jinja2's builtin filters and Ansible's core/mathstuff/urls filters, with their Python semantics.
import { createHash } from "node:crypto";
import * as os from "node:os";
import * as path from "node:path";
import * as fs from "node:fs";
import { PyFloat } from "../values.ts";
import { boolean } from "../py/boolean.ts";
import { TemplateError } from "./_errors.ts";
import {
  defined,
  isInt,
  isMapping,
  isNumber,
  isPlainDict,
  isTuple,
  Kwargs,
  mapGet,
  mapKeys,
  mkFloat,
  NativeText,
  num,
  pyCmp,
  pyContains,
  pyEq,
  pyIter,
  pyLen,
  pyRepr,
  pyStr,
  pyTypeName,
  strLen,
  truthy,
  tuple,
  Undefined,
  unwrap,
} from "./_py.ts";
import { binop, getAttr, getItem, splitKwargs } from "./_runtime.ts";
import { expandReplacement, pyRegex, reEscape } from "./_regex.ts";
import { percentFormat } from "./_format.ts";
import { withArity } from "./_arity.ts";
import { getMethod } from "./_methods.ts";
import { pyDict } from "./_globals.ts";
import { strftime } from "./_strftime.ts";
import { strptime } from "./_datetime.ts";
import { fromYaml, fromYamlAll, toYaml } from "./_yaml.ts";
import { jsonDumps, jsonLoads } from "./_json.ts";
import { md5Crypt, randomSalt, sha256Crypt, sha512Crypt } from "./_crypt.ts";
import { PyRandom } from "./_random.ts";
import type { FilterFn, Templar } from "./templar.ts";

/** Binds positional and keyword arguments to parameter names, Python style. */
function bind(args: unknown[], names: string[], fname: string, required = 0): Record<string, unknown> {
  const [pos, kw] = splitKwargs(args);
  if (pos.length > names.length) {
    throw new TemplateError(`${fname}() takes at most ${names.length + 1} arguments`);
  }
  const out: Record<string, unknown> = {};
  pos.forEach((v, i) => (out[names[i]] = v));
  for (const [k, v] of Object.entries(kw)) {
    if (!names.includes(k)) throw new TemplateError(`${fname}() got an unexpected keyword argument '${k}'`);
    if (k in out) throw new TemplateError(`${fname}() got multiple values for argument '${k}'`);
    out[k] = v;
  }
  const missing = names.slice(0, required).filter((n) => !(n in out));
  if (missing.length) {
    const list = missing.length === 1
      ? `'${missing[0]}'`
      : missing.slice(0, -1).map((n) => `'${n}'`).join(", ") + ` and '${missing[missing.length - 1]}'`;
    throw new TypeError(
      `${fname}() missing ${missing.length} required positional argument${
        missing.length > 1 ? "s" : ""
      }: ${list}`,
    );
  }
  return out;
}

/** A path argument: os.path functions accept only strings. */
function pathStr(v: unknown): string {
  const u = unwrap(defined(v));
  if (typeof u !== "string") {
    throw new TypeError(`expected str, bytes or os.PathLike object, not ${pyTypeName(u)}`);
  }
  return u;
}

function str(v: unknown): string {
  return pyStr(defined(v));
}

function list(v: unknown): unknown[] {
  return pyIter(defined(v));
}

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

function sortKey(caseSensitive: boolean): (x: unknown) => unknown {
  return (x) => {
    const u = unwrap(x);
    return !caseSensitive && typeof u === "string" ? u.toLowerCase() : u;
  };
}

function stableSort<T>(items: T[], key: (x: T) => unknown, reverse: boolean): T[] {
  const idx = items.map((v, i) => ({ v, k: key(v), i }));
  idx.sort((a, b) => {
    const c = pyCmp(a.k, b.k);
    return c !== 0 ? (reverse ? -c : c) : a.i - b.i;
  });
  return idx.map((e) => e.v);
}

function hashKey(v: unknown): string {
  const u = unwrap(v);
  if (Array.isArray(u) && !isTuple(u)) throw new TypeError("unhashable type: 'list'");
  if (isMapping(u)) throw new TypeError("unhashable type: 'dict'");
  if (typeof u === "boolean") return "n:" + (u ? 1 : 0);
  if (isNumber(u)) return "n:" + num(u);
  return pyTypeName(u) + ":" + pyRepr(u);
}

/** Jinja2's unique (hashable items), falling back to Ansible's pairwise-equality variant. */
function uniqueList(items: unknown[], caseSensitive: boolean, attribute: unknown): unknown[] {
  const get = attrGetter(attribute, { lower: !caseSensitive });
  try {
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
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    if (attribute !== null && attribute !== undefined) throw e;
    const out: unknown[] = [];
    for (const it of items) if (!out.some((o) => pyEq(o, it))) out.push(it);
    return out;
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

function toInt(v: unknown, dflt: unknown, base: number): unknown {
  v = unwrap(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return v;
  if (typeof v === "number" || v instanceof PyFloat) return Math.trunc(num(v));
  if (typeof v === "string") {
    const s = v.trim().replace(/_/g, "");
    if (base === 10 && /^[+-]?\d+$/.test(s)) {
      const n = parseInt(s, 10);
      return Number.isSafeInteger(n) ? n : BigInt(s.replace(/^\+/, "")); // exact, as Python's int()
    }
    if (base !== 10) {
      const prefix = {
        16: /^[+-]?(0x)?[0-9a-f]+$/i,
        8: /^[+-]?(0o)?[0-7]+$/i,
        2: /^[+-]?(0b)?[01]+$/i,
      }[base as 16 | 8 | 2];
      if (prefix?.test(s)) {
        const neg = s.startsWith("-");
        const body = s.replace(/^[+-]/, "").replace(/^0[xob]/i, "");
        const n = parseInt(body, base);
        if (!Number.isSafeInteger(n)) {
          const b = BigInt(`0${({ 16: "x", 8: "o", 2: "b" } as Record<number, string>)[base]}${body}`);
          return neg ? -b : b;
        }
        return neg ? -n : n;
      }
      if (base === 0 && /^[+-]?(0x[0-9a-f]+|0o[0-7]+|0b[01]+|[1-9]\d*|0+)$/i.test(s)) {
        return Number(s.replace(/^\+/, "").replace(/^(-?)0o/i, "$1"));
      }
      if (
        base > 10 && base <= 36 && new RegExp(`^[+-]?[0-9a-${String.fromCharCode(86 + base)}]+$`, "i").test(s)
      ) {
        return parseInt(s, base);
      }
    }
    const f = pyFloatParse(s);
    if (f !== undefined && isFinite(f)) return Math.trunc(f);
  }
  return dflt;
}

function pyFloatParse(s: string): number | undefined {
  const t = s.trim().replace(/_/g, "").toLowerCase();
  if (/^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)$/.test(t)) return parseFloat(t);
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  return undefined;
}

function toFloat(v: unknown, dflt: unknown): unknown {
  v = unwrap(v);
  if (typeof v === "boolean") return new PyFloat(v ? 1 : 0);
  if (typeof v === "number" || v instanceof PyFloat || typeof v === "bigint") return mkFloat(num(v));
  if (typeof v === "string") {
    const f = pyFloatParse(v);
    if (f !== undefined) return mkFloat(f);
  }
  return dflt;
}

/** Jinja2's do_title: words start after whitespace, dashes and opening brackets. */
function jinjaTitle(s: string): string {
  return s.split(/([-\s({[<]+)/).filter((x) => x).map((w) => w[0].toUpperCase() + w.slice(1).toLowerCase())
    .join("");
}

function htmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&#34;").replace(
    /'/g,
    "&#39;",
  );
}

/** Python's shlex.quote. */
export function shellQuote(s: string): string {
  if (s === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, "'\"'\"'") + "'";
}

/** Python's round(x, n): the exact binary value rounded to n decimals, exact ties to even. */
function pyRound(x: number, precision: number): number {
  if (!isFinite(x)) return x;
  if (precision < 0 || precision > 60) {
    const m = 10 ** precision;
    const scaled = x * m, fl = Math.floor(scaled);
    const r = scaled - fl === 0.5 ? (fl % 2 === 0 ? fl : fl + 1) : Math.round(scaled);
    return r / m;
  }
  const exact = Math.abs(x).toFixed(Math.min(100, precision + 40));
  const cut = exact.indexOf(".") + 1 + precision;
  const rest = exact.slice(cut);
  let r = parseFloat(Math.abs(x).toFixed(precision));
  if (/^50*$/.test(rest)) {
    // an exact tie: toFixed rounded up; Python rounds to the even digit
    const digits = exact.slice(0, cut).replace(".", "");
    if (parseInt(digits[digits.length - 1], 10) % 2 === 0) {
      r = parseFloat(exact.slice(0, precision ? cut : cut - 1));
    }
  }
  return x < 0 ? -r : r;
}

function mergeHash(
  x: Record<string, unknown>,
  y: Record<string, unknown>,
  recursive: boolean,
  listMerge: string,
): Record<string, unknown> {
  if (!isMapping(x) || !isMapping(y)) {
    throw new TemplateError(
      `failed to combine variables, expected dicts but got a '${pyTypeName(x)}' and a '${pyTypeName(y)}'`,
    );
  }
  if (mapKeys(x).length === 0 || pyEq(x, y)) return { ...y };
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
        default:
          throw new TemplateError(
            `merge_hash: 'list_merge' argument can only be equal to 'replace', 'keep', 'append', 'prepend', 'append_rp' or 'prepend_rp'`,
          );
      }
      continue;
    }
    out[k] = yv;
  }
  return out;
}

function flatten(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
  const out: unknown[] = [];
  for (const el of items) {
    const u = unwrap(el);
    if (skipNulls && (u === null || u === "None" || u === "null")) continue;
    if (Array.isArray(u)) {
      if (levels === null) out.push(...flatten(u, null, skipNulls));
      else if (levels >= 1) out.push(...flatten(u, levels - 1, skipNulls));
      else out.push(el);
    } else out.push(el);
  }
  return out;
}

function urlsplit(value: string): Record<string, unknown> {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(
    value,
  )!;
  const netloc = m[2] ?? "";
  const at = netloc.lastIndexOf("@");
  const userinfo = at >= 0 ? netloc.slice(0, at) : "";
  const hostport = at >= 0 ? netloc.slice(at + 1) : netloc;
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostport)!;
  const host = hp[1].replace(/^\[|\]$/g, "").toLowerCase();
  const ci = userinfo.indexOf(":");
  return {
    fragment: m[5] ?? "",
    hostname: host || null,
    netloc,
    password: at >= 0 && ci >= 0 ? userinfo.slice(ci + 1) : null,
    path: m[3] ?? "",
    port: hp[2] ? parseInt(hp[2], 10) : null,
    query: m[4] ?? "",
    scheme: (m[1] ?? "").toLowerCase(),
    username: at >= 0 ? (ci >= 0 ? userinfo.slice(0, ci) : userinfo) : null,
  };
}

function humanReadable(size: number, isBits: boolean, unit: string | null): string {
  const units = ["", "K", "M", "G", "T", "P", "E", "Z", "Y"];
  const suffix = isBits ? "b" : "B";
  let i = 0;
  if (unit) i = Math.max(0, units.indexOf(unit.toUpperCase()[0]));
  else while (i < units.length - 1 && Math.abs(size) >= 1024 ** (i + 1)) i++;
  const v = size / 1024 ** i;
  return `${v.toFixed(2)} ${units[i]}${i === 0 ? (isBits ? "bits" : "Bytes") : suffix}`;
}

function humanToBytes(s: string, defaultUnit: string | null, isBits: boolean): number {
  const m = /^\s*(\d*\.?\d*)\s*([A-Za-z]+)?/.exec(s)!;
  const n = m[1] === "" || m[1] === "." ? NaN : parseFloat(m[1]);
  if (Number.isNaN(n)) throw new TemplateError(`human_to_bytes() can't interpret following string: ${s}`);
  const unit = m[2] ?? defaultUnit;
  if (!unit) return Math.round(n);
  const ranges = "BKMGTPEZY";
  const key = unit[0].toUpperCase();
  const idx = ranges.indexOf(key);
  if (idx < 0) {
    throw new TemplateError(
      `human_to_bytes() failed to convert ${s} (unit = ${unit}). The suffix must be one of Y, Z, E, P, T, G, M, K, B`,
    );
  }
  // a two-letter unit must name bytes ("KB") or, with isbits, bits ("Kb")
  const cls = isBits ? "b" : "B", clsName = isBits ? "bit" : "byte";
  if (unit.length > 1 && !unit.toLowerCase().includes(clsName) && unit[1] !== cls) {
    throw new TemplateError(`human_to_bytes() can't interpret following string: ${s}`);
  }
  return pyRound(n * 1024 ** idx, 0);
}

/** Builds the filter table; filters that need the environment (map, select, random) close over templar. */
export function builtinFilters(templar: Templar): Record<string, FilterFn> {
  // lazily resolved so user-supplied filters and tests are visible to map()/select()
  const filterByName = (name: string): FilterFn => {
    const f = templar.getFilter(name) ?? table[name];
    if (!f) throw new TemplateError(`No filter named '${name}'.`);
    return f;
  };
  const testByName = (name: string) => {
    const t = templar.getTest(name);
    if (!t) throw new TemplateError(`No test named '${name}'.`);
    return t;
  };
  const withKw = (
    args: unknown[],
    kw: Record<string, unknown>,
  ) => (Object.keys(kw).length ? [...args, new Kwargs(kw)] : args);

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

  const randomFor = (seed: unknown) => {
    const s = seed ?? templar.options.seed;
    return s === undefined || s === null ? new PyRandom(null) : new PyRandom(unwrap(s) as string | number);
  };

  const table: Record<string, FilterFn> = {
    // ---- Jinja2 builtins ----
    default: (v, ...args) => {
      const o = bind(args, ["default_value", "boolean"], "default");
      const dv = o.default_value ?? "";
      if (v instanceof Undefined || (truthy(o.boolean ?? false) && !truthy(v))) return dv;
      return v;
    },
    abs: (v) => {
      const u = unwrap(defined(v));
      if (u instanceof PyFloat) return new PyFloat(Math.abs(u.value));
      if (typeof u === "boolean") return u ? 1 : 0;
      if (typeof u === "bigint") return u < 0n ? -u : u;
      if (typeof u !== "number") throw new TypeError(`bad operand type for abs(): '${pyTypeName(u)}'`);
      return Math.abs(u);
    },
    attr: (v, name) => {
      // Python getattr only: dict keys are not attributes
      const u = unwrap(defined(v));
      const n = pyStr(name);
      if (isMapping(u) && !getMethod(u, n)) {
        return new Undefined(n, `'dict object' has no attribute '${n}'`);
      }
      return getAttr(u, n);
    },
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
    capitalize: (v) => {
      const s = str(v);
      return s ? s[0].toUpperCase() + s.slice(1).toLowerCase() : s;
    },
    center: (v, ...args) => {
      const o = bind(args, ["width"], "center");
      const s = str(v), width = num(o.width ?? 80);
      const n = width - strLen(s);
      if (n <= 0) return s;
      const left = Math.floor(n / 2) + (n & width & 1);
      return " ".repeat(left) + s + " ".repeat(n - left);
    },
    count: (v) => pyLen(v),
    length: (v) => pyLen(v),
    dictsort: (v, ...args) => {
      const o = bind(args, ["case_sensitive", "by", "reverse"], "dictsort");
      const d = unwrap(defined(v));
      if (!isMapping(d)) throw new TemplateError('You can only sort by either "key" or "value"');
      const pos = pyStr(o.by ?? "key") === "value" ? 1 : 0;
      const items = mapKeys(d).map((k) => tuple([k, mapGet(d, k)]));
      const key = sortKey(truthy(o.case_sensitive ?? false));
      return stableSort(items, (x) => key(x[pos]), truthy(o.reverse ?? false));
    },
    escape: (v) => (v instanceof NativeText ? v : htmlEscape(str(v))),
    e: (v) => htmlEscape(str(v)),
    forceescape: (v) => htmlEscape(str(v)),
    filesizeformat: (v, ...args) => {
      const o = bind(args, ["binary"], "filesizeformat");
      const bytes = num(unwrap(v));
      const binary = truthy(o.binary ?? false);
      const base = binary ? 1024 : 1000;
      const prefixes = binary
        ? ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"]
        : ["kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
      if (bytes === 1) return "1 Byte";
      if (bytes < base) return `${Math.trunc(bytes)} Bytes`;
      let unit = base, i = 0;
      for (; i < prefixes.length; i++) {
        unit = base ** (i + 2);
        if (bytes < unit) break;
      }
      return `${(base * bytes / unit).toFixed(1)} ${prefixes[Math.min(i, prefixes.length - 1)]}`;
    },
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
    float: (v, ...args) => {
      const o = bind(args, ["default"], "float");
      return toFloat(defined(v), o.default ?? new PyFloat(0));
    },
    format: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      if (pos.length && Object.keys(kw).length) {
        throw new TemplateError("can't handle positional and keyword arguments at the same time");
      }
      return percentFormat(str(v), Object.keys(kw).length ? kw : tuple(pos));
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
    indent: (v, ...args) => {
      const o = bind(args, ["width", "first", "blank"], "indent");
      const w = unwrap(o.width ?? 4);
      const ind = typeof w === "string" ? w : " ".repeat(num(w));
      let s = str(v);
      const nl = "\n";
      if (s.endsWith(nl)) s += "";
      let rv: string;
      const lines = s.split(nl);
      if (truthy(o.blank ?? false)) rv = lines.map((l, i) => (i === 0 ? l : ind + l)).join(nl);
      else rv = lines.map((l, i) => (i === 0 || !l ? l : ind + l)).join(nl);
      if (truthy(o.first ?? false)) rv = ind + rv;
      return rv;
    },
    int: (v, ...args) => {
      const o = bind(args, ["default", "base"], "int");
      return toInt(defined(v), o.default ?? 0, num(o.base ?? 10));
    },
    items: (v) => {
      if (v instanceof Undefined) return [];
      const d = unwrap(v);
      if (!isMapping(d)) throw new TemplateError("Can only get item pairs from a mapping.");
      return mapKeys(d).map((k) => tuple([k, mapGet(d, k)]));
    },
    join: (v, ...args) => {
      const o = bind(args, ["d", "attribute"], "join");
      const get = attrGetter(o.attribute);
      return list(v).map((x) => str(get(x))).join(str(o.d ?? ""));
    },
    list: (v) => [...list(v)],
    lower: (v) => str(v).toLowerCase(),
    upper: (v) => str(v).toUpperCase(),
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
    pprint: (v) => pyRepr(v),
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
    replace: (v, ...args) => {
      const o = bind(args, ["old", "new", "count"], "replace");
      const s = str(v), a = str(o.old), b = str(o.new);
      if (o.count === undefined || o.count === null) return s.split(a).join(b);
      let n = num(o.count), out = "", rest = s;
      while (n-- > 0) {
        const i = rest.indexOf(a);
        if (i < 0) break;
        out += rest.slice(0, i) + b;
        rest = rest.slice(i + a.length);
      }
      return out + rest;
    },
    reverse: (v) => {
      const u = unwrap(defined(v));
      if (typeof u === "string") return [...u].reverse().join("");
      return [...pyIter(u)].reverse();
    },
    round: (v, ...args) => {
      const o = bind(args, ["precision", "method"], "round");
      const x = num(unwrap(defined(v))), p = num(o.precision ?? 0);
      const method = pyStr(o.method ?? "common");
      if (method === "common") {
        if (isInt(unwrap(v)) && p >= 0) return unwrap(v);
        return mkFloat(pyRound(x, p));
      }
      const m = 10 ** p;
      if (method === "ceil") return mkFloat(Math.ceil(x * m) / m);
      if (method === "floor") return mkFloat(Math.floor(x * m) / m);
      throw new TemplateError("method must be common, ceil or floor");
    },
    safe: (v) => str(v),
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
    string: (v) => new NativeText(pyStr(defined(v))),
    striptags: (v) => str(v).replace(/<!--[\s\S]*?-->|<[^>]*>/g, "").replace(/\s+/g, " ").trim(),
    sum: (v, ...args) => {
      const o = bind(args, ["attribute", "start"], "sum");
      const get = attrGetter(o.attribute);
      let acc: unknown = o.start ?? 0;
      for (const x of list(v)) acc = binop("+", acc, get(x)); // Python's +: exact ints, list and string concatenation
      return acc;
    },
    title: (v) => jinjaTitle(str(v)),
    trim: (v, ...args) => {
      const o = bind(args, ["chars"], "trim");
      const s = str(v);
      if (o.chars === undefined || o.chars === null) return s.replace(/^\s+|\s+$/g, "");
      const set = str(o.chars);
      let a = 0, b = s.length;
      while (a < b && set.includes(s[a])) a++;
      while (b > a && set.includes(s[b - 1])) b--;
      return s.slice(a, b);
    },
    truncate: (v, ...args) => {
      const o = bind(args, ["length", "killwords", "end", "leeway"], "truncate");
      const s = str(v),
        length = num(o.length ?? 255),
        end = pyStr(o.end ?? "..."),
        leeway = num(o.leeway ?? 5);
      if (s.length <= length + leeway) return s;
      if (truthy(o.killwords ?? false)) return s.slice(0, length - end.length) + end;
      const cut = s.slice(0, length - end.length);
      const i = cut.lastIndexOf(" ");
      return (i >= 0 ? cut.slice(0, i) : cut) + end;
    },
    unique: (v, ...args) => {
      const o = bind(args, ["case_sensitive", "attribute"], "unique");
      return uniqueList(list(v), truthy(o.case_sensitive ?? false), o.attribute);
    },
    urlencode: (v) => {
      const u = unwrap(defined(v));
      if (typeof u === "string") return urlQuote(u, "/");
      const pairs = isMapping(u) ? mapKeys(u).map((k) => [k, mapGet(u, k)]) : pyIter(u).map((p) => pyIter(p));
      const q = (x: unknown) => urlQuote(pyStr(x), "").replace(/%20/g, "+");
      return pairs.map(([k, x]) => `${q(k)}=${q(x)}`).join("&");
    },
    wordcount: (v) => (str(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
    wordwrap: (v, ...args) => {
      const o = bind(args, ["width", "break_long_words", "wrapstring", "break_on_hyphens"], "wordwrap");
      const width = num(o.width ?? 79), wrap = pyStr(o.wrapstring ?? "\n");
      return str(v).split(/\r?\n/).map((para) => {
        const words = para.split(/\s+/).filter((w) => w);
        const lines: string[] = [];
        let cur = "";
        for (const w of words) {
          if (!cur) cur = w;
          else if (cur.length + 1 + w.length <= width) cur += " " + w;
          else {
            lines.push(cur);
            cur = w;
          }
        }
        if (cur) lines.push(cur);
        return lines.join(wrap);
      }).join(wrap);
    },
    xmlattr: (v, ...args) => {
      const o = bind(args, ["autospace"], "xmlattr");
      const d = unwrap(defined(v));
      if (!isMapping(d)) throw new TemplateError("xmlattr requires a dict");
      const parts = mapKeys(d).filter((k) => {
        const x = mapGet(d, k);
        return x !== null && !(x instanceof Undefined);
      }).map((k) => `${k}="${htmlEscape(pyStr(mapGet(d, k)))}"`);
      const s = parts.join(" ");
      return s && truthy(o.autospace ?? true) ? " " + s : s;
    },
    tojson: (v, ...args) => {
      const o = bind(args, ["indent"], "tojson");
      return jsonDumps(v, {
        sortKeys: true,
        indent: o.indent === undefined || o.indent === null ? null : num(o.indent),
        ensureAscii: true,
      })
        .replace(/</g, "\\u003c").replace(/>/g, "\\u003e").replace(/&/g, "\\u0026").replace(/'/g, "\\u0027");
    },

    // ---- Ansible core ----
    b64decode: (v, ...args) => {
      const o = bind(args, ["encoding"], "b64decode");
      return Buffer.from(str(v), "base64").toString(bufferEncoding(o.encoding));
    },
    b64encode: (v, ...args) => {
      const o = bind(args, ["encoding"], "b64encode");
      return Buffer.from(str(v), bufferEncoding(o.encoding)).toString("base64");
    },
    to_uuid: (v, ...args) => {
      const o = bind(args, ["namespace"], "to_uuid");
      return uuid5(pyStr(o.namespace ?? "361E6D51-FAEC-444A-9079-341386DA8E2E"), str(v));
    },
    to_json: (v, ...args) => {
      const [, kw] = splitKwargs(args);
      return new NativeText(jsonDumps(v, {
        sortKeys: truthy(kw.sort_keys ?? false),
        indent: kw.indent === undefined || kw.indent === null ? null : num(kw.indent),
        ensureAscii: truthy(kw.ensure_ascii ?? true),
        separators: kw.separators ? (pyIter(kw.separators).map(pyStr) as [string, string]) : undefined,
      }));
    },
    to_nice_json: (v, ...args) => {
      const o = bind(args, ["indent", "sort_keys", "ensure_ascii"], "to_nice_json");
      return new NativeText(jsonDumps(v, {
        sortKeys: truthy(o.sort_keys ?? true),
        indent: num(o.indent ?? 4),
        ensureAscii: truthy(o.ensure_ascii ?? true),
        separators: [",", ": "],
      }));
    },
    from_json: (v) => jsonLoads(str(v)),
    to_yaml: (v, ...args) => {
      const [, kw] = splitKwargs(args);
      return new NativeText(toYaml(v, {
        indent: num(kw.indent ?? 2),
        flow: kw.default_flow_style === undefined
          ? null
          : kw.default_flow_style === null
          ? null
          : truthy(kw.default_flow_style),
        sortKeys: truthy(kw.sort_keys ?? true),
        width: num(kw.width ?? 80),
        explicitStart: truthy(kw.explicit_start ?? false),
      }));
    },
    to_nice_yaml: (v, ...args) => {
      const o = bind(args, ["indent", "sort_keys", "width", "explicit_start"], "to_nice_yaml");
      return new NativeText(toYaml(v, {
        indent: num(o.indent ?? 4),
        flow: false,
        sortKeys: truthy(o.sort_keys ?? true),
        width: num(o.width ?? 80),
        explicitStart: truthy(o.explicit_start ?? false),
      }));
    },
    from_yaml: (v) => {
      const u = unwrap(v);
      return typeof u === "string" ? fromYaml(u) : u;
    },
    from_yaml_all: (v) => {
      const u = unwrap(v);
      return typeof u === "string" ? fromYamlAll(u) : u;
    },
    basename: (v) => {
      const s = pathStr(v);
      return s.slice(s.lastIndexOf("/") + 1);
    },
    dirname: (v) => {
      const s = pathStr(v);
      const i = s.lastIndexOf("/") + 1;
      let head = s.slice(0, i);
      if (head && head !== "/".repeat(head.length)) head = head.replace(/\/+$/, "");
      return head;
    },
    expanduser: (v) => {
      const s = pathStr(v);
      if (s === "~" || s.startsWith("~/")) return os.homedir() + s.slice(1);
      return s;
    },
    expandvars: (v) => str(v).replace(/\$(\w+)|\$\{([^}]+)\}/g, (m, a, b) => process.env[a ?? b] ?? m),
    path_join: (v) => {
      const u = unwrap(defined(v));
      const parts = typeof u === "string" ? [u] : pyIter(u).map(pyStr);
      let out = "";
      for (const p of parts) {
        if (p.startsWith("/")) out = p;
        else if (!out || out.endsWith("/")) out += p;
        else out += "/" + p;
      }
      return out;
    },
    realpath: (v) => {
      const p = path.resolve(pathStr(v));
      try {
        return fs.realpathSync(p);
      } catch {
        return p;
      }
    },
    relpath: (v, ...args) => {
      const o = bind(args, ["start"], "relpath");
      return path.relative(o.start === undefined ? process.cwd() : str(o.start), str(v)) || ".";
    },
    splitext: (v) => {
      const s = pathStr(v);
      const base = s.slice(s.lastIndexOf("/") + 1);
      const dot = base.lastIndexOf(".");
      if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return tuple([s, ""]);
      const cut = s.length - (base.length - dot);
      return tuple([s.slice(0, cut), s.slice(cut)]);
    },
    win_basename: (v) => str(v).split(/[\\/]/).pop() ?? "",
    win_dirname: (v) => {
      const s = str(v);
      const i = Math.max(s.lastIndexOf("\\"), s.lastIndexOf("/"));
      return i < 0 ? "" : s.slice(0, i).replace(/[\\/]+$/, "") || s.slice(0, i + 1);
    },
    fileglob: (v) => {
      const pattern = str(v);
      return globFiles(pattern).filter((p) => {
        try {
          return fs.statSync(p).isFile();
        } catch {
          return false;
        }
      });
    },
    bool: (v) => {
      const u = unwrap(defined(v));
      return u === null ? null : boolean(u, { words: "filter" });
    },
    to_datetime: (v, ...args) => {
      const o = bind(args, ["format"], "to_datetime");
      return strptime(str(v), pyStr(o.format ?? "%Y-%m-%d %H:%M:%S"));
    },
    strftime: (v, ...args) => {
      const o = bind(args, ["second", "utc"], "strftime");
      const secs = o.second === undefined || o.second === null
        ? Date.now() / 1000
        : num(toFloat(o.second, 0));
      return strftime(str(v), new Date(secs * 1000), truthy(o.utc ?? false));
    },
    quote: (v) => shellQuote(pyStr(unwrap(v) === null ? "" : defined(v))),
    md5: (v) => createHash("md5").update(str(v), "utf8").digest("hex"),
    sha1: (v) => createHash("sha1").update(str(v), "utf8").digest("hex"),
    checksum: (v) => createHash("sha1").update(str(v), "utf8").digest("hex"),
    hash: (v, ...args) => {
      const o = bind(args, ["hashtype"], "hash");
      const t = pyStr(o.hashtype ?? "sha1");
      const alias: Record<string, string> = { blake2b: "blake2b512", blake2s: "blake2s256" };
      const data = str(v);
      let h;
      try {
        h = createHash(alias[t] ?? t.replace(/^sha3_/, "sha3-"));
      } catch {
        throw new TemplateError(`unsupported hash type ${t}`);
      }
      return h.update(data, "utf8").digest("hex");
    },
    password_hash: (v, ...args) => {
      const o = bind(args, ["hashtype", "salt", "salt_size", "rounds", "ident"], "password_hash");
      const type = pyStr(o.hashtype ?? "sha512");
      const pw = str(v);
      const saltSize = o.salt_size === undefined || o.salt_size === null ? 16 : num(o.salt_size);
      const salt = o.salt === undefined || o.salt === null
        ? randomSalt(type === "md5" ? 8 : saltSize)
        : pyStr(o.salt);
      const rounds = o.rounds === undefined || o.rounds === null ? null : num(o.rounds);
      switch (type) {
        case "sha512":
        case "sha512_crypt":
          return sha512Crypt(pw, salt, rounds ?? 656000);
        case "sha256":
        case "sha256_crypt":
          return sha256Crypt(pw, salt, rounds ?? 535000);
        case "md5":
        case "md5_crypt":
          return md5Crypt(pw, salt);
      }
      throw new TemplateError(
        `${type} is not in the list of supported passlib algorithms: md5, sha256, sha512`,
      );
    },
    regex_replace: (v, ...args) => {
      const o = bind(
        args,
        ["pattern", "replacement", "ignorecase", "multiline", "count", "mandatory_count"],
        "regex_replace",
      );
      const s = str(v);
      const re = pyRegex(pyStr(o.pattern ?? ""), {
        ignorecase: truthy(o.ignorecase ?? false),
        multiline: truthy(o.multiline ?? false),
      }, true);
      const repl = pyStr(o.replacement ?? "");
      const count = num(o.count ?? 0);
      return regexSub(re, s, repl, count === 0 ? Infinity : count);
    },
    regex_search: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      const s = str(v);
      const groups: (string | number)[] = pos.slice(1).map((a) => {
        const x = pyStr(a);
        const gm = /^\\g<(\S+)>/.exec(x);
        if (gm) return /^\d+$/.test(gm[1]) ? parseInt(gm[1], 10) : gm[1];
        const nm = /^\\(\d+)/.exec(x);
        if (nm) return parseInt(nm[1], 10);
        throw new TemplateError("Unknown argument");
      });
      const re = pyRegex(pyStr(pos[0]), {
        ignorecase: truthy(kw.ignorecase ?? false),
        multiline: truthy(kw.multiline ?? false),
      }, true);
      re.lastIndex = 0;
      const m = re.exec(s);
      if (!m) return null;
      if (!groups.length) return m[0];
      return groups.map((g) => (typeof g === "number" ? m[g] ?? null : m.groups?.[g] ?? null));
    },
    regex_findall: (v, ...args) => {
      const o = bind(args, ["regex", "multiline", "ignorecase"], "regex_findall");
      const s = str(v);
      const re = pyRegex(pyStr(o.regex), {
        ignorecase: truthy(o.ignorecase ?? false),
        multiline: truthy(o.multiline ?? false),
      }, true);
      const out: unknown[] = [];
      for (const m of s.matchAll(re)) {
        if (m.length === 1) out.push(m[0]);
        else if (m.length === 2) out.push(m[1] ?? "");
        else out.push(tuple(m.slice(1).map((g) => g ?? "")));
      }
      return out;
    },
    regex_escape: (v, ...args) => {
      const o = bind(args, ["re_type"], "regex_escape");
      const t = pyStr(o.re_type ?? "python");
      const s = str(v);
      if (t === "posix_basic") return s.replace(/[.*[\]^$\\]/g, (c) => "\\" + c);
      if (t !== "python") throw new TemplateError("Invalid regex type (" + t + ")");
      return reEscape(s);
    },
    ternary: (v, ...args) => {
      const o = bind(args, ["true_val", "false_val", "none_val"], "ternary", 2);
      if (unwrap(v) === null && o.none_val !== undefined && o.none_val !== null) return o.none_val;
      return truthy(v) ? o.true_val : o.false_val;
    },
    shuffle: (v, ...args) => {
      const o = bind(args, ["seed"], "shuffle");
      const items = [...list(v)];
      randomFor(truthy(o.seed ?? null) ? o.seed : undefined).shuffle(items);
      return items;
    },
    mandatory: (v, ...args) => {
      const o = bind(args, ["msg"], "mandatory");
      if (v instanceof Undefined) {
        if (o.msg !== undefined && o.msg !== null) throw new TemplateError(pyStr(o.msg));
        throw new TemplateError(`Mandatory variable ${v.name ? `'${v.name}' ` : ""} not defined.`);
      }
      return v;
    },
    comment: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      const style = pyStr(pos[0] ?? kw.style ?? "plain");
      const styles: Record<string, Record<string, string>> = {
        plain: { decoration: "# " },
        erlang: { decoration: "% " },
        c: { decoration: "// " },
        cblock: { beginning: "/*", decoration: " * ", end: " */" },
        xml: { beginning: "<!--", decoration: " - ", end: "-->" },
      };
      const sp = styles[style];
      if (!sp) throw new TemplateError(`comment: unknown style '${style}'`);
      const prepost = kw.decoration !== undefined ? pyStr(kw.decoration) : sp.decoration;
      const p: Record<string, unknown> = {
        newline: "\n",
        beginning: "",
        prefix: prepost.trimEnd(),
        prefix_count: 1,
        decoration: "",
        postfix: prepost.trimEnd(),
        postfix_count: 1,
        end: "",
        ...sp,
        ...kw,
      };
      const nl = pyStr(p.newline), dec = pyStr(p.decoration);
      const beginning = p.beginning ? pyStr(p.beginning) + nl : "";
      let prefix = "";
      if (p.prefix) prefix = (pyStr(p.prefix) !== nl ? pyStr(p.prefix) + nl : nl).repeat(num(p.prefix_count));
      const text = (dec + str(v).split(nl).join(nl + dec)).split(dec + nl).join(dec.trimEnd() + nl);
      const postfix = ["", ...Array.from({ length: num(p.postfix_count) }, () => pyStr(p.postfix))].join(nl);
      const end = p.end ? nl + pyStr(p.end) : "";
      return beginning + prefix + text + postfix + end;
    },
    type_debug: (v) => (v instanceof NativeText ? "NativeJinjaText" : pyTypeName(v)),
    combine: (v, ...args) => {
      const [pos, kw] = splitKwargs(args);
      const { recursive = false, list_merge = "replace", ...extra } = kw;
      if (Object.keys(extra).length) {
        throw new TemplateError("'recursive' and 'list_merge' are the only valid keyword arguments");
      }
      const dicts = flatten([v, ...pos].map((x) => unwrap(defined(x))), 1, false).map((d) => {
        const u = unwrap(defined(d));
        if (!isMapping(u)) {
          throw new TemplateError(
            `failed to combine variables, expected dicts but got a '${pyTypeName(u)}' and a 'dict'`,
          );
        }
        return (isPlainDict(u) ? u : Object.fromEntries(mapKeys(u).map((k) => [k, mapGet(u, k)]))) as Record<
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
    flatten: (v, ...args) => {
      const o = bind(args, ["levels", "skip_nulls"], "flatten");
      return flatten(
        list(v),
        o.levels === undefined || o.levels === null ? null : num(o.levels),
        truthy(o.skip_nulls ?? true),
      );
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
    subelements: (v, ...args) => {
      const o = bind(args, ["subelements", "skip_missing"], "subelements");
      const u = unwrap(defined(v));
      const elements = isMapping(u) ? mapKeys(u).map((k) => mapGet(u, k)) : pyIter(u);
      const keys = pyStr(o.subelements).split(".");
      const out: unknown[] = [];
      for (const el of elements) {
        let values: unknown = el;
        let missing = false;
        for (const k of keys) {
          const d = unwrap(values);
          if (!isMapping(d) || mapGet(d, k) === undefined) {
            if (truthy(o.skip_missing ?? false)) {
              missing = true;
              break;
            }
            throw new TemplateError(`could not find '${k}' key in iterated item '${pyRepr(el)}'`);
          }
          values = mapGet(d, k);
        }
        if (missing) continue;
        if (!Array.isArray(unwrap(values))) {
          throw new TemplateError("the key subelements should point to a list");
        }
        for (const x of unwrap(values) as unknown[]) out.push(tuple([el, x]));
      }
      return out;
    },
    split: (v, ...args) => {
      const o = bind(args, ["sep", "maxsplit"], "split");
      const s = str(v);
      const sep = o.sep === undefined || o.sep === null ? null : pyStr(o.sep);
      const max = o.maxsplit === undefined ? -1 : num(o.maxsplit);
      if (sep === null) {
        const words = s.split(/\s+/).filter((x) => x);
        if (max < 0 || words.length <= max + 1) return words;
        const out: string[] = [];
        let rest = s.replace(/^\s+/, "");
        for (let i = 0; i < max; i++) {
          const m = /\s+/.exec(rest)!;
          out.push(rest.slice(0, m.index));
          rest = rest.slice(m.index + m[0].length);
        }
        out.push(rest);
        return out;
      }
      if (sep === "") throw new TemplateError("empty separator");
      const parts = s.split(sep);
      return max < 0 || parts.length <= max + 1
        ? parts
        : [...parts.slice(0, max), parts.slice(max).join(sep)];
    },
    // ---- mathstuff ----
    union: (a, b) => uniqueList([...list(a), ...list(b)], true, null),
    intersect: (a, b) => {
      const bl = list(b);
      return uniqueList(list(a).filter((x) => pyContains(bl, x)), true, null);
    },
    difference: (a, b) => {
      const bl = list(b);
      return uniqueList(list(a).filter((x) => !pyContains(bl, x)), true, null);
    },
    symmetric_difference: (a, b) => {
      const al = list(a), bl = list(b);
      const isect = uniqueList(al.filter((x) => pyContains(bl, x)), true, null);
      return uniqueList([...al, ...bl], true, null).filter((x) => !pyContains(isect, x));
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
    log: (v, base) => {
      const x = num(unwrap(v));
      const b = base === undefined ? Math.E : num(unwrap(base));
      return mkFloat(b === 10 ? Math.log10(x) : Math.log(x) / Math.log(b));
    },
    pow: (v, y) => mkFloat(num(unwrap(v)) ** num(unwrap(y))),
    root: (v, base) => {
      const x = num(unwrap(v)), b = base === undefined ? 2 : num(unwrap(base));
      return mkFloat(b === 2 ? Math.sqrt(x) : x ** (1 / b));
    },
    human_readable: (v, ...args) => {
      const o = bind(args, ["isbits", "unit"], "human_readable");
      return humanReadable(
        num(toFloat(defined(v), 0)),
        truthy(o.isbits ?? false),
        o.unit ? pyStr(o.unit) : null,
      );
    },
    human_to_bytes: (v, ...args) => {
      const o = bind(args, ["default_unit", "isbits"], "human_to_bytes");
      return humanToBytes(str(v), o.default_unit ? pyStr(o.default_unit) : null, truthy(o.isbits ?? false));
    },
    urlsplit: (v, ...args) => {
      const o = bind(args, ["query"], "urlsplit");
      const parts = urlsplit(str(v));
      if (o.query) {
        const q = pyStr(o.query);
        if (!(q in parts)) throw new TemplateError(`urlsplit: unknown URL component: ${q}`);
        return parts[q];
      }
      return parts;
    },
    dict: (v) => pyDict([v], {}),
    urldecode: (v) => {
      // unquote_plus: "+" is a space, %XX sequences are UTF-8 bytes (invalid ones are replaced)
      const bytes: number[] = [];
      const src = str(v).replace(/\+/g, " ");
      for (let i = 0; i < src.length; i++) {
        const hex = src.slice(i + 1, i + 3);
        if (src[i] === "%" && /^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes.push(parseInt(hex, 16));
          i += 2;
        } else bytes.push(...Buffer.from(src[i], "utf8"));
      }
      return Buffer.from(bytes).toString("utf8");
    },
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
    win_splitdrive: (v) => {
      const s = str(v);
      const m = /^([A-Za-z]:|[\\/]{2}[^\\/]+[\\/][^\\/]+)/.exec(s);
      return tuple(m ? [m[1], s.slice(m[1].length)] : ["", s]);
    },
  };
  table.d = table.default;
  table.count = table.length;
  withArity(table);
  return table;
}

/** Python's urllib.parse.quote: letters, digits and "_.-~" plus `safe` stay, the rest is %-encoded UTF-8. */
function urlQuote(s: string, safe: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.\-~]/.test(c) || safe.includes(c)
      ? c
      : "%" + b.toString(16).toUpperCase().padStart(2, "0");
  }
  return out;
}

/** Python codec names as Node's Buffer encodings. */
function bufferEncoding(name: unknown): BufferEncoding {
  const n = name === undefined || name === null ? "utf-8" : pyStr(name).toLowerCase().replace(/_/g, "-");
  const map: Record<string, BufferEncoding> = {
    "utf-8": "utf8",
    utf8: "utf8",
    "utf-16-le": "utf16le",
    "utf-16le": "utf16le",
    "latin-1": "latin1",
    latin1: "latin1",
    "iso-8859-1": "latin1",
    ascii: "ascii",
  };
  const e = map[n];
  if (!e) throw new TemplateError(`unsupported encoding '${n}'`);
  return e;
}

function regexSub(re: RegExp, s: string, repl: string, count: number): string {
  let out = "", last = 0, n = 0;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while (n < count && (m = re.exec(s)) !== null) {
    out += s.slice(last, m.index) + expandReplacement(repl, m);
    last = m.index + m[0].length;
    n++;
    if (m[0].length === 0) {
      if (m.index < s.length) out += s[m.index];
      last = m.index + 1;
      re.lastIndex = m.index + 1;
      if (m.index >= s.length) break;
    }
  }
  return out + s.slice(last);
}

/** uuid5 as Python's uuid.uuid5(UUID(namespace), name). */
function uuid5(ns: string, name: string): string {
  const nsBytes = Buffer.from(ns.replace(/-/g, ""), "hex");
  const h = createHash("sha1").update(nsBytes).update(name, "utf8").digest();
  const b = h.subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x50;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = b.toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** Shell-style glob (`*`, `?`, `[...]`) over the file system. */
export function globFiles(pattern: string): string[] {
  const abs = pattern.startsWith("/");
  const parts = pattern.split("/").filter((p) => p !== "");
  let cur = [abs ? "/" : "."];
  for (const part of parts) {
    const next: string[] = [];
    if (!/[*?[]/.test(part)) {
      for (const c of cur) {
        const p = path.join(c, part);
        if (fs.existsSync(p)) next.push(p);
      }
    } else {
      const re = new RegExp(
        "^" +
          part.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]").replace(
            /\[!/g,
            "[^",
          ) + "$",
      );
      for (const c of cur) {
        let names: string[] = [];
        try {
          names = fs.readdirSync(c).sort();
        } catch {
          continue;
        }
        for (const n of names) {
          if (re.test(n) && (!n.startsWith(".") || part.startsWith("."))) next.push(path.join(c, n));
        }
      }
    }
    cur = next;
  }
  return cur.map((p) => (abs || p.startsWith("/") ? p : p.replace(/^\.\//, "")));
}
