// Python's repr() of the value model (playbook/values.ts): what ansible-inventory's --graph --vars lines,
// the template engine's str()/repr() and Ansible's messages print for a value.
import { PyFloat, Tuple, WrappedString } from "../../core/codec.ts";

/** Python's repr() of a float: the shortest text that reads back, exponent form outside [1e-4, 1e16). */
export function floatRepr(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const [mant, expText] = n.toExponential().split("e");
  const exp = parseInt(expText, 10);
  if (exp >= -4 && exp < 16) {
    // JS writes these without an exponent too (it switches below 1e-6 and from 1e21)
    const s = String(n);
    return s.includes(".") ? s : `${s}.0`;
  }
  return `${mant}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** Python's repr() of an int: every digit, where JS would switch to an exponent from 1e21. */
export function intRepr(n: number | bigint): string {
  if (typeof n === "bigint") return n.toString();
  return Math.abs(n) < 1e21 ? n.toFixed(0) : BigInt(n).toString();
}

// str.isprintable(): everything but the categories Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs, except the space.
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

function escapeUnprintable(c: number): string {
  if (c <= 0xff) return "\\x" + c.toString(16).padStart(2, "0");
  if (c <= 0xffff) return "\\u" + c.toString(16).padStart(4, "0");
  return "\\U" + c.toString(16).padStart(8, "0");
}

/**
 * Python's repr() of a str: single quotes unless the text has a single quote and no double one; \n \r \t
 * and \\ escaped, other unprintable characters as \xhh, \uhhhh or \Uhhhhhhhh.
 */
export function strRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const ch of s) {
    if (ch === "\\" || ch === q) out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch !== " " && UNPRINTABLE.test(ch)) out += escapeUnprintable(ch.codePointAt(0)!);
    else out += ch;
  }
  return out + q;
}

/**
 * A repr() for values outside the value model (the template engine's undefined, objects, mappings …):
 * the text, or undefined to let pyRepr handle the value. Called first for every value, nested ones too.
 */
export type ReprHook = (v: unknown) => string | undefined;

/**
 * Python's repr(): None, True, 1, 1.0, 'text', [1, 'a'], (1,), {'k': 'v'}. Unsafe and vaulted strings
 * print as their text; `hook` speaks for values outside the plain model.
 */
export function pyRepr(v: unknown, hook?: ReprHook): string {
  const own = hook?.(v);
  if (own !== undefined) return own;
  if (v instanceof WrappedString) return strRepr(v.value);
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "string") return strRepr(v);
  if (v instanceof PyFloat) return floatRepr(v.value);
  if (typeof v === "number") return Number.isInteger(v) ? intRepr(v) : floatRepr(v);
  if (typeof v === "bigint") return intRepr(v);
  if (Array.isArray(v)) {
    const inner = v.map((x) => pyRepr(x, hook)).join(", ");
    if (v instanceof Tuple) return v.length === 1 ? `(${inner},)` : `(${inner})`;
    return `[${inner}]`;
  }
  const proto = typeof v === "object" ? Object.getPrototypeOf(v) : undefined;
  if (proto === Object.prototype || proto === null) {
    const items = Object.entries(v as Record<string, unknown>).map(([k, x]) =>
      `${strRepr(k)}: ${pyRepr(x, hook)}`
    );
    return `{${items.join(", ")}}`;
  }
  return String(v);
}

/** Python's str(): a str (unsafe or vaulted too) as it is, anything else as repr(). What a dict key becomes. */
export function pyStr(v: unknown, hook?: ReprHook): string {
  if (typeof v === "string") return v;
  if (v instanceof WrappedString) return v.value;
  return pyRepr(v, hook);
}
