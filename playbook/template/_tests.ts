// Jinja2 and Ansible tests (`x is defined`, `v is version('2.0', '>=')`, `r is failed`).
import * as fs from "node:fs";
import * as path from "node:path";
import { osError, TemplateError } from "./_errors.ts";
import { compareKeys, pep440Key } from "./_pep440.ts";
import {
  defined,
  isFloat,
  isInt,
  isMapping,
  isNumber,
  isString,
  Kwargs,
  mapGet,
  mapHas,
  num,
  pyCmp,
  pyContains,
  pyEq,
  pyIter,
  pyStr,
  truthy,
  Undefined,
  unwrap,
} from "./_py.ts";
import { PyCallable } from "./_callable.ts";
import { splitKwargs } from "./_runtime.ts";
import { pyRegex } from "./_regex.ts";
import type { Templar, TestFn } from "./templar.ts";
import { convertBool, toBool } from "./_py.ts";

function kw(args: unknown[], names: string[]): Record<string, unknown> {
  const [pos, k] = splitKwargs(args);
  const out: Record<string, unknown> = { ...k };
  names.forEach((n, i) => {
    if (i < pos.length) out[n] = pos[i];
  });
  return out;
}

function resultMap(v: unknown, test: string): Record<string, unknown> {
  v = unwrap(v);
  if (!isMapping(v)) throw new TemplateError(`The '${test}' test expects a dictionary`);
  return v as Record<string, unknown>;
}

function regexTest(matchType: "search" | "match" | "fullmatch") {
  return (value: unknown, ...args: unknown[]): boolean => {
    const o = kw(args, ["pattern", "ignorecase", "multiline"]);
    const s = pyStr(defined(value));
    const re = pyRegex(pyStr(o.pattern ?? ""), {
      ignorecase: truthy(o.ignorecase ?? false),
      multiline: truthy(o.multiline ?? false),
    }, true);
    re.lastIndex = 0;
    if (matchType === "search") return re.test(s);
    const sticky = new RegExp(re.source, re.flags.replace("g", "") + "y");
    const m = sticky.exec(s);
    if (!m) return false;
    return matchType === "match" || m[0].length === s.length;
  };
}

/** A path as os.path's tests take it: as written (no ~ expansion); an undefined one fails. */
function expand(p: unknown): string {
  return pyStr(defined(p));
}

function lstat(p: unknown): fs.Stats | undefined {
  const file = expand(p);
  try {
    return fs.lstatSync(file);
  } catch {
    return undefined;
  }
}

function stat(p: unknown): fs.Stats | undefined {
  const file = expand(p);
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

/** os.path.samefile: a path that cannot be stat'ed raises, as Python's FileNotFoundError. */
function sameFile(a: unknown, b: unknown): boolean {
  const st = (p: unknown) => {
    const file = expand(p);
    try {
      return fs.statSync(file);
    } catch (e) {
      throw osError(e, file);
    }
  };
  const x = st(a), y = st(b);
  return x.ino === y.ino && x.dev === y.dev;
}

/** os.path.ismount: another device than its parent, or the same inode (the root). */
function isMount(p: unknown): boolean {
  const x = lstat(p);
  if (!x || x.isSymbolicLink()) return false;
  const parent = lstat(path.join(expand(p), ".."));
  return !!parent && (x.dev !== parent.dev || x.ino === parent.ino);
}

// ---- versions ----

type Ver = unknown[];

function looseVersion(s: string): Ver {
  return s.split(/(\d+|[a-z]+|\.)/i).filter((x) => x && x !== ".").map((
    x,
  ) => (/^\d+$/.test(x) ? parseInt(x, 10) : x));
}

function strictVersion(s: string): Ver {
  const m = /^(\d+)\.(\d+)(\.(\d+))?([ab](\d+))?$/.exec(s);
  if (!m) throw new Error(`invalid version number '${s}'`);
  const pre = m[5] ? [m[5][0], parseInt(m[6], 10)] : [];
  return [[+m[1], +m[2], m[4] ? +m[4] : 0], pre];
}

function cmpStrict(a: Ver, b: Ver): number {
  const c = pyCmp(a[0], b[0]);
  if (c) return c;
  const pa = a[1] as unknown[], pb = b[1] as unknown[];
  if (!pa.length && !pb.length) return 0;
  if (!pa.length) return 1;
  if (!pb.length) return -1;
  return pyCmp(pa, pb);
}

function semver(s: string): { core: number[]; pre: (string | number)[] } {
  const m = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+([0-9A-Za-z.-]+))?$/.exec(
    s,
  );
  if (!m) throw new Error(`invalid semantic version '${s}'`);
  return {
    core: [+m[1], +m[2], +m[3]],
    pre: m[4] ? m[4].split(".").map((x) => (/^\d+$/.test(x) ? parseInt(x, 10) : x)) : [],
  };
}

