// Python string formatting: `'%s' % x` (printf style) and `str.format` with the format-spec mini-language.
import { floatRepr } from "../py/repr.ts";
import {
  isFloat,
  isMapping,
  isTuple,
  mapGet,
  num,
  pyRepr,
  pyStr,
  pyTypeName,
  strLen,
  unwrap,
} from "./_py.ts";
import { PyFloat } from "../values.ts";

function pad(s: string, width: number, align: string, fill: string): string {
  const len = strLen(s);
  if (len >= width) return s;
  const n = width - len;
  if (align === "<") return s + fill.repeat(n);
  if (align === "^") return fill.repeat(Math.floor(n / 2)) + s + fill.repeat(n - Math.floor(n / 2));
  if (align === "=") {
    const sign = /^[+\- ]/.test(s) ? s[0] : "";
    return sign + fill.repeat(n) + s.slice(sign.length);
  }
  return fill.repeat(n) + s;
}

/** x.toFixed(prec) with Python's rounding: the exact binary value, exact ties to even. */
function fixed(x: number, prec: number): string {
  if (prec > 60) return x.toFixed(Math.min(prec, 100));
  const exact = x.toFixed(Math.min(100, prec + 40));
  const cut = exact.indexOf(".") + 1 + prec;
  if (/^50*$/.test(exact.slice(cut))) {
    const head = exact.slice(0, prec ? cut : cut - 1);
    const last = parseInt(head[head.length - 1], 10);
    if (last % 2 === 0) return head;
  }
  return x.toFixed(prec);
}

function expFmt(x: number, prec: number, upper: boolean): string {
  const [m, e] = x.toExponential(prec).split("e");
  const ei = parseInt(e, 10);
  const s = `${m}e${ei < 0 ? "-" : "+"}${String(Math.abs(ei)).padStart(2, "0")}`;
  return upper ? s.toUpperCase() : s;
}

function genFmt(x: number, prec: number, alt: boolean, upper: boolean): string {
  if (!isFinite(x)) return nonFinite(x, upper);
  if (prec === 0) prec = 1;
  if (x === 0) return alt ? "0." + "0".repeat(prec - 1) : "0";
  const exp = Math.floor(Math.log10(Math.abs(Number(x.toExponential(prec - 1)))));
  let s: string;
  if (exp < -4 || exp >= prec) {
    s = expFmt(x, prec - 1, upper);
    if (!alt) s = s.replace(/\.?0+(e)/i, "$1");
  } else {
    s = fixed(x, Math.max(prec - 1 - exp, 0));
    if (!alt && s.includes(".")) s = s.replace(/\.?0+$/, "");
  }
  return s;
}

function nonFinite(x: number, upper: boolean): string {
  const s = Number.isNaN(x) ? "nan" : x > 0 ? "inf" : "-inf";
  return upper ? s.toUpperCase() : s;
}

function toNum(v: unknown, conv: string): number {
  v = unwrap(v);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || v instanceof PyFloat) return num(v);
  throw new TypeError(`%${conv} format: a real number is required, not ${pyTypeName(v)}`);
}

function fmtNumber(
  v: unknown,
  type: string,
  prec: number | null,
  flags: { alt: boolean; sign: string; grouping: string },
): string {
  const u = unwrap(v);
  if (typeof u === "bigint" && INT_TYPES.has(type)) return fmtBigInt(u, type, flags);
  let x = toNum(v, type);
  let s: string;
  switch (type) {
    case "d":
    case "i":
    case "u":
    case "n":
      x = Math.trunc(x);
      s = Math.abs(x).toFixed(0);
      if (flags.grouping) s = s.replace(/\B(?=(\d{3})+(?!\d))/g, flags.grouping);
      break;
    case "x":
    case "X":
    case "o":
    case "b": {
      x = Math.trunc(x);
      const base = type === "o" ? 8 : type === "b" ? 2 : 16;
      s = Math.abs(x).toString(base);
      if (type === "X") s = s.toUpperCase();
      if (flags.alt) s = altPrefix(type) + s;
      break;
    }
    case "f":
    case "F":
      s = isFinite(x) ? fixed(Math.abs(x), prec ?? 6) : nonFinite(Math.abs(x), type === "F");
      if (flags.grouping) s = s.replace(/^\d+/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, flags.grouping));
      break;
    case "e":
    case "E":
      s = isFinite(x) ? expFmt(Math.abs(x), prec ?? 6, type === "E") : nonFinite(Math.abs(x), type === "E");
      break;
    case "g":
    case "G":
      s = genFmt(Math.abs(x), prec ?? 6, flags.alt, type === "G");
      break;
    case "%":
      s = fixed(Math.abs(x) * 100, prec ?? 6) + "%";
      break;
    case "":
      if (isFloat(v)) {
        s = prec === null ? floatRepr(Math.abs(x)) : genFmt(Math.abs(x), prec, flags.alt, false);
      } else s = Math.abs(x).toFixed(0);
      if (flags.grouping) s = s.replace(/^\d+/, (d) => d.replace(/\B(?=(\d{3})+(?!\d))/g, flags.grouping));
      break;
    default:
      throw new Error(`ValueError: Unknown format code '${type}' for object of type '${pyTypeName(v)}'`);
  }
  const neg = x < 0 || Object.is(x, -0) && type !== "d";
  return signPrefix(neg, flags.sign) + s;
}

