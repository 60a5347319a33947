// Number filters: int/float conversion, rounding, logarithms and powers, human-readable sizes.
import { PyFloat } from "../values.ts";
import { pyInt } from "../py/int_parse.ts";
import { TemplateError } from "./_errors.ts";
import { defined, isInt, mkFloat, num, pyRepr, pyStr, pyTypeName, truthy, unwrap } from "./_py.ts";
import { bind, type FilterContext, pyFloatParse, str, toFloat } from "./_filter_util.ts";
import type { FilterFn } from "./templar.ts";

function toInt(v: unknown, dflt: unknown, base: number): unknown {
  v = unwrap(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "bigint") return v;
  if (typeof v === "number" || v instanceof PyFloat) return Math.trunc(num(v));
  if (typeof v === "string") {
    try {
      return pyInt(v, base);
    } catch {
      // Jinja's int filter falls back to int(float(text)): "42.23" | int is 42
    }
    const s = v.trim().replace(/_/g, "");
    const f = pyFloatParse(s);
    if (f !== undefined && isFinite(f)) return Math.trunc(f);
  }
  return dflt;
}

/** A number as Python's math functions take it (bools count), else math's TypeError. */
function real(v: unknown): number {
  const u = unwrap(v);
  if (typeof u === "boolean" || typeof u === "number" || typeof u === "bigint" || u instanceof PyFloat) {
    return num(u);
  }
  throw new TypeError(`must be real number, not ${pyTypeName(v)}`);
}

/** Python's float(x): numbers, bools and numeric text; the ValueError or TypeError it raises otherwise. */
function pyFloat(v: unknown): unknown {
  const u = unwrap(v);
  if (typeof u === "string") {
    if (pyFloatParse(u) === undefined) throw new TypeError(`could not convert string to float: ${pyRepr(v)}`);
    return toFloat(u, undefined);
  }
  if (typeof u === "boolean" || typeof u === "number" || typeof u === "bigint" || u instanceof PyFloat) {
    return toFloat(u, undefined);
  }
  throw new TypeError(`float() argument must be a string or a real number, not '${pyTypeName(v)}'`);
}

/**
 * Ansible's math filters turn what Python's math refuses into AnsibleFilterTypeError, a TypeError
 * ("log() can only be used on numbers: …"), which surfaces as a templating type error.
 */
function onlyNumbers<T>(name: string, f: () => T, why = "can only be used on numbers"): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TypeError) throw new TypeError(`${name}() ${why}: ${e.message}`);
    throw e;
  }
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

/** The math family of the built-in filter table. */
export function mathFilters(_ctx: FilterContext): Record<string, FilterFn> {
  return {
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
    float: (v, ...args) => {
      const o = bind(args, ["default"], "float");
      return toFloat(defined(v), o.default ?? new PyFloat(0));
    },
    int: (v, ...args) => {
      const o = bind(args, ["default", "base"], "int");
      return toInt(defined(v), o.default ?? 0, num(o.base ?? 10));
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
    log: (v, base) =>
      onlyNumbers("log", () => {
        const x = real(v);
        if (base === undefined) return mkFloat(Math.log(x));
        const b = real(base);
        return mkFloat(b === 10 ? Math.log10(x) : Math.log(x) / Math.log(b));
      }),
    pow: (v, y) => onlyNumbers("pow", () => mkFloat(real(v) ** real(y))),
    root: (v, base) =>
      onlyNumbers("root", () => {
        const x = real(v);
        if (base === undefined || (unwrap(base) === 2 && isInt(base))) {
          if (x < 0) throw new TypeError("math domain error");
          return mkFloat(Math.sqrt(x));
        }
        const b = num(pyFloat(base));
        const r = x ** (1 / b);
        if (Number.isNaN(r)) throw new TypeError("math domain error");
        return mkFloat(r);
      }),
    human_readable: (v, ...args) => {
      const o = bind(args, ["isbits", "unit"], "human_readable");
      const unit = o.unit === undefined || o.unit === null ? null : pyStr(o.unit);
      const size = onlyNumbers("human_readable", () => {
        const u = unwrap(defined(v));
        if (
          typeof u === "boolean" || typeof u === "number" || typeof u === "bigint" || u instanceof PyFloat
        ) {
          return num(u);
        }
        // bytes_to_human compares the size with each unit's limit, or divides by the one named
        throw new TypeError(
          unit === null
            ? `'>=' not supported between instances of '${pyTypeName(v)}' and 'int'`
            : `unsupported operand type(s) for /: '${pyTypeName(v)}' and 'int'`,
        );
      }, "failed on bad input");
      return humanReadable(size, truthy(o.isbits ?? false), unit || null);
    },
    human_to_bytes: (v, ...args) => {
      const o = bind(args, ["default_unit", "isbits"], "human_to_bytes");
      return humanToBytes(str(v), o.default_unit ? pyStr(o.default_unit) : null, truthy(o.isbits ?? false));
    },
  };
}