function cmpSemver(a: string, b: string): number {
  const x = semver(a), y = semver(b);
  const c = pyCmp(x.core, y.core);
  if (c) return c;
  if (!x.pre.length || !y.pre.length) return (y.pre.length ? 1 : 0) - (x.pre.length ? 1 : 0);
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i], q = y.pre[i];
    if (p === q) continue;
    if (typeof p === "number" && typeof q === "number") return p - q;
    if (typeof p === "number") return -1;
    if (typeof q === "number") return 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length - y.pre.length;
}

const OPS: Record<string, string> = {
  "==": "eq",
  "=": "eq",
  eq: "eq",
  "<": "lt",
  lt: "lt",
  "<=": "le",
  le: "le",
  ">": "gt",
  gt: "gt",
  ">=": "ge",
  ge: "ge",
  "!=": "ne",
  "<>": "ne",
  ne: "ne",
};

const VERSION_TYPES = ["loose", "strict", "semver", "semantic", "pep440"];

export function versionCompare(value: unknown, ...args: unknown[]): boolean {
  const o = kw(args, ["version", "operator", "strict", "version_type"]);
  // Ansible's order of checks, with its words
  const given = (x: unknown) => x !== undefined && x !== null;
  if (given(o.strict) && given(o.version_type)) {
    throw new TemplateError("Cannot specify both 'strict' and 'version_type'");
  }
  if (!truthy(value)) throw new TemplateError("Input version value cannot be empty");
  if (!truthy(o.version ?? "")) {
    throw new TemplateError("Version parameter to compare against cannot be empty");
  }
  const v = pyStr(defined(value)), w = pyStr(o.version);
  const type = truthy(o.strict ?? false)
    ? "strict"
    : truthy(o.version_type ?? "")
    ? pyStr(o.version_type)
    : "loose";
  if (!VERSION_TYPES.includes(type)) {
    throw new TemplateError(
      `Invalid version type (${type}). Must be one of ${VERSION_TYPES.map((t) => `'${t}'`).join(", ")}`,
    );
  }
  const op = OPS[pyStr(o.operator ?? "eq")];
  if (!op) {
    throw new TemplateError(
      `Invalid operator type (${pyStr(o.operator)}). Must be one of ${
        Object.keys(OPS).map((k) => `'${k}'`).join(", ")
      }`,
    );
  }
  let c: number;
  try {
    if (type === "strict") c = cmpStrict(strictVersion(v), strictVersion(w));
    else if (type === "semver" || type === "semantic") c = cmpSemver(v, w);
    else if (type === "pep440") c = compareKeys(pep440Key(v), pep440Key(w));
    else c = pyCmp(looseVersion(v), looseVersion(w));
  } catch (e) {
    throw new TemplateError(`Version comparison failed: ${(e as Error).message}`);
  }
  switch (op) {
    case "eq":
      return c === 0;
    case "ne":
      return c !== 0;
    case "lt":
      return c < 0;
    case "le":
      return c <= 0;
    case "gt":
      return c > 0;
    default:
      return c >= 0;
  }
}

function failed(v: unknown): boolean {
  return toBool(mapGet(resultMap(v, "failed"), "failed") ?? false) === true;
}

function changed(v: unknown): boolean {
  const r = resultMap(v, "changed");
  if (mapHas(r, "changed")) return truthy(r.changed);
  if (Array.isArray(r.results)) {
    return r.results.some((x) => isMapping(x) && truthy(mapGet(x, "changed") ?? false));
  }
  return false;
}

function isSubset(a: unknown, b: unknown): boolean {
  return pyIter(a).every((x) => pyContains(b, x));
}