/** `#`'s base prefix for the o, b, x and X type codes. */
function altPrefix(type: string): string {
  return type === "o" ? "0o" : type === "b" ? "0b" : type === "x" ? "0x" : "0X";
}

/** What goes before the digits: "-" for a negative number, else the `+` or ` ` sign flag. */
function signPrefix(negative: boolean, sign: string): string {
  return negative ? "-" : sign === "+" ? "+" : sign === " " ? " " : "";
}

const INT_TYPES = new Set(["d", "i", "u", "n", "x", "X", "o", "b", ""]);

/** An integer type code applied to an int beyond ±2^53: the digits of the exact value. */
function fmtBigInt(v: bigint, type: string, flags: { alt: boolean; sign: string; grouping: string }): string {
  const base = type === "o" ? 8 : type === "b" ? 2 : type === "x" || type === "X" ? 16 : 10;
  let s = (v < 0n ? -v : v).toString(base);
  if (type === "X") s = s.toUpperCase();
  if (base === 10 && flags.grouping) s = s.replace(/\B(?=(\d{3})+(?!\d))/g, flags.grouping);
  if (base !== 10 && flags.alt) s = altPrefix(type) + s;
  return signPrefix(v < 0n, flags.sign) + s;
}

/** `'fmt' % args` */
export function percentFormat(fmt: string, args: unknown): string {
  args = unwrap(args);
  const list = isTuple(args) ? (args as unknown[]) : [args];
  const dict = isMapping(args) ? args : null;
  let ai = 0;
  const next = () => {
    if (ai >= list.length) throw new TypeError("not enough arguments for format string");
    return list[ai++];
  };
  const re = /%(?:\(([^)]*)\))?([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([\s\S]?)/g;
  let usedDict = false;
  const out = fmt.replace(re, (m, key, flags: string, width, prec, conv: string, at: number) => {
    if (conv === "") throw new Error("ValueError: incomplete format");
    if (!"diouxXeEfFgGcrsa%".includes(conv)) {
      const code = conv.codePointAt(0)!.toString(16);
      throw new Error(
        `ValueError: unsupported format character '${conv}' (0x${code}) at index ${at + m.length - 1}`,
      );
    }
    if (conv === "%") return "%";
    let v: unknown;
    if (key !== undefined) {
      if (!dict) throw new TypeError("format requires a mapping");
      usedDict = true;
      v = mapGet(dict, key);
      if (v === undefined) throw new Error(`KeyError: '${key}'`);
    }
    const w = width === "*" ? num(next()) : width ? parseInt(width, 10) : 0;
    const p = prec === "*" ? num(next()) : prec !== undefined ? parseInt(prec, 10) : null;
    if (key === undefined) v = next();
    let s: string;
    if (conv === "s") s = pyStr(v);
    else if (conv === "r" || conv === "a") s = pyRepr(v);
    else if (conv === "c") s = typeof v === "number" ? String.fromCodePoint(v) : pyStr(v);
    else {
      s = fmtNumber(v, conv === "i" || conv === "u" ? "d" : conv, p, {
        alt: flags.includes("#"),
        sign: flags.includes("+") ? "+" : flags.includes(" ") ? " " : "",
        grouping: "",
      });
      if (p !== null && "diouxX".includes(conv)) {
        const sign = /^[-+ ]/.test(s) ? s[0] : "";
        s = sign + s.slice(sign.length).padStart(p, "0");
      }
    }
    if ((conv === "s" || conv === "r") && p !== null) s = s.slice(0, p);
    if (flags.includes("-")) return pad(s, w, "<", " ");
    if (flags.includes("0") && conv !== "s" && conv !== "r") return pad(s, w, "=", "0");
    return pad(s, w, ">", " ");
  });
  if (!dict && !usedDict && ai < list.length) {
    throw new TypeError("not all arguments converted during string formatting");
  }
  return out;
}

/** Applies a format spec (`>10`, `.2f`, `08.3f`, `,`) as format(value, spec) does. */
export function formatSpec(v: unknown, spec: string): string {
  v = unwrap(v);
  const m = /^(?:(.)?([<>=^]))?([-+ ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/s.exec(spec);
  if (!m) throw new Error(`ValueError: Invalid format specifier '${spec}'`);
  let [, fill, align, sign, alt, zero, width, grouping, prec, type] = m;
  const w = width ? parseInt(width, 10) : 0;
  const p = prec !== undefined ? parseInt(prec, 10) : null;
  let s: string;
  const numeric = typeof v === "number" || v instanceof PyFloat || typeof v === "boolean";
  if (numeric && !(typeof v === "boolean" && !type)) {
    s = fmtNumber(v, type ?? "", p, { alt: !!alt, sign: sign ?? "", grouping: grouping ?? "" });
    if (zero && !align) {
      fill = "0";
      align = "=";
    }
    return pad(s, w, align ?? ">", fill ?? " ");
  }
  if (type && type !== "s") {
    throw new Error(`ValueError: Unknown format code '${type}' for object of type '${pyTypeName(v)}'`);
  }
  s = pyStr(v);
  if (p !== null) s = [...s].slice(0, p).join("");
  return pad(s, w, align ?? "<", fill ?? " ");
}

/** `'{} {name} {0[k]:>5}'.format(...)` */
export function strFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  let out = "";
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i];
    if (c === "{" && fmt[i + 1] === "{") {
      out += "{";
      i += 2;
      continue;
    }
    if (c === "}" && fmt[i + 1] === "}") {
      out += "}";
      i += 2;
      continue;
    }
    if (c === "}") throw new Error("ValueError: Single '}' encountered in format string");
    if (c !== "{") {
      out += c;
      i++;
      continue;
    }
    // find matching close, allowing one level of nested {} in the spec
    let depth = 1, j = i + 1;
    while (j < fmt.length && depth) {
      if (fmt[j] === "{") depth++;
      else if (fmt[j] === "}") depth--;
      if (depth) j++;
    }
    if (depth) throw new Error("ValueError: Single '{' encountered in format string");
    const field = fmt.slice(i + 1, j);
    i = j + 1;
    const fm = /^([^.[!:]*)((?:\.[^.[!:]+|\[[^\]]*\])*)(?:!([rsa]))?(?::(.*))?$/s.exec(field);
    if (!fm) throw new Error(`ValueError: bad format field '${field}'`);
    const [, name, path, conv, specRaw] = fm;
    let v: unknown;
    if (name === "") v = args[auto++];
    else if (/^\d+$/.test(name)) v = args[parseInt(name, 10)];
    else {
      if (!(name in kwargs)) throw new Error(`KeyError: '${name}'`);
      v = kwargs[name];
    }
    if (v === undefined) {
      throw new Error("IndexError: Replacement index out of range for positional args tuple");
    }
    for (const pm of path.matchAll(/\.([^.[]+)|\[([^\]]*)\]/g)) {
      const key = pm[1] ?? pm[2];
      const obj = unwrap(v);
      if (Array.isArray(obj) && /^\d+$/.test(key)) v = obj[parseInt(key, 10)];
      else if (isMapping(obj)) v = mapGet(obj, key);
      else v = undefined;
      if (v === undefined) throw new Error(`KeyError: '${key}'`);
    }
    if (conv === "r" || conv === "a") v = pyRepr(v);
    else if (conv === "s") v = pyStr(v);
    const spec = (specRaw ?? "").replace(
      /\{([^}]*)\}/g,
      (_m, n: string) => pyStr(n === "" ? args[auto++] : /^\d+$/.test(n) ? args[parseInt(n, 10)] : kwargs[n]),
    );
    out += formatSpec(v, spec);
  }
  return out;
}
