// The `yaml` stdout callback (community.general.yaml): the default callback's screen, with results as
// "changed=… skipped=…" and the rest as YAML (multi-line strings as literal blocks) instead of JSON.
import { toYaml } from "../template/mod.ts";
import { DefaultCallback, type DefaultCallbackOptions } from "./default.ts";
import { type Display, expandTabs } from "./display.ts";
import { PY_TRAILING_SPACE, stripInternal } from "./_results.ts";
import { pyJson } from "./_pyjson.ts";

// deno-lint-ignore no-control-regex
const BLOCK_CHARS = /[\n\r\x1c\x1d\x1e\x85\u2028\u2029]/;
// Python's string.printable: ASCII letters, digits, punctuation and whitespace.
// deno-lint-ignore no-control-regex
const PRINTABLE = /[\x20-\x7e\t\n\r\x0b\x0c]/;

/** The callback's Dumper: a string with a line break goes in a literal block, cleaned up for one. */
function literalText(s: string): string | undefined {
  if (!BLOCK_CHARS.test(s)) return undefined;
  let v = s.replace(PY_TRAILING_SPACE, "");
  v = [...v].filter((c) => PRINTABLE.test(c) || c.codePointAt(0)! >= 0xa0).join("");
  v = expandTabs(v);
  // deno-lint-ignore no-control-regex
  return v.replace(/[\x0b\x0c\r]/g, "").replace(/ +\n/g, "\n");
}

const yamlDump = (v: unknown, literal?: (s: string) => string | undefined) =>
  toYaml(v, { indent: 2, flow: false, sortKeys: true, width: 1000, explicitStart: false, literal });

/** str(value).lower() as the callback prints changed= and skipped=. */
function lowerStr(v: unknown, pyStr: (v: unknown) => string): string {
  return (typeof v === "boolean" ? (v ? "True" : "False") : pyStr(v)).toLowerCase();
}

export function yamlResults(pyStr: (v: unknown) => string) {
  return (r: Record<string, unknown>, verbosity: number): string => {
    if (r._ansible_no_log) {
      return pyJson({
        censored:
          "The output has been hidden due to the fact that 'no_log: true' was specified for this result",
      });
    }
    const clean = stripInternal(r);
    if (verbosity < 3) delete clean.invocation;
    if (verbosity < 3) delete clean.diff;
    delete clean.exception;
    let dumped = "";
    for (const k of ["changed", "skipped"]) {
      if (k in clean) {
        dumped += `${k}=${lowerStr(clean[k], pyStr)} `;
        delete clean[k];
      }
    }
    if ("stdout" in clean && "stdout_lines" in clean) clean.stdout_lines = "<omitted>";
    if ("stderr" in clean && "stderr_lines" in clean) clean.stderr_lines = "<omitted>";
    if (Object.keys(clean).length) dumped += "\n" + yamlDump(clean, literalText);
    return dumped.split("\n").join("\n  ").trimEnd();
  };
}

export class YamlCallback extends DefaultCallback {
  constructor(display: Display, opts: DefaultCallbackOptions) {
    super(display, { ...opts, dumpResults: yamlResults(opts.pyStr), serializeDiff: (v) => yamlDump(v) });
  }
}
