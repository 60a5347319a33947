// What the filter families share: Python-style argument binding, str/list coercion, attribute getters,
// sorting and uniqueness helpers, and the context (templar, other filters and tests) some filters need.
import * as path from "node:path";
import * as fs from "node:fs";
import { PyFloat } from "../values.ts";
import { TemplateError } from "./_errors.ts";
import { defined, mkFloat, num, pyCmp, pyIter, pyStr, unwrap } from "./_py.ts";
import { splitKwargs } from "./_runtime.ts";
import { PyRandom } from "./_random.ts";
import type { FilterFn, Templar, TestFn } from "./templar.ts";

/** Binds positional and keyword arguments to parameter names, Python style. */
export function bind(args: unknown[], names: string[], fname: string, required = 0): Record<string, unknown> {
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

export function str(v: unknown): string {
  return pyStr(defined(v));
}

export function list(v: unknown): unknown[] {
  return pyIter(defined(v));
}

export function stableSort<T>(items: T[], key: (x: T) => unknown, reverse: boolean): T[] {
  const idx = items.map((v, i) => ({ v, k: key(v), i }));
  idx.sort((a, b) => {
    const c = pyCmp(a.k, b.k);
    return c !== 0 ? (reverse ? -c : c) : a.i - b.i;
  });
  return idx.map((e) => e.v);
}

export function pyFloatParse(s: string): number | undefined {
  const t = s.trim().replace(/_/g, "").toLowerCase();
  if (/^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)$/.test(t)) return parseFloat(t);
  if (/^[+-]?(inf|infinity)$/.test(t)) return t.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(t)) return NaN;
  return undefined;
}

export function toFloat(v: unknown, dflt: unknown): unknown {
  v = unwrap(v);
  if (typeof v === "boolean") return new PyFloat(v ? 1 : 0);
  if (typeof v === "number" || v instanceof PyFloat || typeof v === "bigint") return mkFloat(num(v));
  if (typeof v === "string") {
    const f = pyFloatParse(v);
    if (f !== undefined) return mkFloat(f);
  }
  return dflt;
}

/** Python's shlex.quote. */
export function shellQuote(s: string): string {
  if (s === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(s)) return s;
  return "'" + s.replace(/'/g, "'\"'\"'") + "'";
}

export function flatten(items: unknown[], levels: number | null, skipNulls: boolean): unknown[] {
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

/** What filters that call other filters or tests (map, select), or draw random numbers, are given. */
export interface FilterContext {
  templar: Templar;
  /** A filter by name: the templar's own (user-supplied) first, then the built-in table. */
  filterByName(name: string): FilterFn;
  testByName(name: string): TestFn;
  /** Positional arguments with the keyword ones appended as one Kwargs, when there are any. */
  withKw(args: unknown[], kw: Record<string, unknown>): unknown[];
  /** A random generator seeded by `seed`, else by the templar's seed option, else by the system. */
  randomFor(seed: unknown): PyRandom;
}
