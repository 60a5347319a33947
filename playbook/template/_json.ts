// Python's json.dumps / json.loads over the value model (floats print as Python does, 1.0 stays a float).
import { PyFloat } from "../values.ts";
import { floatRepr, isMapping, mapGet, mapKeys, Undefined, unwrap } from "./_py.ts";
import { TemplateError } from "./_errors.ts";

export interface JsonOptions {
  sortKeys?: boolean;
  indent?: number | null;
  ensureAscii?: boolean;
  separators?: [string, string];
}

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

/** json.dumps with Python's defaults: ", " and ": " separators, ensure_ascii, NaN allowed. */
export function jsonDumps(v: unknown, o: JsonOptions = {}): string {
  const indent = o.indent ?? null;
  const [itemSep, keySep] = o.separators ?? (indent === null ? [", ", ": "] : [",", ": "]);
  const ascii = o.ensureAscii ?? true;
  const enc = (x: unknown, level: number): string => {
    x = unwrap(x);
    if (x === null || x === undefined) return "null";
    if (x === true) return "true";
    if (x === false) return "false";
    if (x instanceof Undefined) x.fail();
    if (x instanceof PyFloat) return floatRepr(x.value);
    if (typeof x === "number") {
      if (Number.isNaN(x)) return "NaN";
      if (!isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
      return Number.isInteger(x) ? x.toFixed(0) : floatRepr(x);
    }
    if (typeof x === "bigint") return x.toString();
    if (typeof x === "string") return jsonStr(x, ascii);
    const nl = indent === null ? "" : "\n" + " ".repeat(indent * (level + 1));
    const end = indent === null ? "" : "\n" + " ".repeat(indent * level);
    if (Array.isArray(x)) {
      if (!x.length) return "[]";
      return "[" + nl + x.map((i) => enc(i, level + 1)).join(itemSep + nl) + end + "]";
    }
    if (isMapping(x)) {
      let keys = mapKeys(x);
      if (!keys.length) return "{}";
      if (o.sortKeys) keys = [...keys].sort();
      const m = x;
      return "{" + nl + keys.map((k) =>
        jsonStr(k, ascii) + keySep + enc(mapGet(m, k), level + 1)
      ).join(itemSep + nl) + end + "}";
    }
    throw new TemplateError(`Object of type ${typeof x} is not JSON serializable`);
  };
  return enc(v, 0);
}

/** json.loads: numbers written with a fraction or exponent stay floats. */
export function jsonLoads(text: string): unknown {
  try {
    return JSON.parse(
      text,
      function (this: unknown, _k: string, v: unknown, ctx?: { source?: string }) {
        if (typeof v !== "number" || !Number.isInteger(v) || !ctx?.source) return v;
        if (/[.eE]/.test(ctx.source)) return new PyFloat(v);
        // An int beyond ±2^53 keeps its digits (Python's json does), where the runtime shows them.
        return Number.isSafeInteger(v) ? v : BigInt(ctx.source);
      } as (k: string, v: unknown) => unknown,
    );
  } catch (e) {
    throw new TemplateError(`JSONDecodeError: ${(e as Error).message}`);
  }
}