export function builtinTests(_templar: Templar): Record<string, TestFn> {
  const t: Record<string, TestFn> = {
    defined: (v) => !(v instanceof Undefined),
    undefined: (v) => v instanceof Undefined,
    none: (v) => v === null,
    boolean: (v) => typeof v === "boolean",
    false: (v) => v === false,
    true: (v) => v === true,
    string: (v) => isString(v),
    number: (v) => isNumber(v) || typeof v === "boolean",
    integer: (v) => isInt(v),
    float: (v) => isFloat(v),
    mapping: (v) => isMapping(unwrap(v)),
    iterable: (v) => {
      // iter() on an undefined value raises, as StrictUndefined does
      const x = unwrap(defined(v));
      return typeof x === "string" || Array.isArray(x) || isMapping(x);
    },
    sequence: (v) => {
      const x = unwrap(v);
      return typeof x === "string" || Array.isArray(x) || isMapping(x);
    },
    // Ansible's undefined is callable (calling it fails)
    callable: (v) => v instanceof PyCallable || typeof v === "function" || v instanceof Undefined,
    lower: (v) => pyStr(defined(v)) === pyStr(v).toLowerCase(),
    upper: (v) => pyStr(defined(v)) === pyStr(v).toUpperCase(),
    odd: (v) => num(defined(v)) % 2 !== 0,
    even: (v) => num(defined(v)) % 2 === 0,
    divisibleby: (v, n) => num(defined(v)) % num(n) === 0,
    eq: (a, b) => pyEq(a, b),
    ne: (a, b) => !pyEq(a, b),
    lt: (a, b) => pyCmp(a, b) < 0,
    le: (a, b) => pyCmp(a, b) <= 0,
    gt: (a, b) => pyCmp(a, b) > 0,
    ge: (a, b) => pyCmp(a, b) >= 0,
    sameas: (a, b) => unwrap(a) === unwrap(b) && (typeof a !== "number" || isFloat(a) === isFloat(b)),
    in: (v, seq) => pyContains(seq, v),
    contains: (seq, v) => pyContains(seq, v),
    escaped: () => false,
    filter: () => true,
    test: () => true,
    match: regexTest("match"),
    search: regexTest("search"),
    regex: (v, ...args) => {
      const o = kw(args, ["pattern", "ignorecase", "multiline", "match_type"]);
      const type = pyStr(o.match_type ?? "search") as "search" | "match" | "fullmatch";
      return regexTest(type)(
        v,
        o.pattern ?? "",
        new Kwargs({ ignorecase: o.ignorecase ?? false, multiline: o.multiline ?? false }),
      );
    },
    version: versionCompare,
    version_compare: versionCompare,
    failed,
    failure: failed,
    succeeded: (v) => !failed(v),
    success: (v) => !failed(v),
    successful: (v) => !failed(v),
    changed,
    change: changed,
    skipped: (v) => toBool(mapGet(resultMap(v, "skipped"), "skipped") ?? false) === true,
    skip: (v) => toBool(mapGet(resultMap(v, "skipped"), "skipped") ?? false) === true,
    finished: (v) => {
      const r = resultMap(v, "finished");
      return mapHas(r, "finished") ? truthy(r.finished) : true;
    },
    started: (v) => {
      const r = resultMap(v, "started");
      return mapHas(r, "started") ? truthy(r.started) : true;
    },
    unreachable: (v) => truthy(mapGet(resultMap(v, "unreachable"), "unreachable") ?? false),
    // Ansible's reachable is `not unreachable(result)`: its refusal names the unreachable test
    reachable: (v) => !truthy(mapGet(resultMap(v, "unreachable"), "unreachable") ?? false),
    file: (p) => stat(p)?.isFile() ?? false,
    is_file: (p) => stat(p)?.isFile() ?? false,
    directory: (p) => stat(p)?.isDirectory() ?? false,
    is_dir: (p) => stat(p)?.isDirectory() ?? false,
    link: (p) => lstat(p)?.isSymbolicLink() ?? false,
    is_link: (p) => lstat(p)?.isSymbolicLink() ?? false,
    exists: (p) => stat(p) !== undefined,
    link_exists: (p) => lstat(p) !== undefined,
    abs: (p) => path.isAbsolute(pyStr(defined(p))),
    is_abs: (p) => path.isAbsolute(pyStr(defined(p))),
    same_file: sameFile,
    is_same_file: sameFile,
    mount: isMount,
    is_mount: isMount,
    subset: (a, b) => isSubset(a, b),
    issubset: (a, b) => isSubset(a, b),
    superset: (a, b) => isSubset(b, a),
    issuperset: (a, b) => isSubset(b, a),
    truthy: (v, ...args) => {
      const o = kw(args, ["convert_bool"]);
      return truthy(o.convert_bool !== undefined && truthy(o.convert_bool) ? convertBool(v) : v);
    },
    falsy: (v, ...args) => {
      const o = kw(args, ["convert_bool"]);
      return !truthy(o.convert_bool !== undefined && truthy(o.convert_bool) ? convertBool(v) : v);
    },
    nan: (v) => Number.isNaN(num(v)),
    all: (v) => pyIter(v).every(truthy),
    any: (v) => pyIter(v).some(truthy),
    vault_encrypted: (v) => (v as { constructor?: { name?: string } })?.constructor?.name === "VaultString",
  };
  t.equalto = t.eq;
  t["=="] = t.eq;
  t["!="] = t.ne;
  t["<"] = t.lt;
  t["<="] = t.le;
  t[">"] = t.gt;
  t[">="] = t.ge;
  t.greaterthan = t.gt;
  t.lessthan = t.lt;
  return t;
}
