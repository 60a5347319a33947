// Python's json.dumps as Ansible's callbacks call it (sort_keys, indent None or 4; ensure_ascii=False for
// the default callback's dumps, True for the json callback), so mito's output is byte-identical:
// `{"a": 1, "b": [1, 2]}`, Python's float spelling, `\u00e9` where ASCII is asked for.
import { PyFloat, UnsafeString, VaultString } from "../values.ts";

/** Python's repr of a float: shortest round-trip digits, `1.0`, `1e-05`, `1e+16`. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  const abs = Math.abs(n);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    const [mant, exp] = n.toExponential().split("e");
    const e = Number(exp);
    return `${mant}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  const s = String(n);
  return s.includes(".") || s.includes("e") ? s : s + ".0";
}

/** A JSON string literal; with `ascii`, everything outside printable ASCII as `\uXXXX` (UTF-16 units). */
function quote(s: string, ascii: boolean): string {
  const q = JSON.stringify(s);
  return ascii ? q.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : q;
}

function scalar(v: unknown, ascii: boolean): string | undefined {
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (v instanceof PyFloat) return pyFloat(v.value);
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return quote(v, ascii);
  if (v instanceof UnsafeString) return quote(v.value, ascii);
  if (v instanceof VaultString) return quote(v.value, ascii);
  return undefined;
}

function entriesOf(v: object): [string, unknown][] {
  const keyed = v as { keys?: () => string[]; get?: (k: string) => unknown };
  if (typeof keyed.keys === "function" && typeof keyed.get === "function" && !(v instanceof Map)) {
    return keyed.keys().map((k) => [k, keyed.get!(k)]);
  }
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [String(k), x]);
  return Object.entries(v);
}

export interface PyJsonOptions {
  /** ensure_ascii=True: non-ASCII and DEL as `\uXXXX` (Ansible's json callback). */
  ascii?: boolean;
}

export function pyJson(value: unknown, indent?: number, opts: PyJsonOptions = {}): string {
  const ascii = opts.ascii ?? false;
  const walk = (v: unknown, level: number): string => {
    const s = scalar(v, ascii);
    if (s !== undefined) return s;
    if (
      typeof v === "object" && v !== null && "toJSON" in v &&
      typeof (v as { toJSON: unknown }).toJSON === "function"
    ) {
      return walk((v as { toJSON: () => unknown }).toJSON(), level);
    }
    const pad = indent === undefined ? "" : "\n" + " ".repeat(indent * (level + 1));
    const end = indent === undefined ? "" : "\n" + " ".repeat(indent * level);
    const sep = indent === undefined ? ", " : ",";
    if (Array.isArray(v) || v instanceof Set) {
      const items = [...(v as Iterable<unknown>)];
      if (items.length === 0) return "[]";
      return "[" + items.map((x) => pad + walk(x, level + 1)).join(sep) + end + "]";
    }
    if (typeof v === "object") {
      let entries = entriesOf(v as object);
      if (entries.length === 0) return "{}";
      entries = entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return "{" + entries.map(([k, x]) => pad + quote(k, ascii) + ": " + walk(x, level + 1)).join(sep) +
        end + "}";
    }
    return quote(String(v), ascii);
  };
  return walk(value, 0);
}
