// json.dumps (playbook/py/json_dump.ts) over the template engine's values; json.loads over the value model
// (1.0 stays a float, big ints stay exact).
import { PyFloat } from "../values.ts";
import { JsonDumpError, type JsonDumpOptions, jsonDumps as pyJsonDumps } from "../py/json_dump.ts";
import { dumpable } from "./_py.ts";
import { TemplateError } from "./_errors.ts";

export type JsonOptions = Pick<JsonDumpOptions, "sortKeys" | "indent" | "ensureAscii" | "separators">;

/** json.dumps with Python's defaults (", " and ": " separators, ensure_ascii, NaN allowed); vaulted values as
 * their text, as Ansible's to_json gives vault_to_text. */
export function jsonDumps(v: unknown, o: JsonOptions = {}): string {
  try {
    return pyJsonDumps(v, { ...o, vault: "text", represent: dumpable });
  } catch (e) {
    if (e instanceof JsonDumpError) throw new TemplateError(e.message);
    throw e;
  }
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
