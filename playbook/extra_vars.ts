// `-e`/`--extra-vars`: `k=v k2="a b"`, inline JSON/YAML, or `@file` (YAML or JSON), later ones win.
import { parseKv } from "./task_args.ts";
import { PlaybookError } from "./errors.ts";

export interface ExtraVarsIO {
  /** Parses YAML/JSON text (`source` names it in errors). */
  parseYaml(text: string, source: string): unknown;
  /** Reads and parses a YAML/JSON file. */
  loadYamlFile(file: string): unknown;
}

/**
 * A `-e` refused as an option (no dictionary, a file name without its `@`): Ansible's AnsibleOptionsError,
 * exit 5. A file that is not there is Ansible's AnsibleFileNotFound, exit 1 (`exitCode`).
 */
export class ExtraVarsError extends PlaybookError {
  override name = "ExtraVarsError";
  override readonly exitCode: number;
  constructor(message: string, exitCode = 5) {
    super(message);
    this.exitCode = exitCode;
  }
}

export function parseExtraVars(specs: string[], io: ExtraVarsIO): Record<string, unknown> {
  let out: Record<string, unknown> = {};
  for (const spec of specs) {
    let data: unknown;
    if (spec.startsWith("@")) {
      data = io.loadYamlFile(spec.slice(1));
    } else if (spec === "") {
      continue;
    } else if (spec[0] === "/" || spec[0] === ".") {
      throw new ExtraVarsError(`Please prepend extra_vars filename '${spec}' with '@'`);
    } else if (spec[0] === "[" || spec[0] === "{") {
      data = io.parseYaml(spec, "extra vars");
    } else {
      // Ansible's parse_kv without check_raw: words that are no k=v become _raw_params, not an error
      data = parseKv(spec, "");
    }
    // an empty file gives no dictionary either: refused as Ansible refuses it
    if (data === null || typeof data !== "object" || Array.isArray(data)) {
      throw new ExtraVarsError(
        `Invalid extra vars data supplied. '${spec}' could not be made into a dictionary`,
      );
    }
    out = { ...out, ...(data as Record<string, unknown>) };
  }
  return out;
}
