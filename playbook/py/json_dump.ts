// Python's json.dumps over the value model, as Ansible calls it: the to_json/to_nice_json filters, the
// callbacks' result dumps, ansible-inventory --list. Floats print as repr() does (1.0, 1e-05), ints with
// every digit, NaN/Infinity as Python allows them, keys sorted by code point when asked.
import { PyFloat, WrappedString } from "../../core/codec.ts";
import { VaultString } from "../values.ts";
import { floatRepr, intRepr } from "./repr.ts";
import { pyStrCompare } from "./str_order.ts";

export interface JsonDumpOptions {
  /** sort_keys (false). */
  sortKeys?: boolean;
  /** indent (null: one line). */
  indent?: number | null;
  /** ensure_ascii (true, Python's default): everything outside printable ASCII as \uXXXX. */
  ensureAscii?: boolean;
  /** separators: (", ", ": ") on one line, (",", ": ") with an indent. */
  separators?: [string, string];
  /**
   * A vaulted value: "ciphertext" ({"__ansible_vault": …}, AnsibleJSONEncoder's default) or "text" (its
   * plain text, vault_to_text).
   */
  vault?: "ciphertext" | "text";
  /** Turns a value outside the value model into one inside it (or throws); called for every value. */
  represent?: (v: unknown) => unknown;
}

/** A value json.dumps has no encoding for. */
export class JsonDumpError extends Error {
  override name = "JsonDumpError";
  constructor(readonly value: unknown) {
    super(`Object of type ${typeof value} is not JSON serializable`);
  }
}

/** A JSON string literal as Python writes it (ensure_ascii escapes UTF-16 units, as Python does). */
function jsonStr(s: string, ascii: boolean): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i], code = s.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === "\\") out += "\\\\";
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    else if (c === "\b") out += "\\b";
    else if (c === "\f") out += "\\f";
    else if (code < 0x20 || (ascii && code > 0x7e)) out += "\\u" + code.toString(16).padStart(4, "0");
    else out += c;
  }
  return out + '"';
}

function number(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "Infinity" : "-Infinity";
  return floatRepr(n);
}

function isDict(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** json.dumps(v, …) with Python's defaults unless told otherwise. */
export function jsonDumps(v: unknown, o: JsonDumpOptions = {}): string {
  const indent = o.indent ?? null;
  const [itemSep, keySep] = o.separators ?? (indent === null ? [", ", ": "] : [",", ": "]);
  const ascii = o.ensureAscii ?? true;
  const represent = o.represent ?? ((x: unknown) => x);
  const enc = (value: unknown, level: number): string => {
    let x = represent(value);
    if (x instanceof VaultString && o.vault !== "text") x = { __ansible_vault: x.ciphertext };
    if (x instanceof WrappedString) x = x.value;
    if (x === null || x === undefined) return "null";
    if (x === true) return "true";
    if (x === false) return "false";
    if (x instanceof PyFloat) return number(x.value);
    if (typeof x === "number") return Number.isInteger(x) ? intRepr(x) : number(x);
    if (typeof x === "bigint") return intRepr(x);
    if (typeof x === "string") return jsonStr(x, ascii);
    const nl = indent === null ? "" : "\n" + " ".repeat(indent * (level + 1));
    const end = indent === null ? "" : "\n" + " ".repeat(indent * level);
    if (Array.isArray(x)) {
      if (!x.length) return "[]";
      return "[" + nl + x.map((i) => enc(i, level + 1)).join(itemSep + nl) + end + "]";
    }
    if (isDict(x)) {
      const m = x;
      let keys = Object.keys(m);
      if (!keys.length) return "{}";
      if (o.sortKeys) keys = keys.sort(pyStrCompare);
      return "{" + nl + keys.map((k) =>
        jsonStr(k, ascii) + keySep + enc(m[k], level + 1)
      ).join(itemSep + nl) +
        end + "}";
    }
    throw new JsonDumpError(x);
  };
  return enc(v, 0);
}
