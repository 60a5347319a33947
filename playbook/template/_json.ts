// Python's json.dumps / json.loads over the value model (floats print as Python does, 1.0 stays a float).
import { PyFloat } from "../values.ts";
import { floatRepr } from "../py/repr.ts";
import { isMapping, mapGet, mapKeys, Undefined, unwrap } from "./_py.ts";
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

/** json.loads: numbers written with a fraction or exponent stay floats, ints beyond ±2^53 stay exact. */
export function jsonLoads(text: string, sourceText = SOURCE_TEXT): unknown {
  try {
    if (sourceText) {
      return JSON.parse(
        text,
        function (this: unknown, _k: string, v: unknown, ctx?: { source?: string }) {
          return typeof v === "number" && Number.isInteger(v) && ctx?.source ? pyNumber(v, ctx.source) : v;
        } as (k: string, v: unknown) => unknown,
      );
    }
    // Without the source text (Node 20, under which dist/mito runs) the numbers that need it travel as
    // marked strings: `1.0` and big ints would otherwise come back as rounded JS numbers.
    return JSON.parse(markNumbers(text), (_k, v) => {
      if (typeof v !== "string" || !v.startsWith(MARK)) return v;
      const src = v.slice(MARK.length);
      return pyNumber(Number(src), src);
    });
  } catch (e) {
    throw new TemplateError(`JSONDecodeError: ${(e as Error).message}`);
  }
}

/** An integral JSON number as Python reads it: a float when written as one, a bigint beyond ±2^53. */
function pyNumber(v: number, source: string): unknown {
  if (/[.eE]/.test(source)) return new PyFloat(v);
  return Number.isSafeInteger(v) ? v : BigInt(source);
}

/** Does JSON.parse hand revivers the source text (V8 11.4+: Deno, Node 21+)? */
const SOURCE_TEXT = JSON.parse("1", (_k, v, ...rest: unknown[]) => {
  const ctx = rest[0] as { source?: string } | undefined;
  return ctx?.source === "1" ? true : v;
}) === true;

const MARK = "\u0000mito-number:";
const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?/y;

/** `text` with each integral number that needs its source (`1.0`, `1e3`, big ints) turned into MARK+source. */
function markNumbers(text: string): string {
  const out: string[] = [];
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      continue;
    }
    if (c !== 45 /* - */ && (c < 48 || c > 57)) continue;
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) continue;
    const src = m[0];
    const n = Number(src);
    if (Number.isInteger(n) && (/[.eE]/.test(src) || !Number.isSafeInteger(n))) {
      out.push(text.slice(last, i), JSON.stringify(MARK + src));
      last = i + src.length;
    }
    i += src.length - 1;
  }
  if (!out.length) return text;
  out.push(text.slice(last));
  return out.join("");
}
