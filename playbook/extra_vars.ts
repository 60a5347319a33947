// `-e`/`--extra-vars`: `k=v k2="a b"`, inline JSON/YAML, or `@file` (YAML or JSON), later ones win.
import { splitArgs } from "./task_args.ts";
import { PlaybookError } from "./errors.ts";

export interface ExtraVarsIO {
  /** Parses YAML/JSON text (`source` names it in errors). */
  parseYaml(text: string, source: string): unknown;
  /** Reads and parses a YAML/JSON file. */
  loadYamlFile(file: string): unknown;
}

function unquote(s: string): string {
  if (s.length >= 2 && (s[0] === '"' || s[0] === "'") && s[s.length - 1] === s[0]) {
    return s.slice(1, -1).replace(/\\(["'\\])/g, "$1");
  }
  return s;
}

export function parseExtraVars(specs: string[], io: ExtraVarsIO): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  for (const spec of specs) {
    let data: unknown;
    if (spec.startsWith("@")) {
      data = io.loadYamlFile(spec.slice(1));
    } else if (/^\s*[[{]/.test(spec)) {
      data = io.parseYaml(spec, "extra vars");
    } else if (spec.trim() === "") {
      continue;
    } else {
      const kv: Record<string, unknown> = {};
      for (const piece of splitArgs(spec)) {
        const eq = piece.indexOf("=");
        if (eq <= 0) {
          throw new PlaybookError(
            `Invalid extra vars data supplied. '${spec}' could not be made into a dictionary`,
          );
        }
        // parse_kv strips both sides: split_args leaves the spaces after a word on it (`-e 'x=hey '`)
        kv[piece.slice(0, eq).trim()] = unquote(piece.slice(eq + 1).trim());
      }
      data = kv;
    }
    if (data === null || data === undefined) continue;
    if (typeof data !== "object" || Array.isArray(data)) {
      throw new PlaybookError(
        `Invalid extra vars data supplied. '${spec}' could not be made into a dictionary`,
      );
    }
    out = { ...out, ...(data as Record<string, unknown>) };
  }
  return out;
}
