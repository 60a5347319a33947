// json.dumps as Ansible's callbacks call it (_dump_results: sort_keys=True, indent None or 4;
// ensure_ascii=False for the default callback, True for the json callback), so mito's output is
// byte-identical: `{"a": 1, "b": [1, 2]}`, Python's float spelling, `\u00e9` where ASCII is asked for.
import { PyFloat, WrappedString } from "../../core/codec.ts";
import { jsonDumps } from "../py/json_dump.ts";

export interface PyJsonOptions {
  /** ensure_ascii=True: non-ASCII and DEL as `\uXXXX` (Ansible's json callback). */
  ascii?: boolean;
}

/** What a callback may be handed beyond the value model: sets, maps, lazy mappings, objects with toJSON. */
function callbackValue(v: unknown): unknown {
  if (v === null || typeof v !== "object") {
    return typeof v === "function" || typeof v === "symbol" ? String(v) : v;
  }
  if (Array.isArray(v) || v instanceof PyFloat || v instanceof WrappedString) return v;
  if (v instanceof Set) return [...v];
  if (v instanceof Map) return Object.fromEntries([...v.entries()].map(([k, x]) => [String(k), x]));
  if ("toJSON" in v && typeof (v as { toJSON: unknown }).toJSON === "function") {
    return (v as { toJSON: () => unknown }).toJSON();
  }
  const keyed = v as { keys?: () => string[]; get?: (k: string) => unknown };
  if (typeof keyed.keys === "function" && typeof keyed.get === "function") {
    return Object.fromEntries(keyed.keys().map((k) => [k, keyed.get!(k)]));
  }
  return Object.getPrototypeOf(v) === Object.prototype ? v : Object.fromEntries(Object.entries(v));
}

export function pyJson(value: unknown, indent?: number, opts: PyJsonOptions = {}): string {
  return jsonDumps(value, {
    sortKeys: true,
    indent: indent ?? null,
    ensureAscii: opts.ascii ?? false,
    vault: "text",
    represent: callbackValue,
  });
}
